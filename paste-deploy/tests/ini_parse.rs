//! The INI reader's rules (ConfigParser's, as PasteDeploy uses them), each
//! with its exact result, and every parse error with its exact message.

use std::path::{Path, PathBuf};

use paste_deploy::ErrorKind;
use paste_deploy::ini::IniFile;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ini")
        .join(name)
}

fn parse(text: &str) -> IniFile {
    IniFile::parse(text, None).unwrap()
}

/// The raw value of `key` in `section` (`DEFAULT` for the defaults).
fn raw(ini: &IniFile, section: &str, key: &str) -> Option<String> {
    let sec = if section == "DEFAULT" {
        ini.defaults()
    } else {
        ini.section(section)
    };
    sec?.get(key).map(|e| e.value().to_owned())
}

fn names(ini: &IniFile) -> Vec<&str> {
    ini.sections().map(|s| s.name()).collect()
}

fn keys<'a>(ini: &'a IniFile, section: &str) -> Vec<&'a str> {
    ini.section(section)
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.key())
        .collect()
}

fn err(text: &str) -> String {
    IniFile::parse(text, None).unwrap_err().to_string()
}

// ---- sections

#[test]
fn headers_in_order_with_default_kept_apart() {
    let ini = parse("[b]\n[DEFAULT]\nx = 1\n[a]\n");
    assert_eq!(names(&ini), ["b", "a"]);
    assert_eq!(ini.defaults().unwrap().line(), 2);
    assert_eq!(raw(&ini, "DEFAULT", "x").as_deref(), Some("1"));
    assert_eq!(ini.section("a").unwrap().line(), 4);
    assert!(ini.section("DEFAULT").is_none());
}

#[test]
fn text_after_the_last_bracket_is_ignored() {
    let ini = parse("[app:main] # note\n[a] b ] c\n[]]\n");
    assert_eq!(names(&ini), ["app:main", "a] b ", "]"]);
}

#[test]
fn section_names_are_not_stripped() {
    let ini = parse("[ app:x ]\nk = v\n");
    assert_eq!(names(&ini), [" app:x "]);
    assert!(ini.section("app:x").is_none());
}

#[test]
fn an_indented_header_is_a_header() {
    let ini = parse("  [a]\nk = 1\n");
    assert_eq!(names(&ini), ["a"]);
}

#[test]
fn default_is_case_sensitive() {
    let ini = parse("[default]\nk = 1\n");
    assert!(ini.defaults().is_none());
    assert_eq!(names(&ini), ["default"]);
}

#[test]
fn a_file_without_sections_is_empty() {
    let ini = parse("# only a comment\n\n; and another\n");
    assert_eq!(ini.sections().count(), 0);
    assert!(ini.defaults().is_none());
    assert_eq!(parse("").sections().count(), 0);
}

// ---- keys and values

#[test]
fn keys_and_values_are_stripped_and_both_delimiters_work() {
    let ini = parse("[s]\n  a   =   1   \nb: 2\nc=3\nd :4\n");
    assert_eq!(keys(&ini, "s"), ["a", "b", "c", "d"]);
    assert_eq!(raw(&ini, "s", "a").as_deref(), Some("1"));
    assert_eq!(raw(&ini, "s", "b").as_deref(), Some("2"));
    assert_eq!(raw(&ini, "s", "c").as_deref(), Some("3"));
    assert_eq!(raw(&ini, "s", "d").as_deref(), Some("4"));
}

#[test]
fn the_first_delimiter_wins() {
    let ini = parse("[s]\nhttp://x = y\na=x=y:z\nb:c=d\n");
    assert_eq!(raw(&ini, "s", "http").as_deref(), Some("//x = y"));
    assert_eq!(raw(&ini, "s", "a").as_deref(), Some("x=y:z"));
    assert_eq!(raw(&ini, "s", "b").as_deref(), Some("c=d"));
}

#[test]
fn keys_are_case_sensitive_and_may_contain_spaces() {
    let ini = parse("[s]\nk1 = a\nK1 = b\nlocal conf = c\n");
    assert_eq!(keys(&ini, "s"), ["k1", "K1", "local conf"]);
    assert_eq!(raw(&ini, "s", "K1").as_deref(), Some("b"));
    assert_eq!(raw(&ini, "s", "local conf").as_deref(), Some("c"));
}

#[test]
fn empty_values_are_allowed() {
    let ini = parse("[s]\na =\nb:\nc =    \n");
    assert_eq!(raw(&ini, "s", "a").as_deref(), Some(""));
    assert_eq!(raw(&ini, "s", "b").as_deref(), Some(""));
    assert_eq!(raw(&ini, "s", "c").as_deref(), Some(""));
}

#[test]
fn there_are_no_inline_comments() {
    let ini = parse("[s]\na = v ; x\nurl = http://x/#frag\nb = # all of it\n");
    assert_eq!(raw(&ini, "s", "a").as_deref(), Some("v ; x"));
    assert_eq!(raw(&ini, "s", "url").as_deref(), Some("http://x/#frag"));
    assert_eq!(raw(&ini, "s", "b").as_deref(), Some("# all of it"));
}

#[test]
fn comment_lines_anywhere() {
    let ini = parse("#!/usr/bin/env paster\n; top\n[s]\n  # indented\na = 1\n;b = 2\n");
    assert_eq!(keys(&ini, "s"), ["a"]);
}

#[test]
fn entry_lines() {
    let ini = parse("[s]\n\na = 1\n  more\n\n  # c\n  last\n\nb = 2\n");
    let a = ini.section("s").unwrap().get("a").unwrap();
    assert_eq!((a.line(), a.end_line()), (3, 7));
    let b = ini.section("s").unwrap().get("b").unwrap();
    assert_eq!((b.line(), b.end_line()), (9, 9));
}

// ---- continuation lines

#[test]
fn continuation_lines_are_joined_and_stripped() {
    let ini = parse("[s]\npipeline = auth\n    session  \n\tapp\nnext = 1\n");
    assert_eq!(
        raw(&ini, "s", "pipeline").as_deref(),
        Some("auth\nsession\napp")
    );
    assert_eq!(raw(&ini, "s", "next").as_deref(), Some("1"));
}

#[test]
fn blank_lines_inside_are_kept_trailing_ones_dropped() {
    let ini = parse("[s]\na = 1\n\n   \n  2\n\n\nb = 3\n\n");
    assert_eq!(raw(&ini, "s", "a").as_deref(), Some("1\n\n\n2"));
    assert_eq!(raw(&ini, "s", "b").as_deref(), Some("3"));
}

#[test]
fn an_empty_first_line_gives_a_leading_newline() {
    let ini = parse("[s]\nemptyval2 =\n  cont\n");
    assert_eq!(raw(&ini, "s", "emptyval2").as_deref(), Some("\ncont"));
}

#[test]
fn comments_inside_a_continued_value_are_dropped() {
    // Even a comment less indented than the value does not end it.
    let ini = parse("[s]\na = 1\n  ; gone\n# gone too\n  2\n");
    assert_eq!(raw(&ini, "s", "a").as_deref(), Some("1\n2"));
}

#[test]
fn continuation_is_relative_to_the_key_line() {
    // `b` is indented like `a`: a key. `c` is less indented than `b`: a key.
    let ini = parse("[s]\n  a = 1\n  b = 2\n    b2\n c = 3\n");
    assert_eq!(keys(&ini, "s"), ["a", "b", "c"]);
    assert_eq!(raw(&ini, "s", "b").as_deref(), Some("2\nb2"));
}

#[test]
fn an_indented_first_line_in_a_section_is_a_key() {
    let ini = parse("[s]\n    a = 1\n");
    assert_eq!(raw(&ini, "s", "a").as_deref(), Some("1"));
}

#[test]
fn an_indented_header_or_key_inside_a_value_is_text() {
    let ini = parse("[s]\na = 1\n  [x]\n  b = 2\n");
    assert_eq!(names(&ini), ["s"]);
    assert_eq!(raw(&ini, "s", "a").as_deref(), Some("1\n[x]\nb = 2"));
}

#[test]
fn tabs_count_as_one_character_of_indent() {
    // The key is indented by 4 spaces, the next line by one tab: a new key.
    let ini = parse("[s]\n    a = 1\n\tb = 2\n");
    assert_eq!(keys(&ini, "s"), ["a", "b"]);
}

// ---- encodings and line ends

#[test]
fn bom_and_crlf() {
    let ini = parse("\u{feff}[s]\r\na = 1\r\n  2\r\nb = 3\r\n");
    assert_eq!(names(&ini), ["s"]);
    assert_eq!(raw(&ini, "s", "a").as_deref(), Some("1\n2"));
    assert_eq!(raw(&ini, "s", "b").as_deref(), Some("3"));
}

#[test]
fn lone_carriage_returns_end_lines() {
    let ini = parse("[s]\ra = 1\rb = 2");
    assert_eq!(raw(&ini, "s", "b").as_deref(), Some("2"));
    assert_eq!(ini.section("s").unwrap().get("b").unwrap().line(), 3);
}

#[test]
fn read_the_fixture() {
    let path = fixture("site.ini");
    let ini = IniFile::read(&path).unwrap();
    assert_eq!(ini.path(), Some(path.as_path()));
    assert_eq!(ini.here(), path.parent());
    assert_eq!(names(&ini), ["server:main", "app:main"]);
    assert_eq!(
        ini.defaults()
            .unwrap()
            .entries()
            .iter()
            .map(|e| (e.key(), e.value(), e.line()))
            .collect::<Vec<_>>(),
        [
            ("debug", "true", 5),
            ("http_port", "8080", 6),
            ("log_dir", "%(here)s/log", 7)
        ]
    );
    assert_eq!(
        keys(&ini, "app:main"),
        ["use", "url", "note", "local conf", "pipeline"]
    );
    assert_eq!(
        raw(&ini, "app:main", "url").as_deref(),
        Some("http://example.com/#frag")
    );
    assert_eq!(
        raw(&ini, "app:main", "note").as_deref(),
        Some("a ; not a comment")
    );
    assert_eq!(raw(&ini, "app:main", "local conf").as_deref(), Some("yes"));
    assert_eq!(
        raw(&ini, "app:main", "pipeline").as_deref(),
        Some("\nauth\napp\n\ntail")
    );
}

#[test]
fn read_with_bom_and_crlf() {
    let ini = IniFile::read(&fixture("bom_crlf.ini")).unwrap();
    assert_eq!(raw(&ini, "app:main", "use").as_deref(), Some("egg:X"));
    assert_eq!(
        raw(&ini, "app:main", "multi").as_deref(),
        Some("\none\ntwo")
    );
}

#[test]
fn read_makes_the_path_absolute() {
    let cwd = std::env::current_dir().unwrap();
    let relative = fixture("site.ini");
    let relative = relative.strip_prefix(&cwd).unwrap();
    assert!(relative.is_relative());
    let ini = IniFile::read(relative).unwrap();
    assert_eq!(ini.path(), Some(fixture("site.ini").as_path()));
}

#[test]
fn read_a_missing_file() {
    let path = fixture("nope.ini");
    let e = IniFile::read(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot read the file: No such file or directory (os error 2)",
            path.display()
        )
    );
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn read_a_file_that_is_not_utf8() {
    let path = fixture("not_utf8.ini");
    let e = IniFile::read(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(
        e.to_string(),
        format!(
            "{}:3: the file is not UTF-8 (invalid byte at offset 30)",
            path.display()
        )
    );
}

// ---- errors

#[test]
fn error_no_delimiter() {
    let e = IniFile::parse("[app:main]\nuse\n", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(e.location().line, Some(2));
    assert_eq!(e.location().section.as_deref(), Some("app:main"));
    assert_eq!(e.message(), "expected `key = value`, found \"use\"");
    assert_eq!(
        e.to_string(),
        "line 2 [app:main]: expected `key = value`, found \"use\""
    );
}

#[test]
fn error_names_the_file() {
    let e = IniFile::parse("[app:main]\n\n  use  \n", Some(Path::new("/etc/x.ini"))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/etc/x.ini:3 [app:main]: expected `key = value`, found \"use\""
    );
}

#[test]
fn error_key_before_any_section() {
    let e = IniFile::parse("# c\n\na = 1\n[s]\n", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(
        e.to_string(),
        "line 3: expected a `[section]` header before \"a = 1\""
    );
    // An indented line before any section is no continuation either.
    assert_eq!(
        err("  x\n"),
        "line 1: expected a `[section]` header before \"x\""
    );
}

#[test]
fn error_empty_key() {
    assert_eq!(
        err("[s]\n= v\n"),
        "line 2 [s]: expected a key before `=`, found \"= v\""
    );
    assert_eq!(
        err("[s]\n : v\n"),
        "line 2 [s]: expected a key before `:`, found \": v\""
    );
}

#[test]
fn error_bad_headers() {
    assert_eq!(
        err("[s]\n[app:main\n"),
        "line 2: expected `]` to close the section header, found \"[app:main\""
    );
    assert_eq!(err("[]\n"), "line 1: empty section name in \"[]\"");
    assert_eq!(err("[] x\n"), "line 1: empty section name in \"[] x\"");
}

#[test]
fn error_duplicate_section() {
    let e = IniFile::parse("[a]\nk = 1\n\n[a]\n", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Duplicate);
    assert_eq!(
        e.to_string(),
        "line 4 [a]: duplicate section [a] (first on line 1)"
    );
    assert_eq!(
        err("[DEFAULT]\n[DEFAULT]\n"),
        "line 2 [DEFAULT]: duplicate section [DEFAULT] (first on line 1)"
    );
}

#[test]
fn error_duplicate_key() {
    let e = IniFile::parse(
        "[s]\n\nport = 1\nhost = x\nport: 2\n",
        Some(Path::new("/a.ini")),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Duplicate);
    assert_eq!(
        e.to_string(),
        "/a.ini:5 [s]: duplicate key \"port\" (first on line 3)"
    );
    // The same key in two sections is fine.
    parse("[a]\nport = 1\n[b]\nport = 2\n");
}

#[test]
fn error_messages_escape_odd_characters() {
    assert_eq!(
        err("[s]\n\"quoted\"\tword\n"),
        "line 2 [s]: expected `key = value`, found \"\\\"quoted\\\"\\tword\""
    );
}
