//! Gzip compression of responses, streamed chunk by chunk (Paste's
//! `paste.gzipper`).
//!
//! [`Gzip`] compresses a response when the request accepts gzip and the
//! response is worth compressing; each chunk the app produces is compressed
//! and flushed at once, so a streamed response stays streamed.
//!
//! ```
//! use paste_core::{App, Request, Response, app_fn, http::header};
//! use paste_middleware::gzip::Gzip;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = Gzip::new(app_fn(|_req| async {
//!     let mut response = Response::new("Hello, World! ".repeat(100).into());
//!     response.headers_mut().insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
//!     Ok(response)
//! }));
//!
//! let req = Request::get("/").header("accept-encoding", "gzip, br").body(().into()).unwrap();
//! let response = app.call(req).await.unwrap();
//! assert_eq!(response.headers()["content-encoding"], "gzip");
//! assert_eq!(response.headers()["vary"], "Accept-Encoding");
//! let compressed = response.into_body().to_bytes(1 << 20).await.unwrap();
//! assert!(compressed.len() < 1400);
//! # }
//! ```

use std::fmt;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use http::header::{
    ACCEPT_ENCODING, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE,
    ETAG, HeaderMap, HeaderValue, VARY,
};
use http::{Method, StatusCode};
use http_body::{Frame, SizeHint};
use paste_core::{App, Body, Error, Request, Response, Result};
use webob::accept::AcceptEncoding;

use crate::future::map;

/// The default [`Gzip::min_size`]: below 256 bytes the gzip header and
/// trailer (18 bytes) eat most of what compression saves.
pub const DEFAULT_MIN_SIZE: u64 = 256;

/// The default [`Gzip::level`]: zlib's default, and Paste's.
pub const DEFAULT_LEVEL: u32 = 6;

/// Middleware that gzips responses for clients that accept it.
///
/// A response is compressed when all of these hold:
///
/// - the request's `Accept-Encoding` is present and accepts `gzip` (or
///   `x-gzip`, or `*`), and does not name `identity` with a higher
///   quality: `gzip;q=0`, `identity` alone and `*;q=0` all turn it off;
/// - the method is not `HEAD`, and the status is not 1xx, 204, 206 or 304;
/// - the response has no `Content-Encoding` (other than `identity`) and no
///   `Cache-Control: no-transform`;
/// - its `Content-Type` is present and compressible: not an image (SVG
///   is compressed), audio, video, WOFF font or compressed archive, and not
///   `application/octet-stream`;
/// - its length, when known in advance, is at least [`min_size`](Gzip::min_size).
///
/// A compressed response gets `Content-Encoding: gzip`, loses its
/// `Content-Length` (the body is streamed) and `Accept-Ranges`, and a
/// strong `ETag` becomes weak (`W/"…"`). Every response whose type could
/// be compressed gets `Vary: Accept-Encoding`, added once, whether or not
/// this request's was.
///
/// ```
/// use paste_core::{App, Request, Response, app_fn};
/// use paste_middleware::gzip::Gzip;
///
/// let app = Gzip::new(app_fn(|_req: Request| async { Ok(Response::new("hi".into())) }))
///     .min_size(1024)
///     .level(9);
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct Gzip<A> {
    app: A,
    min_size: u64,
    level: u32,
}

impl<A> Gzip<A> {
    /// Wraps `app` with the default minimum size and level.
    pub fn new(app: A) -> Self {
        Self {
            app,
            min_size: DEFAULT_MIN_SIZE,
            level: DEFAULT_LEVEL,
        }
    }

    /// Responses whose length is known and under `bytes` are sent as they
    /// are ([`DEFAULT_MIN_SIZE`] unless set). Streamed responses of
    /// unknown length are always compressed.
    #[must_use]
    pub fn min_size(mut self, bytes: u64) -> Self {
        self.min_size = bytes;
        self
    }

    /// The compression level, from 0 (none, fastest) to 9 (smallest);
    /// higher values are taken as 9. [`DEFAULT_LEVEL`] unless set.
    #[must_use]
    pub fn level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// The wrapped app.
    pub fn inner(&self) -> &A {
        &self.app
    }
}

impl<A> fmt::Debug for Gzip<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gzip")
            .field("min_size", &self.min_size)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl<A: App> App for Gzip<A> {
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send {
        // The app is called at once, and the answer handled when it comes
        // (see `crate::future`).
        let head = req.method() == Method::HEAD;
        let accepts = accepts_gzip(req.headers());
        map(self.app.call(req), move |outcome: Result| {
            let mut response = outcome?;
            let Some(has_vary) = inspect(response.headers()) else {
                return Ok(response);
            };
            if !has_vary {
                response
                    .headers_mut()
                    .append(VARY, HeaderValue::from_static("Accept-Encoding"));
            }
            if accepts && !head && self.worth_compressing(&response) {
                compress(&mut response, self.level);
            }
            Ok(response)
        })
    }
}

impl<A> Gzip<A> {
    fn worth_compressing(&self, response: &Response) -> bool {
        let status = response.status();
        if status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::PARTIAL_CONTENT
            || status == StatusCode::NOT_MODIFIED
        {
            return false;
        }
        let no_transform = response
            .headers()
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|d| d.trim().eq_ignore_ascii_case("no-transform"));
        if no_transform {
            return false;
        }
        let body = response.body();
        if http_body::Body::is_end_stream(body) {
            return false;
        }
        let known = http_body::Body::size_hint(body).exact().or_else(|| {
            response
                .headers()
                .get(CONTENT_LENGTH)?
                .to_str()
                .ok()?
                .parse()
                .ok()
        });
        known.is_none_or(|len| len >= self.min_size)
    }
}

/// Whether the request accepts gzip, and does not name `identity` with a
/// higher quality. A missing (or unparsable) header means no compression:
/// RFC 9110 allows any coding then, but clients that send nothing rarely
/// decode anything.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    // The values joined as webob's `Request::accept_encoding` joins them
    // (one that is not visible ASCII makes the header invalid), without
    // wrapping the request: most requests have one value, or none.
    let mut values = headers.get_all(ACCEPT_ENCODING).iter();
    let Some(first) = values.next() else {
        return false;
    };
    let Ok(first) = first.to_str() else {
        return false;
    };
    let mut joined = std::borrow::Cow::Borrowed(first);
    for value in values {
        let Ok(value) = value.to_str() else {
            return false;
        };
        let list = joined.to_mut();
        list.push_str(", ");
        list.push_str(value);
    }
    let accept = AcceptEncoding::parse(&joined);
    if !accept.is_present() {
        return false;
    }
    let gzip = accept.quality("gzip");
    let identity = accept
        .ranges()
        .into_iter()
        .find(|(coding, _)| coding == "identity")
        .map_or(0.0, |(_, q)| q);
    gzip > 0.0 && gzip >= identity
}

/// Reads a response's headers in one pass (this runs for every
/// response): `None` unless it is of a type that gzip shrinks and not
/// already encoded; else whether its `Vary` already names
/// `Accept-Encoding` (or `*`).
fn inspect(headers: &HeaderMap) -> Option<bool> {
    let mut content_type = None;
    let mut has_vary = false;
    for (name, value) in headers {
        if name == CONTENT_ENCODING {
            if !value.as_bytes().eq_ignore_ascii_case(b"identity") {
                return None;
            }
        } else if name == CONTENT_TYPE {
            // The first one.
            content_type.get_or_insert(value);
        } else if name == VARY && !has_vary {
            has_vary = varies_on_encoding(value);
        }
    }
    compressible_type(content_type?).then_some(has_vary)
}

/// [`is_compressible`] of a `Content-Type` value; `false` unless it is
/// visible ASCII (what [`HeaderValue::to_str`] accepts). The common
/// `text/…` is answered from the bytes, checked in one branch-free pass,
/// without the slower `str` conversion.
fn compressible_type(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    let visible = bytes.iter().fold(true, |ok, &b| {
        ok & ((b >= b' ' && b != 0x7f && b < 0x80) | (b == b'\t'))
    });
    if !visible {
        return false;
    }
    // Visible ASCII: the only white space that can lead is ' ' or tab.
    let start = bytes.trim_ascii_start();
    if start.len() >= 5 && start[..5].eq_ignore_ascii_case(b"text/") {
        return true;
    }
    value.to_str().is_ok_and(is_compressible)
}

/// Whether a `Vary` value names `Accept-Encoding` or `*`.
fn varies_on_encoding(value: &HeaderValue) -> bool {
    value.to_str().is_ok_and(|v| {
        v.split(',')
            .map(str::trim)
            .any(|f| f == "*" || f.eq_ignore_ascii_case("accept-encoding"))
    })
}

/// Whether a media type is worth compressing: everything except types that
/// are compressed already (most images, audio, video, WOFF fonts, archives)
/// and opaque binary.
pub(crate) fn is_compressible(content_type: &str) -> bool {
    // The common case, without splitting or lower-casing a copy: this
    // runs per response. (`text/…` is compressible whatever follows.)
    let start = content_type.trim_start().as_bytes();
    if start.len() >= 5 && start[..5].eq_ignore_ascii_case(b"text/") {
        return true;
    }
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let essence = essence.to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    match kind {
        "text" => true,
        "image" => subtype == "svg+xml" || subtype == "x-icon" || subtype == "bmp",
        "audio" | "video" => false,
        "font" => !subtype.starts_with("woff"),
        "application" => {
            !(subtype.contains("zip")
                || subtype.contains("compressed")
                || subtype == "octet-stream"
                || subtype == "x-xz"
                || subtype == "zstd"
                || subtype == "x-bzip"
                || subtype == "pdf"
                || subtype == "vnd.rar")
        }
        _ => !essence.is_empty() && !kind.starts_with("multipart"),
    }
}

/// Makes a strong entity tag weak; a weak one is returned as is.
pub(crate) fn weaken_etag(value: &HeaderValue) -> Option<HeaderValue> {
    let bytes = value.as_bytes();
    if bytes.starts_with(b"W/") {
        return None;
    }
    let mut weak = Vec::with_capacity(bytes.len() + 2);
    weak.extend_from_slice(b"W/");
    weak.extend_from_slice(bytes);
    HeaderValue::from_bytes(&weak).ok()
}

fn compress(response: &mut Response, level: u32) {
    let headers = response.headers_mut();
    headers.remove(CONTENT_ENCODING);
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.remove(CONTENT_LENGTH);
    headers.remove(ACCEPT_RANGES);
    if let Some(etag) = headers.get(ETAG)
        && let Some(weak) = weaken_etag(etag)
    {
        headers.insert(ETAG, weak);
    }
    let body = std::mem::take(response.body_mut());
    *response.body_mut() = Body::new(GzipBody::new(body, Compression::new(level)));
}

/// Gzips the inner body as it streams: every data chunk is compressed and
/// flushed (a sync flush) into one output chunk, so the client can decode
/// each one as it arrives.
pub(crate) struct GzipBody {
    inner: Body,
    encoder: Option<GzEncoder<Vec<u8>>>,
    /// Trailers seen before the end of the gzip stream was sent.
    trailers: Option<HeaderMap>,
}

impl GzipBody {
    pub(crate) fn new(inner: Body, level: Compression) -> Self {
        Self {
            inner,
            encoder: Some(GzEncoder::new(Vec::new(), level)),
            trailers: None,
        }
    }

    /// Ends the gzip stream: the last compressed bytes and the trailer.
    fn finish(&mut self) -> Option<Result<Frame<Bytes>, Error>> {
        let encoder = self.encoder.take()?;
        Some(
            encoder
                .finish()
                .map(|bytes| Frame::data(Bytes::from(bytes)))
                .map_err(Error::from),
        )
    }
}

impl http_body::Body for GzipBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        loop {
            let Some(encoder) = this.encoder.as_mut() else {
                return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
            };
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        if data.is_empty() {
                            continue;
                        }
                        if let Err(err) = encoder.write_all(&data).and_then(|()| encoder.flush()) {
                            this.encoder = None;
                            return Poll::Ready(Some(Err(err.into())));
                        }
                        let out = std::mem::take(encoder.get_mut());
                        if !out.is_empty() {
                            return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                        }
                    }
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            this.trailers = Some(trailers);
                        }
                        return Poll::Ready(this.finish());
                    }
                },
                Some(Err(err)) => {
                    this.encoder = None;
                    return Poll::Ready(Some(Err(err)));
                }
                None => return Poll::Ready(this.finish()),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.encoder.is_none() && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressible_types() {
        for t in [
            "text/html; charset=utf-8",
            "application/json",
            "application/javascript",
            "image/svg+xml",
            "application/atom+xml",
            "TEXT/PLAIN",
            "font/ttf",
            "  Text/x;y",
            "text/",
            "text/;charset=utf-8",
        ] {
            assert!(is_compressible(t), "{t}");
        }
        for t in [
            "image/png",
            "image/jpeg",
            "audio/ogg",
            "video/mp4",
            "application/zip",
            "application/gzip",
            "application/x-gzip",
            "application/x-7z-compressed",
            "application/octet-stream",
            "font/woff2",
            "",
            "garbage",
            "multipart/byteranges; boundary=x",
        ] {
            assert!(!is_compressible(t), "{t}");
        }
    }

    #[test]
    fn vary_is_read_in_every_value() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        assert_eq!(inspect(&headers), Some(false));
        headers.append(VARY, HeaderValue::from_static("Cookie"));
        assert_eq!(inspect(&headers), Some(false));
        headers.append(VARY, HeaderValue::from_static("Origin, accept-encoding"));
        assert_eq!(inspect(&headers), Some(true));
        let mut headers = HeaderMap::new();
        headers.append(VARY, HeaderValue::from_static(" * "));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        assert_eq!(inspect(&headers), Some(true));
    }

    #[test]
    fn only_the_first_content_type_and_any_encoding_count() {
        let mut headers = HeaderMap::new();
        headers.append(CONTENT_TYPE, HeaderValue::from_static("image/png"));
        headers.append(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        assert_eq!(inspect(&headers), None);
        let mut headers = HeaderMap::new();
        headers.append(
            CONTENT_TYPE,
            HeaderValue::from_bytes(b"text/html; x=\xe9").unwrap(),
        );
        assert_eq!(inspect(&headers), None, "not visible ASCII");
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        headers.append(CONTENT_ENCODING, HeaderValue::from_static("Identity"));
        assert_eq!(inspect(&headers), Some(false));
        headers.append(CONTENT_ENCODING, HeaderValue::from_static("br"));
        assert_eq!(inspect(&headers), None);
        assert_eq!(inspect(&HeaderMap::new()), None);
    }

    #[test]
    fn accept_encoding_values_are_read_together() {
        let accepts = |values: &[&[u8]]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(ACCEPT_ENCODING, HeaderValue::from_bytes(value).unwrap());
            }
            accepts_gzip(&headers)
        };
        assert!(!accepts(&[]));
        assert!(accepts(&[b"gzip"]));
        assert!(accepts(&[b"x-gzip, br"]));
        assert!(accepts(&[b"identity;q=0.5", b"gzip"]));
        assert!(!accepts(&[b"gzip;q=0.5", b"identity"]));
        assert!(!accepts(&[b"br", b"gzip;q=0"]));
        assert!(
            !accepts(&[b"gzip", b"\xe9"]),
            "an invalid value voids the header"
        );
        assert!(!accepts(&[b""]));
        assert!(accepts(&[b"*"]));
    }

    #[test]
    fn etags_are_weakened_once() {
        let strong = HeaderValue::from_static("\"abc\"");
        assert_eq!(weaken_etag(&strong).unwrap(), "W/\"abc\"");
        assert!(weaken_etag(&HeaderValue::from_static("W/\"abc\"")).is_none());
    }
}
