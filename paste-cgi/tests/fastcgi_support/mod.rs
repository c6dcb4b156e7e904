//! What the FastCGI tests share: the app they serve, starting a server,
//! FastCGI records written and read by hand, finding programs, and
//! capturing the log.

#![allow(dead_code, reason = "each test file uses a part")]

#[allow(unused_imports, reason = "each test file uses a part")]
pub(crate) use crate::common::{HttpResponse, Logs, PATIENCE, patiently};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::Frame;
use paste_cgi::{CgiVars, FastCgiServer, Handle};
use paste_core::http::StatusCode;
use paste_core::{App, Body, Error, Request, RequestExt, Response, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

// ---------------------------------------------------------------------------
// The app.

/// The app every FastCGI test serves. Paths:
/// - `/upload`: reads the body as it streams, answers `len=N sum=S`;
/// - `/download/N`: N bytes of [`pattern`], streamed in 64 KiB chunks;
/// - `/hang`: never answers; reports `"hang dropped"` when its future is
///   dropped (abort);
/// - `/slow`: answers `"slow done"` once [`TestApp::release`] is notified;
/// - `/error`, `/panic`;
/// - anything else: what it was asked (method, split, query, a header,
///   scheme, remote address and user, a CgiVars value, body length).
#[derive(Clone)]
pub(crate) struct TestApp {
    pub(crate) events: mpsc::UnboundedSender<&'static str>,
    pub(crate) release: Arc<Notify>,
}

pub(crate) fn test_app() -> (TestApp, mpsc::UnboundedReceiver<&'static str>) {
    let (events, rx) = mpsc::unbounded_channel();
    let app = TestApp {
        events,
        release: Arc::new(Notify::new()),
    };
    (app, rx)
}

/// The byte at offset `i` of a download, and of uploads.
pub(crate) fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

/// A fletcher-like checksum, to compare big bodies cheaply.
pub(crate) fn checksum(bytes: &[u8], offset: usize, sum: &mut u64) {
    for (i, &b) in bytes.iter().enumerate() {
        *sum = sum
            .wrapping_mul(31)
            .wrapping_add(u64::from(b) ^ ((offset + i) as u64 & 0xFF));
    }
}

struct DropReporter(mpsc::UnboundedSender<&'static str>);

impl Drop for DropReporter {
    fn drop(&mut self) {
        let _ = self.0.send("hang dropped");
    }
}

impl App for TestApp {
    async fn call(&self, req: Request) -> Result {
        let info = req.path_info().to_owned();
        match info.as_str() {
            "/upload" => {
                let mut body = req.into_body();
                let (mut len, mut sum) = (0usize, 0u64);
                while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
                    if let Ok(data) = frame?.into_data() {
                        checksum(&data, len, &mut sum);
                        len += data.len();
                    }
                }
                Ok(Response::new(format!("len={len} sum={sum}").into()))
            }
            "/hang" => {
                let _reporter = DropReporter(self.events.clone());
                let _ = self.events.send("hang started");
                std::future::pending::<()>().await;
                unreachable!()
            }
            "/slow" => {
                let _ = self.events.send("slow started");
                self.release.notified().await;
                Ok(Response::new("slow done".into()))
            }
            "/error" => Err(Error::new(StatusCode::FORBIDDEN).with_message("not for you")),
            "/panic" => panic!("the app fell over"),
            _ if info.starts_with("/download/") => {
                let len = info["/download/".len()..].parse().unwrap();
                Ok(Response::new(Body::new(Pattern { at: 0, len })))
            }
            _ => {
                let greeting = req
                    .headers()
                    .get("x-greeting")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("(none)")
                    .to_owned();
                let custom = req
                    .extensions()
                    .get::<CgiVars>()
                    .and_then(|v| v.get("CUSTOM_VAR"))
                    .unwrap_or("(none)")
                    .to_owned();
                let summary = format!(
                    "method={} script={} info={} query={} greeting={} scheme={} remote={} user={} custom={}",
                    req.method(),
                    req.script_name(),
                    req.path_info(),
                    req.uri().query().unwrap_or(""),
                    greeting,
                    req.url_scheme(),
                    req.remote_addr()
                        .map_or_else(|| "(none)".to_owned(), |a| a.ip().to_string()),
                    req.remote_user().unwrap_or("(none)"),
                    custom,
                );
                let body = req.into_body().to_bytes(1 << 20).await?;
                Ok(Response::new(
                    format!("{summary} body={}\n", body.len()).into(),
                ))
            }
        }
    }
}

/// `len` bytes of [`pattern`], 64 KiB at a time, of unknown length.
struct Pattern {
    at: usize,
    len: usize,
}

impl http_body::Body for Pattern {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Error>>> {
        if self.at == self.len {
            return Poll::Ready(None);
        }
        let end = self.len.min(self.at + 65536);
        let chunk: Vec<u8> = (self.at..end).map(pattern).collect();
        self.at = end;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }
}

// ---------------------------------------------------------------------------
// Servers.

/// A FastCGI server running in the background of a test.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) handle: Handle,
    pub(crate) task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Shuts down and waits for `serve` to return.
    pub(crate) async fn stop(self) {
        self.handle.shutdown();
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

/// Serves `app` on 127.0.0.1:0 with `configure` applied.
pub(crate) fn start<A: App>(
    app: A,
    configure: impl FnOnce(FastCgiServer) -> FastCgiServer,
) -> Running {
    let server = configure(
        FastCgiServer::bind("127.0.0.1:0")
            .unwrap()
            .handle_signals(false),
    );
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let task = tokio::spawn(server.serve(app));
    Running { addr, handle, task }
}

// ---------------------------------------------------------------------------
// FastCGI by hand, from the specification.

pub(crate) const BEGIN_REQUEST: u8 = 1;
pub(crate) const ABORT_REQUEST: u8 = 2;
pub(crate) const END_REQUEST: u8 = 3;
pub(crate) const PARAMS: u8 = 4;
pub(crate) const STDIN: u8 = 5;
pub(crate) const STDOUT: u8 = 6;
pub(crate) const STDERR: u8 = 7;
pub(crate) const GET_VALUES: u8 = 9;
pub(crate) const GET_VALUES_RESULT: u8 = 10;
pub(crate) const UNKNOWN_TYPE: u8 = 11;

pub(crate) const RESPONDER: u16 = 1;
pub(crate) const AUTHORIZER: u16 = 2;

/// One record: header, content, padding to 8.
pub(crate) fn record(kind: u8, id: u16, content: &[u8]) -> Vec<u8> {
    assert!(content.len() <= 0xFFFF);
    let padding = (8 - content.len() % 8) % 8;
    let mut out = vec![1, kind];
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&(content.len() as u16).to_be_bytes());
    out.push(padding as u8);
    out.push(0);
    out.extend_from_slice(content);
    out.extend(std::iter::repeat_n(0, padding));
    out
}

/// Name-value pairs, with 1- or 4-byte lengths.
pub(crate) fn pairs(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in pairs {
        for len in [name.len(), value.len()] {
            if len < 128 {
                out.push(len as u8);
            } else {
                out.extend_from_slice(&(len as u32 | 0x8000_0000).to_be_bytes());
            }
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    out
}

pub(crate) fn decode_pairs(mut bytes: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let take_len = |bytes: &mut &[u8]| {
        if bytes[0] < 128 {
            let len = bytes[0] as usize;
            *bytes = &bytes[1..];
            len
        } else {
            let len = u32::from_be_bytes(bytes[..4].try_into().unwrap()) & 0x7FFF_FFFF;
            *bytes = &bytes[4..];
            len as usize
        }
    };
    while !bytes.is_empty() {
        let name_len = take_len(&mut bytes);
        let value_len = take_len(&mut bytes);
        let name = String::from_utf8(bytes[..name_len].to_vec()).unwrap();
        let value = String::from_utf8(bytes[name_len..name_len + value_len].to_vec()).unwrap();
        bytes = &bytes[name_len + value_len..];
        out.push((name, value));
    }
    out
}

/// BEGIN_REQUEST, PARAMS (and their end), STDIN (and its end).
pub(crate) fn request(id: u16, keep_conn: bool, params: &[(&str, &str)], stdin: &[u8]) -> Vec<u8> {
    let mut out = begin(id, RESPONDER, keep_conn);
    out.extend(record(PARAMS, id, &pairs(params)));
    out.extend(record(PARAMS, id, b""));
    for chunk in stdin.chunks(0xFFFF) {
        out.extend(record(STDIN, id, chunk));
    }
    out.extend(record(STDIN, id, b""));
    out
}

pub(crate) fn begin(id: u16, role: u16, keep_conn: bool) -> Vec<u8> {
    let [hi, lo] = role.to_be_bytes();
    record(
        BEGIN_REQUEST,
        id,
        &[hi, lo, u8::from(keep_conn), 0, 0, 0, 0, 0],
    )
}

pub(crate) fn get(path: &str) -> Vec<(&'static str, String)> {
    vec![
        ("REQUEST_METHOD", "GET".to_owned()),
        ("SCRIPT_NAME", "/app".to_owned()),
        ("PATH_INFO", path.to_owned()),
        ("REQUEST_URI", format!("/app{path}")),
        ("SERVER_PROTOCOL", "HTTP/1.1".to_owned()),
        ("SERVER_NAME", "localhost".to_owned()),
        ("SERVER_PORT", "80".to_owned()),
    ]
}

pub(crate) fn as_strs<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    vars.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// A raw FastCGI connection.
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
}

/// One record read back.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rec {
    pub(crate) kind: u8,
    pub(crate) id: u16,
    pub(crate) content: Vec<u8>,
}

/// A whole response read back: STDOUT, STDERR, and END_REQUEST's statuses.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    pub(crate) app_status: u32,
    pub(crate) protocol_status: u8,
}

impl Answer {
    /// The HTTP status of the CGI head.
    pub(crate) fn status(&self) -> u16 {
        let text = String::from_utf8_lossy(&self.stdout);
        let line = text.lines().next().unwrap_or_default();
        line.strip_prefix("Status: ")
            .and_then(|s| s.get(..3))
            .unwrap_or_else(|| panic!("no Status line in {text:?}"))
            .parse()
            .unwrap()
    }

    /// The body after the CGI head.
    pub(crate) fn body(&self) -> &[u8] {
        let end = self
            .stdout
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a blank line after the head");
        &self.stdout[end + 4..]
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(self.body()).into_owned()
    }
}

impl Conn {
    pub(crate) async fn open(addr: SocketAddr) -> Self {
        Self {
            stream: TcpStream::connect(addr).await.unwrap(),
        }
    }

    pub(crate) async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next record; `None` at the end of the connection.
    pub(crate) async fn read(&mut self) -> Option<Rec> {
        let within = Duration::from_secs(20);
        tokio::time::timeout(within, self.read_inner())
            .await
            .expect("the server answers within 20 s")
    }

    async fn read_inner(&mut self) -> Option<Rec> {
        let mut header = [0u8; 8];
        match self.stream.read_exact(&mut header).await {
            Ok(_) => {}
            Err(_) => return None,
        }
        assert_eq!(header[0], 1, "version");
        let len = u16::from_be_bytes([header[4], header[5]]) as usize;
        let mut content = vec![0; len + header[6] as usize];
        self.stream.read_exact(&mut content).await.unwrap();
        content.truncate(len);
        Some(Rec {
            kind: header[1],
            id: u16::from_be_bytes([header[2], header[3]]),
            content,
        })
    }

    /// Reads records up to the END_REQUEST of `id`.
    pub(crate) async fn answer(&mut self, id: u16) -> Answer {
        let mut answer = Answer {
            stdout: Vec::new(),
            stderr: Vec::new(),
            app_status: 0,
            protocol_status: 0,
        };
        loop {
            let rec = self.read().await.expect("a record before END_REQUEST");
            assert_eq!(rec.id, id, "a record of another request: {rec:?}");
            match rec.kind {
                STDOUT => answer.stdout.extend_from_slice(&rec.content),
                STDERR => answer.stderr.extend_from_slice(&rec.content),
                END_REQUEST => {
                    answer.app_status = u32::from_be_bytes(rec.content[..4].try_into().unwrap());
                    answer.protocol_status = rec.content[4];
                    return answer;
                }
                other => panic!("unexpected record type {other}"),
            }
        }
    }

    /// Whether the server closed the connection (no more records).
    pub(crate) async fn is_closed(&mut self) -> bool {
        self.read().await.is_none()
    }
}

// ---------------------------------------------------------------------------
// Programs.

/// The path of an installed program, or a panic naming the Debian package.
pub(crate) fn find_program(name: &str, package: &str) -> PathBuf {
    for dir in [
        "/usr/sbin",
        "/usr/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
        "/sbin",
        "/bin",
    ] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!(
        "`{name}` is not installed: it comes with the Debian package `{package}` \
         (apt-get install {package})"
    );
}

/// A free TCP port on 127.0.0.1 (free now; a program given it may still
/// lose a race, so callers retry).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Counts the connections a TCP forwarder accepts: nginx talks to the
/// server through it, so a test can tell whether nginx reused a
/// connection.
pub(crate) struct CountingProxy {
    pub(crate) addr: SocketAddr,
    pub(crate) accepted: Arc<Mutex<usize>>,
    task: JoinHandle<()>,
}

impl CountingProxy {
    pub(crate) async fn start(upstream: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(0));
        let count = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                *count.lock().unwrap() += 1;
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self {
            addr,
            accepted,
            task,
        }
    }

    pub(crate) fn accepted(&self) -> usize {
        *self.accepted.lock().unwrap()
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Calls `app`, expecting a response (not an error).
pub(crate) async fn call(app: &impl App, req: Request) -> Response {
    match patiently("the answer", app.call(req)).await {
        Ok(response) => response,
        Err(err) => panic!("expected a response, got {err:#}"),
    }
}

/// Calls `app`, expecting an error.
pub(crate) async fn call_err(app: &impl App, req: Request) -> Error {
    match patiently("the answer", app.call(req)).await {
        Ok(response) => panic!("expected an error, got {}", response.status()),
        Err(err) => err,
    }
}

/// The whole body, as text.
pub(crate) async fn text(response: Response) -> String {
    let bytes = patiently("the body", response.into_body().to_bytes(1 << 30))
        .await
        .unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}
