//! Tempita's own doctests (`tests/tests.txt` of Tempita 0.6.0), one assertion
//! per example, in the file's order. Error texts use this crate's
//! `name:line:column: message` form; the positions are the same.

use std::collections::HashMap;
use std::sync::Arc;

use tempita::{Context, ErrorKind, Template, Value, sub, sub_html};

fn ctx<const N: usize>(pairs: [(&str, Value); N]) -> Context {
    pairs.into_iter().collect()
}

#[test]
fn normal_templating() {
    assert_eq!(
        sub("Hi {{name}}", &ctx([("name", "Ian".into())])).unwrap(),
        "Hi Ian"
    );
    let t = Template::new("Hi {{repr(name)}}").unwrap();
    assert_eq!(
        t.substitute(&ctx([("name", "Ian".into())])).unwrap(),
        "Hi 'Ian'"
    );
    let e = Template::new("Hi {{name+1}}")
        .unwrap()
        .substitute(&ctx([("name", "Ian".into())]))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.line(), e.column()),
        (ErrorKind::Type, Some(1), Some(6))
    );
}

#[test]
fn delimiters_and_pipes() {
    let t = Template::builder("Hi ${name}")
        .delimiters("${", "}")
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&ctx([("name", "Ian".into())])).unwrap(),
        "Hi Ian"
    );
    let t = Template::builder("Hi $[[repr(name)]]")
        .delimiters("$[[", "]]")
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&ctx([("name", "Ian".into())])).unwrap(),
        "Hi 'Ian'"
    );
    assert_eq!(
        sub("Hi {{name|repr}}", &ctx([("name", "Ian".into())])).unwrap(),
        "Hi 'Ian'"
    );
    assert_eq!(
        sub("Hi {{name}}", &ctx([("name", Value::NONE)])).unwrap(),
        "Hi "
    );
}

#[test]
fn if_and_for() {
    let t = Template::new("{{if x}}{{y}}{{else}}{{z}}{{endif}}").unwrap();
    let c = |x: i64| ctx([("x", x.into()), ("y", 2.into()), ("z", 3.into())]);
    assert_eq!(t.substitute(&c(1)).unwrap(), "2");
    assert_eq!(t.substitute(&c(0)).unwrap(), "3");
    let t =
        Template::new("{{if x > 0}}positive{{elif x < 0}}negative{{else}}zero{{endif}}").unwrap();
    let got: Vec<String> = [1, -10, 0]
        .iter()
        .map(|x| t.substitute(&ctx([("x", (*x).into())])).unwrap())
        .collect();
    assert_eq!(got, ["positive", "negative", "zero"]);
    let t = Template::new("{{for i in x}}i={{i}}\n{{endfor}}").unwrap();
    assert_eq!(
        t.substitute(&ctx([("x", Value::from(vec![0, 1, 2]))]))
            .unwrap(),
        "i=0\ni=1\ni=2\n"
    );
    let t = Template::new("{{for a, b in sorted(z.items()):}}{{a}}={{b}},{{endfor}}").unwrap();
    assert_eq!(
        t.substitute(&ctx([("z", Value::dict([(1, 2), (3, 4)]))]))
            .unwrap(),
        "1=2,3=4,"
    );
    let t = Template::new("{{for i in x}}{{if not i}}{{break}}{{endif}}{{i}} {{endfor}}").unwrap();
    assert_eq!(
        t.substitute(&ctx([("x", vec![1, 2, 0, 3, 4].into())]))
            .unwrap(),
        "1 2 "
    );
    let t =
        Template::new("{{for i in x}}{{if not i}}{{continue}}{{endif}}{{i}} {{endfor}}").unwrap();
    assert_eq!(
        t.substitute(&ctx([("x", vec![1, 2, 0, 3, 0, 4].into())]))
            .unwrap(),
        "1 2 3 4 "
    );
    assert_eq!(sub("{{py:\nx=1\n}}{{x}}", &Context::new()).unwrap(), "1");
}

#[test]
fn syntax_errors() {
    let e = Template::builder("{{if x}}")
        .name("foo.html")
        .build()
        .unwrap_err();
    assert_eq!(e.to_string(), "foo.html:1:3: No {{endif}}");
    let e = Template::builder("{{for x}}")
        .name("foo2.html")
        .build()
        .unwrap_err();
    assert_eq!(e.to_string(), "foo2.html:1:3: Bad for (no \"in\") in 'x'");
}

#[test]
fn html_templates() {
    assert_eq!(
        sub_html("hi {{name}}", &ctx([("name", "<foo>".into())])).unwrap(),
        "hi &lt;foo&gt;"
    );
    assert_eq!(
        sub_html("hi {{name}}", &ctx([("name", Value::safe("<foo>"))])).unwrap(),
        "hi <foo>"
    );
    assert_eq!(
        sub_html("hi {{name|html}}", &ctx([("name", "<foo>".into())])).unwrap(),
        "hi <foo>"
    );
    let t =
        tempita::HtmlTemplate::new("<a href=\"article?id={{id|url}}\" {{attr(class_=class_)}}>")
            .unwrap();
    assert_eq!(
        t.substitute(&ctx([("id", 1.into()), ("class_", "foo".into())]))
            .unwrap(),
        "<a href=\"article?id=1\" class=\"foo\">"
    );
    assert_eq!(
        t.substitute(&ctx([("id", "with space".into()), ("class_", Value::NONE)]))
            .unwrap(),
        "<a href=\"article?id=with%20space\" >"
    );
}

#[test]
fn looper_first_group() {
    let src = "{{for loop, item in looper(seq)}}{{if loop.first_group(lambda i: i[0].upper())}}{{item[0].upper()}}:\n{{endif}}{{loop.number}} {{item}}\n{{endfor}}";
    let seq = vec!["apple", "asparagus", "Banana", "orange"];
    assert_eq!(
        sub(src, &ctx([("seq", seq.into())])).unwrap(),
        "A:\n1 apple\n2 asparagus\nB:\n3 Banana\nO:\n4 orange\n"
    );
}

#[test]
fn whitespace_stripping() {
    let x = |v: i64| ctx([("x", v.into())]);
    assert_eq!(sub("{{if 1}}\n{{x}}\n{{endif}}\n", &x(0)).unwrap(), "0\n");
    assert_eq!(sub("{{if 1}}x={{x}}\n{{endif}}\n", &x(1)).unwrap(), "x=1\n");
    assert_eq!(
        sub("{{if 1}}\nx={{x}}\n{{endif}}\n", &x(1)).unwrap(),
        "x=1\n"
    );
    assert_eq!(
        sub("  {{if 1}}  \nx={{x}}\n  {{endif}}  \n", &x(1)).unwrap(),
        "x=1\n"
    );
}

#[test]
fn default_and_comments() {
    assert_eq!(
        sub("{{default x=1}}{{x}}", &ctx([("x", 2.into())])).unwrap(),
        "2"
    );
    assert_eq!(sub("{{default x=1}}{{x}}", &Context::new()).unwrap(), "1");
    assert_eq!(
        sub("{{x}}", &Context::new()).unwrap_err().to_string(),
        "<string>:1:3: NameError: name 'x' is not defined"
    );
    assert_eq!(
        sub("Test=x{{#whatever}}", &Context::new()).unwrap(),
        "Test=x"
    );
}

/// Tempita's `get_template` looks the parent up in the doctest's globals; here a map.
fn loader(parent: &'static str) -> impl tempita::Loader {
    let templates = Arc::new(HashMap::from([("super_test", parent)]));
    move |name: &str, from: &Template| match templates.get(name) {
        Some(src) => from.sibling(*src).name(name).build(),
        None => Err(tempita::Error::new(ErrorKind::TemplateNotFound, name)),
    }
}

#[test]
fn inheritance() {
    let parent =
        "This is the parent {{master}}. The block: {{self.block}}\nThen the body: {{self.body}}\n";
    let tmpl = Template::builder(
        "{{inherit \"super_\"+master}}\nHi there!\n{{def block}}some text{{enddef}}\n",
    )
    .loader(loader(parent))
    .build()
    .unwrap();
    let out = tmpl.substitute(&ctx([("master", "test".into())])).unwrap();
    assert_eq!(
        out.trim(),
        "This is the parent test. The block: some text\nThen the body: Hi there!"
    );

    let child = "{{def block(arg='hi_'+master):}}hey {{master}}: {{arg}}{{enddef}}\n";
    let build = |parent: &'static str| {
        Template::builder(child)
            .loader(loader(parent))
            .default_inherit("super_test")
            .build()
            .unwrap()
    };
    let master = ctx([("master", "test2".into())]);
    assert_eq!(
        build(parent).substitute(&master).unwrap().trim(),
        "This is the parent test2. The block: hey test2: hi_test2\nThen the body:"
    );
    assert_eq!(
        build("The block: {{self.block('blah')}}\n")
            .substitute(&master)
            .unwrap()
            .trim(),
        "The block: hey test2: blah"
    );
    assert_eq!(
        build("Something: {{self.get.something('hi')}}\n")
            .substitute(&master)
            .unwrap()
            .trim(),
        "Something:"
    );
}

#[test]
fn whitespace_example() {
    let t = Template::new(
        "{{for i, item in enumerate(['a', 'b'])}}\n    {{if i % 2 == 0}}\n  <div class='even'>\n    {{else}}\n  <div class='odd'>\n    {{endif}}\n    {{item}}\n  </div>\n{{endfor}}",
    )
    .unwrap();
    assert_eq!(
        t.substitute(&Context::new()).unwrap(),
        "  <div class='even'>\n    a\n  </div>\n  <div class='odd'>\n    b\n  </div>\n"
    );
}
