//! Parse errors: exact messages and positions (Tempita 0.5.2 positions).

use tempita::{Context, ErrorKind, Template};

fn parse_err(src: &str) -> String {
    Template::builder(src)
        .name("foo.html")
        .build()
        .expect_err(src)
        .to_string()
}

#[test]
fn parse_error_messages() {
    let cases = [
        ("{{if x}}", "foo.html:1:3: No {{endif}}"),
        (
            "{{for x}}{{endfor}}",
            "foo.html:1:3: Bad for (no \"in\") in 'x'",
        ),
        ("{{for x in y}}", "foo.html:1:3: No {{endfor}}"),
        ("{{def f}}", "foo.html:1:3: Missing {{enddef}}"),
        (
            "{{def f(x}}{{enddef}}",
            "foo.html:1:3: Function definition doesn't end with ): f(x",
        ),
        ("{{continue}}", "foo.html:1:3: continue outside of for loop"),
        ("{{break}}", "foo.html:1:3: break outside of for loop"),
        (
            "{{for x in y}}{{def f}}{{break}}{{enddef}}{{endfor}}",
            "foo.html:1:26: break outside of for loop",
        ),
        ("{{if}}{{endif}}", "foo.html:1:3: if with no expression"),
        (
            "{{if x}}{{elif}}{{endif}}",
            "foo.html:1:11: elif with no expression",
        ),
        ("{{for}}", "foo.html:1:3: for with no expression"),
        ("{{else}}", "foo.html:1:3: else outside of an if block"),
        ("{{elif x}}", "foo.html:1:3: elif outside of an if block"),
        ("{{endif}}", "foo.html:1:3: Unexpected endif"),
        ("a\n{{endfor}}", "foo.html:2:3: Unexpected endfor"),
        ("{{enddef}}", "foo.html:1:3: Unexpected enddef"),
        (
            "{{if x}}{{for x in y}}{{endif}}{{endfor}}",
            "foo.html:1:25: Unexpected endif",
        ),
        (
            "{{for x y}}{{endfor}}",
            "foo.html:1:3: Bad for (no \"in\") in 'x y'",
        ),
        ("{{if x}}foo", "foo.html:1:3: No {{endif}}"),
        ("hey {{", "foo.html:1:7: No }} to finish last expression"),
        (
            "{{if x}}{{else}}{{elif y}}{{endif}}",
            "foo.html:1:19: elif after else",
        ),
        (
            "{{if x}}{{else}}{{else}}{{endif}}",
            "foo.html:1:19: else after else",
        ),
        ("hey }}", "foo.html:1:7: }} outside expression"),
        ("hey {{ {{", "foo.html:1:10: {{ inside expression"),
        ("hey {{ xx", "foo.html:1:7: No }} to finish last expression"),
        (
            "a\nb {{1 +}}",
            "foo.html:2:5: SyntaxError: invalid syntax: expected an expression, found the end in expression: 1 +",
        ),
        (
            "{{'abc}}",
            "foo.html:1:3: SyntaxError: unterminated string literal in expression: 'abc",
        ),
        (
            "{{def f(a=1, b)}}{{enddef}}",
            "foo.html:1:3: Invalid signature: (f(a=1, b)): non-default argument follows default argument",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(parse_err(src), want, "{src}");
    }
}

#[test]
fn positions_after_the_first_tag_are_exact() {
    // Tempita 0.6.0 inflates these; 0.5.2 (and this crate) count correctly.
    let e = Template::new("series->{{for x in y}}x={{x}}{{endfor}}")
        .unwrap()
        .substitute(&Context::new())
        .unwrap_err();
    assert_eq!((e.line(), e.column()), (Some(1), Some(11)));
    let e = Template::new("a\nb\n{{x}} {{y}}")
        .unwrap()
        .substitute(&Context::new().with("x", 1))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "<string>:3:9: NameError: name 'y' is not defined"
    );
    let e = Template::builder("\n{{y}}")
        .line_offset(10)
        .build()
        .unwrap()
        .substitute(&Context::new())
        .unwrap_err();
    assert_eq!(e.line(), Some(12));
}

#[test]
fn alternate_display_shows_a_snippet() {
    let e = Template::builder("line one\n  {{ nope }} here")
        .name("t.html")
        .build()
        .unwrap()
        .substitute(&Context::new())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Undefined);
    assert_eq!(e.name(), Some("t.html"));
    assert_eq!(
        format!("{e:#}"),
        "t.html:2:5: NameError: name 'nope' is not defined\n  {{ nope }} here\n    ^"
    );
    assert_eq!(e.snippet(), Some("  {{ nope }} here\n    ^"));
}

#[test]
fn errors_inside_defs_point_into_the_def() {
    let src = "{{def f}}\n  {{boom}}\n{{enddef}}\n{{f()}}";
    let e = Template::new(src)
        .unwrap()
        .substitute(&Context::new())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "<string>:2:5: NameError: name 'boom' is not defined"
    );
}

#[test]
fn bad_input_never_panics() {
    let nasty = [
        "{{",
        "}}",
        "{{}}",
        "{{ }}",
        "{{py:}}",
        "{{py:\n  x=1\n}}",
        "{{for in}}{{endfor}}",
        "{{for x in}}{{endfor}}",
        "{{x[}}",
        "{{x[1:2:3:4]}}",
        "{{(((((((((((((((((((((((((((((((((((x)))))))))))))))))))))))))))))))))))}}",
        "{{'\\x1'}}",
        "{{0x}}",
        "{{1e}}",
        "{{def}}{{enddef}}",
        "{{def 1}}{{enddef}}",
        "{{inherit}}",
        "{{lambda: }}",
        "{{a if b}}",
        "{{not}}",
        "{{**}}",
        "{{@}}",
        "{{$}}",
        "{{é}}",
        "{{x.}}",
        "{{f(,)}}",
        "{{'%(x' % {}}}",
        "{{'%' % ()}}",
        "{{'{' .format()}}",
        "{{'{0!x}'.format(1)}}",
        "{{range(10**12)}}",
        "{{'x' * 10**10}}",
        "{{2 ** 100}}",
        "{{-9223372036854775807 - 2}}",
        "{{[1][9223372036854775807]}}",
        "{{'abc'[::0]}}",
        "{{range(-9223372036854775807 - 1, 9223372036854775807)}}",
        "{{range(9223372036854775806, 9223372036854775807, 5)}}",
        "{{'abc'[1::9223372036854775807]}}",
        "{{'abc'[::-9223372036854775807]}}",
        "{{(-9223372036854775807 - 1) % -1}}",
        "{{(-9223372036854775807 - 1) // -1}}",
        "{{list(enumerate('ab', 9223372036854775807))}}",
        "{{abs(-9223372036854775807 - 1)}}",
        "{{-(-9223372036854775807 - 1)}}",
        "{{[0] * 10**9}}",
        "{{'x'.center(10**12)}}",
        "{{'x'.zfill(10**12)}}",
        "{{'%.999999999f' % 1}}",
        "{{'%999999999d' % 1}}",
        "{{'{:999999999}'.format(1)}}",
        "{{'{:.999999999f}'.format(1.0)}}",
        "{{int('9' * 30)}}",
        "{{round(1e300, -400)}}",
        "{{chr(-1)}}",
        "{{1 // 0}}",
        "{{1.0 % 0}}",
    ];
    for src in nasty {
        let _ = Template::new(src).and_then(|t| t.substitute(&Context::new()));
    }
    let ok = |src: &str| {
        Template::new(src)
            .unwrap()
            .substitute(&Context::new())
            .unwrap()
    };
    assert_eq!(
        ok("{{range(9223372036854775806, 9223372036854775807, 5)}}"),
        "[9223372036854775806]"
    );
    assert_eq!(ok("{{'abc'[1::9223372036854775807]}}"), "b");
    assert_eq!(ok("{{(-9223372036854775807 - 1) % -1}}"), "0");
    for huge in [
        "{{[0] * 10**9}}",
        "{{'x'.center(10**12)}}",
        "{{'%.999999999f' % 1}}",
        "{{'{:999999999}'.format(1)}}",
    ] {
        let e = Template::new(huge)
            .unwrap()
            .substitute(&Context::new())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Overflow, "{huge}");
    }
}

#[test]
fn errors_in_multi_line_py_blocks_point_at_the_statement() {
    let src = "a\n{{py:\nx = 1\ny = (1 +\n  2)\nz = nope\n}}";
    let e = Template::new(src)
        .unwrap()
        .substitute(&Context::new())
        .unwrap_err();
    assert_eq!(
        format!("{e:#}"),
        "<string>:6:1: NameError: name 'nope' is not defined\nz = nope\n^"
    );
    let e = Template::new("{{py: x = 1; y = nope}}")
        .unwrap()
        .substitute(&Context::new())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "<string>:1:3: NameError: name 'nope' is not defined"
    );
}
