//! HTTP/2 with prior knowledge (cleartext).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use paste_core::http::{Method, Request, Version};
use tokio::net::TcpStream;

use crate::common::{echo, start};

async fn h2_client(addr: std::net::SocketAddr) -> http2::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

#[tokio::test]
async fn http2_prior_knowledge_serves_concurrent_streams() {
    let server = start(echo(), |s| s);
    let sender = h2_client(server.addr).await;
    let mut answers = Vec::new();
    for i in 0..8 {
        let mut sender = sender.clone();
        answers.push(tokio::spawn(async move {
            let req = Request::post(format!("http://localhost/stream/{i}"))
                .body(Full::new(Bytes::from(format!("body {i}"))))
                .unwrap();
            let response = sender.send_request(req).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (i, String::from_utf8(body.to_vec()).unwrap())
        }));
    }
    for answer in answers {
        let (i, text) = answer.await.unwrap();
        assert!(text.starts_with(&format!("POST /stream/{i} ")), "{text}");
        assert!(text.ends_with(&format!("\nbody {i}")), "{text}");
    }
    server.stop().await;
}

#[tokio::test]
async fn http2_head_has_the_length_and_no_body() {
    let server = start(echo(), |s| s);
    let mut sender = h2_client(server.addr).await;
    let req = Request::builder()
        .method(Method::HEAD)
        .uri("http://localhost/x")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = sender.send_request(req).await.unwrap();
    let length: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(length > 0);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.is_empty());
    server.stop().await;
}
