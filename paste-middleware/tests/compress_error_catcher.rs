//! ErrorCatcher: server errors and panics become pages, client errors pass
//! through, debug pages escape what they show and never show credentials;
//! a panic in a streamed body is logged and cuts the response short.

mod server_support;

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use paste_core::http::{HeaderValue, StatusCode, header};
use paste_core::{App, Body, Error, Request, Response, app_fn};
use paste_middleware::error_catcher::ErrorCatcher;
use server_support::{Conn, start};
use tokio::sync::mpsc;

fn failing() -> impl App {
    app_fn(|req: Request| async move {
        match req.uri().path() {
            "/ok" => Ok(Response::new(Body::from("fine"))),
            "/io" => {
                let err = std::io::Error::other("cannot open /etc/<secret>&co");
                Err(Error::from(err).with_message("config unavailable"))
            }
            "/unavailable" => Err(Error::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("30"))),
            "/missing" => Err(Error::new(StatusCode::NOT_FOUND).with_message("no page")),
            "/unauthorized" => Err(Error::new(StatusCode::UNAUTHORIZED).with_header(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"x\""),
            )),
            "/panic" => panic!("index <out> of range"),
            _ => {
                tokio::task::yield_now().await;
                let v: Vec<u8> = Vec::new();
                #[allow(clippy::indexing_slicing)]
                let _ = v[3];
                unreachable!()
            }
        }
    })
}

async fn page(app: &impl App, req: Request) -> (StatusCode, paste_core::http::HeaderMap, String) {
    let response = app.call(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.to_bytes(1 << 20).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn get(path: &str) -> Request {
    Request::get(path)
        .header("user-agent", "<script>alert(1)</script>")
        .header("cookie", "session=s3cr3t")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn successes_pass_through() {
    let app = ErrorCatcher::new(failing());
    let (status, _, body) = page(&app, get("/ok")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "fine"));
}

#[tokio::test]
async fn client_errors_pass_through_as_themselves() {
    let app = ErrorCatcher::new(failing()).debug(true);
    let err = app.call(get("/missing")).await.unwrap_err();
    assert_eq!(err.status(), 404);
    assert_eq!(err.message(), Some("no page"));
    let err = app.call(get("/unauthorized")).await.unwrap_err();
    assert_eq!(err.status(), 401);
    assert!(err.headers().contains_key("www-authenticate"));
}

#[tokio::test]
async fn without_debug_the_page_reveals_nothing() {
    let app = ErrorCatcher::new(failing());
    let (status, headers, body) = page(&app, get("/io")).await;
    assert_eq!(status, 500);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        body.contains("<h1>500 Internal Server Error</h1>"),
        "{body}"
    );
    assert!(
        !body.contains("secret") && !body.contains("config"),
        "{body}"
    );
}

#[tokio::test]
async fn with_debug_the_chain_and_request_are_shown_escaped() {
    let app = ErrorCatcher::new(failing()).debug(true);
    let (status, _, body) = page(&app, get("/io?x='&'")).await;
    assert_eq!(status, 500);
    assert!(body.contains("config unavailable"), "{body}");
    assert!(
        body.contains("cannot open /etc/&lt;secret&gt;&amp;co"),
        "{body}"
    );
    assert!(
        body.contains("GET /io?x=&#x27;&amp;&#x27; HTTP/1.1"),
        "{body}"
    );
    assert!(
        body.contains("user-agent: &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    assert!(
        !body.contains("<script>") && !body.contains("x='"),
        "{body}"
    );
    assert!(
        !body.contains("s3cr3t") && !body.contains("dXNlcjpwYXNz"),
        "{body}"
    );
}

#[tokio::test]
async fn a_server_error_keeps_its_status_and_headers() {
    let app = ErrorCatcher::new(failing());
    let (status, headers, body) = page(&app, get("/unavailable")).await;
    assert_eq!(status, 503);
    assert_eq!(headers["retry-after"], "30");
    assert!(body.contains("503 Service Unavailable"), "{body}");
}

#[tokio::test]
async fn panics_become_500_pages() {
    for debug in [false, true] {
        let app = ErrorCatcher::new(failing()).debug(debug);
        for path in ["/panic", "/later"] {
            let (status, _, body) = page(&app, get(path)).await;
            assert_eq!(status, 500, "{path}");
            assert_eq!(body.contains("the app panicked"), debug, "{body}");
        }
        let (_, _, body) = page(&app, get("/panic")).await;
        if debug {
            assert!(body.contains("index &lt;out&gt; of range"), "{body}");
        }
    }
}

/// An app that panics in `call` itself, before it has a future to poll.
struct PanicsWhenCalled;

impl App for PanicsWhenCalled {
    fn call(&self, _req: Request) -> impl Future<Output = paste_core::Result> + Send {
        panic!("no future at all");
        #[allow(unreachable_code)]
        async {
            Ok(Response::new(Body::empty()))
        }
    }
}

#[tokio::test]
async fn a_panic_in_call_itself_is_caught_too() {
    let app = ErrorCatcher::new(PanicsWhenCalled).debug(true);
    let (status, _, body) = page(&app, get("/")).await;
    assert_eq!(status, 500);
    assert!(body.contains("no future at all"), "{body}");
}

#[tokio::test]
async fn head_requests_get_no_page_body() {
    let app = ErrorCatcher::new(failing()).debug(true);
    let req = Request::head("/io").body(Body::empty()).unwrap();
    let (status, headers, body) = page(&app, req).await;
    assert_eq!(status, 500);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(body.is_empty());
}

/// Log output, captured.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A body that streams what the test sends it, and panics when told to.
fn panicking_body() -> (mpsc::Sender<&'static str>, Body) {
    struct Rx(mpsc::Receiver<&'static str>);
    impl futures_core::Stream for Rx {
        type Item = Result<&'static str, std::convert::Infallible>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            match ready!(self.0.poll_recv(cx)) {
                Some("panic") => panic!("the body fell over"),
                chunk => Poll::Ready(chunk.map(Ok)),
            }
        }
    }
    let (tx, rx) = mpsc::channel(4);
    (tx, Body::from_stream(Rx(rx)))
}

#[tokio::test]
async fn a_panic_in_a_streamed_body_is_logged_and_cuts_the_response_short() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .with_ansi(false)
        .finish();
    // The test's runtime runs the server on this thread.
    let _logging = tracing::subscriber::set_default(subscriber);

    let (tx, body) = panicking_body();
    let body = Mutex::new(Some(body));
    let app = ErrorCatcher::new(app_fn(move |_req: Request| {
        let body = body.lock().unwrap().take().unwrap_or_default();
        async move { Ok(Response::new(body)) }
    }));
    let server = start(app);
    let mut conn = Conn::open(server.addr).await;
    conn.send("GET /stream?n=1 HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    tx.send("first,").await.unwrap();
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    assert_eq!(conn.chunk().await.unwrap(), b"first,");

    tx.send("panic").await.unwrap();
    // The connection is closed without the last, empty chunk: the client
    // knows the response is incomplete.
    let rest = conn.rest().await;
    assert!(
        !rest.ends_with(b"0\r\n\r\n"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("ERROR paste.error_catcher")
            && logs.contains("GET /stream?n=1")
            && logs.contains("the body fell over"),
        "{logs}"
    );
    server.stop().await;
}
