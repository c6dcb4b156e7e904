//! `Response::conditional`: preconditions in RFC 9110 order, ranges on
//! in-memory and streamed bodies.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use paste_core::Body;
use paste_core::http::{Method, StatusCode};
use webob::etag::ETag;
use webob::{Request, Response};

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn base() -> Response {
    let mut r = Response::text("0123456789");
    r.set_etag(&ETag::strong("v1"));
    r.set_last_modified(t(1_000_000_000));
    r.set_header("cache-control", "max-age=60").unwrap();
    r.set_header("vary", "Accept").unwrap();
    r
}

fn get(headers: &[(&str, &str)]) -> Request {
    headers
        .iter()
        .fold(Request::blank("/"), |req, (n, v)| req.with_header(n, v))
}

async fn body(mut r: Response) -> Bytes {
    r.body_bytes(1 << 20).await.unwrap()
}

#[tokio::test]
async fn if_none_match_gives_304_keeping_cache_headers() {
    let r = base().conditional(&get(&[("if-none-match", "\"other\", W/\"v1\"")]));
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    for kept in ["etag", "last-modified", "cache-control", "vary"] {
        assert!(r.headers().contains_key(kept), "{kept}");
    }
    assert!(!r.headers().contains_key("content-type"));
    assert!(!r.headers().contains_key("content-length"));
    assert!(body(r).await.is_empty());
}

#[tokio::test]
async fn star_matches_and_non_matching_lists_do_not() {
    assert_eq!(
        base().conditional(&get(&[("if-none-match", "*")])).status(),
        304
    );
    let r = base().conditional(&get(&[("if-none-match", "\"v2\"")]));
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await, "0123456789");
}

#[tokio::test]
async fn if_none_match_on_post_is_412() {
    let req = get(&[("if-none-match", "*")]).with_method(Method::POST);
    assert_eq!(base().conditional(&req).status(), 412);
    let req = get(&[("if-none-match", "\"v1\"")]).with_method(Method::PUT);
    assert_eq!(base().conditional(&req).status(), 412);
}

#[tokio::test]
async fn if_modified_since_equal_or_later_is_304_earlier_is_200() {
    let lm = "Sun, 09 Sep 2001 01:46:40 GMT";
    assert_eq!(
        base()
            .conditional(&get(&[("if-modified-since", lm)]))
            .status(),
        304
    );
    let later = webob::fmt_http_date(t(1_000_000_500));
    assert_eq!(
        base()
            .conditional(&get(&[("if-modified-since", &later)]))
            .status(),
        304
    );
    let earlier = webob::fmt_http_date(t(999_999_999));
    assert_eq!(
        base()
            .conditional(&get(&[("if-modified-since", &earlier)]))
            .status(),
        200
    );
    // Garbage is ignored, not a 400.
    assert_eq!(
        base()
            .conditional(&get(&[("if-modified-since", "yesterday")]))
            .status(),
        200
    );
    // If-None-Match wins over If-Modified-Since when present.
    let req = get(&[("if-none-match", "\"v2\""), ("if-modified-since", lm)]);
    assert_eq!(base().conditional(&req).status(), 200);
    // Not for POST.
    let req = get(&[("if-modified-since", lm)]).with_method(Method::POST);
    assert_eq!(base().conditional(&req).status(), 200);
}

#[tokio::test]
async fn if_match_uses_strong_comparison() {
    assert_eq!(
        base().conditional(&get(&[("if-match", "\"v1\"")])).status(),
        200
    );
    assert_eq!(
        base()
            .conditional(&get(&[("if-match", "W/\"v1\"")]))
            .status(),
        412
    );
    assert_eq!(
        base().conditional(&get(&[("if-match", "\"v0\"")])).status(),
        412
    );
    assert_eq!(base().conditional(&get(&[("if-match", "*")])).status(), 200);
    let mut weak = base();
    weak.set_etag(&ETag::weak("v1"));
    assert_eq!(
        weak.conditional(&get(&[("if-match", "\"v1\"")])).status(),
        412
    );
    // No ETag at all: a list can't match.
    assert_eq!(
        Response::text("x")
            .conditional(&get(&[("if-match", "\"v1\"")]))
            .status(),
        412
    );
}

#[tokio::test]
async fn if_unmodified_since() {
    let older = webob::fmt_http_date(t(999_999_999));
    assert_eq!(
        base()
            .conditional(&get(&[("if-unmodified-since", &older)]))
            .status(),
        412
    );
    let same = webob::fmt_http_date(t(1_000_000_000));
    assert_eq!(
        base()
            .conditional(&get(&[("if-unmodified-since", &same)]))
            .status(),
        200
    );
    // If-Match present: If-Unmodified-Since is not looked at.
    let req = get(&[("if-match", "\"v1\""), ("if-unmodified-since", &older)]);
    assert_eq!(base().conditional(&req).status(), 200);
}

#[tokio::test]
async fn only_2xx_responses_are_touched() {
    let mut r = base();
    r.set_status(StatusCode::NOT_FOUND);
    assert_eq!(r.conditional(&get(&[("if-none-match", "*")])).status(), 404);
    let mut r = base();
    r.set_status(StatusCode::CREATED);
    // 201: preconditions yes, ranges no.
    assert_eq!(r.conditional(&get(&[("range", "bytes=0-1")])).status(), 201);
}

#[tokio::test]
async fn ranges_on_a_bytes_body() {
    let r = base().conditional(&get(&[("range", "bytes=-5")]));
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 5-9/10");
    assert_eq!(r.headers()["content-length"], "5");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(body(r).await, "56789");

    let r = base().conditional(&get(&[("range", "bytes=5-")]));
    assert_eq!(body(r).await, "56789");
    let r = base().conditional(&get(&[("range", "bytes=8-100")]));
    assert_eq!(r.headers()["content-range"], "bytes 8-9/10");
    assert_eq!(body(r).await, "89");

    let r = base().conditional(&get(&[("range", "bytes=9999-")]));
    assert_eq!(r.status(), 416);
    assert_eq!(r.headers()["content-range"], "bytes */10");

    // Malformed or foreign units: the whole body.
    for ignored in ["bytes=5-2", "items=0-1", "bytes=x", "bytes=0-1,0-5"] {
        let r = base().conditional(&get(&[("range", ignored)]));
        assert_eq!(r.status(), 200, "{ignored}");
        assert_eq!(r.headers()["accept-ranges"], "bytes");
        assert_eq!(body(r).await, "0123456789", "{ignored}");
    }
    // Only GET.
    let req = get(&[("range", "bytes=0-1")]).with_method(Method::HEAD);
    assert_eq!(base().conditional(&req).status(), 200);
}

#[tokio::test]
async fn if_range() {
    let ok = base().conditional(&get(&[("range", "bytes=0-1"), ("if-range", "\"v1\"")]));
    assert_eq!(ok.status(), 206);
    let stale = base().conditional(&get(&[("range", "bytes=0-1"), ("if-range", "\"v0\"")]));
    assert_eq!(stale.status(), 200);
    assert_eq!(body(stale).await, "0123456789");
    let weak = base().conditional(&get(&[("range", "bytes=0-1"), ("if-range", "W/\"v1\"")]));
    assert_eq!(weak.status(), 200);
    let date = base().conditional(&get(&[
        ("range", "bytes=0-1"),
        ("if-range", "Sun, 09 Sep 2001 01:46:40 GMT"),
    ]));
    assert_eq!(date.status(), 206);
    let other_date = base().conditional(&get(&[
        ("range", "bytes=0-1"),
        ("if-range", "Sun, 09 Sep 2001 01:46:41 GMT"),
    ]));
    assert_eq!(other_date.status(), 200);
    let junk = base().conditional(&get(&[("range", "bytes=0-1"), ("if-range", "junk")]));
    assert_eq!(junk.status(), 200);
}

/// Splits a multipart/byteranges body into (headers, payload) parts.
fn parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .to_owned();
    let text = body.to_vec();
    let delim = format!("--{boundary}");
    let mut out = Vec::new();
    let s = String::from_utf8(text).unwrap();
    assert!(s.ends_with(&format!("\r\n--{boundary}--\r\n")), "{s:?}");
    for chunk in s.split(&delim).skip(1) {
        if chunk.starts_with("--") {
            break;
        }
        let chunk = chunk.strip_prefix("\r\n").unwrap();
        let chunk = chunk.strip_suffix("\r\n").unwrap();
        let (head, payload) = chunk.split_once("\r\n\r\n").unwrap();
        out.push((head.to_owned(), payload.as_bytes().to_vec()));
    }
    out
}

#[tokio::test]
async fn several_ranges_make_a_multipart_body() {
    let r = base().conditional(&get(&[("range", "bytes=7-8, 0-1, -1")]));
    assert_eq!(r.status(), 206);
    assert!(!r.headers().contains_key("content-range"));
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("multipart/byteranges; boundary="), "{ct}");
    let declared: usize = r.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = body(r).await;
    assert_eq!(bytes.len(), declared);
    let parts = parts(&ct, &bytes);
    assert_eq!(parts.len(), 3);
    let expect = [("0-1", "01"), ("7-8", "78"), ("9-9", "9")];
    for ((head, payload), (range, data)) in parts.iter().zip(expect) {
        assert!(
            head.contains("Content-Type: text/plain; charset=UTF-8"),
            "{head}"
        );
        assert!(
            head.contains(&format!("Content-Range: bytes {range}/10")),
            "{head}"
        );
        assert_eq!(payload, data.as_bytes());
    }
}

#[tokio::test]
async fn a_streamed_body_is_sliced_as_it_streams() {
    let chunks: Vec<Result<Bytes, std::io::Error>> = ["012", "3456", "", "789"]
        .into_iter()
        .map(|s| Ok(Bytes::from(s)))
        .collect();
    let stream = Body::from_stream(Iter(chunks.into_iter()));
    let mut r = base();
    r.set_body_stream(stream);
    r.set_header("content-length", "10").unwrap();
    let r = r.conditional(&get(&[("range", "bytes=2-4,8-")]));
    assert_eq!(r.status(), 206);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    let bytes = body(r).await;
    let parts = parts(&ct, &bytes);
    assert_eq!(parts[0].1, b"234");
    assert_eq!(parts[1].1, b"89");

    // Without a Content-Length the length is unknown: no ranges.
    let mut r = base();
    r.set_body_stream(Body::from_stream(Iter(
        vec![Ok::<_, std::io::Error>(Bytes::from("0123456789"))].into_iter(),
    )));
    let r = r.conditional(&get(&[("range", "bytes=0-1")]));
    assert_eq!(r.status(), 200);
    assert!(!r.headers().contains_key("accept-ranges"));
}

#[test]
fn preconditions_can_be_checked_before_acting() {
    let etag = ETag::strong("v1");
    let req = get(&[("if-match", "\"v1\"")]).with_method(Method::DELETE);
    assert_eq!(req.evaluate_preconditions(Some(&etag), None), None);
    let req = get(&[("if-none-match", "*")]).with_method(Method::PUT);
    assert_eq!(
        req.evaluate_preconditions(Some(&etag), None),
        Some(StatusCode::PRECONDITION_FAILED)
    );
    let req = get(&[("if-none-match", "\"v1\"")]);
    assert_eq!(
        req.evaluate_preconditions(Some(&etag), None),
        Some(StatusCode::NOT_MODIFIED)
    );
}

struct Iter<I>(I);

impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
    type Item = I::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<I::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}
