//! The time limits on clients that hold the server up: a body that
//! trickles, a client that does not read, and closes that do not reset.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::Frame;
use paste_core::{Body, Request, Response, app_fn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{closed_within, connect, echo, read_response, send, start};

/// Reads the whole request body, answering with its length (or the error
/// reading it gave).
fn reading() -> impl paste_core::App {
    app_fn(|req: Request| async move {
        let body = req.into_body().to_bytes(u64::MAX).await?;
        Ok(Response::new(format!("{} bytes", body.len()).into()))
    })
}

#[tokio::test]
async fn a_trickling_body_gets_408_and_a_close() {
    let server = start(reading(), |s| {
        s.body_read_timeout(Duration::from_millis(300))
            .min_body_rate(0)
    });
    let (reader, mut writer) = tokio::net::TcpStream::connect(server.addr)
        .await
        .unwrap()
        .into_split();
    let mut stream = tokio::io::BufReader::new(reader);
    writer
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if writer.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let response = tokio::time::timeout(Duration::from_secs(5), read_response(&mut stream))
        .await
        .expect("an answer before the body ends");
    assert_eq!(response.status(), 408, "{}", response.text());
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(closed_within(&mut stream, Duration::from_secs(3)).await);
    trickle.abort();
    server.stop().await;
}

#[tokio::test]
async fn a_body_that_keeps_up_with_the_rate_is_read_whole() {
    // 300 ms, plus 1 s per 1000 bytes: 4 × 500 bytes, 200 ms apart,
    // take 600 ms and earn 2 s.
    let server = start(reading(), |s| {
        s.body_read_timeout(Duration::from_millis(300))
            .min_body_rate(1000)
    });
    let mut stream = connect(server.addr).await;
    send(
        &mut stream,
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2000\r\n\r\n",
    )
    .await;
    for _ in 0..4 {
        send(&mut stream, [b'a'; 500]).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let response = read_response(&mut stream).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "2000 bytes");
    server.stop().await;
}

/// A body that never ends, and says when it is dropped.
struct Endless {
    dropped: Arc<AtomicBool>,
}

impl http_body::Body for Endless {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&[b'x'; 65536])))))
    }
}

impl Drop for Endless {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_client_that_does_not_read_is_cut_at_the_write_timeout() {
    let dropped = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&dropped);
    let app = app_fn(move |_req: Request| {
        let dropped = Arc::clone(&dropped);
        async move { Ok(Response::new(Body::new(Endless { dropped }))) }
    });
    let server = start(app, |s| s.write_timeout(Duration::from_millis(300)));
    let mut stream = connect(server.addr).await;
    send(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    // The client reads nothing; the server's writes block, and after the
    // timeout it gives up on the connection (and drops the body).
    let deadline = Instant::now() + Duration::from_secs(5);
    while !seen.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the blocked connection was not cut"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // What the client reads now ends (the server closed), long before
    // the endless body would.
    let mut sink = vec![0u8; 1 << 16];
    let mut total = 0usize;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection was closed");
    assert!(total < 64 << 20, "{total} bytes");
    server.stop().await;
}

#[tokio::test]
async fn a_slow_reader_that_keeps_reading_gets_the_whole_response() {
    let big = Bytes::from(vec![b'y'; 8 << 20]);
    let app = app_fn(move |_req: Request| {
        let big = big.clone();
        async move { Ok(Response::new(big.into())) }
    });
    // Each read below comes well within the timeout of the last one.
    let server = start(app, |s| s.write_timeout(Duration::from_millis(500)));
    let mut stream = connect(server.addr).await;
    send(
        &mut stream,
        b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    let mut sink = vec![0u8; 1 << 20];
    let mut total = 0usize;
    loop {
        match stream.read(&mut sink).await.unwrap() {
            0 => break,
            n => total += n,
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(total > 8 << 20, "{total} bytes");
    server.stop().await;
}

#[tokio::test]
async fn a_refused_connection_reads_its_503_without_a_reset() {
    let server = start(echo(), |s| s.max_connections(1));
    let mut first = connect(server.addr).await;
    send(&mut first, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(read_response(&mut first).await.status(), 200);

    // The second client sends a request the server never reads: closing
    // the socket with it unread would reset the connection, and the
    // client would lose the 503.
    for _ in 0..5 {
        let mut second = connect(server.addr).await;
        let body = "z".repeat(200_000);
        let request = format!(
            "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = second.get_mut().write_all(request.as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut answer = Vec::new();
        let read = second.read_to_end(&mut answer).await;
        assert!(read.is_ok(), "reset: {read:?}");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 503"), "{text:?}");
    }
    drop(first);
    server.stop().await;
}

#[tokio::test]
async fn a_big_answer_to_an_unread_body_arrives_whole() {
    // The app answers 4 MiB without reading the 4 MiB upload; the server
    // then closes with upload bytes unread. A plain close would reset the
    // connection and throw away the end of the answer still queued in the
    // kernel; the lingering close delivers it.
    let big = Bytes::from(vec![b'r'; 4 << 20]);
    let app = app_fn(move |_req: Request| {
        let big = big.clone();
        async move { Ok(Response::new(big.into())) }
    });
    let server = start(app, |s| s);
    for _ in 0..3 {
        let (mut reader, mut writer) = tokio::net::TcpStream::connect(server.addr)
            .await
            .unwrap()
            .into_split();
        let upload = tokio::spawn(async move {
            let body = vec![b'u'; 4 << 20];
            let head = format!(
                "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = writer.write_all(head.as_bytes()).await;
            let _ = writer.write_all(&body).await;
            writer
        });
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), async {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                // A slow reader: the end of the answer is still queued
                // when the server is done with it.
                tokio::time::sleep(Duration::from_millis(2)).await;
                match reader.read(&mut buf).await {
                    Ok(0) => return Ok(()),
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                    Err(err) => return Err(err),
                }
            }
        })
        .await
        .expect("the answer ends");
        let body_len = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |at| answer.len() - at - 4);
        assert!(
            read.is_ok() && body_len == 4 << 20,
            "{read:?} after {body_len} bytes of the body"
        );
        upload.abort();
    }
    server.stop().await;
}

#[tokio::test]
async fn huge_timeouts_mean_never() {
    let server = start(reading(), |s| {
        s.write_timeout(Duration::MAX)
            .body_read_timeout(Duration::MAX)
            .min_body_rate(1)
    });
    let mut stream = connect(server.addr).await;
    send(
        &mut stream,
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nab",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    send(&mut stream, b"cde").await;
    let response = read_response(&mut stream).await;
    assert_eq!(
        (response.status(), response.text().as_str()),
        (200, "5 bytes")
    );
    server.stop().await;
}
