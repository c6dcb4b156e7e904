//! Content negotiation: the nasty cases of the four `Accept*` headers.

use webob::Request;
use webob::accept::{Accept, AcceptCharset, AcceptEncoding, AcceptLanguage, MAX_ELEMENTS};

fn offers(list: &[(&str, f32)]) -> Vec<(String, f32)> {
    list.iter().map(|(o, q)| ((*o).to_owned(), *q)).collect()
}

#[test]
fn q_zero_excludes_even_under_a_wildcard() {
    let accept = Accept::parse("text/html;q=0, */*");
    assert_eq!(
        accept.acceptable_offers(&["text/html", "text/plain"]),
        offers(&[("text/plain", 1.0)])
    );
    assert_eq!(accept.best_match(&["text/html"], None), None);
    assert_eq!(
        accept.best_match(&["text/html"], Some("x/y")).as_deref(),
        Some("x/y")
    );
}

#[test]
fn exact_beats_type_wildcard_beats_any() {
    let accept = Accept::parse("*/*;q=0.1, text/*;q=0.5, text/html;q=0.9");
    assert_eq!(accept.quality("text/html"), 0.9);
    assert_eq!(accept.quality("text/plain"), 0.5);
    assert_eq!(accept.quality("image/png"), 0.1);
    // Order in the header does not matter, specificity does.
    let accept = Accept::parse("text/html;q=0.9, text/*;q=0.5, */*;q=0.1");
    assert_eq!(accept.quality("text/plain"), 0.5);
    // A more specific range can raise an offer above a wildcard, too.
    let accept = Accept::parse("text/*;q=0, text/csv");
    assert_eq!(
        accept.acceptable_offers(&["text/plain", "text/csv"]),
        offers(&[("text/csv", 1.0)])
    );
}

#[test]
fn parameters_make_a_range_more_specific() {
    let accept = Accept::parse("text/html;level=1;q=0.2, text/html;q=0.8");
    assert_eq!(accept.quality("text/html;level=1"), 0.2);
    assert_eq!(accept.quality("text/html;level=2"), 0.8);
    assert_eq!(accept.quality("text/html"), 0.8);
    // A range with params does not match an offer without them.
    let accept = Accept::parse("text/html;level=1");
    assert_eq!(accept.quality("text/html"), 0.0);
    // Values are case-sensitive, except charset's.
    let accept = Accept::parse("text/plain;format=Flowed, text/html;charset=utf-8");
    assert_eq!(accept.quality("text/plain;format=flowed"), 0.0);
    assert_eq!(accept.quality("text/html;charset=UTF-8"), 1.0);
    // Quoted values with commas and escaped quotes stay one element.
    let accept = Accept::parse(r#"text/x;a="1, \"2\"";q=0.5, image/png"#);
    assert_eq!(accept.quality(r#"text/x;a="1, \"2\"""#), 0.5);
    assert_eq!(accept.quality("image/png"), 1.0);
    // Parameters after q are accept-ext and take no part in matching.
    let accept = Accept::parse("text/html;q=0.5;ext=1");
    assert_eq!(accept.quality("text/html"), 0.5);
}

#[test]
fn ties_keep_offer_order_and_sorting_is_by_q() {
    let accept = Accept::parse("application/json;q=0.5, text/html, text/plain");
    assert_eq!(
        accept.acceptable_offers(&["application/json", "text/plain", "text/html"]),
        offers(&[
            ("text/plain", 1.0),
            ("text/html", 1.0),
            ("application/json", 0.5)
        ])
    );
}

#[test]
fn duplicates_first_wins_but_q_zero_always_excludes() {
    let accept = Accept::parse("text/html;q=0.3, text/html;q=0.9");
    assert_eq!(accept.quality("text/html"), 0.3);
    let accept = Accept::parse("text/html, text/html;q=0");
    assert_eq!(accept.quality("text/html"), 0.0);
}

#[test]
fn whitespace_case_and_empty_elements() {
    let accept = Accept::parse(" ,, TEXT/HTML ; Q=0.5 ,\t, Application/JSON ,");
    assert!(accept.is_present());
    assert_eq!(accept.quality("text/html"), 0.5);
    assert_eq!(accept.quality("application/json"), 1.0);
    assert_eq!(
        accept.ranges(),
        offers(&[("text/html", 0.5), ("application/json", 1.0)])
    );
}

#[test]
fn invalid_q_drops_the_element_only() {
    for bad in [
        "q=2", "q=1.0001", "q=0.1234", "q=-1", "q=", "q=abc", "q=.5", "q=1.5",
    ] {
        let accept = Accept::parse(&format!("text/html;{bad}, image/png;q=0.5"));
        assert_eq!(accept.quality("text/html"), 0.0, "{bad}");
        assert_eq!(accept.quality("image/png"), 0.5, "{bad}");
    }
    for (good, q) in [
        ("q=1.000", 1.0),
        ("q=0.001", 0.001),
        ("q=1.", 1.0),
        ("q=0", 0.0),
        ("q=0.10", 0.1),
    ] {
        let accept = Accept::parse(&format!("text/html;{good}"));
        assert_eq!(accept.quality("text/html"), q, "{good}");
    }
}

#[test]
fn empty_missing_and_invalid_headers() {
    // Missing: anything (parseable) is acceptable.
    let missing = Accept::missing();
    assert!(!missing.is_present());
    assert_eq!(
        missing.acceptable_offers(&["text/html", "bogus", "text/*"]),
        offers(&[("text/html", 1.0)])
    );
    // Empty Accept is valid and accepts nothing.
    let empty = Accept::parse("  ");
    assert!(empty.is_present());
    assert!(empty.acceptable_offers(&["text/html"]).is_empty());
    // All-garbage is invalid and treated as missing.
    for garbage in [
        "garbage",
        "*/html",
        "text/html;q=5",
        "text/html;foo",
        "a/b;c=\"unterminated",
    ] {
        let accept = Accept::parse(garbage);
        assert!(!accept.is_present(), "{garbage}");
        assert_eq!(accept.quality("text/html"), 1.0, "{garbage}");
    }
    // Charset and language need one element: empty is invalid → missing.
    assert!(!AcceptCharset::parse("").is_present());
    assert!(!AcceptLanguage::parse(" , ").is_present());
    assert_eq!(AcceptLanguage::parse("").quality("de"), 1.0);
}

#[test]
fn accepts_html() {
    assert!(Accept::parse("application/xhtml+xml").accepts_html());
    assert!(!Accept::parse("application/json").accepts_html());
    assert!(Accept::missing().accepts_html());
}

#[test]
fn a_huge_header_is_capped() {
    let mut header = "a/b, ".repeat(100_000);
    header.push_str("text/html");
    let accept = Accept::parse(&header);
    assert_eq!(accept.ranges().len(), MAX_ELEMENTS);
    // The element past the cap is not seen.
    assert_eq!(accept.quality("text/html"), 0.0);
    let langs = AcceptLanguage::parse(&"en;q=0.5,".repeat(1_000_000));
    assert_eq!(langs.ranges().len(), MAX_ELEMENTS);
    // One enormous language range is skipped rather than truncated
    // subtag by subtag.
    let long = format!("{}en", "a-".repeat(500_000));
    let langs = AcceptLanguage::parse(&format!("{long}, fr;q=0.5"));
    assert_eq!(langs.ranges(), vec![("fr".to_owned(), 0.5)]);
    assert_eq!(langs.lookup(&["a", "fr"], None).as_deref(), Some("fr"));
}

#[test]
fn charset_matching() {
    let accept = AcceptCharset::parse("UTF-8;q=0.9, iso-8859-5, *;q=0.1, latin1;q=0");
    assert_eq!(
        accept.acceptable_offers(&["latin1", "utf-8", "ISO-8859-5", "koi8-r"]),
        offers(&[("ISO-8859-5", 1.0), ("utf-8", 0.9), ("koi8-r", 0.1)])
    );
    // No ISO-8859-1 special case.
    assert_eq!(AcceptCharset::parse("utf-8").quality("iso-8859-1"), 0.0);
    assert_eq!(AcceptCharset::missing().quality("anything"), 1.0);
}

#[test]
fn encoding_identity_rules() {
    let accept = AcceptEncoding::parse("gzip;q=0.5");
    assert_eq!(
        accept.acceptable_offers(&["gzip", "identity", "br"]),
        offers(&[("identity", 1.0), ("gzip", 0.5)])
    );
    assert_eq!(
        AcceptEncoding::parse("identity;q=0, gzip").quality("identity"),
        0.0
    );
    assert_eq!(AcceptEncoding::parse("*;q=0").quality("identity"), 0.0);
    assert_eq!(
        AcceptEncoding::parse("*;q=0, identity;q=0.2").quality("identity"),
        0.2
    );
    assert_eq!(AcceptEncoding::parse("*;q=0.3").quality("identity"), 1.0);
    assert_eq!(AcceptEncoding::parse("*;q=0.3").quality("br"), 0.3);
    assert_eq!(AcceptEncoding::parse("br, *;q=0").quality("gzip"), 0.0);
    // Empty: identity only.
    let empty = AcceptEncoding::parse("");
    assert_eq!(
        empty.acceptable_offers(&["gzip", "identity"]),
        offers(&[("identity", 1.0)])
    );
    // x-gzip is gzip.
    assert_eq!(AcceptEncoding::parse("x-gzip;q=0.4").quality("gzip"), 0.4);
    assert_eq!(AcceptEncoding::parse("GZIP").quality("x-gzip"), 1.0);
}

#[test]
fn language_basic_filtering() {
    let accept = AcceptLanguage::parse("en-GB, en;q=0.5, de-ch;q=0, *;q=0.1");
    assert_eq!(accept.quality("en-gb"), 1.0);
    assert_eq!(accept.quality("EN-GB-oxendict"), 1.0);
    assert_eq!(accept.quality("en-US"), 0.5);
    assert_eq!(accept.quality("en"), 0.5);
    assert_eq!(accept.quality("de-CH"), 0.0);
    assert_eq!(accept.quality("de-CH-1996"), 0.0);
    assert_eq!(accept.quality("de"), 0.1);
    // `en` is not a prefix of `eng`.
    assert_eq!(AcceptLanguage::parse("en").quality("eng"), 0.0);
    // A more specific range can exclude within a broader one.
    let accept = AcceptLanguage::parse("en, en-us;q=0");
    assert_eq!(
        accept.acceptable_offers(&["en-US", "en-GB", "fr"]),
        offers(&[("en-GB", 1.0)])
    );
    // Invalid ranges are skipped.
    let accept = AcceptLanguage::parse("toolonglanguage, e_n, fr");
    assert_eq!(accept.ranges(), offers(&[("fr", 1.0)]));
}

#[test]
fn language_lookup_truncates_from_the_right() {
    let accept = AcceptLanguage::parse("de-CH-1996, fr;q=0.5");
    assert_eq!(accept.lookup(&["fr", "de"], None).as_deref(), Some("de"));
    assert_eq!(
        accept.lookup(&["fr", "DE-ch"], None).as_deref(),
        Some("DE-ch")
    );
    // Extension singletons go with the subtag after them.
    let accept = AcceptLanguage::parse("zh-Hant-CN-x-private1-private2");
    assert_eq!(
        accept
            .lookup(&["zh-Hant-CN-x", "zh-Hant-CN"], None)
            .as_deref(),
        Some("zh-Hant-CN")
    );
    // Higher q first, whatever the header order.
    let accept = AcceptLanguage::parse("fr;q=0.5, de;q=0.9");
    assert_eq!(accept.lookup(&["fr", "de"], None).as_deref(), Some("de"));
    // Lookup does not extend a range: `en` finds no `en-US`.
    let accept = AcceptLanguage::parse("en");
    assert_eq!(accept.lookup(&["en-US"], Some("x")).as_deref(), Some("x"));
    assert_eq!(accept.lookup(&["en-US"], None), None);
    // `*` and q=0 ranges are skipped; an excluded tag is never returned.
    let accept = AcceptLanguage::parse("*, de-AT, de;q=0");
    assert_eq!(accept.lookup(&["de"], Some("en")).as_deref(), Some("en"));
    // Missing header: the default.
    assert_eq!(
        AcceptLanguage::missing()
            .lookup(&["de"], Some("en"))
            .as_deref(),
        Some("en")
    );
}

#[test]
fn request_accessors() {
    let req = Request::blank("/")
        .with_header("accept", "text/html;q=0.5")
        .with_added_header("accept", "application/json")
        .with_header("accept-language", "de")
        .with_header("accept-charset", "utf-8")
        .with_header("accept-encoding", "br");
    assert_eq!(
        req.accept()
            .acceptable_offers(&["text/html", "application/json"]),
        offers(&[("application/json", 1.0), ("text/html", 0.5)])
    );
    assert_eq!(
        req.accept_language()
            .best_match(&["en", "de"], None)
            .as_deref(),
        Some("de")
    );
    assert_eq!(req.accept_charset().quality("latin1"), 0.0);
    assert_eq!(req.accept_encoding().quality("gzip"), 0.0);

    let bare = Request::blank("/");
    assert!(!bare.accept().is_present());
    assert_eq!(bare.accept_encoding().quality("gzip"), 1.0);
    assert_eq!(bare.accept_language().quality("ja"), 1.0);
    assert_eq!(bare.accept_charset().quality("utf-8"), 1.0);
}
