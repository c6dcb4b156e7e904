//! Limits: slow heads, big heads, big bodies, silent and surplus connections.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::common::{closed_within, connect, counting, echo, get, read_response, send, start};

#[tokio::test]
async fn a_slow_head_is_cut_while_another_client_is_served() {
    let server = start(echo(), |s| {
        s.header_read_timeout(Duration::from_millis(400))
    });
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let dripping = tokio::spawn(async move {
        // One header byte every 50 ms: the head never ends in time.
        for _ in 0..40 {
            if slow.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        slow
    });
    // Meanwhile, another client is served promptly.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, _, _) = tokio::time::timeout(Duration::from_secs(1), get(&server.url("/fast")))
        .await
        .expect("served while the slow client dawdles");
    assert_eq!(status, 200);
    let mut slow = dripping.await.unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(1)).await,
        "the slow client was cut"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_connection_that_says_nothing_is_closed() {
    let server = start(echo(), |s| {
        s.header_read_timeout(Duration::from_millis(300))
    });
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(2)).await);
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = start(echo(), |s| {
        s.keep_alive_timeout(Duration::from_millis(300))
            .header_read_timeout(Duration::from_secs(30))
    });
    let mut stream = connect(server.addr).await;
    send(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(read_response(&mut stream).await.status(), 200);
    assert!(closed_within(&mut stream, Duration::from_secs(2)).await);
    server.stop().await;
}

#[tokio::test]
async fn an_oversize_head_gets_431() {
    let server = start(echo(), |s| s.max_header_size(8 * 1024));
    let mut stream = connect(server.addr).await;
    let big = "a".repeat(16 * 1024);
    let request = format!("GET / HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n");
    let _ = stream.get_mut().write_all(request.as_bytes()).await;
    assert_eq!(read_response(&mut stream).await.status(), 431);
    server.stop().await;
}

#[tokio::test]
async fn an_oversize_declared_body_gets_413_without_calling_the_app() {
    let (app, calls) = counting();
    let server = start(app, |s| s.max_body_size(1000));
    let mut stream = connect(server.addr).await;
    let request = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1001\r\n\r\n{}",
        "a".repeat(1001)
    );
    send(&mut stream, request.as_bytes()).await;
    let response = read_response(&mut stream).await;
    assert_eq!(response.status(), 413);
    assert!(response.text().contains("1000"), "{}", response.text());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[tokio::test]
async fn an_oversize_body_with_100_continue_is_refused_before_it_is_sent() {
    let (app, _) = counting();
    let server = start(app, |s| s.max_body_size(1000));
    let mut stream = connect(server.addr).await;
    send(
        &mut stream,
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5000000\r\nexpect: 100-continue\r\n\r\n",
    )
    .await;
    assert_eq!(read_response(&mut stream).await.status(), 413);
    server.stop().await;
}

#[tokio::test]
async fn an_oversize_chunked_body_gets_413() {
    let (app, _) = counting();
    let server = start(app, |s| s.max_body_size(1000));
    let mut stream = connect(server.addr).await;
    let chunk = format!("200\r\n{}\r\n", "b".repeat(0x200));
    let request = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n{chunk}{chunk}{chunk}0\r\n\r\n"
    );
    let _ = stream.get_mut().write_all(request.as_bytes()).await;
    assert_eq!(read_response(&mut stream).await.status(), 413);
    server.stop().await;
}

#[tokio::test]
async fn a_body_within_the_limit_is_read_whole() {
    let (app, _) = counting();
    let server = start(app, |s| s.max_body_size(1000));
    let mut stream = connect(server.addr).await;
    let request = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{}",
        "a".repeat(1000)
    );
    send(&mut stream, request.as_bytes()).await;
    assert_eq!(read_response(&mut stream).await.text(), "1000 bytes");
    server.stop().await;
}

#[tokio::test]
async fn connections_past_the_limit_get_503_and_a_close() {
    let server = start(echo(), |s| s.max_connections(1));
    let mut first = connect(server.addr).await;
    send(&mut first, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(read_response(&mut first).await.status(), 200);

    let mut second = connect(server.addr).await;
    let refused = read_response(&mut second).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.header("connection"), Some("close"));
    assert!(closed_within(&mut second, Duration::from_secs(2)).await);

    // Once the first connection is gone, there is room again.
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(get(&server.url("/")).await.0, 200);
    server.stop().await;
}
