//! The sizes a client controls at the server (security matrix,
//! RELIABILITY.md "Security"): header count, one long header line, a long
//! URL, chunk extensions. Each is refused with its 4xx before the app is
//! called, and the server keeps serving. (Head and body sizes: `limits.rs`.)

use std::sync::atomic::Ordering;

use tokio::io::AsyncWriteExt;

use crate::common::{connect, counting, read_response, send, start};

/// Sends `raw` on a new connection and returns the status it gets.
async fn status_of(addr: std::net::SocketAddr, raw: &[u8]) -> u16 {
    let mut stream = connect(addr).await;
    // The server may answer and close before it has read everything.
    let _ = stream.get_mut().write_all(raw).await;
    read_response(&mut stream).await.status()
}

#[tokio::test]
async fn limit_too_many_header_lines_get_431() {
    let (app, calls) = counting();
    let server = start(app, |s| s);
    let lines: String = (0..500).map(|i| format!("x-h{i}: v\r\n")).collect();
    let raw = format!("GET / HTTP/1.1\r\nhost: x\r\n{lines}\r\n");
    assert_eq!(status_of(server.addr, raw.as_bytes()).await, 431);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // The server still serves.
    let mut stream = connect(server.addr).await;
    send(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(read_response(&mut stream).await.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn limit_a_url_longer_than_the_head_limit_is_refused() {
    let (app, calls) = counting();
    let server = start(app, |s| s.max_header_size(8 * 1024));
    let raw = format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(20 * 1024));
    let status = status_of(server.addr, raw.as_bytes()).await;
    assert!(matches!(status, 414 | 431), "{status}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[tokio::test]
async fn limit_a_url_too_long_for_any_head_gets_414() {
    let (app, calls) = counting();
    let server = start(app, |s| s.max_header_size(256 * 1024));
    let raw = format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70 * 1024));
    let status = status_of(server.addr, raw.as_bytes()).await;
    assert_eq!(status, 414);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[tokio::test]
async fn limit_huge_chunk_extensions_are_refused() {
    let (app, _) = counting();
    let server = start(app, |s| s);
    let ext = format!(";x={}", "e".repeat(64 * 1024));
    let raw = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3{ext}\r\nabc\r\n0\r\n\r\n"
    );
    let status = status_of(server.addr, raw.as_bytes()).await;
    assert_eq!(status, 400, "a 64 KiB chunk extension was read");
    server.stop().await;
}
