//! HTTP/1.1: keep-alive, pipelining, chunked bodies, 100-continue, HEAD,
//! the Server header and what the app learns of the connection.

use std::convert::Infallible;

use bytes::Bytes;
use paste_core::http::HeaderValue;
use paste_core::{Body, Response, app_fn};
use tokio::io::BufReader;
use tokio::net::TcpStream;

use crate::common::{connect, echo, read_head, read_response, send, start};

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let server = start(echo(), |s| s);
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let client_addr = stream.local_addr().unwrap();
    let mut stream = BufReader::new(stream);
    for path in ["/one", "/two", "/three"] {
        let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n");
        send(&mut stream, request.as_bytes()).await;
        let response = read_response(&mut stream).await;
        assert_eq!(response.status(), 200);
        let text = response.text();
        assert!(text.starts_with(&format!("GET {path} ")), "{text}");
        // The app saw the same peer each time: one connection.
        assert!(text.contains(&format!("remote={client_addr}")), "{text}");
    }
    server.stop().await;
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let server = start(echo(), |s| s);
    let mut stream = connect(server.addr).await;
    send(
        &mut stream,
        b"GET /first HTTP/1.1\r\nhost: x\r\n\r\nGET /second HTTP/1.1\r\nhost: x\r\n\r\n",
    )
    .await;
    let first = read_response(&mut stream).await;
    let second = read_response(&mut stream).await;
    assert!(first.text().starts_with("GET /first "));
    assert!(second.text().starts_with("GET /second "));
    server.stop().await;
}

#[tokio::test]
async fn a_chunked_request_body_reaches_the_app() {
    let server = start(echo(), |s| s);
    let mut stream = connect(server.addr).await;
    send(
        &mut stream,
        b"POST /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n\
              5\r\nHello\r\n8\r\n, chunks\r\n0\r\n\r\n",
    )
    .await;
    let response = read_response(&mut stream).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.text().ends_with("\nHello, chunks"),
        "{}",
        response.text()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_streamed_response_goes_out_chunked() {
    let app = app_fn(|_req| async {
        let parts = ["one ", "two ", "three"].map(|p| Ok::<_, Infallible>(Bytes::from(p)));
        Ok(Response::new(Body::from_stream(Iter(parts.into_iter()))))
    });
    let server = start(app, |s| s);
    let mut stream = connect(server.addr).await;
    send(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let response = read_response(&mut stream).await;
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert_eq!(response.text(), "one two three");
    server.stop().await;
}

/// An iterator as a stream, without pulling in futures-util.
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

#[tokio::test]
async fn expect_100_continue_is_answered_before_the_body_is_sent() {
    let server = start(echo(), |s| s);
    let mut stream = connect(server.addr).await;
    send(
        &mut stream,
        b"PUT /doc HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n",
    )
    .await;
    let interim = read_response(&mut stream).await;
    assert_eq!(interim.status(), 100, "{interim:?}");
    send(&mut stream, b"hello").await;
    let response = read_response(&mut stream).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().ends_with("\nhello"));
    server.stop().await;
}

#[tokio::test]
async fn head_answers_carry_the_length_but_no_body() {
    let server = start(echo(), |s| s);
    let mut stream = connect(server.addr).await;
    send(
        &mut stream,
        b"HEAD /x HTTP/1.1\r\nhost: x\r\n\r\nGET /after HTTP/1.1\r\nhost: x\r\n\r\n",
    )
    .await;
    // Read the HEAD answer's head only: no body follows it.
    let head = read_head(&mut stream).await;
    assert_eq!(head.status(), 200);
    assert_ne!(head.header("content-length"), Some("0"));
    // If a body had been sent, this would read it as a status line.
    let next = read_response(&mut stream).await;
    assert!(next.text().starts_with("GET /after "), "{next:?}");
    server.stop().await;
}

#[tokio::test]
async fn the_server_header_is_added_changed_or_left_out() {
    let app = app_fn(|req: paste_core::Request| async move {
        let mut response = Response::new(Body::empty());
        if req.uri().path() == "/own" {
            response
                .headers_mut()
                .insert("server", HeaderValue::from_static("mine"));
        }
        Ok(response)
    });
    let default = start(app, |s| s);
    assert_eq!(
        crate::common::get(&default.url("/")).await.1["server"],
        "paste-server"
    );
    assert_eq!(
        crate::common::get(&default.url("/own")).await.1["server"],
        "mine"
    );
    default.stop().await;

    let custom = start(app, |s| {
        s.server_header(Some(HeaderValue::from_static("x/1")))
    });
    assert_eq!(
        crate::common::get(&custom.url("/")).await.1["server"],
        "x/1"
    );
    custom.stop().await;

    let none = start(app, |s| s.server_header(None));
    assert!(
        !crate::common::get(&none.url("/"))
            .await
            .1
            .contains_key("server")
    );
    none.stop().await;
}

#[tokio::test]
async fn the_app_sees_the_connection_and_an_empty_script_name() {
    let app = app_fn(|req: paste_core::Request| async move {
        use paste_core::RequestExt;
        let text = format!(
            "{:?} {:?} {:?} {}",
            req.script_name(),
            req.remote_addr().map(|a| a.ip()),
            req.local_addr().map(|a| a.port()),
            req.url_scheme()
        );
        Ok(Response::new(text.into()))
    });
    let server = start(app, |s| s);
    let (_, _, body) = crate::common::get(&server.url("/a/b")).await;
    let expected = format!("\"\" Some(127.0.0.1) Some({}) http", server.addr.port());
    assert_eq!(body, expected.as_bytes());
    server.stop().await;
}
