//! A realistic page (navigation loop, conditionals, filters, number
//! formatting, HTML escaping) rendered by tempita, minijinja and handlebars on
//! the same data. Ratios are printed against minijinja, measured in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde::Serialize;

#[derive(Serialize)]
struct Link {
    href: String,
    label: String,
    active: bool,
}

#[derive(Serialize)]
struct Item {
    name: String,
    price: f64,
    qty: u32,
    tags: Vec<String>,
}

#[derive(Serialize)]
struct User {
    name: String,
    admin: bool,
}

#[derive(Serialize)]
struct Page {
    title: String,
    user: User,
    nav: Vec<Link>,
    items: Vec<Item>,
}

fn page() -> Page {
    Page {
        title: "Shop <& Co>".into(),
        user: User {
            name: "ann o'neil".into(),
            admin: true,
        },
        nav: (0..8)
            .map(|i| Link {
                href: format!("/section/{i}?a=1&b=2"),
                label: format!("Section {i}"),
                active: i == 3,
            })
            .collect(),
        items: (0..50)
            .map(|i| Item {
                name: format!("Item <{i}> & more"),
                price: f64::from(i) * 1.25 + 0.5,
                qty: i % 4,
                tags: (0..i % 3).map(|t| format!("tag{t}")).collect(),
            })
            .collect(),
    }
}

const TEMPITA: &str = r#"<html><head><title>{{title}}</title></head><body>
<nav>{{for link in nav}}<a href="{{link.href}}"{{if link.active}} class="active"{{endif}}>{{link.label}}</a>{{endfor}}</nav>
{{if user.admin}}
<p>Welcome, admin {{user.name|upper}}</p>
{{else}}
<p>Welcome, {{user.name}}</p>
{{endif}}
<table>
{{for i, item in enumerate(items)}}
<tr class="{{'odd' if i % 2 else 'even'}}"><td>{{item.name}}</td><td>{{'%.2f' % item.price}}</td><td>{{if item.qty > 0}}{{item.qty}}{{else}}sold out{{endif}}</td><td>{{', '.join(item.tags)}}</td></tr>
{{endfor}}
</table></body></html>
"#;

const MINIJINJA: &str = r#"<html><head><title>{{ title }}</title></head><body>
<nav>{% for link in nav %}<a href="{{ link.href }}"{% if link.active %} class="active"{% endif %}>{{ link.label }}</a>{% endfor %}</nav>
{% if user.admin %}
<p>Welcome, admin {{ user.name|upper }}</p>
{% else %}
<p>Welcome, {{ user.name }}</p>
{% endif %}
<table>
{% for item in items %}
<tr class="{{ 'odd' if loop.index0 % 2 else 'even' }}"><td>{{ item.name }}</td><td>{{ "%.2f"|format(item.price) }}</td><td>{% if item.qty > 0 %}{{ item.qty }}{% else %}sold out{% endif %}</td><td>{{ item.tags|join(', ') }}</td></tr>
{% endfor %}
</table></body></html>
"#;

const HANDLEBARS: &str = r#"<html><head><title>{{title}}</title></head><body>
<nav>{{#each nav}}<a href="{{href}}"{{#if active}} class="active"{{/if}}>{{label}}</a>{{/each}}</nav>
{{#if user.admin}}
<p>Welcome, admin {{upper user.name}}</p>
{{else}}
<p>Welcome, {{user.name}}</p>
{{/if}}
<table>
{{#each items}}
<tr class="{{parity @index}}"><td>{{name}}</td><td>{{price2 price}}</td><td>{{#if qty}}{{qty}}{{else}}sold out{{/if}}</td><td>{{#each tags}}{{#unless @first}}, {{/unless}}{{this}}{{/each}}</td></tr>
{{/each}}
</table></body></html>
"#;

fn tempita_template() -> tempita::Template {
    let upper = tempita::Value::from_function("upper", |args, _| {
        Ok(args
            .first()
            .map(|v| v.to_string().to_uppercase())
            .unwrap_or_default()
            .into())
    });
    tempita::HtmlTemplate::builder(TEMPITA)
        .name("page.html")
        .namespace_value("upper", upper)
        .build()
        .unwrap()
}

fn handlebars_registry() -> handlebars::Handlebars<'static> {
    use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext};
    let mut hb = Handlebars::new();
    hb.register_template_string("page", HANDLEBARS).unwrap();
    hb.register_helper(
        "upper",
        Box::new(
            |h: &Helper<'_>,
             _: &Handlebars<'_>,
             _: &Context,
             _: &mut RenderContext<'_, '_>,
             out: &mut dyn Output|
             -> HelperResult {
                let s = h.param(0).and_then(|p| p.value().as_str()).unwrap_or("");
                out.write(&handlebars::html_escape(&s.to_uppercase()))?;
                Ok(())
            },
        ),
    );
    hb.register_helper(
        "parity",
        Box::new(
            |h: &Helper<'_>,
             _: &Handlebars<'_>,
             _: &Context,
             _: &mut RenderContext<'_, '_>,
             out: &mut dyn Output|
             -> HelperResult {
                let i = h.param(0).and_then(|p| p.value().as_u64()).unwrap_or(0);
                out.write(if i % 2 == 1 { "odd" } else { "even" })?;
                Ok(())
            },
        ),
    );
    hb.register_helper(
        "price2",
        Box::new(
            |h: &Helper<'_>,
             _: &Handlebars<'_>,
             _: &Context,
             _: &mut RenderContext<'_, '_>,
             out: &mut dyn Output|
             -> HelperResult {
                let p = h.param(0).and_then(|p| p.value().as_f64()).unwrap_or(0.0);
                out.write(&format!("{p:.2}"))?;
                Ok(())
            },
        ),
    );
    hb
}

fn minijinja_env() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.add_template("page.html", MINIJINJA).unwrap();
    env
}

/// Mean time of one call, for the ratio summary.
fn time_it(mut f: impl FnMut()) -> Duration {
    for _ in 0..50 {
        f();
    }
    let n = 400u32;
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

fn bench(c: &mut Criterion) {
    let data = page();
    let tt = tempita_template();
    let hb = handlebars_registry();
    let env = minijinja_env();
    let mj = env.get_template("page.html").unwrap();

    // The three engines must produce the same page, up to whitespace details.
    let norm = |s: String| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&#x3D;", "=")
            .replace("&#x2F;", "/")
            .replace("&#x2f;", "/")
    };
    let a = norm(
        tt.substitute(&tempita::Context::from_serialize(&data).unwrap())
            .unwrap(),
    );
    let b = norm(mj.render(&data).unwrap());
    let h = norm(hb.render("page", &data).unwrap());
    assert!(a == b, "tempita and minijinja differ");
    assert!(a == h, "tempita and handlebars differ:\n{a}\n{h}");

    let mut g = c.benchmark_group("page");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    g.bench_function("tempita", |bn| {
        bn.iter(|| {
            tt.substitute(&tempita::Context::from_serialize(black_box(&data)).unwrap())
                .unwrap()
        });
    });
    let ctx = tempita::Context::from_serialize(&data).unwrap();
    g.bench_function("tempita_prebuilt_context", |bn| {
        bn.iter(|| tt.substitute(black_box(&ctx)).unwrap());
    });
    g.bench_function("minijinja", |bn| {
        bn.iter(|| mj.render(black_box(&data)).unwrap());
    });
    g.bench_function("handlebars", |bn| {
        bn.iter(|| hb.render("page", black_box(&data)).unwrap());
    });
    g.bench_function("tempita_parse", |bn| bn.iter(tempita_template));
    g.finish();

    let t = time_it(|| {
        drop(black_box(tt.substitute(
            &tempita::Context::from_serialize(&data).unwrap(),
        )));
    });
    let tp = time_it(|| drop(black_box(tt.substitute(&ctx))));
    let m = time_it(|| drop(black_box(mj.render(&data))));
    let hbt = time_it(|| drop(black_box(hb.render("page", &data))));
    let ratio = |x: Duration| x.as_secs_f64() / m.as_secs_f64();
    println!("ratios against minijinja (same run; lower is faster):");
    println!("  minijinja                 {m:>10.2?}  1.00x");
    println!("  tempita                   {t:>10.2?}  {:.2}x", ratio(t));
    println!("  tempita, prebuilt context {tp:>10.2?}  {:.2}x", ratio(tp));
    println!(
        "  handlebars                {hbt:>10.2?}  {:.2}x",
        ratio(hbt)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
