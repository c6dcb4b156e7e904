//! The security matrix of webob (RELIABILITY.md "Security"): open
//! redirects in every way a `Location` is made, header injection in every
//! header setter, HTML escaping of every exception page, and the limits a
//! client can push against. Path traversal in `DirectoryApp` is in
//! `tests/static_files.rs` (and over a socket in paste-middleware's
//! `tests/security.rs`); signed cookies in `tests/cookies_signed.rs`.

use paste_core::http::StatusCode;
use webob::cookies::CookieOptions;
use webob::exc::HttpException;
use webob::{Request, Response};

/// Locations an attacker would like a redirect to go to, as an app might
/// take them from a `came_from` parameter.
const OFF_SITE: &[&str] = &[
    "//evil.com",
    "//evil.com/x",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    "\t//evil.com",
    " //evil.com",
    "\u{0}//evil.com",
    "/%09/evil.com",
    "//evil.com\\@localhost",
];

/// Where a browser goes with `location` from a page at
/// `http://localhost/app/page`: it drops tabs and newlines, strips
/// leading C0 controls and spaces, and reads `\` as `/` in http URLs.
fn browser_host(location: &str) -> Option<String> {
    let cleaned: String = location
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let cleaned = cleaned
        .trim_start_matches(|c: char| c <= ' ')
        .replace('\\', "/");
    if let Some(rest) = cleaned.strip_prefix("//") {
        return Some(rest.split(['/', '?', '#']).next().unwrap().to_owned());
    }
    for scheme in ["http://", "https://"] {
        if let Some(rest) = cleaned.strip_prefix(scheme) {
            let authority = rest.split(['/', '?', '#']).next().unwrap();
            return Some(authority.rsplit('@').next().unwrap().to_owned());
        }
    }
    None
}

fn assert_stays_here(location: &str, given: &str, how: &str) {
    match browser_host(location) {
        None => {}
        Some(host) => assert_eq!(
            host, "localhost",
            "{how}: {given:?} redirects to {location:?}"
        ),
    }
}

fn location_of(response: &paste_core::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

#[test]
fn open_redirect_response_redirect_and_set_location_stay_on_this_host() {
    let req = Request::blank("http://localhost/app/page");
    for given in OFF_SITE {
        let response = Response::redirect(&req, given, StatusCode::FOUND).into_inner();
        let location = location_of(&response).unwrap_or_default();
        assert_stays_here(&location, given, "Response::redirect");
        let mut response = Response::new();
        response.set_location(&req, given);
        let location = location_of(&response.into_inner()).unwrap_or_default();
        assert_stays_here(&location, given, "set_location");
    }
}

#[test]
fn open_redirect_http_exceptions_stay_on_this_host_however_they_are_sent() {
    let req = Request::blank("http://localhost/app/page");
    for given in OFF_SITE {
        for status in [301u16, 302, 303, 307, 308] {
            let exc =
                HttpException::new(StatusCode::from_u16(status).unwrap()).with_location(*given);
            // Negotiated against the request.
            let negotiated = exc.to_response(&req).into_inner();
            assert_stays_here(
                &location_of(&negotiated).unwrap_or_default(),
                given,
                "to_response",
            );
            // Without a request.
            let bare = exc.clone().into_response().into_inner();
            assert_stays_here(
                &location_of(&bare).unwrap_or_default(),
                given,
                "into_response",
            );
            // As an error, through `?`, served by whoever serves the app.
            let err: paste_core::Error = exc.into();
            let served = err.into_response();
            assert_stays_here(&location_of(&served).unwrap_or_default(), given, "Error");
        }
    }
}

#[test]
fn open_redirect_relative_locations_still_work() {
    // The control: an ordinary relative redirect is kept as written
    // (without a request) or made absolute on this host.
    let req = Request::blank("http://localhost/app/page");
    let exc = HttpException::found("/app/done?x=1");
    assert_eq!(
        location_of(&exc.clone().into_response().into_inner()).as_deref(),
        Some("/app/done?x=1")
    );
    assert_eq!(
        location_of(&exc.to_response(&req).into_inner()).as_deref(),
        Some("http://localhost/app/done?x=1")
    );
    let err: paste_core::Error = HttpException::see_other("next").into();
    assert_eq!(location_of(&err.into_response()).as_deref(), Some("next"));
}

// ---------------------------------------------------------------------
// Header injection
// ---------------------------------------------------------------------

const INJECTIONS: &[&str] = &[
    "a\r\nSet-Cookie: evil=1",
    "a\nSet-Cookie: evil=1",
    "a\rSet-Cookie: evil=1",
    "a\0b",
];

fn assert_no_injected_header(response: &paste_core::Response, what: &str) {
    for value in response.headers().values() {
        let bytes = value.as_bytes();
        assert!(
            !bytes.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)),
            "{what}: {value:?}"
        );
    }
    assert!(
        !response
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.as_bytes().starts_with(b"evil")),
        "{what}"
    );
}

#[test]
fn header_injection_set_and_add_header_refuse_cr_lf_and_nul() {
    for value in INJECTIONS {
        let mut response = Response::new();
        assert!(response.set_header("x-user", value).is_err(), "{value:?}");
        assert!(response.add_header("x-user", value).is_err(), "{value:?}");
        assert!(response.set_header(value, "v").is_err(), "{value:?}");
        assert_no_injected_header(&response.into_inner(), value);
    }
}

#[test]
fn header_injection_locations_and_exception_headers_drop_cr_lf() {
    let req = Request::blank("http://localhost/");
    for value in INJECTIONS {
        let target = format!("/next?u={value}");
        let response = Response::redirect(&req, &target, StatusCode::FOUND).into_inner();
        assert_no_injected_header(&response, "redirect");
        let exc = HttpException::found(target.clone()).with_detail(*value);
        assert_no_injected_header(&exc.to_response(&req).into_inner(), "to_response");
        assert_no_injected_header(&exc.clone().into_response().into_inner(), "into_response");
        let err: paste_core::Error = exc.into();
        assert_no_injected_header(&err.into_response(), "Error");
    }
}

#[test]
fn header_injection_set_cookie_name_value_path_domain() {
    for bad in INJECTIONS
        .iter()
        .chain(&["a; Domain=evil.com", "a;HttpOnly=0"])
    {
        // A value is encoded, never cut into attributes or headers.
        let mut response = Response::new();
        response
            .set_cookie_with("sid", bad, &CookieOptions::new())
            .unwrap();
        let line = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        let attributes: Vec<&str> = line.split("; ").skip(1).collect();
        assert_eq!(attributes, ["Path=/"], "{bad:?} became attributes: {line}");
        assert_no_injected_header(&response.into_inner(), bad);
        // A name, path or domain that would break the header is refused.
        let mut response = Response::new();
        assert!(
            response
                .set_cookie_with(bad, "v", &CookieOptions::new())
                .is_err(),
            "name {bad:?}"
        );
        let with_path = CookieOptions::new().path(bad);
        assert!(
            response.set_cookie_with("sid", "v", &with_path).is_err(),
            "path {bad:?}"
        );
        let with_domain = CookieOptions::new().domain(bad);
        assert!(
            response.set_cookie_with("sid", "v", &with_domain).is_err(),
            "domain {bad:?}"
        );
        assert_no_injected_header(&response.into_inner(), bad);
    }
}

// ---------------------------------------------------------------------
// XSS in exception pages
// ---------------------------------------------------------------------

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
];

#[tokio::test]
async fn xss_exception_pages_escape_detail_comment_and_location() {
    let req = Request::blank("http://localhost/").with_header("accept", "text/html");
    for attack in XSS {
        for exc in [
            HttpException::not_found().with_detail(*attack),
            HttpException::bad_request().with_comment(*attack),
            HttpException::found(format!("/x?next={attack}")).with_detail(*attack),
            HttpException::forbidden().with_detail(format!("javascript:{attack}")),
        ] {
            for response in [
                exc.to_response(&req).into_inner(),
                exc.clone().into_response().into_inner(),
            ] {
                let ct = response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                assert!(ct.starts_with("text/html"), "{ct}");
                let body = response.into_body().to_bytes(1 << 16).await.unwrap();
                let body = String::from_utf8(body.to_vec()).unwrap();
                for raw in ["<script", "<img", "<svg", "\"><", "'><"] {
                    assert!(!body.contains(raw), "{attack:?} shows {raw:?}: {body}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------
// Limits a client controls
// ---------------------------------------------------------------------

#[test]
fn limit_cookie_count_and_size_on_requests() {
    // More than MAX_COOKIES pairs: the rest are not read (no allocation
    // without bound); nothing panics.
    let many: Vec<String> = (0..webob::cookies::MAX_COOKIES + 50)
        .map(|i| format!("c{i}=v"))
        .collect();
    let req = Request::blank("/").with_header("cookie", &many.join("; "));
    let cookies = req.cookies();
    assert!(
        cookies
            .get(&format!("c{}", webob::cookies::MAX_COOKIES - 1))
            .is_some()
    );
    assert!(
        cookies
            .get(&format!("c{}", webob::cookies::MAX_COOKIES + 10))
            .is_none()
    );
}

#[test]
fn limit_accept_entries_are_bounded() {
    let mut header: Vec<String> = (0..webob::accept::MAX_ELEMENTS)
        .map(|i| format!("text/x-{i};q=0.1"))
        .collect();
    header.push("application/json".to_owned());
    let req = Request::blank("/").with_header("accept", &header.join(", "));
    // The element past the limit is not read: JSON is not acceptable.
    assert_eq!(
        req.accept().best_match(&["application/json"], None),
        None,
        "elements past MAX_ELEMENTS were read"
    );
}

#[tokio::test]
async fn limit_many_ranges_or_overlapping_ranges_get_no_multiplied_body() {
    let body = "x".repeat(1000);
    let make = || Response::text(body.clone());
    // Overlapping ranges: the whole body once (200), never 32 copies.
    let overlapping = format!("bytes={}", vec!["0-"; 32].join(","));
    let req = Request::blank("/").with_header("range", &overlapping);
    let response = make().conditional(&req);
    assert_eq!(response.status(), 200);
    let sent = response
        .into_inner()
        .into_body()
        .to_bytes(1 << 20)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1000);
    // More than MAX_RANGES ranges: the header is ignored (200).
    let many: Vec<String> = (0..=webob::range::MAX_RANGES)
        .map(|i| format!("{i}-{i}"))
        .collect();
    let req = Request::blank("/").with_header("range", &format!("bytes={}", many.join(",")));
    assert_eq!(make().conditional(&req).status(), 200);
}

fn multipart(body: String) -> Request {
    Request::blank("/")
        .with_method(paste_core::http::Method::POST)
        .with_header("content-type", "multipart/form-data; boundary=XyZ")
        .with_body(body.into_bytes())
}

#[tokio::test]
async fn limit_multipart_part_headers_count_and_size() {
    // The control: one ordinary part is read.
    let ok =
        "--XyZ\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZ--\r\n".to_owned();
    assert_eq!(
        multipart(ok)
            .post()
            .await
            .unwrap()
            .get("a")
            .map(String::as_str),
        Some("v")
    );
    // Hundreds of header lines in one part: refused, not collected.
    let many: String = (0..500).map(|i| format!("x-h{i}: v\r\n")).collect();
    let body = format!(
        "--XyZ\r\ncontent-disposition: form-data; name=\"a\"\r\n{many}\r\nv\r\n--XyZ--\r\n"
    );
    let err = multipart(body).post().await.unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    // A part whose headers never end, past the multipart size limit.
    let limits = webob::multipart::FormLimits::new().with_max_multipart_size(64 * 1024);
    let body = format!(
        "--XyZ\r\ncontent-disposition: form-data; name=\"a\"\r\nx-big: {}\r\n\r\nv\r\n--XyZ--\r\n",
        "a".repeat(256 * 1024)
    );
    let err = multipart(body)
        .with_form_limits(limits)
        .post()
        .await
        .unwrap_err();
    assert!(matches!(err.status().as_u16(), 400 | 413), "{err}");
}
