//! The template language: every directive, the whitespace rules and the quirks decided.

use tempita::{Context, Template, Value, sub};

fn render(src: &str, ctx: &Context) -> String {
    match sub(src, ctx) {
        Ok(s) => s,
        Err(e) => panic!("{src:?} failed: {e:#}"),
    }
}

fn r(src: &str) -> String {
    render(src, &Context::new())
}

fn err(src: &str, ctx: &Context) -> String {
    sub(src, ctx).expect_err(src).to_string()
}

#[test]
fn normal_templating() {
    let ctx = Context::new().with("name", "Ian");
    assert_eq!(render("Hi {{name}}", &ctx), "Hi Ian");
    assert_eq!(render("Hi {{repr(name)}}", &ctx), "Hi 'Ian'");
    assert_eq!(render("Hi {{name|repr}}", &ctx), "Hi 'Ian'");
    let e = err("Hi {{name+1}}", &ctx);
    assert_eq!(
        e,
        "<string>:1:6: TypeError: can only concatenate str (not \"int\") to str"
    );
}

#[test]
fn none_and_python_str() {
    assert_eq!(r("{{None}}"), "");
    assert_eq!(
        r("{{False}} {{0}} {{1.0}} {{0.1}} {{1e20}} {{10/4}} {{[1, 'a', None]}}"),
        "False 0 1.0 0.1 1e+20 2.5 [1, 'a', None]"
    );
    assert_eq!(
        r("{{(1,)}} {{ {'a': 1} }} {{-7 // 2}} {{-7 % 3}} {{2 ** 10}} {{2 ** -1}}"),
        "(1,) {'a': 1} -4 2 1024 0.5"
    );
}

#[test]
fn if_elif_else() {
    for (x, want) in [(1, "positive"), (-1, "negative"), (0, "zero")] {
        let ctx = Context::new().with("x", x);
        let src = "{{if x > 0}}positive{{elif x < 0}}negative{{else}}zero{{endif}}";
        assert_eq!(render(src, &ctx), want);
    }
    assert_eq!(r("{{if 1:}}a{{else:}}b{{endif}}"), "a");
    assert_eq!(r("{{ if 0 }}a{{ else }}b{{ endif }}"), "b");
}

#[test]
fn for_loops() {
    assert_eq!(r("{{for i in range(3)}}{{i}}\n{{endfor}}"), "0\n1\n2\n");
    let ctx = Context::new().with("z", Value::dict([(1, "one"), (2, "two")]));
    assert_eq!(
        render(
            "{{for a, b in sorted(z.items()):}}{{a}}={{b}} {{endfor}}",
            &ctx
        ),
        "1=one 2=two "
    );
    let src = "{{for i in range(10)}}{{if i == 2}}{{continue}}{{endif}}{{if i == 5}}{{break}}{{endif}}{{i}}{{endfor}}";
    assert_eq!(r(src), "0134");
    // Loop variables stay set after the loop, as in Python.
    assert_eq!(r("{{for x in [1, 2]}}{{endfor}}{{x}}"), "2");
    // Nested unpacking.
    assert_eq!(
        r("{{for (a, b), c in [((1, 2), 3)]}}{{a}}{{b}}{{c}}{{endfor}}"),
        "123"
    );
    let e = err("{{for a, b in [(1, 2, 3)]}}{{endfor}}", &Context::new());
    assert_eq!(
        e,
        "<string>:1:3: ValueError: too many values to unpack (expected 2)"
    );
}

#[test]
fn py_blocks() {
    assert_eq!(r("{{py:x=1}}{{x}}"), "1");
    assert_eq!(r("{{py:\nx=1\n}}{{x}}"), "1");
    assert_eq!(
        r("{{py:\nx = 1 + 2\ny, z = 'ab'\nx += 10\n}}{{x}}{{y}}{{z}}"),
        "13ab"
    );
    assert_eq!(r("{{py:a = b = 2; c = [1]}}{{a}}{{b}}{{c}}"), "22[1]");
    assert_eq!(
        r("{{py:\ndef pad(s): return s + ' '*(5-len(s))\n}}[{{pad('ab')}}]"),
        "[ab   ]"
    );
    assert_eq!(r("{{py:\nd = {}\nd['k'] = 1\n}}{{d}}"), "{'k': 1}");
    let e = err("{{py:x=1\ny=2}}", &Context::new());
    assert_eq!(
        e,
        "<string>:1:3: Multi-line py blocks must start with a newline"
    );
    let e = err("{{py:import os}}", &Context::new());
    assert!(e.contains("'import' statements are not supported"), "{e}");
}

#[test]
fn default_directive() {
    assert_eq!(
        render("{{default x = 1}}{{x}}", &Context::new().with("x", 2)),
        "2"
    );
    assert_eq!(r("{{default x = 1}}{{x}}"), "1");
    assert_eq!(
        r("{{if 0}}{{default x = 1}}{{endif}}{{default x = 3}}{{x}}"),
        "3"
    );
    assert_eq!(
        err("{{x}}", &Context::new()),
        "<string>:1:3: NameError: name 'x' is not defined"
    );
    assert_eq!(
        err("{{default x}}", &Context::new()),
        "<string>:1:3: Expression must be {{default var=value}}; no = found in 'x'"
    );
    assert_eq!(
        err("{{default x, y = 1}}", &Context::new()),
        "<string>:1:3: {{default x, y = ...}} is not supported"
    );
    assert_eq!(
        err("{{default 1x = 1}}", &Context::new()),
        "<string>:1:3: Not a valid variable name for {{default}}: '1x'"
    );
}

#[test]
fn comments() {
    assert_eq!(r("a{{#whatever}}b"), "ab");
    assert_eq!(r("a{{ # x }}b"), "ab");
}

#[test]
fn defs() {
    assert_eq!(r("{{def f}}hi{{enddef}}{{f}} {{f()}}"), "hi hi");
    assert_eq!(
        r("{{def f(a, b=2)}}{{a}}-{{b}}{{enddef}}{{f(1)}} {{f(1, 3)}} {{f(b=4, a=0)}}"),
        "1-2 1-3 0-4"
    );
    assert_eq!(
        r("{{def f(*args, **kw)}}{{args}}{{sorted(kw.items())}}{{enddef}}{{f(1, x=2)}}"),
        "(1,)[('x', 2)]"
    );
    // The def sees assignments made after it was defined.
    assert_eq!(r("{{def f}}{{y}}{{enddef}}{{py:y=5}}{{f()}}"), "5");
    // Defaults are evaluated at call time in the def's namespace.
    assert_eq!(
        render(
            "{{def f(a='hi_'+master)}}{{a}}{{enddef}}{{f()}}",
            &Context::new().with("master", "m")
        ),
        "hi_m"
    );
    let e = err("{{def f(a)}}{{a}}{{enddef}}{{f(1, 2)}}", &Context::new());
    assert_eq!(
        e,
        "<string>:1:30: TypeError: f() takes 1 positional argument but 2 were given"
    );
    let e = err("{{def f(a)}}{{a}}{{enddef}}{{f()}}", &Context::new());
    assert!(e.contains("missing required argument: 'a'"), "{e}");
    let e = err("{{def f(a)}}{{a}}{{enddef}}{{f(b=1)}}", &Context::new());
    assert!(e.contains("unexpected keyword argument 'b'"), "{e}");
    // Recursion is bounded.
    let e = err("{{def f(n)}}{{f(n+1)}}{{enddef}}{{f(0)}}", &Context::new());
    assert!(e.contains("RecursionError"), "{e}");
}

#[test]
fn custom_delimiters() {
    let t = Template::builder("Hi ${name}")
        .delimiters("${", "}")
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&Context::new().with("name", "Ian")).unwrap(),
        "Hi Ian"
    );
    let t = Template::builder("Hi $[[repr(name)]]")
        .delimiters("$[[", "]]")
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&Context::new().with("name", "Ian")).unwrap(),
        "Hi 'Ian'"
    );
    let t = Template::builder("<<x>> {{y}} <<start_braces>>")
        .delimiters("<<", ">>")
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&Context::new().with("x", 1)).unwrap(),
        "1 {{y}} <<"
    );
    let t = Template::builder("[% if x %]yes[% endif %]")
        .delimiters("[%", "%]")
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&Context::new().with("x", true)).unwrap(),
        "yes"
    );
    assert_eq!(r("{{start_braces}}x{{end_braces}}"), "{{x}}");
}

#[test]
fn pipes_inside_strings_are_not_filters() {
    assert_eq!(r("{{'a|b'}}"), "a|b");
    assert_eq!(r("{{'a|b'|len}}"), "3");
    assert_eq!(
        render("{{x|str|len}}", &Context::new().with("x", 12345)),
        "5"
    );
}

#[test]
fn whitespace_rules() {
    assert_eq!(r("a\n    {{if 1}}   \nb\n  {{endif}}\nc"), "a\nb\nc");
    assert_eq!(r("\n{{py:x=1}}\nv={{x}}\n"), "v=1\n");
    assert_eq!(
        r("a\n{{if 1}}{{if 1}}\nb\n{{endif}}{{endif}}\nc"),
        "a\n\nb\n\nc"
    );
    // CRLF templates are trimmed too (Tempita forgets).
    assert_eq!(r("a\r\n{{if 1}}\r\nb\r\n{{endif}}\r\nc"), "a\r\nb\r\nc");
    // Comment-only lines disappear too (Tempita keeps a blank line).
    assert_eq!(r("a\n{{# hi}}\nb"), "a\nb");
    // Expressions on their own line stay.
    assert_eq!(r("a\n{{1}}\nb"), "a\n1\nb");
    // Stacked directive lines.
    assert_eq!(
        r("{{if 1}}\n  {{if 1}}\nx\n  {{endif}}\n{{endif}}\n"),
        "x\n"
    );
}

#[test]
fn whitespace_doctest_nested_loops() {
    let src = "\
<ul>
  {{for i, item in enumerate(['a', 'b', 'c'])}}
    {{if i % 2 == 0}}
  <li class=\"even\">{{item}}</li>
    {{else}}
  <li>{{item}}</li>
    {{endif}}
  {{endfor}}
</ul>
";
    assert_eq!(
        r(src),
        "<ul>\n  <li class=\"even\">a</li>\n  <li>b</li>\n  <li class=\"even\">c</li>\n</ul>\n"
    );
}

#[test]
fn expressions() {
    let ctx = Context::new()
        .with("user", Value::dict([("name", "Ann")]))
        .with("items", vec![3, 1, 2])
        .with("s", "  Hello World  ");
    let cases = [
        ("{{2 * 3}}", "6"),
        ("{{user.name}} {{user['name']}}", "Ann Ann"),
        (
            "{{items[0]}} {{items[-1]}} {{items[1:]}} {{items[::-1]}} {{s.strip()[:5]}}",
            "3 2 [1, 2] [2, 1, 3] Hello",
        ),
        (
            "{{hex(255)}} {{abs(-3)}} {{round(2.5)}} {{round(3.14159, 2)}} {{min(items)}} {{max(items)}}",
            "0xff 3 2 3.14 1 3",
        ),
        (
            "{{1 < 2 < 3}} {{1 < 3 < 2}} {{2 in items}} {{5 not in items}} {{None is None}} {{1 is not None}}",
            "True False True True True True",
        ),
        (
            "{{0 or 'x'}} {{1 and 'y'}} {{not 0}} {{'a' if 0 else 'b'}}",
            "x y True b",
        ),
        (
            "{{[x * 2 for x in items if x > 1]}} {{len([c for c in 'abc'])}}",
            "[6, 4] 3",
        ),
        (
            "{{'%s-%05.1f-%d%%' % ('a', 3.14159, 7)}} {{'%(a)s!' % {'a': 1} }}",
            "a-003.1-7% 1!",
        ),
        (
            "{{'{} {:>4} {name}'.format(1, 'x', name='n')}} {{'{:,.2f}'.format(1234.5)}}",
            "1    x n 1,234.50",
        ),
        (
            "{{s.split()}} {{'-'.join(['a', 'b'])}} {{'a,b'.split(',')}} {{s.lower().title().strip()}}",
            "['Hello', 'World'] a-b ['a', 'b'] Hello World",
        ),
        (
            "{{'abc'.upper()}} {{'ABC'.replace('B', 'x')}} {{'abc'.startswith('a')}} {{'abc'.endswith(('x', 'c'))}}",
            "ABC AxC True True",
        ),
        (
            "{{sorted(items, reverse=True)}} {{list(zip([1, 2], 'ab'))}} {{dict(a=1).get('b', 0)}}",
            "[3, 2, 1] [(1, 'a'), (2, 'b')] 0",
        ),
        (
            "{{str(1.5)}} {{int('42') + 1}} {{float('2')}} {{repr('it\\'s')}} {{len({'a': 1})}}",
            "1.5 43 2.0 \"it's\" 1",
        ),
        (
            "{{(lambda x, y=2: x * y)(4)}} {{sorted(['bb', 'a'], key=len)}}",
            "8 ['a', 'bb']",
        ),
        (
            "{{'x' * 3}} {{[0] * 2}} {{(1, 2) + (3,)}} {{7 / 2}} {{7 // 2}} {{2 ** 3 ** 2}} {{-2 ** 2}}",
            "xxx [0, 0] (1, 2, 3) 3.5 3 512 -4",
        ),
        (
            "{{user.get('name')}} {{list(user.keys())}} {{list(user.values())}}",
            "Ann ['name'] ['Ann']",
        ),
        (
            "{{'a\\tb\\n'|repr}} {{u'x'}} {{r'\\d'}} {{'''tri'''}} {{'a' 'b'}}",
            "'a\\tb\\n' x \\d tri ab",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(render(src, &ctx), want, "{src}");
    }
}

#[test]
fn runtime_errors_name_the_problem() {
    let ctx = Context::new()
        .with("d", Value::dict([("a", 1)]))
        .with("l", vec![1]);
    let cases = [
        ("{{d['b']}}", "KeyError: 'b'"),
        ("{{l[5]}}", "IndexError: index out of range"),
        (
            "{{d.nope}}",
            "AttributeError: 'dict' object has no attribute 'nope'",
        ),
        ("{{1/0}}", "ZeroDivisionError: division by zero"),
        (
            "{{1 < 'a'}}",
            "TypeError: '<' not supported between instances of 'int' and 'str'",
        ),
        ("{{len(1)}}", "TypeError: object of type 'int' has no len()"),
        (
            "{{for x in 1}}{{endfor}}",
            "TypeError: 'int' object is not iterable",
        ),
        (
            "{{int('x')}}",
            "ValueError: invalid literal for int() with base 10: 'x'",
        ),
        ("{{1()}}", "TypeError: 'int' object is not callable"),
        (
            "{{undefined_thing}}",
            "NameError: name 'undefined_thing' is not defined",
        ),
    ];
    for (src, want) in cases {
        let e = sub(src, &ctx).expect_err(src);
        assert_eq!(e.message(), want, "{src}");
        assert_eq!((e.line(), e.column()), (Some(1), Some(3)), "{src}");
    }
}

#[test]
fn registered_functions_and_filters() {
    let upper = Value::from_function("upper", |args, _| {
        Ok(args[0].to_string().to_uppercase().into())
    });
    let t = Template::builder("{{upper(name)}} {{name|upper}}")
        .namespace_value("upper", upper)
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&Context::new().with("name", "bob")).unwrap(),
        "BOB BOB"
    );
    let greet = Value::from_function("greet", |args, kw| {
        let greeting = kw
            .get("greeting")
            .map_or_else(|| "Hello".to_owned(), ToString::to_string);
        Ok(format!("{greeting}, {}", args[0]).into())
    });
    let ctx = Context::new().with("greet", greet);
    assert_eq!(render("{{greet('x', greeting='Hi')}}", &ctx), "Hi, x");
    let failing = Value::from_function("failing", |_, _| {
        Err(tempita::Error::new(tempita::ErrorKind::Other, "boom"))
    });
    let e = sub(
        "\n  {{failing()}}",
        &Context::new().with("failing", failing),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "<string>:2:5: boom");
}

#[test]
fn context_wins_over_constructor_namespace() {
    let t = Template::builder("{{x}}")
        .namespace_value("x", "ctor")
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&Context::new().with("x", "sub")).unwrap(),
        "sub"
    );
    assert_eq!(t.substitute(&Context::new()).unwrap(), "ctor");
}

#[test]
fn serde_values() {
    #[derive(serde::Serialize)]
    struct Item {
        name: String,
        price: f64,
        tags: Vec<&'static str>,
        note: Option<String>,
    }
    let items = vec![
        Item {
            name: "a".into(),
            price: 1.0,
            tags: vec!["x"],
            note: None,
        },
        Item {
            name: "b".into(),
            price: 2.5,
            tags: vec![],
            note: Some("n".into()),
        },
    ];
    let ctx = Context::new().with("items", Value::from_serialize(&items).unwrap());
    let src = "{{for it in items}}{{it.name}}:{{it.price}}:{{len(it.tags)}}:{{it.note}};{{endfor}}";
    assert_eq!(render(src, &ctx), "a:1.0:1:;b:2.5:0:n;");
    assert!(Context::from_serialize(&[1, 2]).is_err());
}

#[test]
fn templates_render_from_many_threads() {
    let t = Template::new("{{for i in range(n)}}{{i}}{{endfor}}").unwrap();
    std::thread::scope(|s| {
        for n in 0..4 {
            let t = &t;
            s.spawn(move || {
                let want: String = (0..n).map(|i| i.to_string()).collect();
                assert_eq!(t.substitute(&Context::new().with("n", n)).unwrap(), want);
            });
        }
    });
}

#[test]
fn serde_keeps_field_order_and_shapes() {
    #[derive(serde::Serialize)]
    enum Shape {
        Dot,
        Circle(f64),
        Rect { w: u32, h: u32 },
    }
    #[derive(serde::Serialize)]
    struct S {
        z: u8,
        a: (i32, &'static str),
        shapes: Vec<Shape>,
        big: u64,
    }
    let v = Value::from_serialize(&S {
        z: 1,
        a: (2, "x"),
        shapes: vec![Shape::Dot, Shape::Circle(1.5), Shape::Rect { w: 1, h: 2 }],
        big: u64::MAX,
    })
    .unwrap();
    assert_eq!(
        v.repr(),
        "{'z': 1, 'a': (2, 'x'), 'shapes': ['Dot', {'Circle': 1.5}, {'Rect': {'w': 1, 'h': 2}}], 'big': 1.8446744073709552e+19}"
    );
    let json = serde_json::json!({"z": 1, "a": [2, "x"], "shapes": ["Dot", {"Circle": 1.5}, {"Rect": {"w": 1, "h": 2}}], "big": 1.844_674_407_370_955_2e19});
    assert_eq!(serde_json::to_value(&v).unwrap(), json);
}

#[test]
fn big_dicts_with_client_chosen_keys_stay_fast_and_correct() {
    // 200 000 distinct keys: a quadratic dict would take minutes here.
    let pairs: Vec<(String, Value)> = (0..200_000)
        .map(|i| (format!("k{i}"), Value::from(i)))
        .collect();
    let d = Value::dict(
        pairs
            .clone()
            .into_iter()
            .chain([("k7".to_owned(), Value::from("again"))]),
    );
    let ctx = Context::new().with("d", d);
    assert_eq!(
        render(
            "{{len(d)}} {{d['k7']}} {{d['k199999']}} {{d.k5}} {{'k3' in d}} {{'zz' in d}}",
            &ctx
        ),
        "200000 again 199999 5 True False"
    );
    assert_eq!(render("{{list(d.keys())[:3]}}", &ctx), "['k0', 'k1', 'k2']");
    // Equal keys of other types are still found (1 == 1.0 == True).
    let mixed = Value::dict((0..20).map(|i| (Value::from(i), Value::from(i * 10))));
    let ctx = Context::new().with("m", mixed);
    assert_eq!(
        render("{{m[1.0]}} {{m[True]}} {{m[19]}}", &ctx),
        "10 10 190"
    );
}
