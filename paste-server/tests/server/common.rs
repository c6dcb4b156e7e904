//! Starting servers and talking to them.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use paste_core::{App, Request, RequestExt, Response, app_fn};
use paste_server::{Handle, Server};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::task::JoinHandle;

/// A server running in the background of the test.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) handle: Handle,
    pub(crate) task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Shuts down and waits for `serve` to return.
    pub(crate) async fn stop(self) {
        self.handle.shutdown();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

/// Serves `app` on 127.0.0.1:0 with `configure` applied to the builder.
pub(crate) fn start<A: App>(app: A, configure: impl FnOnce(Server) -> Server) -> Running {
    let server = configure(Server::bind("127.0.0.1:0").unwrap().handle_signals(false));
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let task = tokio::spawn(server.serve(app));
    Running { addr, handle, task }
}

/// An app that answers with what it saw: method, path, script name,
/// peer address, scheme and body.
pub(crate) fn echo() -> impl App {
    app_fn(|req: Request| async move {
        let summary = format!(
            "{} {} script={:?} remote={} scheme={}\n",
            req.method(),
            req.path_info(),
            req.script_name(),
            req.remote_addr().map(|a| a.to_string()).unwrap_or_default(),
            req.url_scheme(),
        );
        let body = req.into_body().to_bytes(1 << 20).await?;
        let mut out = summary.into_bytes();
        out.extend_from_slice(&body);
        Ok(Response::new(out.into()))
    })
}

/// GET over a pooled HTTP/1.1 client.
pub(crate) async fn get(url: &str) -> (http::StatusCode, http::HeaderMap, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, bytes)
}

/// One HTTP/1.1 response read off a raw stream.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status_line: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
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

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response (head, then a Content-Length or chunked body).
pub(crate) async fn read_response<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> RawResponse {
    let mut response = read_head(reader).await;
    if response.status() == 100 {
        return response;
    }
    if let Some(len) = response.header("content-length") {
        let mut body = vec![0; len.parse().unwrap()];
        reader.read_exact(&mut body).await.unwrap();
        response.body = body;
    } else if response.header("transfer-encoding") == Some("chunked") {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).await.unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await.unwrap();
            if size == 0 {
                break;
            }
            response.body.extend_from_slice(&chunk[..size]);
        }
    }
    response
}

/// Reads the status line and headers of one response, and no body (the
/// answer to a HEAD).
pub(crate) async fn read_head<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> RawResponse {
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
    RawResponse {
        status_line: status_line.trim_end().to_owned(),
        headers,
        body: Vec::new(),
    }
}

/// Whether the peer closed the stream (EOF or reset) within `within`.
pub(crate) async fn closed_within<R: AsyncRead + Unpin>(reader: &mut R, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, reader.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {} // a 408 or the like before the close is fine
        }
    }
}

/// A raw HTTP/1 connection to `addr`.
pub(crate) async fn connect(addr: SocketAddr) -> BufReader<tokio::net::TcpStream> {
    BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap())
}

/// Writes raw bytes (one or more requests) to a connection.
pub(crate) async fn send(stream: &mut BufReader<tokio::net::TcpStream>, bytes: impl AsRef<[u8]>) {
    use tokio::io::AsyncWriteExt;
    stream.get_mut().write_all(bytes.as_ref()).await.unwrap();
}

/// An app that reads the whole body and says how many bytes it got, and
/// the count of its calls (a refused request never reaches it).
pub(crate) fn counting() -> (impl App, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let app = app_fn(move |req: Request| {
        let calls = Arc::clone(&calls);
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            let body = req.into_body().to_bytes(u64::MAX).await?;
            Ok(Response::new(format!("{} bytes", body.len()).into()))
        }
    });
    (app, seen)
}
