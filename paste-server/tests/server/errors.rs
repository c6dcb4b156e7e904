//! Whatever the app does, the client gets an answer and the server goes on.

use paste_core::http::StatusCode;
use paste_core::{App, Error, Request, Response, app_fn};

use crate::common::{connect, get, read_response, send, start};

fn troubled() -> impl App {
    app_fn(|req: Request| async move {
        match req.uri().path() {
            "/missing" => Err(Error::new(StatusCode::NOT_FOUND).with_message("no such page")),
            "/io" => Err(std::io::Error::other("/secret/path is on fire").into()),
            "/panic" => panic!("the app fell over"),
            "/panic-string" => panic!("{}", String::from("formatted panic")),
            _ => Ok(Response::new("fine".into())),
        }
    })
}

/// An app that panics in `call` itself, before it has a future to poll.
struct PanicsWhenCalled;

impl App for PanicsWhenCalled {
    fn call(&self, req: Request) -> impl Future<Output = paste_core::Result> + Send {
        assert_ne!(req.uri().path(), "/panic", "the app fell over at once");
        async { Ok(Response::new("fine".into())) }
    }
}

#[tokio::test]
async fn a_panic_in_call_itself_is_a_500_too() {
    let server = start(PanicsWhenCalled, |s| s);
    let mut stream = connect(server.addr).await;
    send(&mut stream, b"GET /panic HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let response = read_response(&mut stream).await;
    assert_eq!(response.status(), 500);
    send(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(read_response(&mut stream).await.text(), "fine");
    server.stop().await;
}

#[tokio::test]
async fn an_error_becomes_a_response_with_its_status() {
    let server = start(troubled(), |s| s);
    let (status, headers, body) = get(&server.url("/missing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(body, "no such page");
    server.stop().await;
}

#[tokio::test]
async fn a_500_does_not_leak_its_source() {
    let server = start(troubled(), |s| s);
    let (status, _, body) = get(&server.url("/io")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, "Internal Server Error");
    server.stop().await;
}

#[tokio::test]
async fn a_panic_is_a_500_and_the_server_keeps_serving() {
    let server = start(troubled(), |s| s);
    for path in ["/panic", "/panic-string"] {
        let mut stream = connect(server.addr).await;
        let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n");
        send(&mut stream, request.as_bytes()).await;
        let response = read_response(&mut stream).await;
        assert_eq!(response.status(), 500);
        assert_eq!(response.text(), "Internal Server Error");
        // The same connection goes on too.
        send(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
        assert_eq!(read_response(&mut stream).await.text(), "fine");
    }
    // And so do new connections.
    let (status, _, body) = get(&server.url("/")).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"fine"[..]));
    server.stop().await;
}
