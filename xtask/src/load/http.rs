//! A small HTTP/1.1 client on raw sockets: the harness needs to see what
//! a library would hide — a reset, a close before the answer, a body cut
//! short — and to time each request itself.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One answer, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The header fields, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked (but not decompressed).
    pub body: Vec<u8>,
    /// Whether the server said it closes the connection after this answer.
    pub close: bool,
}

impl Answer {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How a request went wrong, as the harness counts it.
#[derive(Debug)]
pub enum Failure {
    /// The connection was reset (ECONNRESET, EPIPE).
    Reset,
    /// The server closed the connection before a byte of the answer.
    Closed,
    /// The answer started but ended before it was whole (a cut body).
    Cut,
    /// The answer is not HTTP.
    Malformed(String),
    /// Anything else (refused, timed out…).
    Io(io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Reset => f.write_str("connection reset"),
            Self::Closed => f.write_str("closed before the answer"),
            Self::Cut => f.write_str("answer cut short"),
            Self::Malformed(what) => write!(f, "malformed answer: {what}"),
            Self::Io(err) => write!(f, "{err}"),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => Self::Reset,
            io::ErrorKind::UnexpectedEof => Self::Cut,
            _ => Self::Io(err),
        }
    }
}

/// A GET request's bytes, with extra header lines (each ending in CRLF).
pub fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{extra}\r\n").into_bytes()
}

/// A keep-alive connection.
#[derive(Debug)]
pub struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
        })
    }

    /// Sends raw bytes.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.stream.get_mut().write_all(bytes).await?;
        Ok(())
    }

    /// Sends a request and reads its answer.
    pub async fn request(&mut self, bytes: &[u8], head: bool) -> Result<Answer, Failure> {
        self.send(bytes).await?;
        self.answer(head).await
    }

    /// Reads one answer (`head`: the answer to a HEAD request, no body).
    pub async fn answer(&mut self, head: bool) -> Result<Answer, Failure> {
        read_answer(&mut self.stream, head).await
    }

    /// Waits for the server to close the connection: `Ok(bytes read)` on
    /// a clean end, `Err(Reset)` on a reset.
    pub async fn until_closed(&mut self) -> Result<usize, Failure> {
        let mut sink = [0u8; 8192];
        let mut total = 0;
        loop {
            match self.stream.read(&mut sink).await? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }

    /// The socket.
    pub fn socket(&mut self) -> &mut TcpStream {
        self.stream.get_mut()
    }
}

/// Reads one HTTP/1.1 answer from `reader`.
pub async fn read_answer<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    head: bool,
) -> Result<Answer, Failure> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Err(Failure::Closed);
    }
    let status = parse_status_line(&line)?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err(Failure::Cut);
        }
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed
            .split_once(':')
            .ok_or_else(|| Failure::Malformed(format!("header line {trimmed:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut answer = Answer {
        status,
        close: false,
        headers,
        body: Vec::new(),
    };
    answer.close = answer
        .header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    if head || status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(answer);
    }
    if answer
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        answer.body = read_chunked(reader).await?;
    } else if let Some(len) = answer.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| Failure::Malformed(format!("content-length {len:?}")))?;
        let mut body = vec![0; len];
        reader.read_exact(&mut body).await?;
        answer.body = body;
    } else {
        // Delimited by the close: only a clean end is a whole answer.
        reader.read_to_end(&mut answer.body).await?;
        answer.close = true;
    }
    Ok(answer)
}

/// The status code of a status line.
pub fn parse_status_line(line: &str) -> Result<u16, Failure> {
    let mut parts = line.split_ascii_whitespace();
    match (parts.next(), parts.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/1.") => code
            .parse()
            .ok()
            .filter(|c| (100..600).contains(c))
            .ok_or_else(|| Failure::Malformed(format!("status line {line:?}"))),
        _ => Err(Failure::Malformed(format!("status line {line:?}"))),
    }
}

async fn read_chunked<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err(Failure::Cut);
        }
        let size = line.trim_end().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size.trim(), 16)
            .map_err(|_| Failure::Malformed(format!("chunk size {line:?}")))?;
        if size == 0 {
            // Trailers, then the blank line.
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 {
                    return Err(Failure::Cut);
                }
                if line.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size + 2, 0);
        reader.read_exact(&mut body[start..]).await?;
        body.truncate(start + size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(bytes: &[u8]) -> Result<Answer, Failure> {
        let mut reader = BufReader::new(bytes);
        read_answer(&mut reader, false).await
    }

    #[tokio::test]
    async fn reads_a_sized_answer() {
        let a = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello")
            .await
            .unwrap();
        assert_eq!(
            (a.status, a.text().as_str(), a.close),
            (200, "hello", false)
        );
        assert_eq!(a.header("x"), Some("y"));
    }

    #[tokio::test]
    async fn reads_a_chunked_answer() {
        let a = parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(a.text(), "abcde");
        assert!(a.close);
    }

    #[tokio::test]
    async fn a_short_body_is_cut_not_complete() {
        let cut = parse(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc").await;
        assert!(matches!(cut, Err(Failure::Cut)), "{cut:?}");
        let cut = parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n").await;
        assert!(matches!(cut, Err(Failure::Cut)), "{cut:?}");
    }

    #[tokio::test]
    async fn nothing_is_closed_and_garbage_is_malformed() {
        assert!(matches!(parse(b"").await, Err(Failure::Closed)));
        assert!(matches!(
            parse(b"garbage\r\n\r\n").await,
            Err(Failure::Malformed(_))
        ));
        assert!(matches!(
            parse(b"HTTP/1.1 999 X\r\n\r\n").await,
            Err(Failure::Malformed(_))
        ));
    }
}
