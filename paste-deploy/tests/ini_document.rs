//! The lossless document: byte-for-byte round trips, and `set`/`remove`
//! that touch only what they must.

use std::path::Path;

use paste_deploy::ErrorKind;
use paste_deploy::ini::{IniDocument, IniFile};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ini")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn doc(text: &str) -> IniDocument {
    IniDocument::parse(text).unwrap()
}

/// The document's text also reads, with `IniFile`, as the document says.
fn assert_consistent(d: &IniDocument) {
    let file = IniFile::parse(&d.to_string(), None).unwrap();
    for section in d.sections() {
        for entry in section.entries() {
            let sec = if section.name() == "DEFAULT" {
                file.defaults()
            } else {
                file.section(section.name())
            };
            assert_eq!(
                sec.unwrap().get(entry.key()).unwrap().value(),
                entry.value(),
                "[{}] {}",
                section.name(),
                entry.key()
            );
        }
    }
}

// ---- round trips

#[test]
fn round_trips_byte_for_byte() {
    for text in [
        "",
        "\n",
        "\r\n\r\n",
        "# only a comment",
        "[s]",
        "[s]\na = 1",
        "[s]\r\na = 1\r\n",
        "[s]\ra = 1\r",
        "\u{feff}[s]\na = 1\n",
        "  [ spaced ]  # note\n\tk\t=\tv\t\n\n\n",
        "[s]\na = 1\n  two\n\n  # c\n\n  three\n\n\nb:2\n;end",
        "[a]\nx = 1\r\n[b]\ry = 2\n",
    ] {
        assert_eq!(doc(text).to_string(), text, "{text:?}");
    }
}

#[test]
fn round_trips_the_fixtures() {
    for name in ["messy.ini", "site.ini", "bom_crlf.ini"] {
        let text = fixture(name);
        let d = doc(&text);
        assert_eq!(d.to_string(), text, "{name}");
        assert_consistent(&d);
    }
}

#[test]
fn reads_raw_values() {
    let d = doc(&fixture("messy.ini"));
    assert_eq!(
        d.sections().map(|s| s.name()).collect::<Vec<_>>(),
        ["DEFAULT", "server:main", "app:main"]
    );
    assert_eq!(d.get("DEFAULT", "here").as_deref(), Some("overridden"));
    assert_eq!(
        d.get("server:main", "use").as_deref(),
        Some("egg:Paste#http")
    );
    assert_eq!(d.get("server:main", "port").as_deref(), Some("8080"));
    assert_eq!(
        d.get("server:main", "motd").as_deref(),
        Some("first\nsecond\n\nthird")
    );
    assert_eq!(d.get("server:main", "host"), None);
    assert_eq!(d.get("app:main", "key with spaces").as_deref(), Some("v"));
    assert_eq!(d.get("nope", "use"), None);
    assert_eq!(d.section("app:main").unwrap().line(), 16);
}

#[test]
fn rejects_what_the_reader_rejects() {
    let e = IniDocument::parse("[app:main]\nuse\n").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(
        e.to_string(),
        "line 2 [app:main]: expected `key = value`, found \"use\""
    );
    let e = IniDocument::parse("[a]\nk = 1\nk = 2\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 3 [a]: duplicate key \"k\" (first on line 2)"
    );
}

// ---- set

#[test]
fn set_keeps_the_prefix_spacing() {
    let mut d = doc("[s]\nport   :   8080   \r\nb=1\n");
    d.set("s", "port", "9090").unwrap();
    d.set("s", "b", "2").unwrap();
    assert_eq!(d.to_string(), "[s]\nport   :   9090\r\nb=2\n");
}

#[test]
fn set_on_an_empty_value_adds_a_space() {
    let mut d = doc("[s]\na =\nb=\n");
    d.set("s", "a", "1").unwrap();
    d.set("s", "b", "2").unwrap();
    assert_eq!(d.to_string(), "[s]\na = 1\nb=2\n");
}

#[test]
fn set_drops_the_old_continuation_lines_and_comments_among_them() {
    let mut d = doc("[s]\na = 1\n  two\n  # c\n  three\n# after\n\nb = 2\n");
    d.set("s", "a", "x").unwrap();
    assert_eq!(d.to_string(), "[s]\na = x\n# after\n\nb = 2\n");
}

#[test]
fn set_writes_several_lines_as_continuation_lines() {
    let mut d = doc("[s]\na = 1\nb = 2\n");
    d.set("s", "a", "one\n  two \r\n\nfour\n\n").unwrap();
    assert_eq!(d.to_string(), "[s]\na = one\n    two\n\n    four\nb = 2\n");
    assert_eq!(d.get("s", "a").as_deref(), Some("one\ntwo\n\nfour"));
    assert_consistent(&d);
}

#[test]
fn set_reuses_the_old_continuation_indent() {
    let mut d = doc("[s]\n  a = 1\n\t\t\tx\n");
    d.set("s", "a", "p\nq").unwrap();
    assert_eq!(d.to_string(), "[s]\n  a = p\n\t\t\tq\n");
}

#[test]
fn set_with_an_empty_first_line() {
    let mut d = doc("[s]\npipeline = app\n");
    d.set("s", "pipeline", "\nauth\napp").unwrap();
    assert_eq!(d.to_string(), "[s]\npipeline =\n    auth\n    app\n");
    assert_eq!(d.get("s", "pipeline").as_deref(), Some("\nauth\napp"));
}

#[test]
fn set_cannot_inject_a_section_or_a_key() {
    let mut d = doc("[s]\na = 1\n");
    d.set("s", "a", "x\n[evil]\nuse = egg:Evil").unwrap();
    assert_eq!(
        d.to_string(),
        "[s]\na = x\n    [evil]\n    use = egg:Evil\n"
    );
    assert_eq!(d.sections().count(), 1);
    assert_eq!(d.section("s").unwrap().entries().len(), 1);
    let file = IniFile::parse(&d.to_string(), None).unwrap();
    assert!(file.section("evil").is_none());
    assert_eq!(
        file.section("s").unwrap().get("a").unwrap().value(),
        "x\n[evil]\nuse = egg:Evil"
    );
}

#[test]
fn set_a_new_key_after_the_last_entry() {
    let mut d = doc("[a]\nx = 1\n  more\n# trailing comment\n\n[b]\ny = 2\n");
    d.set("a", "new", "v").unwrap();
    assert_eq!(
        d.to_string(),
        "[a]\nx = 1\n  more\nnew = v\n# trailing comment\n\n[b]\ny = 2\n"
    );
}

#[test]
fn set_a_new_key_indented_like_the_last_entry() {
    let mut d = doc("[a]\n   x = 1\n[b]\n");
    d.set("a", "y", "2\n3").unwrap();
    assert_eq!(d.to_string(), "[a]\n   x = 1\n   y = 2\n       3\n[b]\n");
    assert_consistent(&d);
}

#[test]
fn set_a_new_key_in_an_empty_section() {
    let mut d = doc("[a]\n; nothing yet\n\n[b]\n");
    d.set("a", "k", "v").unwrap();
    assert_eq!(d.to_string(), "[a]\nk = v\n; nothing yet\n\n[b]\n");
}

#[test]
fn set_a_new_key_before_an_indented_header() {
    // At column 0 the key would swallow the indented header below it.
    let mut d = doc("[a]\n  [b]\n  y = 1\n");
    d.set("a", "k", "v").unwrap();
    assert_eq!(d.to_string(), "[a]\n  k = v\n  [b]\n  y = 1\n");
    assert_eq!(d.get("b", "y").as_deref(), Some("1"));
}

#[test]
fn set_a_new_section_at_the_end() {
    let mut d = doc("[a]\nx = 1\n");
    d.set("server:main", "port", "80").unwrap();
    assert_eq!(d.to_string(), "[a]\nx = 1\n\n[server:main]\nport = 80\n");

    let mut d = doc("[a]\nx = 1\n\n");
    d.set("b", "k", "v").unwrap();
    assert_eq!(d.to_string(), "[a]\nx = 1\n\n[b]\nk = v\n");

    let mut d = doc("");
    d.set("DEFAULT", "k", "v\nw").unwrap();
    assert_eq!(d.to_string(), "[DEFAULT]\nk = v\n    w\n");
}

#[test]
fn set_keeps_a_missing_final_newline_and_crlf() {
    let mut d = doc("[a]\r\nx = 1");
    d.set("a", "x", "2\n3").unwrap();
    assert_eq!(d.to_string(), "[a]\r\nx = 2\r\n    3");
    d.set("a", "y", "4").unwrap();
    assert_eq!(d.to_string(), "[a]\r\nx = 2\r\n    3\r\ny = 4");
    d.set("b", "z", "5").unwrap();
    assert_eq!(
        d.to_string(),
        "[a]\r\nx = 2\r\n    3\r\ny = 4\r\n\r\n[b]\r\nz = 5"
    );
}

#[test]
fn set_keeps_the_bom() {
    let mut d = doc("\u{feff}[a]\nx = 1\n");
    d.set("a", "x", "2").unwrap();
    assert_eq!(d.to_string(), "\u{feff}[a]\nx = 2\n");
}

#[test]
fn set_then_get_gives_the_stripped_value() {
    let mut d = doc("[a]\n");
    d.set("a", "x", "  padded  ").unwrap();
    assert_eq!(d.get("a", "x").as_deref(), Some("padded"));
    d.set("a", "x", "\n\n").unwrap();
    assert_eq!(d.get("a", "x").as_deref(), Some(""));
    assert_eq!(d.to_string(), "[a]\nx =\n");
}

#[test]
fn set_rejects_what_would_not_read_back() {
    let original = "[a]\nx = 1\n";
    let mut d = doc(original);
    let cases = [
        (
            "a",
            "k=v",
            "1",
            "[a]: cannot write the key \"k=v\": a key is not empty, has no surrounding spaces, \
             no `=`, `:` or line break, and does not start with `[`, `#` or `;`",
        ),
        (
            "a",
            "",
            "1",
            "[a]: cannot write the key \"\": a key is not empty, has no surrounding spaces, \
             no `=`, `:` or line break, and does not start with `[`, `#` or `;`",
        ),
        (
            "a",
            " k",
            "1",
            "[a]: cannot write the key \" k\": a key is not empty, has no surrounding spaces, \
             no `=`, `:` or line break, and does not start with `[`, `#` or `;`",
        ),
        (
            "a",
            "#k",
            "1",
            "[a]: cannot write the key \"#k\": a key is not empty, has no surrounding spaces, \
             no `=`, `:` or line break, and does not start with `[`, `#` or `;`",
        ),
        (
            "a",
            "k\nb",
            "1",
            "[a]: cannot write the key \"k\\nb\": a key is not empty, has no surrounding spaces, \
             no `=`, `:` or line break, and does not start with `[`, `#` or `;`",
        ),
        ("", "k", "1", "cannot write the section name \"\""),
        (
            "a\n[b",
            "k",
            "1",
            "cannot write the section name \"a\\n[b\"",
        ),
        (
            "a",
            "x",
            "one\n  # two",
            "[a]: cannot write the value of \"x\": its line 2 \"# two\" would read as a comment",
        ),
        (
            "a",
            "x",
            "one\n;two",
            "[a]: cannot write the value of \"x\": its line 2 \";two\" would read as a comment",
        ),
    ];
    for (section, key, value, message) in cases {
        let e = d.set(section, key, value).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadValue);
        assert_eq!(e.to_string(), message);
        assert_eq!(d.to_string(), original);
    }
    // A first line may start with `#`: there are no inline comments.
    d.set("a", "x", "# kept").unwrap();
    assert_eq!(d.get("a", "x").as_deref(), Some("# kept"));
}

#[test]
fn set_accepts_odd_but_valid_section_names() {
    let mut d = doc("");
    d.set(" spaced ", "k", "1").unwrap();
    d.set("a]b", "k", "2").unwrap();
    assert_eq!(d.to_string(), "[ spaced ]\nk = 1\n\n[a]b]\nk = 2\n");
    assert_eq!(d.get("a]b", "k").as_deref(), Some("2"));
}

#[test]
fn set_with_mixed_line_ends_does_not_merge_lines() {
    // New lines end like the line before them: `\r` then an empty line
    // ending in `\n` would read as one `\r\n`.
    let mut d = doc("[x]\r[s]\n\n[t]\n");
    d.set("s", "a", "1").unwrap();
    assert_eq!(d.to_string(), "[x]\r[s]\na = 1\n\n[t]\n");
    let mut d = doc("[s]\ra = 1\r\n\n");
    d.set("s", "b", "2\n\n3").unwrap();
    assert_eq!(d.to_string(), "[s]\ra = 1\r\nb = 2\r\n\r\n    3\r\n\n");
    assert_consistent(&d);
}

#[test]
fn only_one_bom_is_skipped() {
    let e = IniDocument::parse("\u{feff}\u{feff}[a]\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1: expected a `[section]` header before \"\\u{feff}[a]\""
    );
}

// ---- remove

#[test]
fn remove_with_mixed_line_ends_does_not_merge_lines() {
    let mut d = doc("[s]\ra = 1\n\nb = 2\n");
    assert!(d.remove("s", "a"));
    assert_eq!(d.to_string(), "[s]\n\nb = 2\n");
    assert_eq!(d.get("s", "b").as_deref(), Some("2"));
}

#[test]
fn remove_takes_the_line_and_its_continuations() {
    let mut d = doc("[s]\na = 1\n  two\n  # c\n\n  three\n# after\nb = 2\n");
    assert!(d.remove("s", "a"));
    assert_eq!(d.to_string(), "[s]\n# after\nb = 2\n");
    assert_eq!(d.get("s", "a"), None);
    assert!(!d.remove("s", "a"));
    assert!(!d.remove("nope", "b"));
    assert_eq!(d.to_string(), "[s]\n# after\nb = 2\n");
}

#[test]
fn remove_the_last_line_keeps_a_missing_final_newline() {
    let mut d = doc("[s]\r\na = 1\r\nb = 2");
    assert!(d.remove("s", "b"));
    assert_eq!(d.to_string(), "[s]\r\na = 1");
    assert!(d.remove("s", "a"));
    assert_eq!(d.to_string(), "[s]");
}

#[test]
fn remove_then_set_again() {
    let mut d = doc("[s]\na = 1\nb = 2\n");
    assert!(d.remove("s", "a"));
    d.set("s", "a", "3").unwrap();
    assert_eq!(d.to_string(), "[s]\nb = 2\na = 3\n");
}

// ---- edits on the messy fixture

#[test]
fn edits_on_the_messy_fixture_touch_only_their_lines() {
    let text = fixture("messy.ini");
    let mut d = doc(&text);

    d.set("server:main", "port", "9090").unwrap();
    let expected = text.replace("port   :   8080   \r\n", "port   :   9090\r\n");
    assert_eq!(d.to_string(), expected);

    d.set("server:main", "motd", "hello\nworld").unwrap();
    let expected = expected.replace(
        "motd = first\r\n\t  second\r\n\r\n\t  ; a comment inside\r\n\t  third\r\n",
        "motd = hello\r\n\t  world\r\n",
    );
    assert_eq!(d.to_string(), expected);

    d.set("server:main", "host", "0.0.0.0").unwrap();
    let expected = expected.replace("\t  world\r\n", "\t  world\r\nhost = 0.0.0.0\r\n");
    assert_eq!(d.to_string(), expected);

    assert!(d.remove("server:main", "use"));
    let expected = expected.replace("use=egg:Paste#http\r\n", "");
    assert_eq!(d.to_string(), expected);

    d.set("app:main", "last", "y").unwrap();
    let expected = expected.replace("last = x", "last = y");
    assert_eq!(d.to_string(), expected);
    assert!(!expected.ends_with('\n'));

    d.set("DEFAULT", "here", "/new").unwrap();
    let expected = expected.replace("\there = overridden", "\there = /new");
    assert_eq!(d.to_string(), expected);

    d.set("filter:gzip", "use", "egg:Paste#gzip").unwrap();
    let expected = format!("{expected}\r\n\r\n[filter:gzip]\r\nuse = egg:Paste#gzip");
    assert_eq!(d.to_string(), expected);

    assert_consistent(&d);
    let file = IniFile::parse(&d.to_string(), None).unwrap();
    assert_eq!(
        file.section("server:main")
            .unwrap()
            .entries()
            .iter()
            .map(|e| (e.key(), e.value()))
            .collect::<Vec<_>>(),
        [
            ("port", "9090"),
            ("motd", "hello\nworld"),
            ("host", "0.0.0.0")
        ]
    );
}
