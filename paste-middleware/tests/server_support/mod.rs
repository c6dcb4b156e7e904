//! A server on 127.0.0.1:0 and a tiny raw HTTP/1.1 client, shared by the
//! tests that talk to a real server.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use paste_core::App;
use paste_server::{Handle, Server};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// A server running in the background of a test; shut down when dropped.
pub struct Running {
    pub addr: SocketAddr,
    handle: Handle,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Shuts the server down and waits until `serve` has returned.
    pub async fn stop(mut self) {
        self.handle.shutdown();
        let task = self.task.take().expect("stopped once");
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

pub fn start<A: App>(app: A) -> Running {
    let server = Server::bind("127.0.0.1:0").unwrap().handle_signals(false);
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let task = Some(tokio::spawn(server.serve(app)));
    Running { addr, handle, task }
}

/// One connection, read response by response and chunk by chunk.
pub struct Conn {
    reader: BufReader<TcpStream>,
}

#[derive(Debug, Default)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Self {
        Self {
            reader: BufReader::new(TcpStream::connect(addr).await.unwrap()),
        }
    }

    pub async fn send(&mut self, request: &str) {
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .unwrap();
    }

    pub async fn head(&mut self) -> Head {
        let mut line = String::new();
        self.reader.read_line(&mut line).await.unwrap();
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        Head { status, headers }
    }

    /// The next chunk of a chunked body; `None` at the last (empty) one.
    pub async fn chunk(&mut self) -> Option<Vec<u8>> {
        let mut size = String::new();
        self.reader.read_line(&mut size).await.unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        let mut chunk = vec![0; size + 2];
        self.reader.read_exact(&mut chunk).await.unwrap();
        chunk.truncate(size);
        if size == 0 { None } else { Some(chunk) }
    }

    /// Whatever the server sends until it closes the connection (or
    /// resets it).
    pub async fn rest(&mut self) -> Vec<u8> {
        let mut rest = Vec::new();
        let _ = self.reader.read_to_end(&mut rest).await;
        rest
    }

    /// The whole body of a response with this head.
    pub async fn body(&mut self, head: &Head) -> Vec<u8> {
        if let Some(len) = head.header("content-length") {
            let mut body = vec![0; len.parse().unwrap()];
            self.reader.read_exact(&mut body).await.unwrap();
            body
        } else if head.header("transfer-encoding") == Some("chunked") {
            let mut body = Vec::new();
            while let Some(chunk) = self.chunk().await {
                body.extend_from_slice(&chunk);
            }
            body
        } else {
            let mut body = Vec::new();
            self.reader.read_to_end(&mut body).await.unwrap();
            body
        }
    }
}

/// Sends `raw` as is on a new connection and reads to the end of the
/// connection: the status (0 when there is none), the head and the body
/// as they came.
pub async fn raw_exchange(addr: SocketAddr, raw: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes))
        .await
        .expect("the server answers")
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// Sends `request` on a new connection and reads the response.
pub async fn request(addr: SocketAddr, request: &str) -> (Head, Vec<u8>) {
    let mut conn = Conn::open(addr).await;
    conn.send(request).await;
    let head = conn.head().await;
    let body = conn.body(&head).await;
    (head, body)
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A body fed by the test through a channel, chunk by chunk.
pub fn channel_body() -> (tokio::sync::mpsc::Sender<&'static str>, paste_core::Body) {
    struct Rx(tokio::sync::mpsc::Receiver<&'static str>);
    impl futures_core::Stream for Rx {
        type Item = Result<&'static str, std::convert::Infallible>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            self.0.poll_recv(cx).map(|c| c.map(Ok))
        }
    }
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    (tx, paste_core::Body::from_stream(Rx(rx)))
}
