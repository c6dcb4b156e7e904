//! Setting, deleting and unsetting cookies on responses.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use webob::cookies::{Cookie, CookieOptions, Cookies, SameSite};
use webob::{Request, Response};

fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[test]
fn each_cookie_is_its_own_header() {
    let mut r = Response::new();
    let opts = CookieOptions::new();
    r.set_cookie_with("a", "1", &opts).unwrap();
    r.set_cookie_with("b", "2", &opts).unwrap();
    r.set_cookie_with("a", "3", &opts).unwrap();
    assert_eq!(
        set_cookies(&r),
        ["a=1; Path=/", "b=2; Path=/", "a=3; Path=/"]
    );
}

#[test]
fn every_option_is_written() {
    let mut r = Response::new();
    let expires = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let opts = CookieOptions::new()
        .path("/app")
        .domain("example.com")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .expires(expires);
    r.set_cookie_with("s", "v", &opts).unwrap();
    assert_eq!(
        set_cookies(&r),
        [
            "s=v; HttpOnly; SameSite=Strict; Secure; Path=/app; Domain=example.com; \
          Expires=Fri, 15 Jan 2027 08:00:00 GMT"
        ]
    );
    let mut r = Response::new();
    r.set_cookie_with("s", "v", &CookieOptions::new().no_path())
        .unwrap();
    assert_eq!(set_cookies(&r), ["s=v"]);
}

#[test]
fn max_age_also_writes_a_matching_expires() {
    let mut r = Response::new();
    let before = SystemTime::now();
    r.set_cookie_with(
        "s",
        "v",
        &CookieOptions::new().max_age(Duration::from_secs(3600)),
    )
    .unwrap();
    let header = &set_cookies(&r)[0];
    assert!(
        header.starts_with("s=v; Path=/; Max-Age=3600; Expires="),
        "{header}"
    );
    let date = header.split("Expires=").nth(1).unwrap();
    let expires = webob::parse_http_date(date).unwrap();
    let delta = expires.duration_since(before).unwrap().as_secs();
    assert!((3599..=3601).contains(&delta), "{delta}");
}

#[test]
fn values_that_would_break_the_header_are_encoded() {
    let mut r = Response::new();
    let opts = CookieOptions::new();
    r.set_cookie_with("a", "x; Domain=evil.com", &opts).unwrap();
    r.set_cookie_with("b", "1\r\nSet-Cookie: admin=1", &opts)
        .unwrap();
    r.set_cookie_with("c", "a,b \"c\" \\d 100%", &opts).unwrap();
    r.set_cookie_with("d", "café", &opts).unwrap();
    assert_eq!(
        set_cookies(&r),
        [
            "a=x%3B%20Domain=evil.com; Path=/",
            "b=1%0D%0ASet-Cookie:%20admin=1; Path=/",
            "c=a%2Cb%20%22c%22%20%5Cd%20100%25; Path=/",
            "d=caf%C3%A9; Path=/",
        ]
    );
}

#[test]
fn what_is_set_reads_back() {
    let values = [
        "plain",
        "a=b/c:d[e]",
        "x; Domain=evil.com",
        "a,b \"c\" \\d 100%",
        "café ☕",
        "",
        "%41",
    ];
    let mut r = Response::new();
    for (i, value) in values.iter().enumerate() {
        r.set_cookie_with(&format!("c{i}"), value, &CookieOptions::new())
            .unwrap();
    }
    // What a browser would send back: the name=value part of each.
    let sent: Vec<String> = set_cookies(&r)
        .iter()
        .map(|h| h.split(';').next().unwrap().to_owned())
        .collect();
    let req = Request::blank("/").with_header("cookie", &sent.join("; "));
    let cookies = req.cookies();
    for (i, value) in values.iter().enumerate() {
        assert_eq!(
            cookies.get_decoded(&format!("c{i}")).as_deref(),
            Some(*value)
        );
    }
    // Cookie-octet values come back as they are even without decoding.
    assert_eq!(cookies.get("c1"), Some("a=b/c:d[e]"));
}

#[test]
fn bad_names_are_refused_not_injected() {
    let mut r = Response::new();
    let opts = CookieOptions::new();
    for name in [
        "", "a b", "a;b", "a=b", "a,b", "a\r\nb", "café", "$Version", "Path", "expires", "a\"b",
    ] {
        let err = r.set_cookie_with(name, "v", &opts).unwrap_err();
        assert_eq!(err.status(), 500, "{name:?}");
    }
    assert!(set_cookies(&r).is_empty());
}

#[test]
fn bad_attributes_are_refused() {
    let mut r = Response::new();
    for opts in [
        CookieOptions::new().path("/a; Domain=evil.com"),
        CookieOptions::new().path("/a\r\nX-Evil: 1"),
        CookieOptions::new().path("/café"),
        CookieOptions::new().domain("evil.com; Secure"),
        CookieOptions::new().domain("a b"),
        CookieOptions::new().domain("."),
        CookieOptions::new().domain(""),
    ] {
        assert!(r.set_cookie_with("a", "v", &opts).is_err(), "{opts:?}");
    }
    assert!(set_cookies(&r).is_empty());
    r.set_cookie_with("a", "v", &CookieOptions::new().domain(".example.com"))
        .unwrap();
    // The cookie crate drops the leading dot (RFC 6265 ignores it).
    assert_eq!(set_cookies(&r), ["a=v; Path=/; Domain=example.com"]);
}

#[test]
fn same_site_none_needs_secure() {
    let mut r = Response::new();
    let err = r
        .set_cookie_with("a", "v", &CookieOptions::new().same_site(SameSite::None))
        .unwrap_err();
    assert!(err.message().unwrap().contains("SameSite=None"), "{err}");
    r.set_cookie_with(
        "a",
        "v",
        &CookieOptions::new().same_site(SameSite::None).secure(true),
    )
    .unwrap();
    // A cookie crate Cookie that leaves Secure unset gets it explicitly.
    r.set_cookie(Cookie::build(("b", "v")).same_site(SameSite::None).build())
        .unwrap();
    assert!(
        r.set_cookie(
            Cookie::build(("c", "v"))
                .same_site(SameSite::None)
                .secure(false)
                .build()
        )
        .is_err()
    );
    assert_eq!(
        set_cookies(&r),
        [
            "a=v; SameSite=None; Secure; Path=/",
            "b=v; SameSite=None; Secure"
        ]
    );
}

#[test]
fn oversized_cookies_are_refused() {
    let mut r = Response::new();
    let opts = CookieOptions::new();
    assert!(r.set_cookie_with("a", &"x".repeat(4094), &opts).is_ok());
    assert!(r.set_cookie_with("a", &"x".repeat(4095), &opts).is_err());
    // The size counts the encoded value.
    assert!(r.set_cookie_with("a", &" ".repeat(1400), &opts).is_err());
}

#[test]
fn delete_cookie_expires_it() {
    let mut r = Response::new();
    r.delete_cookie("session", None, None);
    r.delete_cookie("pref", Some("/app"), Some("example.com"));
    r.delete_cookie("bad name", None, None);
    r.delete_cookie("x", Some("/; Domain=evil"), None);
    assert_eq!(
        set_cookies(&r),
        [
            "session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "pref=; Path=/app; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ]
    );
}

#[test]
fn unset_cookie_removes_only_that_name() {
    let mut r = Response::new();
    let opts = CookieOptions::new();
    r.set_cookie_with("a", "1", &opts).unwrap();
    r.set_cookie_with("ab", "2", &opts).unwrap();
    r.set_cookie_with("a", "3", &opts.clone().path("/x"))
        .unwrap();
    r.add_header("set-cookie", " b =4; Path=/").unwrap();
    r.add_header("x-other", "a=1").unwrap();
    assert!(r.unset_cookie("a"));
    assert_eq!(set_cookies(&r), ["ab=2; Path=/", " b =4; Path=/"]);
    assert!(r.unset_cookie("b"));
    assert!(!r.unset_cookie("a"));
    assert!(!r.unset_cookie("A"));
    assert_eq!(set_cookies(&r), ["ab=2; Path=/"]);
    assert_eq!(r.headers()["x-other"], "a=1");
    assert!(r.unset_cookie("ab"));
    assert!(!r.headers().contains_key("set-cookie"));
    assert!(!Response::new().unset_cookie("a"));
}

#[test]
fn set_cookie_output_parses_as_a_cookie() {
    // What we emit is something the cookie crate (a strict-ish reader)
    // reads back with the same attributes.
    let mut r = Response::new();
    r.set_cookie_with(
        "sid",
        "a b",
        &CookieOptions::new()
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::from_secs(60)),
    )
    .unwrap();
    let header = set_cookies(&r).remove(0);
    let parsed = Cookie::parse_encoded(header).unwrap();
    assert_eq!(parsed.name(), "sid");
    assert_eq!(parsed.value(), "a b");
    assert_eq!(parsed.http_only(), Some(true));
    assert_eq!(parsed.same_site(), Some(SameSite::Lax));
    assert_eq!(parsed.max_age().map(|d| d.whole_seconds()), Some(60));
    // And our own request parser agrees on the pair.
    let pair = set_cookies(&r)[0].split(';').next().unwrap().to_owned();
    assert_eq!(
        Cookies::parse(&pair).get_decoded("sid").as_deref(),
        Some("a b")
    );
}
