//! Query strings and urlencoded form bodies: GET, POST and params.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Method;
use paste_core::{Body, Error};
use webob::Request;
use webob::multipart::FormLimits;

/// A stream of chunks that is `Pending` once before each chunk, the way a
/// socket is.
struct Chunks {
    chunks: VecDeque<Bytes>,
    ready: bool,
}

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        Poll::Ready(self.chunks.pop_front().map(Ok))
    }
}

/// A body sent in chunks of `size` bytes.
fn chunked(body: &[u8], size: usize) -> Body {
    let chunks = body.chunks(size).map(Bytes::copy_from_slice).collect();
    Body::from_stream(Chunks {
        chunks,
        ready: false,
    })
}

fn request(method: &str, target: &str, content_type: Option<&str>, body: &[u8]) -> Request {
    let mut builder = http::Request::builder().method(method).uri(target);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    Request::new(builder.body(chunked(body, 3)).unwrap())
}

fn pairs(d: &webob::MultiDict<String>) -> Vec<(&str, &str)> {
    d.iter().map(|(k, v)| (k, v.as_str())).collect()
}

fn get(target: &str) -> Result<Vec<(String, String)>, Error> {
    Ok(Request::blank(target).get_params()?.into_iter().collect())
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn query_duplicates_and_order_are_kept() {
    let req = Request::blank("/?b=1&a=2&b=3");
    let params = req.get_params().unwrap();
    assert_eq!(pairs(&params), [("b", "1"), ("a", "2"), ("b", "3")]);
    assert_eq!(params.get("b").unwrap(), "3");
    assert!(params.get_one("b").is_err());
}

#[test]
fn query_empty_values_and_bare_keys() {
    assert_eq!(
        get("/?a=&b&=c&&d=").unwrap(),
        owned(&[("a", ""), ("b", ""), ("", "c"), ("d", "")])
    );
    assert!(get("/").unwrap().is_empty());
    assert!(get("/?").unwrap().is_empty());
    assert!(get("/?&&;;").unwrap().is_empty());
}

#[test]
fn query_plus_is_a_space_and_percent_2b_a_plus() {
    assert_eq!(
        get("/?q=a+b%20c%2Bd&x+y=1").unwrap(),
        owned(&[("q", "a b c+d"), ("x y", "1")])
    );
}

#[test]
fn query_semicolon_separates_pairs() {
    assert_eq!(
        get("/?a=1;b=2&c=3").unwrap(),
        owned(&[("a", "1"), ("b", "2"), ("c", "3")])
    );
    assert_eq!(get("/?a=%3B").unwrap(), owned(&[("a", ";")]));
}

#[test]
fn query_equals_in_a_value_is_kept() {
    assert_eq!(get("/?a=b=c").unwrap(), owned(&[("a", "b=c")]));
}

#[test]
fn query_unicode_is_decoded() {
    assert_eq!(
        get("/?name=Zo%C3%AB&%E6%97%A5=%F0%9F%A6%80").unwrap(),
        owned(&[("name", "Zoë"), ("日", "🦀")])
    );
}

#[test]
fn query_bad_escapes_are_400_naming_the_parameter() {
    for target in ["/?name=%zz", "/?name=%4", "/?name=abc%", "/?name=%4g"] {
        let err = get(target).unwrap_err();
        assert_eq!(err.status(), 400, "{target}");
        assert!(
            err.message().unwrap().contains("\"name\""),
            "{target}: {err}"
        );
    }
    let err = get("/?ok=1&na%zzme=1").unwrap_err();
    assert!(err.message().unwrap().contains("na%zzme"), "{err}");
}

#[test]
fn query_bad_utf8_is_400() {
    let err = get("/?name=%FF").unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.message().unwrap().contains("\"name\""), "{err}");
    let err = get("/?%C3=1").unwrap_err();
    assert_eq!(err.status(), 400);
    // A sequence cut in two is bad too.
    assert_eq!(get("/?a=%E6%97").unwrap_err().status(), 400);
}

#[test]
fn query_too_many_fields_is_400() {
    let target = format!("/?{}", vec!["a=1"; 1001].join("&"));
    assert_eq!(get(&target).unwrap_err().status(), 400);
    let target = format!("/?{}", vec!["a=1"; 1000].join("&"));
    assert_eq!(get(&target).unwrap().len(), 1000);
    let req = Request::blank("/?a&b&c").with_form_limits(FormLimits::new().with_max_fields(2));
    assert_eq!(req.get_params().unwrap_err().status(), 400);
}

#[test]
fn query_field_over_the_size_limit_is_413() {
    let limits = FormLimits::new().with_max_field_size(10);
    let req = Request::blank("/?short=1&long=0123456789").with_form_limits(limits);
    let err = req.get_params().unwrap_err();
    assert_eq!(err.status(), 413);
    assert!(err.message().unwrap().contains("\"long\""), "{err}");
}

#[tokio::test]
async fn post_urlencoded_streamed_in_chunks() {
    let body = b"a=1&b=caf%C3%A9&a=2;c&d=x+y%20z";
    let mut req = request(
        "POST",
        "/?a=0",
        Some("application/x-www-form-urlencoded"),
        body,
    );
    let post = req.post().await.unwrap();
    assert_eq!(
        pairs(post),
        [
            ("a", "1"),
            ("b", "café"),
            ("a", "2"),
            ("c", ""),
            ("d", "x y z")
        ]
    );
    // Cached, and the body is still there for other readers.
    assert_eq!(req.post().await.unwrap().len(), 5);
    assert_eq!(req.body().await.unwrap(), &body[..]);
    assert!(req.files().await.unwrap().is_empty());
}

#[tokio::test]
async fn params_are_get_then_post() {
    let mut req = request(
        "POST",
        "/?a=get&g=1",
        Some("application/x-www-form-urlencoded"),
        b"a=post&p=2",
    );
    let params = req.params().await.unwrap();
    assert_eq!(
        pairs(&params),
        [("a", "get"), ("g", "1"), ("a", "post"), ("p", "2")]
    );
    assert_eq!(params.get("a").unwrap(), "post");
    assert_eq!(params.get_all("a").collect::<Vec<_>>(), ["get", "post"]);
}

#[tokio::test]
async fn params_fail_on_a_bad_query() {
    let mut req = Request::blank("/?a=%zz").with_form(&[("b", "1")]);
    assert_eq!(req.params().await.unwrap_err().status(), 400);
}

#[tokio::test]
async fn post_without_content_type_is_urlencoded() {
    let mut req = request("POST", "/", None, b"a=1");
    assert_eq!(pairs(req.post().await.unwrap()), [("a", "1")]);
}

#[tokio::test]
async fn put_and_patch_with_a_form_type_are_parsed() {
    for method in ["PUT", "PATCH"] {
        let mut req = request(
            method,
            "/",
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"a=1",
        );
        assert_eq!(pairs(req.post().await.unwrap()), [("a", "1")], "{method}");
    }
    let mut req = Request::blank("/")
        .with_method(Method::PUT)
        .with_form(&[("x", "y")]);
    assert_eq!(req.method(), Method::PUT);
    assert_eq!(pairs(req.post().await.unwrap()), [("x", "y")]);
}

#[tokio::test]
async fn put_without_a_form_type_is_not_parsed() {
    let mut req = request("PUT", "/", None, b"a=1");
    assert!(req.post().await.unwrap().is_empty());
    // The body is left alone.
    assert_eq!(req.body().await.unwrap(), "a=1");
}

#[tokio::test]
async fn get_with_a_form_type_is_not_parsed() {
    let mut req = request(
        "GET",
        "/?q=1",
        Some("application/x-www-form-urlencoded"),
        b"a=1",
    );
    assert!(req.form().await.unwrap().is_empty());
    assert_eq!(pairs(&req.params().await.unwrap()), [("q", "1")]);
    let mut req = request(
        "DELETE",
        "/",
        Some("application/x-www-form-urlencoded"),
        b"a=1",
    );
    assert!(req.post().await.unwrap().is_empty());
}

#[tokio::test]
async fn other_content_types_are_not_parsed() {
    let mut req = request("POST", "/", Some("application/json"), b"{\"a\":1}");
    assert!(req.post().await.unwrap().is_empty());
    assert_eq!(req.body().await.unwrap(), "{\"a\":1}");
}

#[tokio::test]
async fn an_empty_body_is_an_empty_form() {
    let mut req = request("POST", "/", Some("application/x-www-form-urlencoded"), b"");
    assert!(req.form().await.unwrap().is_empty());
    let mut req = Request::blank("/").with_form(&[]);
    assert!(req.post().await.unwrap().is_empty());
}

#[tokio::test]
async fn post_bad_escapes_and_bytes_are_400() {
    for body in [&b"name=%zz"[..], b"name=%4", b"name=%FF", b"name=\xff"] {
        let mut req = request("POST", "/", Some("application/x-www-form-urlencoded"), body);
        let err = req.post().await.unwrap_err();
        assert_eq!(err.status(), 400, "{body:?}");
        assert!(err.message().unwrap().contains("\"name\""), "{err}");
    }
}

#[tokio::test]
async fn post_in_latin1_is_decoded() {
    let mut req = request(
        "POST",
        "/",
        Some("application/x-www-form-urlencoded; charset=ISO-8859-1"),
        b"n=%E9t%E9&m=\xe9",
    );
    assert_eq!(pairs(req.post().await.unwrap()), [("n", "été"), ("m", "é")]);
    let mut req = request(
        "POST",
        "/",
        Some("application/x-www-form-urlencoded; charset=koi8-r"),
        b"n=1",
    );
    assert_eq!(req.post().await.unwrap_err().status(), 415);
}

#[tokio::test]
async fn post_too_many_fields_is_400() {
    let body = vec!["k=v"; 1001].join("&");
    let mut req = request(
        "POST",
        "/",
        Some("application/x-www-form-urlencoded"),
        body.as_bytes(),
    );
    assert_eq!(req.post().await.unwrap_err().status(), 400);
}

#[tokio::test]
async fn post_field_over_the_size_limit_is_413() {
    let body = format!("small=1&big={}", "x".repeat(2 * 1024 * 1024));
    let mut req = request(
        "POST",
        "/",
        Some("application/x-www-form-urlencoded"),
        body.as_bytes(),
    )
    .with_body_limit(10 * 1024 * 1024);
    let err = req.post().await.unwrap_err();
    assert_eq!(err.status(), 413);
    assert!(err.message().unwrap().contains("\"big\""), "{err}");
}

#[tokio::test]
async fn post_body_over_the_body_limit_is_413() {
    let mut req = request(
        "POST",
        "/",
        Some("application/x-www-form-urlencoded"),
        &[b'a'; 100],
    )
    .with_body_limit(50);
    assert_eq!(req.post().await.unwrap_err().status(), 413);
}

#[tokio::test]
async fn with_form_round_trips_awkward_text() {
    let sent = [
        ("a b", "c+d"),
        ("&=;", "%zz"),
        ("", ""),
        ("日本", "🦀\u{0}"),
        ("a", "1"),
        ("a", "2"),
    ];
    let mut req = Request::blank("/").with_form(&sent);
    assert_eq!(req.method(), Method::POST);
    assert_eq!(req.content_type(), "application/x-www-form-urlencoded");
    let len = req.body().await.unwrap().len();
    assert_eq!(req.content_length(), Some(len as u64));
    assert_eq!(pairs(req.post().await.unwrap()), sent);
}

#[tokio::test]
async fn the_form_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mut req = Request::blank("/").with_form(&[("a", "1")]);
    let future = req.form();
    assert_send(&future);
    future.await.unwrap();
}
