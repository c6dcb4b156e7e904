//! Lint: each violation, with its exact message; valid responses pass.

mod server_support;

use std::sync::Mutex;

use paste_core::http::{HeaderName, HeaderValue, StatusCode};
use paste_core::{App, Body, Error, Request, Response, app_fn};
use paste_middleware::lint::Lint;
use server_support::channel_body;

/// A response built by `make` for each call.
fn respond(make: impl Fn() -> Response + Send + Sync + 'static) -> Lint<impl App> {
    Lint::new(app_fn(move |_req: Request| {
        let response = make();
        async move { Ok(response) }
    }))
}

fn response(status: u16, body: &'static str, headers: &[(&'static str, &'static str)]) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    for (name, value) in headers {
        response.headers_mut().append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// Header names and values.
type Headers = Vec<(&'static str, &'static str)>;

fn get() -> Request {
    Request::get("/").body(Body::empty()).unwrap()
}

async fn violation_of(
    status: u16,
    body: &'static str,
    headers: &[(&'static str, &'static str)],
) -> String {
    let headers: Vec<_> = headers.to_vec();
    let app = respond(move || response(status, body, &headers));
    let err = app.call(get()).await.unwrap_err();
    assert_eq!(err.status(), 500);
    err.message().unwrap().to_owned()
}

#[tokio::test]
async fn valid_responses_pass_untouched() {
    let cases: Vec<(u16, &'static str, Headers)> = vec![
        (
            200,
            "hello",
            vec![("content-type", "text/plain"), ("content-length", "5")],
        ),
        (200, "", vec![]),
        (204, "", vec![]),
        (304, "", vec![("content-length", "1234"), ("etag", "\"x\"")]),
        (302, "", vec![("location", "/elsewhere")]),
        (
            404,
            "gone",
            vec![("content-type", "text/html; charset=utf-8")],
        ),
        (101, "", vec![("upgrade", "websocket")]),
    ];
    for (status, body, headers) in cases {
        let app = respond(move || response(status, body, &headers));
        let response = app.call(get()).await.unwrap();
        assert_eq!(response.status(), status);
        let bytes = response.into_body().to_bytes(1024).await.unwrap();
        assert_eq!(bytes, body);
    }
}

#[tokio::test]
async fn status_violations() {
    assert_eq!(
        violation_of(600, "", &[]).await,
        "lint: status 600 is not in 100-599"
    );
    assert_eq!(
        violation_of(103, "", &[]).await,
        "lint: status 103 is informational, not a final response"
    );
    let app = Lint::new(app_fn(|_req: Request| async {
        Err(Error::new(StatusCode::from_u16(999).unwrap()))
    }));
    let err = app.call(get()).await.unwrap_err();
    assert_eq!(
        err.message(),
        Some("lint: the app's error has status 999, not in 100-599")
    );
    // Other errors pass through as they are.
    let app = Lint::new(app_fn(|_req: Request| async {
        Err(Error::new(StatusCode::NOT_FOUND))
    }));
    assert_eq!(app.call(get()).await.unwrap_err().status(), 404);
}

#[tokio::test]
async fn header_violations() {
    let typed = [("content-type", "text/plain")];
    assert_eq!(
        violation_of(
            200,
            "x",
            &[
                ("content-type", "text/plain"),
                ("transfer-encoding", "chunked")
            ]
        )
        .await,
        "lint: the hop-by-hop header Transfer-Encoding is the server's to set, not the app's"
    );
    assert_eq!(
        violation_of(
            200,
            "x",
            &[("content-type", "text/plain"), ("connection", "close")]
        )
        .await,
        "lint: the hop-by-hop header Connection is the server's to set, not the app's"
    );
    assert_eq!(
        violation_of(
            200,
            "hello",
            &[
                ("content-type", "text/plain"),
                ("content-length", "5"),
                ("content-length", "5")
            ]
        )
        .await,
        "lint: 2 Content-Length headers"
    );
    assert_eq!(
        violation_of(
            200,
            "hello",
            &[("content-type", "text/plain"), ("content-length", "five")]
        )
        .await,
        "lint: Content-Length \"five\" is not a number"
    );
    assert_eq!(
        violation_of(204, "", &[("content-length", "0")]).await,
        "lint: a 204 response must not have a Content-Length"
    );
    assert_eq!(
        violation_of(200, "hello", &[]).await,
        "lint: a 200 response with a body has no Content-Type"
    );
    assert_eq!(
        violation_of(200, "hello", &[("content-type", "html")]).await,
        "lint: Content-Type \"html\" is not a media type"
    );
    assert_eq!(
        violation_of(301, "", &typed).await,
        "lint: a 301 redirect has no Location"
    );
    assert_eq!(
        violation_of(302, "", &[("location", "")]).await,
        "lint: Location is empty"
    );
    assert_eq!(
        violation_of(302, "", &[("location", "/a b")]).await,
        "lint: Location \"/a b\" has a space in it"
    );
    assert_eq!(
        violation_of(302, "", &[("location", "/a"), ("location", "/b")]).await,
        "lint: 2 Location headers"
    );
}

#[tokio::test]
async fn bodies_where_none_is_allowed() {
    assert_eq!(
        violation_of(204, "oops", &[]).await,
        "lint: a 204 response must have no body, but it has 4 bytes"
    );
    assert_eq!(
        violation_of(304, "oops", &[]).await,
        "lint: a 304 response must have no body, but it has 4 bytes"
    );
    let app = respond(|| response(200, "body", &[("content-type", "text/plain")]));
    let head = Request::head("/").body(Body::empty()).unwrap();
    let err = app.call(head).await.unwrap_err();
    assert_eq!(
        err.message(),
        Some("lint: the response to a HEAD request must have no body, but it has 4 bytes")
    );
    let lenient = Lint::new(app_fn(|_req: Request| async {
        Ok(response(200, "body", &[("content-type", "text/plain")]))
    }))
    .allow_head_body(true);
    let head = Request::head("/").body(Body::empty()).unwrap();
    assert!(lenient.call(head).await.is_ok());
    // A HEAD response announces the GET's length without a body.
    let app = respond(|| {
        response(
            200,
            "",
            &[("content-type", "text/plain"), ("content-length", "99")],
        )
    });
    let head = Request::head("/").body(Body::empty()).unwrap();
    assert!(app.call(head).await.is_ok());
}

#[tokio::test]
async fn a_known_length_is_checked_before_streaming() {
    assert_eq!(
        violation_of(
            200,
            "Hello, World!",
            &[("content-type", "text/plain"), ("content-length", "5")]
        )
        .await,
        "lint: Content-Length is 5 but the body has 13 bytes"
    );
}

/// An app whose body is streamed through a channel, with these headers.
fn streaming(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
) -> (tokio::sync::mpsc::Sender<&'static str>, Lint<impl App>) {
    let (tx, body) = channel_body();
    let body = Mutex::new(Some(body));
    let app = Lint::new(app_fn(move |_req: Request| {
        let body = body.lock().unwrap().take().unwrap_or_default();
        async move {
            let mut response = Response::new(body);
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            for (name, value) in headers {
                response.headers_mut().append(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            Ok(response)
        }
    }));
    (tx, app)
}

async fn stream_error(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    chunks: &[&'static str],
) -> Option<String> {
    let (tx, app) = streaming(status, headers);
    let response = app.call(get()).await.unwrap();
    for chunk in chunks {
        tx.send(chunk).await.unwrap();
    }
    drop(tx);
    match response.into_body().to_bytes(1024).await {
        Ok(_) => None,
        Err(err) => {
            assert_eq!(err.status(), 500);
            Some(err.message().unwrap().to_owned())
        }
    }
}

#[tokio::test]
async fn a_streamed_length_is_checked_as_it_streams() {
    const TYPED_5: &[(&str, &str)] = &[("content-type", "text/plain"), ("content-length", "5")];
    assert_eq!(stream_error(200, TYPED_5, &["he", "llo"]).await, None);
    assert_eq!(
        stream_error(200, TYPED_5, &["hel", "lo, World"])
            .await
            .as_deref(),
        Some("lint: Content-Length is 5 but the body had at least 12 bytes")
    );
    assert_eq!(
        stream_error(200, TYPED_5, &["hel"]).await.as_deref(),
        Some("lint: Content-Length is 5 but the body had 3 bytes")
    );
    assert_eq!(
        stream_error(200, &[], &["data"]).await.as_deref(),
        Some("lint: a 200 response with a body has no Content-Type")
    );
    assert_eq!(stream_error(200, &[], &[]).await, None);
    assert_eq!(
        stream_error(304, &[], &["", "late"]).await.as_deref(),
        Some("lint: a 304 response must have no body, but it sent data")
    );
}
