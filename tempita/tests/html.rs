//! HTML templates, html(), html_quote, url, attr, looper and bunch.

use tempita::{Context, HtmlTemplate, Value, bunch, sub, sub_html};

fn html(src: &str, ctx: &Context) -> String {
    HtmlTemplate::new(src)
        .unwrap()
        .substitute(ctx)
        .unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn html_doctests() {
    let ctx = Context::new().with("name", "<foo>");
    assert_eq!(sub_html("hey {{name}}", &ctx).unwrap(), "hey &lt;foo&gt;");
    assert_eq!(html("hey {{html(name)}}", &ctx), "hey <foo>");
    assert_eq!(html("hey {{name|html}}", &ctx), "hey <foo>");
    assert_eq!(html("{{html_quote(name)}}", &ctx), "&amp;lt;foo&amp;gt;");
    let t = "<a href=\"article?id={{id|url}}\" {{attr(class_=class_)}}>";
    let ctx = Context::new().with("id", 1).with("class_", "foo");
    assert_eq!(html(t, &ctx), "<a href=\"article?id=1\" class=\"foo\">");
    let ctx = Context::new()
        .with("id", "with space")
        .with("class_", Value::NONE);
    assert_eq!(html(t, &ctx), "<a href=\"article?id=with%20space\" >");
    let ctx = Context::new()
        .with("title", "Attack!\">")
        .with("safe", Value::safe("<b>x</b>"));
    assert_eq!(
        html("<input value=\"{{title}}\">{{safe}}{{None}}'", &ctx),
        "<input value=\"Attack!&quot;&gt;\"><b>x</b>'"
    );
    assert_eq!(html("{{\"it's\"}}", &Context::new()), "it&#x27;s");
}

#[test]
fn plain_templates_do_not_escape() {
    assert_eq!(
        sub("{{x}}", &Context::new().with("x", "<&>")).unwrap(),
        "<&>"
    );
    assert_eq!(
        sub("{{url('a b/c?d=é&')}}", &Context::new()).unwrap(),
        "a%20b/c%3Fd%3D%C3%A9%26"
    );
    assert_eq!(
        sub(
            "{{attr(b=1, a='x&y', c=None, class_='q')}}",
            &Context::new()
        )
        .unwrap(),
        "a=\"x&amp;y\" b=\"1\" class=\"q\""
    );
}

#[test]
fn defs_and_bodies_are_not_escaped_twice() {
    let ctx = Context::new().with("x", "<");
    assert_eq!(
        html("{{def b}}<i>{{x}}</i>{{enddef}}{{b()}}{{b}}", &ctx),
        "<i>&lt;</i><i>&lt;</i>"
    );
}

#[test]
fn looper_attributes() {
    let src = "{{for loop, item in looper(seq)}}{{loop.index}}{{loop.number}}{{item}}{{loop.item}}\
        {{loop.first}}{{loop.last}}{{loop.odd}}{{loop.even}}{{loop.length}}\
        {{loop.previous}}/{{loop.next}};{{endfor}}";
    let ctx = Context::new().with("seq", vec!["a", "b", "c"]);
    assert_eq!(
        sub(src, &ctx).unwrap(),
        "01aaTrueFalseFalseTrue3/b;12bbFalseFalseTrueFalse3a/c;23ccFalseTrueFalseTrue3b/;"
    );
}

#[test]
fn looper_groups() {
    let words = vec!["apple", "avocado", "banana", "cherry", "cranberry"];
    let ctx = Context::new().with("words", words);
    let src = "{{for loop, w in looper(words)}}{{if loop.first_group(lambda w: w[0])}}[{{w[0]}}: {{endif}}{{w}}{{if loop.last_group(lambda w: w[0])}}]{{else}} {{endif}}{{endfor}}";
    assert_eq!(
        sub(src, &ctx).unwrap(),
        "[a: apple avocado][b: banana][c: cherry cranberry]"
    );
    let people = Value::from_serialize(&serde_json::json!([
        {"team": "x", "n": 1}, {"team": "x", "n": 2}, {"team": "y", "n": 3}
    ]))
    .unwrap();
    let ctx = Context::new().with("people", people);
    let src = "{{for loop, p in looper(people)}}{{if loop.first_group('team')}}|{{endif}}{{p.n}}{{if loop.last_group('.team')}}.{{endif}}{{endfor}}";
    assert_eq!(sub(src, &ctx).unwrap(), "|12.|3.");
    let src =
        "{{for loop, s in looper(['a', 'A', 'b'])}}{{loop.first_group('.upper()')}}{{endfor}}";
    assert_eq!(sub(src, &Context::new()).unwrap(), "TrueFalseTrue");
}

#[test]
fn bunch_doctests() {
    let b = bunch([("a", Value::from(1)), ("b", Value::from(2))]);
    assert_eq!(b.repr(), "<bunch a=1 b=2>");
    let ctx = Context::new().with("b", b);
    assert_eq!(
        sub("{{b.a}} {{b['b']}} {{sorted(b.items())}}", &ctx).unwrap(),
        "1 2 [('a', 1), ('b', 2)]"
    );
    assert_eq!(
        sub("{{bunch(x=1, default=0).y}}", &Context::new()).unwrap(),
        "0"
    );
    assert!(
        sub("{{b.c}}", &ctx)
            .unwrap_err()
            .to_string()
            .contains("AttributeError")
    );
}
