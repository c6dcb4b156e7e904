//! Bodies stream both ways without being held whole: a 50 MiB upload that
//! the test only finishes sending once the program has started reading,
//! a 50 MiB download whose first bytes arrive long before the program is
//! done, a program that writes before it reads, and chunked uploads.

mod cgi_support;
mod common;

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use cgi_support::{bin, call, call_err, patiently, text, vars};
use http_body_util::BodyExt;
use paste_cgi::CgiApp;
use paste_core::{Body, Request};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

const MIB: usize = 1024 * 1024;
const BIG: usize = 50 * MIB;

/// A body fed through a channel, so that the test decides when each chunk
/// is sent.
struct Channel(mpsc::Receiver<Bytes>);

impl futures_core::Stream for Channel {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(Ok))
    }
}

/// The bytes of the upload: a pattern that a dropped or repeated chunk
/// would change.
fn chunk(index: usize, size: usize) -> Bytes {
    (0..size)
        .map(|i| ((index * size + i) % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_upload_streams_into_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("first-mib-read");
    let app = CgiApp::new(bin("upload.py")).env("UPLOAD_MARKER", marker.as_os_str());

    const CHUNK: usize = 64 * 1024;
    let chunks = BIG / CHUNK;
    let mut expected = Sha256::new();
    for i in 0..chunks {
        expected.update(chunk(i, CHUNK));
    }
    let expected = format!("{:x}", expected.finalize());

    let (tx, rx) = mpsc::channel(4);
    let watched = marker.clone();
    let sender = tokio::spawn(async move {
        for i in 0..chunks {
            if i == (2 * MIB) / CHUNK {
                // Hold the rest back until the program has read its first
                // MiB: a gateway that collects the whole body before
                // starting the program never gets there.
                patiently("the program reading the first MiB", async {
                    while !watched.exists() {
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                })
                .await;
            }
            tx.send(chunk(i, CHUNK)).await.unwrap();
        }
    });
    let req = Request::post("/")
        .header("content-length", BIG.to_string())
        .body(Body::from_stream(Channel(rx)))
        .unwrap();
    let response = call(&app, req).await;
    sender.await.unwrap();
    assert_eq!(
        text(response).await,
        format!("bytes={BIG} sha256={expected} content_length={BIG}\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_download_streams_out_of_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done");
    let app = CgiApp::new(bin("download.sh")).env("DONE_FILE", done.as_os_str());
    let response = call(
        &app,
        Request::get(format!("/?{BIG}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let first = patiently("the first bytes", body.frame())
        .await
        .unwrap()
        .unwrap()
        .into_data()
        .unwrap();
    assert!(!first.is_empty());
    assert!(
        !done.exists(),
        "the first bytes must arrive while the program is still writing"
    );
    let mut total = first.len();
    let mut largest = first.len();
    while let Some(frame) = patiently("the next bytes", body.frame()).await {
        let data = frame.unwrap().into_data().unwrap();
        assert!(data.iter().all(|b| *b == 0));
        total += data.len();
        largest = largest.max(data.len());
    }
    assert_eq!(total, BIG);
    assert!(
        largest <= 1024 * 1024,
        "read in pieces, not whole: {largest}"
    );
    assert!(done.exists(), "the program finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_may_write_a_lot_before_it_reads_its_input() {
    let app = CgiApp::new(bin("write-first.py"));
    let upload = vec![b'u'; 4 * MIB];
    let req = Request::post("/").body(Body::from(upload)).unwrap();
    let response = call(&app, req).await;
    let body = patiently(
        "the whole body",
        response.into_body().to_bytes(8 * MIB as u64),
    )
    .await
    .unwrap();
    assert_eq!(body.len(), MIB + "\nread=4194304\n".len());
    assert!(body[..MIB].iter().all(|b| *b == b'a'));
    assert_eq!(&body[MIB..], b"\nread=4194304\n");
}

fn chunked_body(parts: usize) -> Body {
    let (tx, rx) = mpsc::channel(parts);
    for i in 0..parts {
        tx.try_send(chunk(i, 1000)).unwrap();
    }
    Body::from_stream(Channel(rx))
}

#[tokio::test]
async fn a_body_of_unknown_length_is_streamed_to_eof_without_content_length() {
    let app = CgiApp::new(bin("upload.py"));
    let req = Request::post("/").body(chunked_body(7)).unwrap();
    let body = text(call(&app, req).await).await;
    let seen = vars(&body.replace(' ', "\n"));
    assert_eq!(seen["bytes"], "7000");
    assert_eq!(seen["content_length"], "-");
}

#[tokio::test]
async fn a_body_of_unknown_length_can_be_refused_with_411() {
    let app = CgiApp::new(bin("upload.py")).require_content_length(true);
    let req = Request::post("/").body(chunked_body(2)).unwrap();
    assert_eq!(call_err(&app, req).await, 411);
    // A body whose length is known still goes through.
    let req = Request::post("/").body(Body::from("abc")).unwrap();
    let body = text(call(&app, req).await).await;
    assert!(body.starts_with("bytes=3 "), "{body}");
}

#[tokio::test]
async fn no_more_than_content_length_is_written_to_the_program() {
    let app = CgiApp::new(bin("upload.py"));
    let req = Request::post("/")
        .header("content-length", "5")
        .body(Body::from("12345 and more"))
        .unwrap();
    let body = text(call(&app, req).await).await;
    assert!(body.starts_with("bytes=5 "), "{body}");
}
