//! Rewriting response bodies of chosen content types (WSGIFilter's
//! `Filter`, kept small).
//!
//! Implement [`BodyFilter`] and wrap an app in a [`FilterApp`]: for each
//! response the filter [wants](BodyFilter::wants), the body is read whole
//! (under a size limit), un-gzipped if it was gzipped, decoded from its
//! charset, handed to [`filter`](BodyFilter::filter), then encoded and
//! compressed back; the headers are fixed to match. Every other response
//! streams through untouched.
//!
//! ```
//! use paste_core::{App, Request, Response, app_fn, http::header};
//! use paste_middleware::filter::{BodyFilter, FilterApp};
//!
//! struct Banner;
//!
//! impl BodyFilter for Banner {
//!     fn wants(&self, content_type: &str) -> bool {
//!         content_type == "text/html"
//!     }
//!     fn filter(&self, text: String) -> String {
//!         text.replacen("<body>", "<body><p>Staging!</p>", 1)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = FilterApp::new(
//!     app_fn(|_req| async {
//!         let mut response = Response::new("<html><body>Hi</body></html>".into());
//!         response.headers_mut().insert(header::CONTENT_TYPE, "text/html".parse().unwrap());
//!         Ok(response)
//!     }),
//!     Banner,
//! );
//! let response = app.call(Request::get("/").body(().into()).unwrap()).await.unwrap();
//! assert_eq!(response.headers()["content-length"], "43");
//! let body = response.into_body().to_bytes(1024).await.unwrap();
//! assert_eq!(body, "<html><body><p>Staging!</p>Hi</body></html>");
//! # }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::io::{Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use http::header::{
    ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, HeaderValue,
};
use http::{Method, StatusCode};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use paste_core::{App, Body, Error, Request, Response, Result};

/// The default [`FilterApp::limit`]: 4 MiB.
pub const DEFAULT_LIMIT: u64 = 4 << 20;

/// A rewriter of response bodies.
pub trait BodyFilter: Send + Sync + 'static {
    /// Whether to filter responses of this media type: the `Content-Type`
    /// without its parameters, trimmed and lower-cased (`text/html`).
    fn wants(&self, content_type: &str) -> bool;

    /// The new body for `text`, the decoded old one.
    fn filter(&self, text: String) -> String;
}

/// Middleware that runs a [`BodyFilter`] on the responses it wants; see
/// the [module docs](self).
///
/// A response is filtered when it is a 200 (any status with a body, with
/// [`all_statuses`](FilterApp::all_statuses)) to a request other than
/// `HEAD`, the filter wants its type, its `Content-Encoding` is none,
/// `identity` or `gzip`, and its charset is UTF-8 (the default), US-ASCII
/// or ISO-8859-1. Otherwise — and also when the body is longer than the
/// [`limit`](FilterApp::limit), compressed or not, or is not valid in its
/// charset — the response passes through unchanged, still streaming.
///
/// A filtered response gets a new `Content-Length`; it loses a strong
/// `ETag` (a weak one stays), `Accept-Ranges` and `Content-MD5`. Text that
/// was ISO-8859-1 stays so when the filter's output fits in it; otherwise
/// it is sent as UTF-8 and the `Content-Type`'s charset says so.
pub struct FilterApp<A, F> {
    app: A,
    filter: F,
    limit: u64,
    all_statuses: bool,
}

impl<A, F: BodyFilter> FilterApp<A, F> {
    /// Wraps `app`, filtering with `filter`.
    pub fn new(app: A, filter: F) -> Self {
        Self {
            app,
            filter,
            limit: DEFAULT_LIMIT,
            all_statuses: false,
        }
    }

    /// Bodies longer than `bytes` (before and after un-gzipping) pass
    /// through unfiltered. [`DEFAULT_LIMIT`] unless set.
    #[must_use]
    pub fn limit(mut self, bytes: u64) -> Self {
        self.limit = bytes;
        self
    }

    /// Filters every status that has a body, not only 200 (error pages
    /// too). Off unless set, as in WSGIFilter.
    #[must_use]
    pub fn all_statuses(mut self, all: bool) -> Self {
        self.all_statuses = all;
        self
    }
}

impl<A, F> fmt::Debug for FilterApp<A, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilterApp")
            .field("filter", &std::any::type_name::<F>())
            .field("limit", &self.limit)
            .field("all_statuses", &self.all_statuses)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Latin1,
}

impl<A: App, F: BodyFilter> App for FilterApp<A, F> {
    async fn call(&self, req: Request) -> Result {
        let head = req.method() == Method::HEAD;
        let response = self.app.call(req).await?;
        let Some((gzipped, charset)) = self.selects(&response, head) else {
            return Ok(response);
        };
        if http_body::Body::size_hint(response.body()).lower() > self.limit {
            return Ok(response);
        }
        let (mut parts, mut body) = response.into_parts();
        let mut chunks = VecDeque::new();
        let mut total = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue; // trailers are dropped with the old framing
            };
            total += data.len() as u64;
            chunks.push_back(data);
            if total > self.limit {
                let body = Body::new(Prefixed { chunks, rest: body });
                return Ok(Response::from_parts(parts, body));
            }
        }
        let raw: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        let Some(new_body) = self.rewrite(&raw, gzipped, charset, &mut parts.headers) else {
            return Ok(Response::from_parts(parts, Body::from(raw)));
        };
        let headers = &mut parts.headers;
        headers.insert(CONTENT_LENGTH, HeaderValue::from(new_body.len()));
        if headers
            .get(ETAG)
            .is_some_and(|etag| !etag.as_bytes().starts_with(b"W/"))
        {
            headers.remove(ETAG);
        }
        headers.remove(ACCEPT_RANGES);
        headers.remove("content-md5");
        Ok(Response::from_parts(parts, Body::from(new_body)))
    }
}

impl<A, F: BodyFilter> FilterApp<A, F> {
    /// Whether to filter `response`: `(gzipped, charset)` if so.
    fn selects(&self, response: &Response, head: bool) -> Option<(bool, Charset)> {
        let status = response.status();
        let filtered_status = if self.all_statuses {
            !(status.is_informational()
                || status == StatusCode::NO_CONTENT
                || status == StatusCode::PARTIAL_CONTENT
                || status == StatusCode::NOT_MODIFIED)
        } else {
            status == StatusCode::OK
        };
        if head || !filtered_status {
            return None;
        }
        let content_type = response.headers().get(CONTENT_TYPE)?.to_str().ok()?;
        let mut params = content_type.split(';');
        let essence = params.next()?.trim().to_ascii_lowercase();
        if !self.filter.wants(&essence) {
            return None;
        }
        let mut charset = Charset::Utf8;
        for param in params {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("charset") {
                let value = value.trim().trim_matches('"').to_ascii_lowercase();
                charset = match value.as_str() {
                    "utf-8" | "utf8" | "us-ascii" | "ascii" => Charset::Utf8,
                    "iso-8859-1" | "latin1" | "latin-1" | "l1" | "iso_8859-1" => Charset::Latin1,
                    _ => return None,
                };
            }
        }
        let mut encodings = response.headers().get_all(CONTENT_ENCODING).iter();
        let gzipped = match (encodings.next(), encodings.next()) {
            (None, _) => false,
            (Some(one), None) => match one.to_str().ok()?.trim().to_ascii_lowercase().as_str() {
                "identity" | "" => false,
                "gzip" | "x-gzip" => true,
                _ => return None,
            },
            _ => return None,
        };
        Some((gzipped, charset))
    }

    /// The filtered body, or `None` to send the old one as it was.
    fn rewrite(
        &self,
        raw: &[u8],
        gzipped: bool,
        charset: Charset,
        headers: &mut http::HeaderMap,
    ) -> Option<Vec<u8>> {
        let decoded;
        let bytes = if gzipped {
            let mut out = Vec::new();
            MultiGzDecoder::new(raw)
                .take(self.limit.saturating_add(1))
                .read_to_end(&mut out)
                .ok()?;
            if out.len() as u64 > self.limit {
                return None;
            }
            decoded = out;
            &decoded[..]
        } else {
            raw
        };
        let text = match charset {
            Charset::Utf8 => String::from_utf8(bytes.to_vec()).ok()?,
            Charset::Latin1 => bytes.iter().copied().map(char::from).collect(),
        };
        let output = self.filter.filter(text);
        let encoded = match charset {
            Charset::Latin1 if output.chars().all(|c| u32::from(c) <= 0xff) => output
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
            Charset::Latin1 => {
                set_utf8_charset(headers);
                output.into_bytes()
            }
            Charset::Utf8 => output.into_bytes(),
        };
        if gzipped {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
            encoder.write_all(&encoded).ok()?;
            encoder.finish().ok()
        } else {
            Some(encoded)
        }
    }
}

/// Replaces the charset parameter of the `Content-Type` with `utf-8`.
fn set_utf8_charset(headers: &mut http::HeaderMap) {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return;
    };
    let mut out = String::new();
    for (i, part) in value.split(';').enumerate() {
        let is_charset = part
            .split_once('=')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("charset"));
        if i > 0 {
            out.push(';');
        }
        if is_charset {
            out.push_str(" charset=utf-8");
        } else {
            out.push_str(part);
        }
    }
    if let Ok(value) = HeaderValue::from_str(&out) {
        headers.insert(CONTENT_TYPE, value);
    }
}

/// The chunks already read, then the rest of the body.
struct Prefixed {
    chunks: VecDeque<Bytes>,
    rest: Body,
}

impl http_body::Body for Prefixed {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.chunks.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        Pin::new(&mut this.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let buffered: u64 = self.chunks.iter().map(|c| c.len() as u64).sum();
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower() + buffered);
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + buffered);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charset_parameter_is_replaced() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; Charset=\"ISO-8859-1\"; level=1"),
        );
        set_utf8_charset(&mut headers);
        assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8; level=1");
    }
}
