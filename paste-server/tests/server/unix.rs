//! Serving on a Unix domain socket.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use paste_core::http::Request;
use paste_server::{ListenAddr, Server};
use tokio::net::UnixStream;

use crate::common::echo;

#[tokio::test]
async fn a_unix_socket_serves_and_is_removed_at_shutdown() {
    let dir = std::env::temp_dir().join(format!("paste-server-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("app.sock");
    let server = Server::bind_unix(&path).unwrap().handle_signals(false);
    assert_eq!(server.listen_addr(), ListenAddr::Unix(Some(path.clone())));
    assert_eq!(server.url(), format!("unix:{}", path.display()));
    let handle = server.handle();
    let task = tokio::spawn(server.serve(echo()));

    let stream = UnixStream::connect(&path).await.unwrap();
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let req = Request::get("/over/unix")
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(req).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    // No peer address on a Unix socket.
    assert!(
        text.starts_with("GET /over/unix script=\"\" remote= scheme=http"),
        "{text}"
    );

    drop(sender);
    handle.shutdown();
    task.await.unwrap().unwrap();
    assert!(!path.exists(), "the socket file is removed");
    std::fs::remove_dir_all(&dir).unwrap();
}
