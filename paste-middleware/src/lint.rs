//! A checker of responses for HTTP validity (Paste's `paste.lint`, for the
//! typed world).
//!
//! The [`http`] crate already guarantees what Paste's lint spent most of
//! its checks on: header names are tokens, values have no CR or LF, the
//! status is a three-digit number. [`Lint`] checks what it does not: the
//! status range, framing headers (`Content-Length` against the bytes the
//! body really has), bodies where HTTP forbids them, a `Content-Type` for
//! every body, redirect `Location`s and hop-by-hop headers.
//!
//! A violation found in the headers makes the call fail with a 500
//! [`Error`] whose message names it; one found while the body streams
//! ends the body with such an error. Each message starts with `lint: `.
//!
//! ```
//! use paste_core::{App, Request, Response, app_fn, http::header};
//! use paste_middleware::lint::Lint;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = Lint::new(app_fn(|_req| async {
//!     let mut response = Response::new("Hello, World!".into());
//!     response.headers_mut().insert(header::CONTENT_LENGTH, 5.into());
//!     response.headers_mut().insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
//!     Ok(response)
//! }));
//! let err = app.call(Request::get("/").body(().into()).unwrap()).await.unwrap_err();
//! assert_eq!(err.status(), 500);
//! assert_eq!(err.message(), Some("lint: Content-Length is 5 but the body has 13 bytes"));
//! # }
//! ```

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, LOCATION};
use http::{Method, StatusCode};
use http_body::{Frame, SizeHint};
use paste_core::{App, Body, Error, Request, Response, Result};

/// Headers that concern one connection, which the server manages; an app
/// must not set them (PEP 3333 says the same of WSGI apps).
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
];

/// Middleware that checks every response of the app it wraps; see the
/// [module docs](self).
///
/// The checks, in order:
///
/// - the status is in 100–599, and not an informational one other than
///   `101 Switching Protocols` (those are not final responses);
/// - no hop-by-hop header (`Connection`, `Transfer-Encoding`, …; `Upgrade`
///   is allowed on a 101);
/// - no header value holds a control character other than tab (the
///   [`http`] crate refuses them, except through `unsafe` constructors);
/// - at most one `Content-Length`, a decimal number, and none on a 1xx or
///   204 response;
/// - no body on 1xx, 204 and 304 responses, nor for `HEAD` requests (see
///   [`allow_head_body`](Lint::allow_head_body));
/// - a body of known length has exactly `Content-Length` bytes — or, when
///   streamed, ends with exactly that many;
/// - a non-empty body comes with a `Content-Type` that is a media type
///   (`type/subtype`);
/// - a 301, 302, 303, 307 or 308 has a `Location`; a `Location` is one
///   header, not empty, and without spaces.
///
/// Errors (`Err`) from the app pass through; only their status range is
/// checked.
#[derive(Clone)]
pub struct Lint<A> {
    app: A,
    allow_head_body: bool,
}

impl<A> Lint<A> {
    /// Wraps `app`.
    pub fn new(app: A) -> Self {
        Self {
            app,
            allow_head_body: false,
        }
    }

    /// Accepts a body in the response to a `HEAD` request. The server
    /// discards it (keeping its length as `Content-Length`), so an app that
    /// answers `HEAD` as it answers `GET` works; off by default, because
    /// such an app does the work of a `GET` for nothing.
    #[must_use]
    pub fn allow_head_body(mut self, allow: bool) -> Self {
        self.allow_head_body = allow;
        self
    }
}

impl<A> fmt::Debug for Lint<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lint")
            .field("allow_head_body", &self.allow_head_body)
            .finish_non_exhaustive()
    }
}

/// A violation: a 500 whose message says what was wrong.
fn violation(message: String) -> Error {
    tracing::warn!(target: "paste.lint", "{message}");
    Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_message(message)
}

impl<A: App> App for Lint<A> {
    async fn call(&self, req: Request) -> Result {
        let head = req.method() == Method::HEAD;
        match self.app.call(req).await {
            Ok(response) => self.check(response, head).map_err(violation),
            Err(err) => {
                let status = err.status().as_u16();
                if (100..=599).contains(&status) {
                    Err(err)
                } else {
                    Err(violation(format!(
                        "lint: the app's error has status {status}, not in 100-599"
                    )))
                }
            }
        }
    }
}

impl<A> Lint<A> {
    fn check(&self, response: Response, head: bool) -> std::result::Result<Response, String> {
        let status = response.status();
        let code = status.as_u16();
        if !(100..=599).contains(&code) {
            return Err(format!("lint: status {code} is not in 100-599"));
        }
        if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
            return Err(format!(
                "lint: status {code} is informational, not a final response"
            ));
        }
        let headers = response.headers();
        check_headers(headers, status)?;
        let content_length = content_length(headers)?;
        let bodiless_status = status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        if content_length.is_some()
            && (status.is_informational() || status == StatusCode::NO_CONTENT)
        {
            return Err(format!(
                "lint: a {code} response must not have a Content-Length"
            ));
        }
        let no_body = if bodiless_status {
            Some(format!("a {code} response"))
        } else if head && !self.allow_head_body {
            Some("the response to a HEAD request".to_owned())
        } else {
            None
        };
        let hint = http_body::Body::size_hint(response.body());
        if let Some(what) = &no_body
            && hint.lower() > 0
        {
            return Err(format!(
                "lint: {what} must have no body, but it has {} bytes",
                hint.lower()
            ));
        }
        // A HEAD response and a 304 announce the length of the GET's body.
        let expected = content_length.filter(|_| !head && status != StatusCode::NOT_MODIFIED);
        if let (Some(expected), Some(exact)) = (expected, hint.exact())
            && expected != exact
        {
            return Err(format!(
                "lint: Content-Length is {expected} but the body has {exact} bytes"
            ));
        }
        let has_type = headers.contains_key(CONTENT_TYPE);
        if !has_type && !head && hint.lower() > 0 {
            return Err(format!(
                "lint: a {code} response with a body has no Content-Type"
            ));
        }
        if http_body::Body::is_end_stream(response.body()) {
            return Ok(response);
        }
        Ok(response.map(|inner| {
            Body::new(LintBody {
                inner,
                expected,
                no_body,
                needs_type: !has_type && !head,
                code,
                seen: 0,
                failed: false,
            })
        }))
    }
}

fn check_headers(headers: &HeaderMap, status: StatusCode) -> std::result::Result<(), String> {
    for name in HOP_BY_HOP {
        if name == "upgrade" && status == StatusCode::SWITCHING_PROTOCOLS {
            continue;
        }
        if headers.contains_key(name) {
            return Err(format!(
                "lint: the hop-by-hop header {} is the server's to set, not the app's",
                display_name(name)
            ));
        }
    }
    for (name, value) in headers {
        if value
            .as_bytes()
            .iter()
            .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
        {
            return Err(format!(
                "lint: the value of {} has a control character",
                display_name(name.as_str())
            ));
        }
    }
    if let Some(content_type) = headers.get(CONTENT_TYPE) {
        let text = String::from_utf8_lossy(content_type.as_bytes());
        let essence = text.split(';').next().unwrap_or("").trim();
        let valid = essence
            .split_once('/')
            .is_some_and(|(t, s)| is_token(t) && is_token(s));
        if !valid {
            return Err(format!("lint: Content-Type {text:?} is not a media type"));
        }
    }
    let locations: Vec<_> = headers.get_all(LOCATION).iter().collect();
    match locations.as_slice() {
        [] if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) => {
            return Err(format!(
                "lint: a {} redirect has no Location",
                status.as_u16()
            ));
        }
        [] => {}
        [location] => {
            if location.is_empty() {
                return Err("lint: Location is empty".to_owned());
            }
            if location.as_bytes().iter().any(|&b| b == b' ' || b == b'\t') {
                return Err(format!(
                    "lint: Location {:?} has a space in it",
                    String::from_utf8_lossy(location.as_bytes())
                ));
            }
        }
        many => return Err(format!("lint: {} Location headers", many.len())),
    }
    Ok(())
}

/// The one `Content-Length`, if any.
fn content_length(headers: &HeaderMap) -> std::result::Result<Option<u64>, String> {
    let values: Vec<_> = headers.get_all(CONTENT_LENGTH).iter().collect();
    match values.as_slice() {
        [] => Ok(None),
        [value] => {
            let text = String::from_utf8_lossy(value.as_bytes());
            let valid = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
            match text.parse::<u64>() {
                Ok(len) if valid => Ok(Some(len)),
                _ => Err(format!("lint: Content-Length {text:?} is not a number")),
            }
        }
        many => Err(format!("lint: {} Content-Length headers", many.len())),
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `content-length` as `Content-Length`, for messages.
fn display_name(name: &str) -> String {
    let known: Option<&str> = match name {
        "content-length" => Some("Content-Length"),
        "content-type" => Some("Content-Type"),
        "transfer-encoding" => Some("Transfer-Encoding"),
        "connection" => Some("Connection"),
        "te" => Some("TE"),
        _ => None,
    };
    known.map_or_else(
        || {
            name.split('-')
                .map(|part| {
                    let mut chars = part.chars();
                    chars.next().map_or_else(String::new, |first| {
                        first.to_ascii_uppercase().to_string() + chars.as_str()
                    })
                })
                .collect::<Vec<_>>()
                .join("-")
        },
        str::to_owned,
    )
}

/// The body, checked as it streams.
struct LintBody {
    inner: Body,
    /// The `Content-Length` to check the body against.
    expected: Option<u64>,
    /// Why the body must be empty, when it must.
    no_body: Option<String>,
    needs_type: bool,
    code: u16,
    seen: u64,
    failed: bool,
}

impl LintBody {
    fn fail(&mut self, message: String) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        self.failed = true;
        Poll::Ready(Some(Err(violation(message))))
    }
}

impl http_body::Body for LintBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                if len > 0 {
                    if let Some(what) = this.no_body.take() {
                        return this
                            .fail(format!("lint: {what} must have no body, but it sent data"));
                    }
                    if this.needs_type {
                        let code = this.code;
                        return this.fail(format!(
                            "lint: a {code} response with a body has no Content-Type"
                        ));
                    }
                }
                this.seen += len;
                if let Some(expected) = this.expected
                    && this.seen > expected
                {
                    let seen = this.seen;
                    return this.fail(format!(
                        "lint: Content-Length is {expected} but the body had at least {seen} bytes"
                    ));
                }
            }
            None => {
                if let Some(expected) = this.expected
                    && this.seen != expected
                {
                    let seen = this.seen;
                    return this.fail(format!(
                        "lint: Content-Length is {expected} but the body had {seen} bytes"
                    ));
                }
            }
            Some(Err(_)) => {}
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shown_in_their_usual_case() {
        assert_eq!(display_name("keep-alive"), "Keep-Alive");
        assert_eq!(display_name("te"), "TE");
        assert_eq!(display_name("x-a--b"), "X-A--B");
    }

    #[test]
    fn content_lengths_must_be_decimal() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, "+5".parse().unwrap());
        assert!(content_length(&headers).is_err());
        headers.insert(CONTENT_LENGTH, "05".parse().unwrap());
        assert_eq!(content_length(&headers), Ok(Some(5)));
        headers.insert(CONTENT_LENGTH, "99999999999999999999999".parse().unwrap());
        assert!(content_length(&headers).is_err());
    }
}
