//! Reading request cookies: the lenient parser and its edge cases.

use webob::Request;
use webob::cookies::{Cookies, MAX_COOKIES};

fn all(cookies: &Cookies) -> Vec<(&str, &str)> {
    cookies.iter().collect()
}

#[test]
fn malformed_pairs_among_good_ones_are_skipped() {
    let c = Cookies::parse("a=1; ;; junk; =nameless; bad name=2; b{=3; $Version=1; c=3; Secure");
    assert_eq!(all(&c), [("a", "1"), ("name", "2"), ("c", "3")]);
}

#[test]
fn attribute_names_are_not_cookies() {
    let c = Cookies::parse("Path=/; Domain=example.com; max-age=3; expires=x; session=ok");
    assert_eq!(all(&c), [("session", "ok")]);
}

#[test]
fn equals_signs_inside_values_are_kept() {
    let c = Cookies::parse("token=YWJj==; q=a=b=c");
    assert_eq!(c.get("token"), Some("YWJj=="));
    assert_eq!(c.get("q"), Some("a=b=c"));
}

#[test]
fn empty_values_are_values() {
    let c = Cookies::parse("a=; b=\"\"; c=3");
    assert_eq!(all(&c), [("a", ""), ("b", ""), ("c", "3")]);
    assert!(c.contains("a"));
    assert!(!c.contains("d"));
}

#[test]
fn whitespace_is_trimmed_and_allowed_around_equals() {
    let c = Cookies::parse("  a = 1 ;\tb=2  ;c =3");
    assert_eq!(all(&c), [("a", "1"), ("b", "2"), ("c", "3")]);
}

#[test]
fn quoted_values_are_unquoted() {
    let c = Cookies::parse(r#"a="hello world"; b="x\"y"; c="semi;colon"; d="\141\142""#);
    assert_eq!(c.get("a"), Some("hello world"));
    assert_eq!(c.get("b"), Some("x\"y"));
    assert_eq!(c.get("c"), Some("semi;colon"));
    assert_eq!(c.get("d"), Some("ab"));
}

#[test]
fn an_unterminated_quote_loses_only_its_cookie() {
    let c = Cookies::parse(r#"a=1; b="never closed; c=3"#);
    assert_eq!(all(&c), [("a", "1"), ("c", "3")]);
    let c = Cookies::parse(r#"a="trailing backslash\"#);
    assert!(c.is_empty());
}

#[test]
fn the_first_of_duplicate_names_wins() {
    // Browsers send the cookie with the longest path first.
    let c = Cookies::parse("id=specific; other=x; id=general");
    assert_eq!(c.get("id"), Some("specific"));
    assert_eq!(c.get_all("id").collect::<Vec<_>>(), ["specific", "general"]);
    assert_eq!(c.len(), 3);
}

#[test]
fn several_cookie_headers_are_all_read_in_order() {
    let req = Request::blank("/")
        .with_header("cookie", "a=1; b=2")
        .with_added_header("cookie", "c=3")
        .with_added_header("cookie", "a=4");
    let c = req.cookies();
    assert_eq!(all(&c), [("a", "1"), ("b", "2"), ("c", "3"), ("a", "4")]);
    assert_eq!(c.get("a"), Some("1"));
}

#[test]
fn no_cookie_header_is_no_cookies() {
    let req = Request::blank("/");
    assert!(req.cookies().is_empty());
    assert_eq!(req.cookies().get("a"), None);
}

#[test]
fn unicode_values_and_percent_decoding() {
    // Raw UTF-8 in a header value (hyper hands us the bytes).
    let mut req = Request::blank("/");
    req.headers_mut().insert(
        "cookie",
        http::HeaderValue::from_bytes("name=café; enc=caf%C3%A9%20ok".as_bytes()).unwrap(),
    );
    let c = req.cookies();
    assert_eq!(c.get("name"), Some("café"));
    assert_eq!(c.get("enc"), Some("caf%C3%A9%20ok"));
    assert_eq!(c.get_decoded("enc").as_deref(), Some("café ok"));
    assert_eq!(c.get_decoded("missing"), None);
}

#[test]
fn invalid_utf8_drops_only_that_cookie() {
    let mut req = Request::blank("/");
    req.headers_mut().insert(
        "cookie",
        http::HeaderValue::from_bytes(b"a=\xff\xfe; b=ok; c=\"\xc3\"").unwrap(),
    );
    assert_eq!(all(&req.cookies()), [("b", "ok")]);
}

#[test]
fn non_ascii_names_are_skipped() {
    let c = Cookies::parse("café=1; ok=2");
    assert_eq!(all(&c), [("ok", "2")]);
}

#[test]
fn control_characters_end_a_value() {
    let c = Cookies::parse("a=b\x01c; d=e");
    assert_eq!(c.get("a"), Some("b"));
    assert_eq!(c.get("d"), Some("e"));
}

#[test]
fn a_huge_header_is_capped() {
    let header: String = (0..10_000).map(|i| format!("c{i}=v{i}; ")).collect();
    let c = Cookies::parse(&header);
    assert_eq!(c.len(), MAX_COOKIES);
    assert_eq!(c.get("c0"), Some("v0"));
    assert_eq!(c.get("c255"), Some("v255"));
    assert_eq!(c.get("c256"), None);
}

#[test]
fn a_huge_malformed_header_does_not_panic() {
    let junk = "\"=;,\\ ".repeat(50_000);
    let c = Cookies::parse(&junk);
    assert!(c.is_empty());
    // A long token is still a name.
    let c = Cookies::parse(&format!("{}a=1", "x".repeat(100_000)));
    assert_eq!(c.len(), 1);
    assert_eq!(c.iter().next().unwrap().0.len(), 100_001);
    let c = Cookies::parse(&format!("{}a=1", "{".repeat(100_000)));
    assert!(c.is_empty(), "{c:?}");
    let c = Cookies::parse(&format!("{}; a=1", "=".repeat(100_000)));
    assert_eq!(c.get("a"), Some("1"));
}

#[test]
fn odd_inputs_never_panic() {
    for input in [
        "",
        ";",
        "=",
        "==",
        "\"",
        "a",
        "a=",
        "a=\"",
        "a=\"\\",
        "a=\"\\1",
        "a=\"\\12",
        "a=\"\\123",
        "a= ",
        " =a",
        ",,,",
        "a=\"b\"c=d",
        "Wed, 09-Jun-2021",
        "a=Wed, 09-Jun-2021 10:18:14 GM",
    ] {
        let _ = Cookies::parse(input);
    }
}
