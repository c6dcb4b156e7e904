//! Cascade through real requests.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use paste_core::http::StatusCode;
use paste_core::{App, Body, BoxApp, Error, Request, RequestExt, Response, app_fn};
use paste_middleware::cascade::Cascade;

/// An app that reads the whole body, records it, and answers `status`.
fn recorder(status: u16, seen: Arc<std::sync::Mutex<Vec<Bytes>>>) -> BoxApp {
    BoxApp::new(app_fn(move |req: Request| {
        let seen = Arc::clone(&seen);
        async move {
            let body = req.into_body().to_bytes(1 << 30).await?;
            seen.lock().unwrap().push(body.clone());
            let mut response = Response::new(format!("{status}:{}", body.len()).into());
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            Ok(response)
        }
    }))
}

fn status_app(status: u16, name: &'static str) -> BoxApp {
    BoxApp::new(app_fn(move |_req| async move {
        let mut response = Response::new(name.into());
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        Ok(response)
    }))
}

fn error_app(status: u16) -> BoxApp {
    BoxApp::new(app_fn(move |_req| async move {
        Err(Error::new(StatusCode::from_u16(status).unwrap()))
    }))
}

async fn text(response: Response) -> String {
    let bytes = response.into_body().to_bytes(1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn get(path: &str) -> Request {
    Request::get(path).body(Body::empty()).unwrap()
}

/// A body that arrives in several chunks with no length announced, like a
/// chunked upload.
fn chunked(chunks: Vec<Bytes>) -> Body {
    struct Chunks(std::vec::IntoIter<Bytes>);
    impl futures_core::Stream for Chunks {
        type Item = Result<Bytes, Infallible>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.0.next().map(Ok))
        }
    }
    Body::from_stream(Chunks(chunks.into_iter()))
}

#[tokio::test]
async fn the_first_answer_not_caught_wins() {
    let cascade = Cascade::new(vec![
        status_app(404, "a"),
        status_app(200, "b"),
        status_app(200, "c"),
    ]);
    let response = cascade.call(get("/")).await.unwrap();
    assert_eq!(text(response).await, "b");
}

#[tokio::test]
async fn the_last_answer_is_returned_whatever_it_is() {
    let cascade = Cascade::new(vec![status_app(404, "a"), status_app(404, "last")]);
    let response = cascade.call(get("/")).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(text(response).await, "last");

    let cascade = Cascade::new(vec![status_app(404, "a"), error_app(404)]);
    assert_eq!(cascade.call(get("/")).await.unwrap_err().status(), 404);
}

#[tokio::test]
async fn errors_with_a_caught_status_move_on_and_others_do_not() {
    let cascade = Cascade::new(vec![error_app(404), status_app(200, "ok")]);
    assert_eq!(text(cascade.call(get("/")).await.unwrap()).await, "ok");

    let cascade = Cascade::new(vec![error_app(500), status_app(200, "ok")]);
    assert_eq!(cascade.call(get("/")).await.unwrap_err().status(), 500);

    // A 403 is not caught by default.
    let cascade = Cascade::new(vec![status_app(403, "no"), status_app(200, "ok")]);
    assert_eq!(text(cascade.call(get("/")).await.unwrap()).await, "no");
}

#[tokio::test]
async fn the_catch_set_is_configurable() {
    let cascade = Cascade::new(vec![
        status_app(403, "forbidden"),
        error_app(404),
        status_app(200, "ok"),
    ])
    .catch([StatusCode::FORBIDDEN]);
    // 403 is caught; 404 no longer is.
    assert_eq!(cascade.call(get("/")).await.unwrap_err().status(), 404);
}

/// Paste's cascade only buffered bodies with a Content-Length; this one
/// replays any body, chunked included, to every app.
#[tokio::test]
async fn a_post_body_is_replayed_to_each_app() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let cascade = Cascade::new(vec![
        recorder(404, Arc::clone(&seen)),
        recorder(404, Arc::clone(&seen)),
        recorder(201, Arc::clone(&seen)),
    ]);
    let payload: Vec<Bytes> = vec!["name=".into(), "value&".into(), "x=1".into()];
    let req = Request::post("/form")
        .body(chunked(payload.clone()))
        .unwrap();
    let response = cascade.call(req).await.unwrap();
    assert_eq!(response.status(), 201);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for body in seen.iter() {
        assert_eq!(body, "name=value&x=1");
    }
}

#[tokio::test]
async fn a_large_body_spills_to_disk_and_is_replayed_whole() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let cascade = Cascade::new(vec![
        recorder(404, Arc::clone(&seen)),
        recorder(200, Arc::clone(&seen)),
    ])
    .memory_threshold(1000);
    let chunks: Vec<Bytes> = (0..50u8).map(|i| Bytes::from(vec![i; 999])).collect();
    let expected: Vec<u8> = chunks.iter().flat_map(|c| c.to_vec()).collect();
    let req = Request::post("/upload").body(chunked(chunks)).unwrap();
    let response = cascade.call(req).await.unwrap();
    assert_eq!(text(response).await, format!("200:{}", expected.len()));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|body| body[..] == expected[..]));
}

#[tokio::test]
async fn a_body_over_the_cap_is_a_413_before_any_app_runs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counting = {
        let calls = Arc::clone(&calls);
        BoxApp::new(app_fn(move |_req| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(Response::new(Body::empty())) }
        }))
    };
    let cascade = Cascade::new(vec![counting.clone(), counting]).max_body_size(10);
    let req = Request::post("/")
        .body(chunked(vec!["0123456".into(), "789ab".into()]))
        .unwrap();
    let err = cascade.call(req).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn each_app_gets_the_same_request_head() {
    let check = |answer: u16| {
        BoxApp::new(app_fn(move |req: Request| async move {
            assert_eq!(req.method(), "PUT");
            assert_eq!(req.uri(), "/mount/a?x=1");
            assert_eq!(req.headers()["x-test"], "yes");
            assert_eq!(req.script_name(), "/mount");
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::from_u16(answer).unwrap();
            Ok(response)
        }))
    };
    let cascade = Cascade::new(vec![check(404), check(404), check(204)]);
    let mut req = Request::put("/mount/a?x=1")
        .header("x-test", "yes")
        .body(Body::from("data"))
        .unwrap();
    assert!(req.set_script_name("/mount"));
    assert_eq!(cascade.call(req).await.unwrap().status(), 204);
}

#[tokio::test]
async fn an_empty_cascade_is_a_404() {
    let cascade = Cascade::new(Vec::new());
    assert_eq!(cascade.call(get("/")).await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_failing_body_is_an_error_not_a_panic() {
    struct Broken;
    impl futures_core::Stream for Broken {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(Some(Err(std::io::Error::other("connection reset"))))
        }
    }
    let cascade = Cascade::new(vec![status_app(404, "a"), status_app(200, "b")]);
    let req = Request::post("/").body(Body::from_stream(Broken)).unwrap();
    assert_eq!(cascade.call(req).await.unwrap_err().status(), 500);
}
