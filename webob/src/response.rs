//! [`Response`]: the response object over a core response.

use std::fmt;
use std::ops::{Deref, DerefMut};

use bytes::Bytes;
use std::time::SystemTime;

use http::header::{
    ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, EXPIRES,
    LOCATION, VARY,
};
use http::{HeaderName, HeaderValue, StatusCode};
use paste_core::{Body, Error};
use serde::Serialize;

use crate::Request;

/// A response, as WebOb builds it: a status, headers in order, a body, and
/// the rules that keep them consistent — `Content-Length` follows the body,
/// a charset is added to text and XML types only, bodyless statuses carry
/// no body.
///
/// It wraps the core response and dereferences to it; `into()` gives the
/// core response back, so an app returns `Ok(response.into())`.
///
/// ```
/// use webob::Response;
/// use paste_core::http::StatusCode;
///
/// let mut response = Response::text("Hello");
/// assert_eq!(response.headers()["content-type"], "text/plain; charset=UTF-8");
/// assert_eq!(response.headers()["content-length"], "5");
///
/// response.set_status(StatusCode::CREATED);
/// response.set_content_type("application/json");
/// response.set_body(r#"{"ok":true}"#);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// assert_eq!(response.headers()["content-length"], "11");
/// let core: paste_core::Response = response.into();
/// assert_eq!(core.status(), 201);
/// ```
pub struct Response {
    inner: paste_core::Response,
}

impl Response {
    /// An empty `200 OK` with WebOb's default content type,
    /// `text/html; charset=UTF-8`.
    pub fn new() -> Self {
        let mut response = Self {
            inner: paste_core::Response::new(Body::empty()),
        };
        response.set_content_type("text/html");
        response.set_body(Bytes::new());
        response
    }

    /// A `200 OK` with a `text/plain; charset=UTF-8` body.
    pub fn text(text: impl Into<String>) -> Self {
        let mut response = Self::new();
        response.set_content_type("text/plain");
        response.set_body(text.into());
        response
    }

    /// A `200 OK` with a `text/html; charset=UTF-8` body.
    pub fn html(html: impl Into<String>) -> Self {
        let mut response = Self::new();
        response.set_body(html.into());
        response
    }

    /// A `200 OK` with `value` as compact JSON (`application/json`, no
    /// charset: JSON is UTF-8).
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        let mut response = Self::new();
        response.set_json(value)?;
        Ok(response)
    }

    /// A redirect (`302 Found` unless `status` says otherwise) to
    /// `location`, made absolute against `req` and kept on this host when
    /// it is relative (see [`set_location`](Response::set_location)).
    pub fn redirect(req: &Request, location: &str, status: StatusCode) -> Self {
        let mut response = Self::new();
        response.set_status(status);
        response.set_location(req, location);
        response
    }

    /// The core response.
    pub fn into_inner(self) -> paste_core::Response {
        self.inner
    }

    /// Sets the status. A status that has no body (1xx, 204, 205, 304)
    /// drops the body, `Content-Type` and `Content-Length`.
    pub fn set_status(&mut self, status: StatusCode) {
        *self.inner.status_mut() = status;
        if !status_has_body(status) {
            *self.inner.body_mut() = Body::empty();
            self.inner.headers_mut().remove(CONTENT_TYPE);
            self.inner.headers_mut().remove(CONTENT_LENGTH);
        }
    }

    /// Sets the status (builder style).
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.set_status(status);
        self
    }

    /// Sets a header, replacing its values; a value with CR or LF (header
    /// injection) or a bad name is refused with a 500 [`Error`], since it
    /// is the app's mistake.
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let (name, value) = header_pair(name, value)?;
        self.inner.headers_mut().insert(name, value);
        Ok(())
    }

    /// Adds a header value, keeping earlier ones (`Set-Cookie`, `Vary`…).
    pub fn add_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let (name, value) = header_pair(name, value)?;
        self.inner.headers_mut().append(name, value);
        Ok(())
    }

    /// Replaces the body with `bytes` and sets `Content-Length`.
    pub fn set_body(&mut self, bytes: impl Into<Bytes>) {
        let bytes = bytes.into();
        self.inner
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        *self.inner.body_mut() = Body::from(bytes);
    }

    /// Replaces the body with a stream of unknown length (no
    /// `Content-Length`; the server sends it chunked).
    pub fn set_body_stream(&mut self, body: Body) {
        self.inner.headers_mut().remove(CONTENT_LENGTH);
        *self.inner.body_mut() = body;
    }

    /// Replaces the body with compact JSON and the content type with
    /// `application/json`.
    pub fn set_json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let bytes = serde_json::to_vec(value)?;
        self.set_content_type("application/json");
        self.set_body(bytes);
        Ok(())
    }

    /// The body read whole (under `limit` bytes, else a 413 `Error`); the
    /// response keeps the same bytes as its body.
    pub async fn body_bytes(&mut self, limit: u64) -> Result<Bytes, Error> {
        let body = std::mem::take(self.inner.body_mut());
        let bytes = body.to_bytes(limit).await?;
        *self.inner.body_mut() = Body::from(bytes.clone());
        Ok(bytes)
    }

    /// The body as text, decoded with the response's charset (UTF-8 when
    /// none is given).
    pub async fn text_body(&mut self, limit: u64) -> Result<String, Error> {
        let bytes = self.body_bytes(limit).await?;
        let charset = self.charset().unwrap_or_else(|| "UTF-8".to_owned());
        crate::headers::decode_text(&bytes, &charset)
    }

    /// The media type without parameters.
    pub fn content_type(&self) -> Option<&str> {
        let value = self.inner.headers().get(CONTENT_TYPE)?.to_str().ok()?;
        Some(value.split(';').next().unwrap_or("").trim())
    }

    /// Sets the media type, dropping its parameters, and adds
    /// `charset=UTF-8` to the types that take one: `text/*`,
    /// `application/xml`, `*/*+xml` (WebOb's rule; JSON gets none). A type
    /// given with its own parameters (`text/plain; charset=latin-1`) is
    /// kept as written.
    pub fn set_content_type(&mut self, content_type: &str) {
        let value = if content_type.contains(';') || !takes_charset(content_type) {
            content_type.to_owned()
        } else {
            format!("{content_type}; charset=UTF-8")
        };
        match HeaderValue::from_str(&value) {
            Ok(value) => {
                self.inner.headers_mut().insert(CONTENT_TYPE, value);
            }
            Err(_) => {
                tracing::warn!("refusing an invalid content type {content_type:?}");
            }
        }
    }

    /// The `charset` parameter of the content type.
    pub fn charset(&self) -> Option<String> {
        let value = self.inner.headers().get(CONTENT_TYPE)?.to_str().ok()?;
        crate::headers::charset_param(value)
    }

    /// The `Location` header, made absolute against `req` (RFC 3986), with
    /// the open-redirect shapes of WebOb's CVEs closed: control characters
    /// and spaces are removed, and `//host` or `\host` stay on this host.
    pub fn set_location(&mut self, req: &Request, location: &str) {
        let absolute = crate::url::absolute_location(&req.url(), location);
        if let Ok(value) = HeaderValue::from_str(&absolute) {
            self.inner.headers_mut().insert(LOCATION, value);
        }
    }
}

/// # Typed header accessors
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use webob::Response;
/// use webob::range::ContentRange;
///
/// let mut response = Response::text("partial");
/// response.add_vary("Accept-Encoding");
/// response.add_vary("accept-encoding"); // already there
/// response.add_vary("Cookie");
/// assert_eq!(response.vary(), ["Accept-Encoding", "Cookie"]);
///
/// let when = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// response.set_expires(when);
/// assert_eq!(response.headers()["expires"], "Sun, 06 Nov 1994 08:49:37 GMT");
/// assert_eq!(response.expires(), Some(when));
///
/// response.set_content_range(&ContentRange::new(0, 6, 100));
/// assert_eq!(response.content_range().unwrap().to_string(), "bytes 0-6/100");
/// ```
impl Response {
    /// The `Expires` date.
    pub fn expires(&self) -> Option<SystemTime> {
        crate::headers::parse_http_date(self.headers().get(EXPIRES)?.to_str().ok()?)
    }

    /// Sets `Expires`.
    pub fn set_expires(&mut self, when: SystemTime) {
        let value = crate::headers::fmt_http_date(when);
        if let Ok(value) = HeaderValue::from_str(&value) {
            self.inner.headers_mut().insert(EXPIRES, value);
        }
    }

    /// The header names in `Vary`, in order (all `Vary` headers).
    pub fn vary(&self) -> Vec<String> {
        self.inner
            .headers()
            .get_all(VARY)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Adds a header name to `Vary` unless it is there already (names
    /// compare case-insensitively; `*` covers everything). An invalid name
    /// is ignored.
    pub fn add_vary(&mut self, name: &str) {
        if HeaderName::from_bytes(name.as_bytes()).is_err() && name != "*" {
            return;
        }
        let mut names = self.vary();
        if names
            .iter()
            .any(|n| n == "*" || n.eq_ignore_ascii_case(name))
        {
            return;
        }
        names.push(name.to_owned());
        if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
            self.inner.headers_mut().insert(VARY, value);
        }
    }

    /// The `Content-Range` header, parsed.
    pub fn content_range(&self) -> Option<crate::range::ContentRange> {
        crate::range::ContentRange::parse(self.headers().get(CONTENT_RANGE)?.to_str().ok()?)
    }

    /// Sets `Content-Range`.
    pub fn set_content_range(&mut self, range: &crate::range::ContentRange) {
        if let Ok(value) = HeaderValue::from_str(&range.to_string()) {
            self.inner.headers_mut().insert(CONTENT_RANGE, value);
        }
    }

    /// The `Content-Encoding` header (`gzip`, `br`…).
    pub fn content_encoding(&self) -> Option<&str> {
        self.headers().get(CONTENT_ENCODING)?.to_str().ok()
    }

    /// Sets `Accept-Ranges: bytes` (or `none` when `accept` is false).
    pub fn set_accept_ranges(&mut self, accept: bool) {
        let value = if accept { "bytes" } else { "none" };
        self.inner
            .headers_mut()
            .insert(ACCEPT_RANGES, HeaderValue::from_static(value));
    }
}

fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|err| Error::from(err).with_message("invalid header name"))?;
    let value = HeaderValue::from_str(value)
        .map_err(|err| Error::from(err).with_message("invalid header value"))?;
    Ok((name, value))
}

/// 1xx, 204, 205 and 304 responses have no body.
pub(crate) fn status_has_body(status: StatusCode) -> bool {
    !(status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::RESET_CONTENT
        || status == StatusCode::NOT_MODIFIED)
}

fn takes_charset(content_type: &str) -> bool {
    let ct = content_type.trim().to_ascii_lowercase();
    ct.starts_with("text/") || ct == "application/xml" || ct.ends_with("+xml")
}

impl Default for Response {
    fn default() -> Self {
        Self::new()
    }
}

impl From<paste_core::Response> for Response {
    fn from(inner: paste_core::Response) -> Self {
        Self { inner }
    }
}

impl From<Response> for paste_core::Response {
    fn from(response: Response) -> Self {
        response.inner
    }
}

impl Deref for Response {
    type Target = paste_core::Response;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl DerefMut for Response {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.inner.status())
            .field("headers", self.inner.headers())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_only_for_text_and_xml() {
        let mut r = Response::new();
        for (ct, expected) in [
            ("text/plain", "text/plain; charset=UTF-8"),
            ("application/xml", "application/xml; charset=UTF-8"),
            ("image/svg+xml", "image/svg+xml; charset=UTF-8"),
            ("application/json", "application/json"),
            ("image/png", "image/png"),
            ("text/plain; charset=latin-1", "text/plain; charset=latin-1"),
        ] {
            r.set_content_type(ct);
            assert_eq!(r.headers()["content-type"], expected);
        }
    }

    #[test]
    fn bodyless_statuses_drop_the_body() {
        let mut r = Response::text("gone");
        r.set_status(StatusCode::NOT_MODIFIED);
        assert!(!r.headers().contains_key("content-length"));
        assert!(!r.headers().contains_key("content-type"));
    }

    #[test]
    fn header_injection_is_refused() {
        let mut r = Response::new();
        assert!(r.set_header("x-a", "1\r\nSet-Cookie: evil=1").is_err());
        assert!(r.add_header("bad name", "1").is_err());
        r.add_header("vary", "Accept").unwrap();
        r.add_header("vary", "Cookie").unwrap();
        assert_eq!(r.headers().get_all("vary").iter().count(), 2);
    }

    #[test]
    fn redirects_stay_home() {
        let req = Request::blank("/a/b").with_header("host", "example.com");
        let r = Response::redirect(&req, "//evil.com/", StatusCode::FOUND);
        assert_eq!(r.headers()["location"], "http://example.com/%2Fevil.com/");
        let r = Response::redirect(&req, "c", StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "http://example.com/a/c");
        assert_eq!(r.status(), 303);
    }

    #[tokio::test]
    async fn json_round_trips() {
        let mut r = Response::json(&serde_json::json!({"a": [1, 2]})).unwrap();
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.text_body(100).await.unwrap(), r#"{"a":[1,2]}"#);
    }
}
