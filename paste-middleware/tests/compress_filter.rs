//! FilterApp: which responses are filtered, decoding and re-encoding
//! (charset, gzip), the headers fixed, and the size limit.

mod server_support;

use paste_core::http::{HeaderName, HeaderValue, StatusCode};
use paste_core::{App, Body, Request, Response, app_fn};
use paste_middleware::filter::{BodyFilter, FilterApp};
use paste_middleware::gzip::Gzip;
use server_support::gunzip;

struct Shout;

impl BodyFilter for Shout {
    fn wants(&self, content_type: &str) -> bool {
        content_type == "text/html"
    }
    fn filter(&self, text: String) -> String {
        text.replace("é", "É").replace("hello", "HELLO") + "€"
    }
}

struct Upper;

impl BodyFilter for Upper {
    fn wants(&self, content_type: &str) -> bool {
        content_type.starts_with("text/")
    }
    fn filter(&self, text: String) -> String {
        text.to_uppercase()
    }
}

fn fixed(
    status: u16,
    body: &'static [u8],
    headers: &'static [(&'static str, &'static str)],
) -> impl App {
    app_fn(move |_req: Request| async move {
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        for (name, value) in headers {
            response.headers_mut().append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        Ok(response)
    })
}

async fn run(app: &impl App, method: &str) -> (paste_core::http::HeaderMap, StatusCode, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri("/")
        .body(Body::empty())
        .unwrap();
    let response = app.call(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.to_bytes(1 << 20).await.unwrap().to_vec();
    (parts.headers, parts.status, bytes)
}

#[tokio::test]
async fn utf8_html_is_filtered_and_headers_fixed() {
    let app = FilterApp::new(
        fixed(
            200,
            "<p>hello café</p>".as_bytes(),
            &[
                ("content-type", "Text/HTML; charset=UTF-8"),
                ("content-length", "18"),
                ("etag", "\"strong\""),
                ("accept-ranges", "bytes"),
            ],
        ),
        Shout,
    );
    let (headers, _, body) = run(&app, "GET").await;
    let expected = "<p>HELLO cafÉ</p>€";
    assert_eq!(body, expected.as_bytes());
    assert_eq!(headers["content-length"], expected.len().to_string());
    assert!(headers.get("etag").is_none());
    assert!(headers.get("accept-ranges").is_none());
}

#[tokio::test]
async fn weak_etags_are_kept() {
    let app = FilterApp::new(
        fixed(
            200,
            b"hello",
            &[("content-type", "text/html"), ("etag", "W/\"w\"")],
        ),
        Shout,
    );
    let (headers, _, body) = run(&app, "GET").await;
    assert_eq!(body, "HELLO€".as_bytes());
    assert_eq!(headers["etag"], "W/\"w\"");
}

#[tokio::test]
async fn other_responses_pass_through() {
    let cases: [(u16, &'static [(&'static str, &'static str)]); 5] = [
        (200, &[("content-type", "text/plain")]),
        (404, &[("content-type", "text/html")]),
        (200, &[("content-type", "text/html; charset=shift_jis")]),
        (
            200,
            &[("content-type", "text/html"), ("content-encoding", "br")],
        ),
        (200, &[]),
    ];
    for (status, headers) in cases {
        let app = FilterApp::new(fixed(status, b"hello", headers), Shout);
        let (_, got_status, body) = run(&app, "GET").await;
        assert_eq!(got_status, status);
        assert_eq!(body, b"hello", "{headers:?}");
    }
    let app = FilterApp::new(fixed(200, b"", &[("content-type", "text/html")]), Shout);
    let (_, _, body) = run(&app, "HEAD").await;
    assert_eq!(body, b"");
}

#[tokio::test]
async fn all_statuses_filters_error_pages_too() {
    let app = FilterApp::new(
        fixed(404, b"hello", &[("content-type", "text/html")]),
        Shout,
    )
    .all_statuses(true);
    let (_, status, body) = run(&app, "GET").await;
    assert_eq!(status, 404);
    assert_eq!(body, "HELLO€".as_bytes());
}

#[tokio::test]
async fn invalid_utf8_passes_through_unfiltered() {
    let app = FilterApp::new(
        fixed(200, b"hello \xff", &[("content-type", "text/html")]),
        Shout,
    );
    let (_, _, body) = run(&app, "GET").await;
    assert_eq!(body, b"hello \xff");
}

#[tokio::test]
async fn latin1_stays_latin1_when_it_can() {
    let app = FilterApp::new(
        fixed(
            200,
            b"caf\xe9",
            &[("content-type", "text/plain; charset=ISO-8859-1")],
        ),
        Upper,
    );
    let (headers, _, body) = run(&app, "GET").await;
    assert_eq!(body, b"CAF\xc9");
    assert_eq!(headers["content-type"], "text/plain; charset=ISO-8859-1");

    // The euro sign does not fit: the body becomes UTF-8, and says so.
    let app = FilterApp::new(
        fixed(
            200,
            b"hello caf\xe9",
            &[("content-type", "text/html;charset=latin1")],
        ),
        Shout,
    );
    let (headers, _, body) = run(&app, "GET").await;
    assert_eq!(body, "HELLO cafÉ€".as_bytes());
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
}

#[tokio::test]
async fn gzipped_bodies_are_decoded_and_recompressed() {
    let inner = Gzip::new(fixed(
        200,
        b"hello hello hello hello hello hello hello hello hello hello",
        &[("content-type", "text/html")],
    ))
    .min_size(0);
    let app = FilterApp::new(inner, Shout);
    let req = Request::get("/")
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let response = app.call(req).await.unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let len: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = response.into_body().to_bytes(1 << 20).await.unwrap();
    assert_eq!(body.len(), len);
    let expected = "HELLO ".repeat(9) + "HELLO€";
    assert_eq!(gunzip(&body), expected.as_bytes());
}

#[tokio::test]
async fn bodies_over_the_limit_stream_through_whole() {
    let big: &'static [u8] = Box::leak("hello ".repeat(100).into_bytes().into_boxed_slice());
    let app = FilterApp::new(fixed(200, big, &[("content-type", "text/html")]), Shout).limit(100);
    let (_, _, body) = run(&app, "GET").await;
    assert_eq!(body, big);

    // A streamed one: read past the limit, then passed on, nothing lost.
    let app = FilterApp::new(
        app_fn(|_req: Request| async {
            let chunks: Vec<Result<&'static str, std::convert::Infallible>> =
                vec![Ok("hello "); 50];
            let mut response = Response::new(Body::from_stream(Iter(chunks.into_iter())));
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html"));
            Ok(response)
        }),
        Shout,
    )
    .limit(100);
    let (_, _, body) = run(&app, "GET").await;
    assert_eq!(body, "hello ".repeat(50).as_bytes());

    // A gzip bomb: small compressed, large once decoded.
    let bomb: &'static [u8] = {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![b'a'; 1 << 20]).unwrap();
        Box::leak(encoder.finish().unwrap().into_boxed_slice())
    };
    let app = FilterApp::new(
        fixed(
            200,
            bomb,
            &[("content-type", "text/html"), ("content-encoding", "gzip")],
        ),
        Shout,
    )
    .limit(64 * 1024);
    let (_, _, body) = run(&app, "GET").await;
    assert_eq!(body, bomb);
}

/// A stream of an iterator's items.
struct Iter<I>(I);

impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
    type Item = I::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<I::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}
