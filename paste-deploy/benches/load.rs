//! Loading a 30-section config: a pipeline of filters, a composite of
//! apps, `use` chains, `set`/`get`, interpolation; beside it, the INI parse
//! alone, the floor under any load.
//!
//! `cargo bench -p paste-deploy --bench load`

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use paste_core::{BoxApp, Response, app_fn};
use paste_deploy::ini::IniFile;
use paste_deploy::{Conf, Filter, Registry};

fn config() -> String {
    let mut text =
        String::from("[DEFAULT]\nroot = /srv\ndebug = false\n\n[pipeline:main]\npipeline =");
    for i in 0..13 {
        write!(text, " f{i}").unwrap();
    }
    text.push_str(" site\n\n");
    for i in 0..13 {
        write!(
            text,
            "[filter:f{i}]\nuse = egg:Bench#tag\nname = f{i}\nlog = %(root)s/log/f{i}.log\n\n"
        )
        .unwrap();
    }
    text.push_str("[composite:site]\nuse = egg:Bench#map\n");
    for i in 0..13 {
        writeln!(text, "/a{i} = a{i}").unwrap();
    }
    text.push('\n');
    for i in 0..13 {
        write!(
            text,
            "[app:a{i}]\nuse = base\nset mount = /a{i}\nget where = mount\ntitle = App {i} at %(root)s\n\n"
        )
        .unwrap();
    }
    text.push_str("[app:base]\nuse = egg:Bench#text\ntheme = plain\n\n[server:main]\nuse = egg:Bench#null\nport = 8080\n");
    text
}

fn registry() -> Registry {
    let mut registry = Registry::new();
    registry
        .app("text", |_, local| {
            let text = local.get("title").unwrap_or("").to_owned();
            Ok(BoxApp::new(app_fn(move |_req| {
                let text = text.clone();
                async move { Ok(Response::new(text.into())) }
            })))
        })
        .composite("map", |loader, _, local| {
            let mut last = None;
            for (_, name) in local.iter() {
                last = Some(loader.get_app(name)?);
            }
            last.ok_or_else(|| paste_deploy::Error::factory("empty map"))
        })
        .filter("tag", |_, _| Ok(Filter::new(Ok)));
    registry
}

fn load(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("paste-deploy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let text = config();
    std::fs::write(dir.join("site.ini"), &text).expect("the config is written");
    let registry = registry();
    let sections = text.lines().filter(|l| l.starts_with('[')).count();
    assert!(sections >= 30, "{sections} sections");

    let mut group = c.benchmark_group(format!("{sections}_sections"));
    group.bench_function("ini_parse_only", |b| {
        b.iter(|| black_box(IniFile::parse(black_box(&text), Some(&dir.join("site.ini"))).is_ok()));
    });
    group.bench_function("load_app", |b| {
        b.iter(|| {
            black_box(
                registry
                    .load_app("config:site.ini", None, Some(&dir), &Conf::new())
                    .is_ok(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
