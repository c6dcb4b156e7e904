//! Helpers shared by the `cgi_*` tests: the test programs, requests,
//! a real server, raw HTTP, and process checks.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use paste_core::{App, Body, Request, Response};
use paste_server::{Handle, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[allow(unused_imports, reason = "each test file uses a part")]
pub use crate::common::{Logs, PATIENCE, dechunk, patiently};

/// A test program of `tests/cgi-bin/`.
pub fn bin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cgi-bin")
        .join(name)
}

/// The folder of the test programs.
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cgi-bin")
}

/// Writes an executable script `name` holding `text` into `dir`.
pub fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A GET request for `target`.
pub fn get(target: &str) -> Request {
    Request::get(target).body(Body::empty()).unwrap()
}

/// Calls `app`, expecting a response (not an error).
pub async fn call(app: &impl App, req: Request) -> Response {
    match patiently("the app's answer", app.call(req)).await {
        Ok(response) => response,
        Err(err) => panic!("expected a response, got {err:#}"),
    }
}

/// Calls `app`, expecting an error, and returns its status.
pub async fn call_err(app: &impl App, req: Request) -> u16 {
    match patiently("the app's answer", app.call(req)).await {
        Ok(response) => panic!("expected an error, got {}", response.status()),
        Err(err) => err.status().as_u16(),
    }
}

/// The whole body, as text.
pub async fn text(response: Response) -> String {
    let bytes = patiently("the body", response.into_body().to_bytes(1 << 30))
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `NAME=value` lines → a map (lines without `=` are skipped).
pub fn vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Whether `pid` is a live process (a zombie is not).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// Waits until `pid` is gone, up to [`PATIENCE`]; whether it went.
pub async fn gone(pid: u32) -> bool {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Waits until our child `pid` has been reaped (no zombie left), up to
/// [`PATIENCE`]; whether it was.
pub async fn reaped(pid: u32) -> bool {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Waits for `path` to hold two pids (`$$ $!` of the test programs).
pub async fn pids(path: &Path) -> (u32, u32) {
    patiently("the pid file", async {
        loop {
            if let Ok(text) = std::fs::read_to_string(path)
                && let Some((a, b)) = text.trim().split_once(' ')
            {
                return (a.parse().unwrap(), b.parse().unwrap());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// A paste-server on 127.0.0.1, shut down when dropped.
pub struct Running {
    pub addr: SocketAddr,
    handle: Handle,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// Serves `app` on a fresh port of 127.0.0.1.
pub fn serve(app: impl App) -> Running {
    let server = Server::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false)
        .max_body_size(200 * 1024 * 1024);
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    tokio::spawn(server.serve(app));
    Running { addr, handle }
}

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Answer {
    /// The values of header `name`.
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `raw` as is (it should ask for `Connection: close`) and reads the
/// answer to the end of the connection.
pub async fn send(addr: SocketAddr, raw: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut bytes = Vec::new();
    patiently("the server's answer", stream.read_to_end(&mut bytes))
        .await
        .unwrap();
    parse_answer(&bytes)
}

/// Splits a raw HTTP/1.1 answer, undoing chunked coding.
pub fn parse_answer(bytes: &[u8]) -> Answer {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let rest = &bytes[split + 4..];
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Answer { status, head, body }
}
