//! The head of a CGI program's answer (RFC 3875 §6) → a status, headers
//! and what to do with them, parsed incrementally.
//!
//! [`HeadParser`] is sync and knows nothing of where the bytes come from:
//! [`CgiApp`](crate::CgiApp) feeds it reads of a child's stdout, a FastCGI
//! client feeds it the contents of `FCGI_STDOUT` records. Push bytes until
//! it returns the head; the bytes after the head are handed back as the
//! start of the body.
//!
//! ```text
//! let mut parser = HeadParser::new(HeadStyle::Cgi);
//! loop {
//!     let chunk = next_chunk().await?;                 // however they come
//!     if chunk.is_empty() {
//!         return Err(parser.ended());                  // EOF before the head's end
//!     }
//!     if let Some(Parsed { head, body_start }) = parser.push(&chunk)? {
//!         break;                                       // the rest is body
//!     }
//! }
//! ```
//!
//! What is accepted:
//! - lines end with LF or CRLF; the head ends at the first empty line;
//! - the head is at most [`DEFAULT_MAX_HEAD_SIZE`] bytes (settable);
//! - `Status: 404` with or without a reason phrase (the phrase is dropped:
//!   the `http` crate keeps the canonical one); a 1xx status is refused;
//! - `Location`: a local path (`/…`, not `//…`) with no `Status` (or 200)
//!   is a local redirect (§6.2.2), anything else goes to the client with
//!   the given status or 302 (§6.2.3, §6.2.4);
//! - every other field passes on, except the hop-by-hop ones, which belong
//!   to the server's connection (dropped with a debug log);
//! - a `Content-Length` is checked and kept, so that the caller can hold
//!   the program to it.
//!
//! What is malformed (the caller answers 502): a line without a colon, a
//! folded line (obsolete line folding), a name that is not a token or
//! followed by a space, a value with control characters, two `Status`,
//! `Location` or `Content-Type` fields, two different `Content-Length`s,
//! an empty head, a head over the limit.
//!
//! [`HeadStyle::Nph`] parses a non-parsed-header program's status line
//! (`HTTP/1.1 201 Created`) and headers and passes them on as they are:
//! `Status` and `Location` mean nothing special there. A
//! `Transfer-Encoding` there is refused, as the body can't be re-framed.

use std::borrow::Cow;
use std::fmt;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};

use crate::env::parse_length;

/// The largest head accepted unless set otherwise: 64 KiB.
pub(crate) const DEFAULT_MAX_HEAD_SIZE: usize = 64 * 1024;

/// Which kind of head the program writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeadStyle {
    /// CGI header fields (`Status`, `Location`, `Content-Type`…).
    Cgi,
    /// A non-parsed-header program's HTTP status line and header fields.
    Nph,
}

/// What a complete head says to do.
#[derive(Debug)]
pub(crate) enum Head {
    /// Answer the client with this status and these headers, then the body.
    Respond {
        /// The status to send.
        status: StatusCode,
        /// The headers to send (hop-by-hop ones removed).
        headers: HeaderMap,
        /// The body's length, when the program announced it.
        content_length: Option<u64>,
    },
    /// Serve this local path (with its query, without a fragment) instead,
    /// as a GET with no body (RFC 3875 §6.2.2); the program's body, if any,
    /// is to be discarded.
    LocalRedirect {
        /// The path and query, as the program wrote them.
        location: String,
    },
}

/// A complete head and the bytes that followed it.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The head.
    pub(crate) head: Head,
    /// The first bytes of the body (maybe none).
    pub(crate) body_start: Bytes,
}

/// An incremental parser of a CGI (or NPH) response head.
#[derive(Debug)]
pub(crate) struct HeadParser {
    style: HeadStyle,
    max_size: usize,
    buf: BytesMut,
    /// Where the line being scanned starts.
    line_start: usize,
}

impl HeadParser {
    /// A parser for a head of `style`, limited to [`DEFAULT_MAX_HEAD_SIZE`].
    pub(crate) fn new(style: HeadStyle) -> Self {
        Self {
            style,
            max_size: DEFAULT_MAX_HEAD_SIZE,
            buf: BytesMut::new(),
            line_start: 0,
        }
    }

    /// Sets the largest head accepted, in bytes, the empty line included.
    #[must_use]
    pub(crate) fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Takes the next bytes of the output. Returns the head once its empty
    /// line has come, with whatever followed it; `None` while more is
    /// needed; an error for a malformed or oversized head (push nothing
    /// more then).
    pub(crate) fn push(&mut self, data: &[u8]) -> Result<Option<Parsed>, HeadError> {
        let scan_from = self.buf.len();
        self.buf.extend_from_slice(data);
        let mut at = scan_from;
        while let Some(offset) = memchr_lf(&self.buf[at..]) {
            let newline = at + offset;
            let line = &self.buf[self.line_start..newline];
            if line.is_empty() || line == b"\r" {
                let end = newline + 1;
                if end > self.max_size {
                    return Err(self.too_large());
                }
                let head = self.buf.split_to(end);
                let head = parse_head(&head[..self.line_start], self.style)?;
                return Ok(Some(Parsed {
                    head,
                    body_start: std::mem::take(&mut self.buf).freeze(),
                }));
            }
            self.line_start = newline + 1;
            at = newline + 1;
        }
        if self.buf.len() > self.max_size {
            return Err(self.too_large());
        }
        Ok(None)
    }

    /// The error for an output that ended before the head did.
    pub(crate) fn ended(&self) -> HeadError {
        if self.buf.is_empty() {
            HeadError::incomplete("the program wrote nothing to its output".to_owned())
        } else {
            HeadError::incomplete(format!(
                "the output ended after {} bytes, before the empty line that ends the head",
                self.buf.len()
            ))
        }
    }

    fn too_large(&self) -> HeadError {
        HeadError {
            kind: HeadErrorKind::TooLarge,
            detail: format!(
                "the head is larger than the limit of {} bytes",
                self.max_size
            ),
        }
    }
}

fn memchr_lf(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'\n')
}

/// Headers that belong to a connection, never passed on from a program.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    *name == header::CONNECTION
        || *name == header::TE
        || *name == header::TRAILER
        || *name == header::UPGRADE
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// Parses the lines of a head (without its empty line).
fn parse_head(bytes: &[u8], style: HeadStyle) -> Result<Head, HeadError> {
    // `bytes` is empty or ends with its last line's LF.
    let text = bytes.strip_suffix(b"\n");
    let mut lines = text
        .into_iter()
        .flat_map(|text| text.split(|b| *b == b'\n'))
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .enumerate()
        .map(|(i, line)| (i + 1, line));

    let mut nph_status = None;
    if style == HeadStyle::Nph {
        let Some((number, line)) = lines.next() else {
            return Err(HeadError::malformed(
                1,
                b"",
                "the NPH head has no status line",
            ));
        };
        nph_status = Some(parse_status_line(line).ok_or_else(|| {
            HeadError::malformed(number, line, "not an HTTP status line (`HTTP/1.1 200 OK`)")
        })?);
    }

    let mut headers = HeaderMap::new();
    let mut status: Option<StatusCode> = None;
    let mut location: Option<HeaderValue> = None;
    let mut content_length: Option<u64> = None;
    let mut fields = 0usize;
    for (number, line) in lines {
        let (name, value) = parse_field(number, line)?;
        fields += 1;
        if style == HeadStyle::Cgi {
            if name.as_str() == "status" {
                if status.is_some() {
                    return Err(HeadError::malformed(number, line, "a second Status field"));
                }
                status = Some(parse_status_field(value.as_bytes()).ok_or_else(|| {
                    HeadError::malformed(
                        number,
                        line,
                        "Status must be a code of 200 to 999, then a reason",
                    )
                })?);
                continue;
            }
            if name == header::LOCATION {
                if location.is_some() {
                    return Err(HeadError::malformed(
                        number,
                        line,
                        "a second Location field",
                    ));
                }
                location = Some(value);
                continue;
            }
            if name == header::CONTENT_TYPE && headers.contains_key(&name) {
                return Err(HeadError::malformed(
                    number,
                    line,
                    "a second Content-Type field",
                ));
            }
        }
        if name == header::CONTENT_LENGTH {
            let len = parse_length(value.as_bytes()).ok_or_else(|| {
                HeadError::malformed(number, line, "Content-Length is not a number")
            })?;
            match content_length {
                Some(earlier) if earlier != len => {
                    return Err(HeadError::malformed(
                        number,
                        line,
                        "two different Content-Lengths",
                    ));
                }
                Some(_) => continue,
                None => content_length = Some(len),
            }
        }
        if name == header::TRANSFER_ENCODING {
            if style == HeadStyle::Nph && !value.as_bytes().eq_ignore_ascii_case(b"identity") {
                return Err(HeadError::malformed(
                    number,
                    line,
                    "an NPH program's Transfer-Encoding can't be passed on",
                ));
            }
            tracing::debug!("dropping a Transfer-Encoding field written by a CGI program");
            continue;
        }
        if is_hop_by_hop(&name) {
            tracing::debug!(
                header = name.as_str(),
                "dropping a hop-by-hop field written by a CGI program"
            );
            continue;
        }
        headers.append(name, value);
    }

    if let Some(status) = nph_status {
        return Ok(Head::Respond {
            status,
            headers,
            content_length,
        });
    }
    if fields == 0 {
        return Err(HeadError::malformed(1, b"", "the head has no header field"));
    }
    let Some(location) = location else {
        return Ok(Head::Respond {
            status: status.unwrap_or(StatusCode::OK),
            headers,
            content_length,
        });
    };
    let plain = matches!(status, None | Some(StatusCode::OK));
    if plain && is_local_path(location.as_bytes()) {
        let text = location.to_str().map_err(|_| {
            HeadError::malformed(0, location.as_bytes(), "a local Location must be ASCII")
        })?;
        let text = text.split('#').next().unwrap_or(text);
        return Ok(Head::LocalRedirect {
            location: text.to_owned(),
        });
    }
    headers.insert(header::LOCATION, pin_to_this_host(location));
    Ok(Head::Respond {
        status: if plain {
            StatusCode::FOUND
        } else {
            status.unwrap_or(StatusCode::FOUND)
        },
        headers,
        content_length,
    })
}

/// `location` kept on this host when it is written `//host…` or
/// `/\host…` (which browsers take for another host, and which is neither
/// the local path nor the absolute URL RFC 3875 §6.2 allows): a program
/// that copies a request parameter into `Location` is not an open
/// redirect. See [`paste_core::same_host_location`].
fn pin_to_this_host(location: HeaderValue) -> HeaderValue {
    match paste_core::same_host_location(&String::from_utf8_lossy(location.as_bytes())) {
        Cow::Borrowed(_) => location,
        Cow::Owned(pinned) => {
            HeaderValue::from_str(&pinned).unwrap_or(HeaderValue::from_static("/"))
        }
    }
}

/// `/path` but not `//host` or `/\host`, which browsers take for hosts.
fn is_local_path(location: &[u8]) -> bool {
    location.first() == Some(&b'/') && !matches!(location.get(1), Some(b'/' | b'\\'))
}

/// `Name: value` → a header name and its trimmed value.
fn parse_field(number: usize, line: &[u8]) -> Result<(HeaderName, HeaderValue), HeadError> {
    if matches!(line.first(), Some(b' ' | b'\t')) {
        return Err(HeadError::malformed(
            number,
            line,
            "a folded line (obsolete line folding is not accepted)",
        ));
    }
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return Err(HeadError::malformed(
            number,
            line,
            "a header line without a colon",
        ));
    };
    let name = HeaderName::from_bytes(&line[..colon])
        .map_err(|_| HeadError::malformed(number, line, "an invalid header name"))?;
    let value = trim(&line[colon + 1..]);
    let value = HeaderValue::from_bytes(value)
        .map_err(|_| HeadError::malformed(number, line, "control characters in a header value"))?;
    Ok((name, value))
}

fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

/// The code of a `Status` value: three digits, then the end or a space
/// and a reason. 1xx and lower are refused: a CGI answer is final.
fn parse_status_field(value: &[u8]) -> Option<StatusCode> {
    let (code, rest) = value.split_at_checked(3)?;
    if !code.iter().all(u8::is_ascii_digit) || !matches!(rest.first(), None | Some(b' ' | b'\t')) {
        return None;
    }
    let status = StatusCode::from_bytes(code).ok()?;
    (status.as_u16() >= 200).then_some(status)
}

/// `HTTP/1.1 200 OK` → 200.
fn parse_status_line(line: &[u8]) -> Option<StatusCode> {
    let rest = line.strip_prefix(b"HTTP/")?;
    let space = rest.iter().position(|b| *b == b' ')?;
    let version = &rest[..space];
    if version.is_empty() || !version.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return None;
    }
    parse_status_field(&rest[space + 1..])
}

/// Why a head was refused.
#[derive(Debug)]
pub(crate) struct HeadError {
    kind: HeadErrorKind,
    detail: String,
}

/// The kinds of [`HeadError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeadErrorKind {
    /// A line broke the rules.
    Malformed,
    /// The head grew past the limit.
    TooLarge,
    /// The output ended before the head did.
    Incomplete,
}

impl HeadError {
    fn malformed(number: usize, line: &[u8], why: &str) -> Self {
        const SHOWN: usize = 100;
        let shown = String::from_utf8_lossy(&line[..line.len().min(SHOWN)]);
        let more = if line.len() > SHOWN { "…" } else { "" };
        let at = if number > 0 {
            format!(" on line {number}")
        } else {
            String::new()
        };
        Self {
            kind: HeadErrorKind::Malformed,
            detail: format!("{why}{at}: \"{}\"{more}", shown.escape_debug()),
        }
    }

    fn incomplete(detail: String) -> Self {
        Self {
            kind: HeadErrorKind::Incomplete,
            detail,
        }
    }

    /// What went wrong, broadly.
    pub(crate) fn kind(&self) -> HeadErrorKind {
        self.kind
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            HeadErrorKind::Malformed => "malformed response head",
            HeadErrorKind::TooLarge => "response head too large",
            HeadErrorKind::Incomplete => "no complete response head",
        };
        write!(f, "{what}: {}", self.detail)
    }
}

impl std::error::Error for HeadError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(style: HeadStyle, input: &[u8]) -> Result<Option<Parsed>, HeadError> {
        HeadParser::new(style).push(input)
    }

    fn respond(input: &[u8]) -> (StatusCode, HeaderMap, Option<u64>, Bytes) {
        match parse(HeadStyle::Cgi, input).unwrap().unwrap() {
            Parsed {
                head:
                    Head::Respond {
                        status,
                        headers,
                        content_length,
                    },
                body_start,
            } => (status, headers, content_length, body_start),
            other => panic!("not a response: {other:?}"),
        }
    }

    fn malformed(input: &[u8]) -> String {
        let err = parse(HeadStyle::Cgi, input).unwrap_err();
        assert_eq!(err.kind(), HeadErrorKind::Malformed, "{err}");
        err.to_string()
    }

    #[test]
    fn lf_and_crlf_heads_with_their_body() {
        for input in [
            &b"Content-Type: text/plain\nX-A:  spaced \t\n\nbody\r\n"[..],
            b"Content-Type: text/plain\r\nX-A:  spaced \t\r\n\r\nbody\r\n",
        ] {
            let (status, headers, len, body) = respond(input);
            assert_eq!(status, 200);
            assert_eq!(headers["content-type"], "text/plain");
            assert_eq!(headers["x-a"], "spaced");
            assert_eq!(len, None);
            assert_eq!(body, "body\r\n");
        }
    }

    #[test]
    fn bytes_may_come_one_at_a_time() {
        let input = b"Status: 201 Created\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nrest";
        let mut parser = HeadParser::new(HeadStyle::Cgi);
        let mut done = None;
        for (i, byte) in input.iter().enumerate() {
            if let Some(parsed) = parser.push(std::slice::from_ref(byte)).unwrap() {
                done = Some((i, parsed));
                break;
            }
        }
        let (at, parsed) = done.unwrap();
        assert_eq!(at, input.len() - 5, "complete on the empty line's LF");
        let Head::Respond {
            status, headers, ..
        } = parsed.head
        else {
            panic!()
        };
        assert_eq!(status, 201);
        assert_eq!(headers.get_all("set-cookie").iter().count(), 2);
        assert!(parsed.body_start.is_empty());
    }

    #[test]
    fn status_without_a_reason_and_bad_statuses() {
        let (status, ..) = respond(b"Status: 404\n\n");
        assert_eq!(status, 404);
        let (status, ..) = respond(b"status:418 I'm a teapot\nContent-Type: a/b\n\n");
        assert_eq!(status, 418);
        for bad in [
            &b"Status: 4040\n\n"[..],
            b"Status: abc\n\n",
            b"Status: 100 Continue\n\n",
            b"Status: 099\n\n",
            b"Status:\n\n",
            b"Status: 200\nStatus: 404\n\n",
        ] {
            malformed(bad);
        }
    }

    #[test]
    fn malformed_lines() {
        assert!(malformed(b"this is not a header\n\nbody").contains("without a colon on line 1"));
        assert!(malformed(b"Content-Type: a/b\n  folded\n\n").contains("folded"));
        assert!(malformed(b"Bad Name: x\n\n").contains("invalid header name"));
        assert!(malformed(b"Name : x\n\n").contains("invalid header name"));
        assert!(malformed(b": x\n\n").contains("invalid header name"));
        assert!(malformed(b"X-A: a\x01b\n\n").contains("control characters"));
        assert!(malformed(b"X-A: a\rb\n\n").contains("control characters"));
        assert!(
            malformed(b"Content-Type: a/b\nContent-Type: c/d\n\n").contains("second Content-Type")
        );
        assert!(malformed(b"Content-Length: 3\nContent-Length: 4\n\n").contains("different"));
        assert!(malformed(b"Content-Length: -3\n\n").contains("not a number"));
        assert!(malformed(b"\nbody").contains("no header field"));
        assert!(malformed(b"\r\nbody").contains("no header field"));
    }

    #[test]
    fn a_repeated_equal_content_length_is_kept_once() {
        let (_, headers, len, _) = respond(b"Content-Length: 3\nContent-Length: 3\n\nabc");
        assert_eq!(len, Some(3));
        assert_eq!(headers.get_all("content-length").iter().count(), 1);
    }

    #[test]
    fn hop_by_hop_fields_are_dropped() {
        let (_, headers, ..) = respond(
            b"Content-Type: a/b\nConnection: close\nKeep-Alive: 5\nTransfer-Encoding: chunked\nUpgrade: x\nX-Kept: 1\n\n",
        );
        assert_eq!(headers.len(), 2, "{headers:?}");
    }

    #[test]
    fn scheme_relative_locations_stay_on_this_host() {
        for (written, sent) in [
            ("//evil.com/x", "/%2Fevil.com/x"),
            ("/\\evil.com/x", "/%2Fevil.com/x"),
            ("\\\\evil.com", "/%2Fevil.com"),
            ("///evil.com", "/%2Fevil.com"),
        ] {
            for status in ["", "Status: 301\n"] {
                let raw = format!("{status}Location: {written}\n\n");
                let (_, headers, ..) = respond(raw.as_bytes());
                assert_eq!(headers["location"], sent, "{raw:?}");
            }
        }
        let (_, headers, ..) = respond(b"Location: https://other.example/\n\n");
        assert_eq!(headers["location"], "https://other.example/");
    }

    #[test]
    fn locations() {
        let Parsed { head, .. } = parse(HeadStyle::Cgi, b"Location: /other/page?x=1#frag\n\n")
            .unwrap()
            .unwrap();
        assert!(matches!(head, Head::LocalRedirect { location } if location == "/other/page?x=1"));
        let Parsed { head, .. } = parse(HeadStyle::Cgi, b"Status: 200\nLocation: /x\n\n")
            .unwrap()
            .unwrap();
        assert!(matches!(head, Head::LocalRedirect { .. }));

        let (status, headers, ..) = respond(b"Location: http://example.com/\n\n");
        assert_eq!(
            (status, &headers["location"]),
            (
                StatusCode::FOUND,
                &"http://example.com/".parse::<HeaderValue>().unwrap()
            )
        );
        let (status, headers, ..) = respond(b"Location: //evil.example/\n\n");
        assert_eq!(
            (status, &headers["location"]),
            (
                StatusCode::FOUND,
                &"/%2Fevil.example/".parse::<HeaderValue>().unwrap()
            )
        );
        let (status, ..) = respond(b"Location: /\\evil.example/\n\n");
        assert_eq!(status, StatusCode::FOUND);
        let (status, headers, ..) =
            respond(b"Status: 301 Moved\nLocation: /new\nContent-Type: text/html\n\n<a>");
        assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(headers["location"], "/new");
        let (status, ..) = respond(b"Status: 303\nLocation: https://example.com/\n\n");
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(malformed(b"Location: /a\nLocation: /b\n\n").contains("second Location"));
    }

    #[test]
    fn the_head_size_is_limited() {
        let mut parser = HeadParser::new(HeadStyle::Cgi).max_size(64);
        assert!(parser.push(&[b'a'; 40]).unwrap().is_none());
        let err = parser.push(&[b'a'; 40]).unwrap_err();
        assert_eq!(err.kind(), HeadErrorKind::TooLarge);
        let mut parser = HeadParser::new(HeadStyle::Cgi).max_size(16);
        let err = parser.push(b"X-Long-Name: abcdefgh\n\n").unwrap_err();
        assert_eq!(err.kind(), HeadErrorKind::TooLarge);
    }

    #[test]
    fn an_early_end_says_how_far_it_got() {
        let mut parser = HeadParser::new(HeadStyle::Cgi);
        assert!(parser.ended().to_string().contains("wrote nothing"));
        parser.push(b"Content-Type: text/plain\n").unwrap();
        let err = parser.ended();
        assert_eq!(err.kind(), HeadErrorKind::Incomplete);
        assert!(err.to_string().contains("after 25 bytes"), "{err}");
    }

    #[test]
    fn nph_heads() {
        let Parsed { head, body_start } = parse(
            HeadStyle::Nph,
            b"HTTP/1.1 201 Created\r\nStatus: 500\r\nLocation: /local\r\nContent-Length: 3\r\n\r\nabc",
        )
        .unwrap()
        .unwrap();
        let Head::Respond {
            status,
            headers,
            content_length,
        } = head
        else {
            panic!()
        };
        assert_eq!(status, 201);
        assert_eq!(headers["status"], "500", "passed on as is");
        assert_eq!(headers["location"], "/local", "not a redirect in NPH");
        assert_eq!(content_length, Some(3));
        assert_eq!(body_start, "abc");

        for bad in [
            &b"Content-Type: text/plain\n\n"[..],
            b"HTTP/1.1\n\n",
            b"HTTP/1.1 99 x\n\n",
            b"HTTPS/1.1 200 OK\n\n",
            b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n",
        ] {
            let err = parse(HeadStyle::Nph, bad).unwrap_err();
            assert_eq!(err.kind(), HeadErrorKind::Malformed, "{err}");
        }
        let Parsed { head, .. } = parse(HeadStyle::Nph, b"HTTP/1.0 204 No Content\n\n")
            .unwrap()
            .unwrap();
        assert!(matches!(head, Head::Respond { status, .. } if status == 204));
    }
}
