//! Starting backends and front ends, and talking to them.

#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
use paste_server::{Handle, Server};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How long a test waits for something that should happen at once; long,
/// because CI machines are slow and loaded.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// A paste-server running in the background of the test.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) handle: Handle,
}

impl Running {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.stop_now();
    }
}

/// Serves `app` on 127.0.0.1:0.
pub(crate) fn start<A: App>(app: A) -> Running {
    start_at(|_| app)
}

/// Serves on 127.0.0.1:0 the app `make` returns for the address it will
/// have (a backend whose answers name itself).
pub(crate) fn start_at<A: App>(make: impl FnOnce(SocketAddr) -> A) -> Running {
    let server = Server::bind("127.0.0.1:0").unwrap().handle_signals(false);
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    tokio::spawn(server.serve(make(addr)));
    Running { addr, handle }
}

/// An app that answers with what it saw: the method, the path and query
/// as received, each header on a line (`name: value`), then the body.
pub(crate) fn echo() -> impl App {
    app_fn(|req: Request| async move {
        let mut out = format!("{} {}\n", req.method(), req.uri());
        for (name, value) in req.headers() {
            out.push_str(&format!(
                "{name}: {}\n",
                value.to_str().unwrap_or("<bytes>")
            ));
        }
        out.push('\n');
        let body = req.into_body().to_bytes(16 << 20).await?;
        let mut out = out.into_bytes();
        out.extend_from_slice(&body);
        Ok(Response::new(out.into()))
    })
}

/// The header lines of an [`echo`] answer, as (name, value) pairs.
pub(crate) fn echoed_headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip(1)
        .take_while(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once(": ").unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// The one value of `name` in echoed headers (panics if repeated).
pub(crate) fn echoed<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut found = headers.iter().filter(|(n, _)| n == name);
    let first = found.next().map(|(_, v)| v.as_str());
    assert!(
        found.next().is_none(),
        "{name} sent more than once: {headers:?}"
    );
    first
}

/// A proxy mounted at `prefix`, as a URL map would: the script name is
/// set before the proxy sees the request.
pub(crate) fn mounted<A: App>(prefix: &'static str, app: A) -> impl App {
    let app = std::sync::Arc::new(app);
    app_fn(move |mut req: Request| {
        let app = std::sync::Arc::clone(&app);
        async move {
            assert!(req.set_script_name(prefix), "the test asks under {prefix}");
            app.call(req).await
        }
    })
}

/// A response body whose chunks the test sends one by one.
pub(crate) fn channel_body() -> (mpsc::Sender<Bytes>, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(1);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, Infallible>(chunk), rx))
    });
    (tx, Body::from_stream(stream))
}

/// A raw TCP backend: each accepted connection is handed to `handle`.
pub(crate) async fn raw_backend<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handle(stream));
        }
    });
    addr
}

/// Reads a request head off a raw stream (up to the blank line).
pub(crate) async fn read_request_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Writes `bytes` to a raw stream, ignoring a peer that went away.
pub(crate) async fn write(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes).await;
    let _ = stream.flush().await;
}

/// GET over a pooled HTTP/1.1 client.
pub(crate) async fn get(url: &str) -> (http::StatusCode, http::HeaderMap, Bytes) {
    request(http::Request::get(url).body(Full::default()).unwrap()).await
}

/// Any request over a pooled HTTP/1.1 client, the body read whole.
pub(crate) async fn request(
    req: http::Request<Full<Bytes>>,
) -> (http::StatusCode, http::HeaderMap, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = tokio::time::timeout(PATIENCE, client.request(req))
        .await
        .expect("the front end answers")
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = tokio::time::timeout(PATIENCE, body.collect())
        .await
        .expect("the body arrives")
        .unwrap()
        .to_bytes();
    (parts.status, parts.headers, bytes)
}

/// One HTTP/1.1 response read off a raw stream.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status_line: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// Whether the body arrived whole (all of Content-Length, or the last
    /// chunk).
    pub(crate) complete: bool,
}

impl RawResponse {
    pub(crate) fn status(&self) -> u16 {
        self.status_line.split(' ').nth(1).unwrap().parse().unwrap()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends raw bytes to `addr` and reads one response: its head, then a
/// Content-Length or chunked body, noting whether it was cut short.
pub(crate) async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut reader = BufReader::new(stream);
    tokio::time::timeout(PATIENCE, read_response(&mut reader))
        .await
        .expect("a response arrives")
}

/// Reads one response off `reader`.
pub(crate) async fn read_response<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> RawResponse {
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.unwrap();
    assert!(
        !status_line.is_empty(),
        "the connection closed before a response"
    );
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let mut response = RawResponse {
        status_line: status_line.trim_end().to_owned(),
        headers,
        body: Vec::new(),
        complete: false,
    };
    if let Some(len) = response.header("content-length") {
        let len: usize = len.parse().unwrap();
        let mut body = Vec::new();
        let _ = (&mut *reader).take(len as u64).read_to_end(&mut body).await;
        response.complete = body.len() == len;
        response.body = body;
    } else if response.header("transfer-encoding") == Some("chunked") {
        loop {
            let mut size = String::new();
            if reader.read_line(&mut size).await.unwrap_or(0) == 0 {
                break;
            }
            let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
                break;
            };
            let mut chunk = vec![0; size + 2];
            if reader.read_exact(&mut chunk).await.is_err() {
                break;
            }
            if size == 0 {
                response.complete = true;
                break;
            }
            response.body.extend_from_slice(&chunk[..size]);
        }
    } else {
        let _ = reader.read_to_end(&mut response.body).await;
        response.complete = true;
    }
    response
}
