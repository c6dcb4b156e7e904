//! `Cache-Control` parsing, serialisation and `cache_expires`.

use std::time::{Duration, SystemTime};

use webob::cache_control::{CacheControl, FieldList, MaxStale};
use webob::{Request, Response, parse_http_date};

#[test]
fn parses_every_typed_directive() {
    let cc = CacheControl::parse(
        "max-age=60, s-maxage=120, no-cache, no-store, no-transform, must-revalidate, \
         proxy-revalidate, public, private=\"Set-Cookie\", immutable, stale-while-revalidate=30, \
         stale-if-error=86400, max-stale=5, min-fresh=10, only-if-cached",
    );
    assert_eq!(cc.max_age(), Some(60));
    assert_eq!(cc.s_maxage(), Some(120));
    assert_eq!(cc.no_cache(), Some(FieldList::All));
    assert!(cc.no_store() && cc.no_transform() && cc.must_revalidate() && cc.proxy_revalidate());
    assert!(cc.public() && cc.immutable() && cc.only_if_cached());
    assert_eq!(
        cc.private(),
        Some(FieldList::Fields(vec!["Set-Cookie".to_owned()]))
    );
    assert_eq!(cc.stale_while_revalidate(), Some(30));
    assert_eq!(cc.stale_if_error(), Some(86400));
    assert_eq!(cc.max_stale(), Some(MaxStale::Seconds(5)));
    assert_eq!(cc.min_fresh(), Some(10));
    assert_eq!(cc.extensions().count(), 0);
}

#[test]
fn absent_directives_read_as_absent() {
    let cc = CacheControl::parse("");
    assert!(cc.is_empty());
    assert_eq!(cc.max_age(), None);
    assert_eq!(cc.no_cache(), None);
    assert_eq!(cc.max_stale(), None);
    assert!(!cc.public());
    assert_eq!(cc.to_string(), "");
}

#[test]
fn lenient_parsing_skips_bad_tokens() {
    let cc = CacheControl::parse(
        " MAX-AGE=10 ,, max-age=99, s-maxage=abc, min-fresh, bad name, =x, x-a=\"unterminated, public , stale-if-error=-1",
    );
    // Uppercase names work; the first of two wins.
    assert_eq!(cc.max_age(), Some(10));
    // Non-numeric or missing numbers are dropped.
    assert_eq!(cc.s_maxage(), None);
    assert_eq!(cc.min_fresh(), None);
    assert_eq!(cc.stale_if_error(), None);
    // The unterminated quote eats the rest of the header, as a quoted
    // string would: nothing after it is trusted.
    assert!(!cc.public());
    assert_eq!(cc.to_string(), "max-age=10");
}

#[test]
fn quoted_values_with_commas_and_escapes() {
    let cc = CacheControl::parse(r#"no-cache="Set-Cookie, X-Foo", x-ext="a \"b\", c", public"#);
    assert_eq!(
        cc.no_cache(),
        Some(FieldList::Fields(vec![
            "Set-Cookie".to_owned(),
            "X-Foo".to_owned()
        ]))
    );
    assert_eq!(cc.get("X-EXT"), Some(Some(r#"a "b", c"#)));
    assert!(cc.public());
    assert_eq!(
        cc.to_string(),
        r#"no-cache="Set-Cookie, X-Foo", public, x-ext="a \"b\", c""#
    );
    // Round trip.
    assert_eq!(CacheControl::parse(&cc.to_string()), cc);
}

#[test]
fn huge_numbers_saturate() {
    let cc = CacheControl::parse("max-age=99999999999999999999999999");
    assert_eq!(cc.max_age(), Some(1 << 31));
    // A quoted number is read too.
    assert_eq!(CacheControl::parse("max-age=\"5\"").max_age(), Some(5));
}

#[test]
fn setters_and_sorted_output() {
    let mut cc = CacheControl::new();
    cc.set_public(true);
    cc.set_max_age(Some(10));
    cc.set_no_cache(Some(FieldList::Fields(vec![
        "set-cookie".into(),
        "bad field".into(),
    ])));
    cc.set_max_stale(Some(MaxStale::Any));
    assert_eq!(
        cc.to_string(),
        "max-age=10, max-stale, no-cache=\"set-cookie\", public"
    );
    cc.set_public(false);
    cc.set_max_age(None);
    cc.set_no_cache(None);
    cc.set_max_stale(Some(MaxStale::Seconds(3)));
    assert_eq!(cc.to_string(), "max-stale=3");
    assert!(cc.remove("max-stale"));
    assert!(!cc.remove("max-stale"));
    assert!(cc.is_empty());
}

#[test]
fn extensions_are_kept_in_order() {
    let mut cc = CacheControl::parse("z-ext, max-age=1, a-ext=1, community=\"UCI\"");
    let ext: Vec<_> = cc.extensions().collect();
    assert_eq!(
        ext,
        vec![
            ("z-ext", None),
            ("a-ext", Some("1")),
            ("community", Some("UCI"))
        ]
    );
    // Values can't break out of the header.
    cc.set("x-evil", Some("1\r\nSet-Cookie: a=b"));
    cc.set("bad name", Some("1"));
    assert_eq!(cc.get("bad name"), None);
    let out = cc.to_string();
    assert!(!out.contains('\r') && !out.contains('\n'), "{out}");
    assert!(out.contains("x-evil=\"1Set-Cookie: a=b\""), "{out}");
}

#[test]
fn request_and_response_accessors() {
    let req = Request::blank("/")
        .with_header("cache-control", "no-cache")
        .with_added_header("cache-control", "max-stale");
    let cc = req.cache_control();
    assert_eq!(cc.no_cache(), Some(FieldList::All));
    assert_eq!(cc.max_stale(), Some(MaxStale::Any));
    assert!(Request::blank("/").cache_control().is_empty());

    let mut response = Response::new();
    let mut cc = response.cache_control();
    assert!(cc.is_empty());
    cc.set_private(Some(FieldList::All));
    cc.set_max_age(Some(0));
    response.set_cache_control(&cc);
    assert_eq!(response.headers()["cache-control"], "max-age=0, private");
    assert_eq!(response.cache_control(), cc);
    response.set_cache_control(&CacheControl::new());
    assert!(response.headers().get("cache-control").is_none());
}

fn header_time(response: &Response, name: &str) -> SystemTime {
    let value = response.headers()[name].to_str().unwrap();
    parse_http_date(value).unwrap()
}

#[test]
fn cache_expires_zero_forbids_caching() {
    let mut response = Response::new();
    let mut cc = CacheControl::new();
    cc.set("x-kept", None);
    response.set_cache_control(&cc);
    let before = SystemTime::now() - Duration::from_secs(1);
    response.cache_expires(Some(0));
    assert_eq!(
        response.headers()["cache-control"],
        "max-age=0, must-revalidate, no-cache, no-store, x-kept"
    );
    assert_eq!(response.headers()["pragma"], "no-cache");
    assert!(header_time(&response, "expires") >= before);
    assert!(header_time(&response, "last-modified") >= before);

    // An existing Last-Modified is kept.
    let mut response = Response::new();
    response
        .set_header("last-modified", "Mon, 01 Jan 2001 00:00:00 GMT")
        .unwrap();
    response.cache_expires(Some(0));
    assert_eq!(
        response.headers()["last-modified"],
        "Mon, 01 Jan 2001 00:00:00 GMT"
    );
}

#[test]
fn cache_expires_n_caches_for_n_seconds() {
    let mut response = Response::new();
    response.cache_expires(Some(0));
    response.cache_expires(Some(600));
    assert_eq!(response.headers()["cache-control"], "max-age=600");
    assert!(response.headers().get("pragma").is_none());
    let expires = header_time(&response, "expires");
    let now = SystemTime::now();
    assert!(expires > now + Duration::from_secs(590) && expires < now + Duration::from_secs(610));

    // Huge values don't panic.
    response.cache_expires(Some(u64::MAX));
    assert_eq!(
        response.headers()["cache-control"],
        format!("max-age={}", 1u64 << 31)
    );

    // None changes nothing.
    let before = response.headers().clone();
    response.cache_expires(None);
    assert_eq!(response.headers(), &before);
}
