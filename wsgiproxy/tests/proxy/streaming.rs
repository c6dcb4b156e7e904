//! Bodies stream through: the client sees the first chunk while the
//! backend still holds the rest, and the other way round.

use bytes::Bytes;
use paste_core::{Request, Response, app_fn};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use wsgiproxy::HostProxy;

use crate::common::*;

#[tokio::test]
async fn a_response_streams_to_the_client_while_the_backend_stalls() {
    // The backend sends 1 MiB, then stalls until the test says so.
    let (chunks_tx, mut chunks_rx) = mpsc::channel::<mpsc::Sender<Bytes>>(1);
    let backend = start(app_fn(move |_req: Request| {
        let chunks_tx = chunks_tx.clone();
        async move {
            let (tx, body) = channel_body();
            chunks_tx.send(tx).await.unwrap();
            Ok(Response::new(body))
        }
    }));
    let front = start(HostProxy::new(&backend.url("")).unwrap());

    let mut client = BufReader::new(TcpStream::connect(front.addr).await.unwrap());
    client
        .get_mut()
        .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let body_tx = tokio::time::timeout(PATIENCE, chunks_rx.recv())
        .await
        .unwrap()
        .unwrap();
    let first = Bytes::from(vec![b'a'; 1 << 20]);
    body_tx.send(first.clone()).await.unwrap();

    // The head and the whole first MiB reach the client; the backend has
    // sent nothing more.
    let mut status = String::new();
    client.read_line(&mut status).await.unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    loop {
        let mut line = String::new();
        client.read_line(&mut line).await.unwrap();
        if line == "\r\n" {
            break;
        }
    }
    let mut received = 0usize;
    while received < first.len() {
        let mut size = String::new();
        tokio::time::timeout(PATIENCE, client.read_line(&mut size))
            .await
            .unwrap()
            .unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        let mut chunk = vec![0; size + 2];
        client.read_exact(&mut chunk).await.unwrap();
        assert!(chunk[..size].iter().all(|&b| b == b'a'));
        received += size;
    }
    assert_eq!(received, first.len());

    // Then the rest, and the end.
    body_tx.send(Bytes::from_static(b"tail")).await.unwrap();
    drop(body_tx);
    let mut rest = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        while !rest.ends_with(b"0\r\n\r\n") {
            let mut buf = [0u8; 256];
            let n = client.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed early");
            rest.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .unwrap();
    assert_eq!(rest, b"4\r\ntail\r\n0\r\n\r\n");
}

#[tokio::test]
async fn an_upload_streams_to_the_backend_before_it_is_all_sent() {
    // The backend tells the test each chunk it reads.
    let (seen_tx, mut seen_rx) = mpsc::channel::<Bytes>(16);
    let backend = start(app_fn(move |req: Request| {
        let seen_tx = seen_tx.clone();
        async move {
            let mut body = req.into_body();
            let mut total = 0usize;
            while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
                if let Ok(data) = frame?.into_data() {
                    total += data.len();
                    let _ = seen_tx.send(data).await;
                }
            }
            Ok(Response::new(format!("{total}").into()))
        }
    }));
    let front = start(HostProxy::new(&backend.url("")).unwrap());
    let mut client = BufReader::new(TcpStream::connect(front.addr).await.unwrap());
    client
        .get_mut()
        .write_all(
            b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst!\r\n",
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 6 {
        let chunk = tokio::time::timeout(PATIENCE, seen_rx.recv())
            .await
            .unwrap()
            .unwrap();
        seen.extend_from_slice(&chunk);
    }
    assert_eq!(seen, b"first!");
    // Only now does the client finish the upload.
    client
        .get_mut()
        .write_all(b"4\r\nmore\r\n0\r\n\r\n")
        .await
        .unwrap();
    let response = read_response(&mut client).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "10");
}

#[tokio::test]
async fn a_raw_hyper_backend_streaming_chunks_is_relayed_chunk_by_chunk() {
    use std::convert::Infallible;

    use http_body_util::StreamBody;
    use hyper::body::Frame;
    use hyper_util::rt::TokioIo;

    // A hyper server whose body comes in three chunks, the last one only
    // once the test has seen the first two through the proxy.
    let (release_tx, release_rx) = tokio::sync::watch::channel(false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let release_rx = release_rx.clone();
            let service = hyper::service::service_fn(move |_req| {
                let release_rx = release_rx.clone();
                let stream = futures_util::stream::unfold(0u8, move |step| {
                    let mut release_rx = release_rx.clone();
                    async move {
                        let chunk: &'static [u8] = match step {
                            0 => b"one,",
                            1 => b"two,",
                            2 => {
                                let _ = release_rx.wait_for(|go| *go).await;
                                b"three"
                            }
                            _ => return None,
                        };
                        Some((
                            Ok::<_, Infallible>(Frame::data(Bytes::from_static(chunk))),
                            step + 1,
                        ))
                    }
                });
                async move {
                    Ok::<_, Infallible>(
                        http::Response::builder()
                            .header("x-backend", "raw-hyper")
                            .body(StreamBody::new(stream))
                            .unwrap(),
                    )
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });

    let front = start(HostProxy::new(&format!("http://{backend}")).unwrap());
    let mut client = BufReader::new(TcpStream::connect(front.addr).await.unwrap());
    client
        .get_mut()
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut head = String::new();
    loop {
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, client.read_line(&mut line))
            .await
            .unwrap()
            .unwrap();
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_lowercase().contains("x-backend: raw-hyper"),
        "{head}"
    );
    assert!(
        head.to_lowercase().contains("transfer-encoding: chunked"),
        "{head}"
    );
    let mut seen = Vec::new();
    while seen.len() < 8 {
        let mut size = String::new();
        tokio::time::timeout(PATIENCE, client.read_line(&mut size))
            .await
            .unwrap()
            .unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        let mut chunk = vec![0; size + 2];
        client.read_exact(&mut chunk).await.unwrap();
        seen.extend_from_slice(&chunk[..size]);
    }
    assert_eq!(seen, b"one,two,");
    release_tx.send(true).unwrap();
    let rest = tokio::time::timeout(PATIENCE, async {
        let mut rest = Vec::new();
        while !rest.ends_with(b"0\r\n\r\n") {
            let mut buf = [0u8; 64];
            let n = client.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed early");
            rest.extend_from_slice(&buf[..n]);
        }
        rest
    })
    .await
    .unwrap();
    assert_eq!(rest, b"5\r\nthree\r\n0\r\n\r\n");
}
