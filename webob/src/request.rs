//! [`Request`]: the request object over a core request.

use std::fmt;
use std::ops::{Deref, DerefMut};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, REFERER, USER_AGENT};
use http::{HeaderName, HeaderValue, Method, StatusCode};
use paste_core::{App, Body, Error, RequestExt};
use serde::de::DeserializeOwned;

use crate::Response;

/// The default cap on a body read whole: 10 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 10 * 1024 * 1024;

/// A request, as WebOb shows it: URL pieces, parameters, the body as bytes,
/// text or JSON, typed headers.
///
/// It wraps the core request — one source of truth, no copies — and
/// dereferences to it, so `method()`, `uri()`, `headers()` and paste-core's
/// [`RequestExt`] (`script_name()`, `path_info()`, `remote_addr()`…) are all
/// there. The body is read once, under a limit, and kept for every later
/// reader.
///
/// ```
/// use webob::Request;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
/// let mut req = Request::blank("/search?q=rust&q=web&page=2")
///     .with_header("host", "example.com")
///     .with_body("{\"x\": 1}");
/// assert_eq!(req.url(), "http://example.com/search?q=rust&q=web&page=2");
/// assert_eq!(req.get_params()?.get("q"), Some(&"web".to_owned()));
/// let json: serde_json::Value = req.json().await?;
/// assert_eq!(json["x"], 1);
/// # Ok(()) }
/// ```
pub struct Request {
    inner: paste_core::Request,
    /// The body once read whole; the inner body then replays the same bytes.
    read: Option<Bytes>,
    body_limit: u64,
    trust_proxy: bool,
    pub(crate) form: Option<crate::forms::Form>,
}

impl Request {
    /// Wraps a core request.
    pub fn new(inner: paste_core::Request) -> Self {
        Self {
            inner,
            read: None,
            body_limit: DEFAULT_BODY_LIMIT,
            trust_proxy: false,
            form: None,
        }
    }

    /// A request for tests and tools (WebOb's `Request.blank`): a GET of
    /// `target` — a path with an optional query, or a whole URL, which sets
    /// the scheme and the `Host` header.
    ///
    /// An unparsable `target` gives a request for `/` with a
    /// `x-webob-blank-error` header saying why, rather than a panic.
    pub fn blank(target: &str) -> Self {
        let mut builder = http::Request::builder().method(Method::GET);
        let mut host = None;
        match target.parse::<http::Uri>() {
            Ok(uri) => {
                if let Some(authority) = uri.authority() {
                    host = Some(authority.as_str().to_owned());
                }
                builder = builder.uri(uri);
            }
            Err(err) => {
                builder = builder
                    .uri("/")
                    .header("x-webob-blank-error", format!("bad target: {err}"));
            }
        }
        let mut inner = builder
            .body(Body::empty())
            .unwrap_or_else(|_| http::Request::new(Body::empty()));
        let host = host.unwrap_or_else(|| "localhost".to_owned());
        if let Ok(value) = HeaderValue::from_str(&host) {
            inner.headers_mut().insert(HOST, value);
        }
        Self::new(inner)
    }

    /// Sets the method (builder style).
    #[must_use]
    pub fn with_method(mut self, method: Method) -> Self {
        *self.inner.method_mut() = method;
        self
    }

    /// Sets a header, replacing any value it had (builder style). A name or
    /// value that is not valid HTTP is ignored (a header can't carry CR or
    /// LF).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.inner.headers_mut().insert(name, value);
        }
        self
    }

    /// Adds a header value, keeping the ones it had (builder style), for
    /// headers sent several times (`Cookie` over HTTP/2, `Accept` split
    /// over lines). Invalid names or values are ignored.
    #[must_use]
    pub fn with_added_header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.inner.headers_mut().append(name, value);
        }
        self
    }

    /// Sets the body (builder style) and its `Content-Length`.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        let bytes = body.into();
        self.inner
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        *self.inner.body_mut() = Body::from(bytes.clone());
        self.read = Some(bytes);
        self.form = None;
        self
    }

    /// Caps how much of the body [`body`](Request::body) and its kin read;
    /// past it they fail with a 413. Default: [`DEFAULT_BODY_LIMIT`].
    #[must_use]
    pub fn with_body_limit(mut self, limit: u64) -> Self {
        self.body_limit = limit;
        self
    }

    /// Trusts `X-Forwarded-Proto`, `X-Forwarded-Host` and `Forwarded` for
    /// the scheme and host, as an app behind a reverse proxy must. Off by
    /// default: a client could otherwise forge them.
    #[must_use]
    pub fn trusting_proxy(mut self, trust: bool) -> Self {
        self.trust_proxy = trust;
        self
    }

    /// The core request back, its body intact (replaying what was read).
    pub fn into_inner(self) -> paste_core::Request {
        self.inner
    }

    // ----- URL pieces -----

    /// `http` or `https`: the connection's scheme, or with
    /// [`trusting_proxy`](Request::trusting_proxy) what the proxy says.
    pub fn scheme(&self) -> &str {
        if self.trust_proxy
            && let Some(proto) = self.forwarded("proto")
        {
            if proto.eq_ignore_ascii_case("https") {
                return "https";
            }
            if proto.eq_ignore_ascii_case("http") {
                return "http";
            }
        }
        self.inner.url_scheme()
    }

    /// The host and port the client asked for: the `Host` header (or the
    /// HTTP/2 authority), else the local address, else `localhost`. A
    /// `Host` with characters no host name has is ignored, so that it can't
    /// smuggle paths or credentials into URLs built from it.
    pub fn host(&self) -> String {
        if self.trust_proxy
            && let Some(host) = self.forwarded("host").filter(|h| valid_host(h))
        {
            return host;
        }
        let header = self
            .inner
            .headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| valid_host(h));
        if let Some(host) = header {
            return host.to_owned();
        }
        if let Some(authority) = self.inner.uri().authority() {
            return authority.as_str().to_owned();
        }
        match self.inner.local_addr() {
            Some(addr) => addr.to_string(),
            None => "localhost".to_owned(),
        }
    }

    /// The host without its port (an IPv6 `[...]` kept whole).
    pub fn domain(&self) -> String {
        let host = self.host();
        split_port(&host).0.to_owned()
    }

    /// The port: from the host if it names one, else 443 for https and 80
    /// for http.
    pub fn host_port(&self) -> u16 {
        let host = self.host();
        match split_port(&host).1 {
            Some(port) => port,
            None if self.scheme() == "https" => 443,
            None => 80,
        }
    }

    /// `scheme://host[:port]`, without the default port of the scheme.
    pub fn host_url(&self) -> String {
        let scheme = self.scheme();
        let host = self.host();
        let (domain, port) = split_port(&host);
        match port {
            Some(80) if scheme == "http" => format!("{scheme}://{domain}"),
            Some(443) if scheme == "https" => format!("{scheme}://{domain}"),
            _ => format!("{scheme}://{host}"),
        }
    }

    /// [`host_url`](Request::host_url) + the script name: the URL of the
    /// application's root.
    pub fn application_url(&self) -> String {
        format!("{}{}", self.host_url(), self.inner.script_name())
    }

    /// The URL without the query string.
    pub fn path_url(&self) -> String {
        format!("{}{}", self.application_url(), self.inner.path_info())
    }

    /// The whole URL, query string included.
    pub fn url(&self) -> String {
        match self.inner.uri().query() {
            Some(query) if !query.is_empty() => format!("{}?{query}", self.path_url()),
            _ => self.path_url(),
        }
    }

    /// Script name + path info, percent-encoded as sent.
    pub fn path(&self) -> &str {
        self.inner.uri().path()
    }

    /// The path and the query string.
    pub fn path_qs(&self) -> &str {
        self.inner
            .uri()
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str)
    }

    /// The raw query string (`""` when there is none).
    pub fn query_string(&self) -> &str {
        self.inner.uri().query().unwrap_or("")
    }

    /// `other` resolved against this request's URL (or, with
    /// `to_application`, against the application's root), per RFC 3986.
    pub fn relative_url(&self, other: &str, to_application: bool) -> String {
        let base = if to_application {
            format!("{}/", self.application_url())
        } else {
            self.path_url()
        };
        crate::url::join(&base, other)
    }

    /// The next segment of the path info, without moving it.
    pub fn path_info_peek(&self) -> Option<&str> {
        let info = self.inner.path_info();
        if info.is_empty() {
            return None;
        }
        let rest = info.trim_start_matches('/');
        Some(rest.split('/').next().unwrap_or(""))
    }

    /// Moves the next segment of the path info to the script name and
    /// returns it (paste-core's `shift_path_info`).
    pub fn path_info_pop(&mut self) -> Option<String> {
        self.inner.shift_path_info()
    }

    /// A value from `Forwarded` (RFC 7239, first element) or its
    /// `X-Forwarded-*` counterpart.
    fn forwarded(&self, key: &str) -> Option<String> {
        let headers = self.inner.headers();
        if let Some(forwarded) = headers.get("forwarded").and_then(|v| v.to_str().ok()) {
            let first = forwarded.split(',').next().unwrap_or("");
            for pair in first.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=')
                    && k.trim().eq_ignore_ascii_case(key)
                {
                    return Some(v.trim().trim_matches('"').to_owned());
                }
            }
        }
        let name = format!("x-forwarded-{key}");
        let value = headers.get(name.as_str())?.to_str().ok()?;
        Some(value.split(',').next().unwrap_or("").trim().to_owned())
    }

    // ----- headers -----

    /// The media type of the body, without parameters (`""` when absent).
    pub fn content_type(&self) -> &str {
        self.header_str(CONTENT_TYPE)
            .and_then(|ct| ct.split(';').next())
            .map_or("", str::trim)
    }

    /// The `charset` parameter of the content type; UTF-8 when absent.
    pub fn charset(&self) -> String {
        self.header_str(CONTENT_TYPE)
            .and_then(crate::headers::charset_param)
            .unwrap_or_else(|| "UTF-8".to_owned())
    }

    /// The declared body length.
    pub fn content_length(&self) -> Option<u64> {
        self.header_str(CONTENT_LENGTH)?.trim().parse().ok()
    }

    /// The `User-Agent` header.
    pub fn user_agent(&self) -> Option<&str> {
        self.header_str(USER_AGENT)
    }

    /// The `Referer` header.
    pub fn referer(&self) -> Option<&str> {
        self.header_str(REFERER)
    }

    /// Whether `X-Requested-With: XMLHttpRequest` was sent.
    pub fn is_xhr(&self) -> bool {
        self.header_str(HeaderName::from_static("x-requested-with")) == Some("XMLHttpRequest")
    }

    pub(crate) fn header_str(&self, name: HeaderName) -> Option<&str> {
        self.inner.headers().get(name)?.to_str().ok()
    }

    // ----- the body -----

    /// The whole body, read once under the body limit (413 past it) and
    /// kept: later calls, [`text`](Request::text), [`json`](Request::json)
    /// and the form parsers all see the same bytes.
    pub async fn body(&mut self) -> Result<Bytes, Error> {
        if let Some(bytes) = &self.read {
            return Ok(bytes.clone());
        }
        let body = std::mem::take(self.inner.body_mut());
        let bytes = body.to_bytes(self.body_limit).await?;
        *self.inner.body_mut() = Body::from(bytes.clone());
        self.read = Some(bytes.clone());
        Ok(bytes)
    }

    /// The body as text in the request's charset (UTF-8 and Latin-1 are
    /// known; anything else is a 415). Bytes that are not valid in the
    /// charset are a 400.
    pub async fn text(&mut self) -> Result<String, Error> {
        let charset = self.charset();
        let bytes = self.body().await?;
        crate::headers::decode_text(&bytes, &charset)
    }

    /// The body parsed as JSON into `T`; malformed JSON is a 400 saying
    /// where.
    pub async fn json<T: DeserializeOwned>(&mut self) -> Result<T, Error> {
        let bytes = self.body().await?;
        serde_json::from_slice(&bytes).map_err(|err| {
            Error::new(StatusCode::BAD_REQUEST)
                .with_message(format!("the body is not valid JSON: {err}"))
        })
    }

    /// The body as a stream, for parsers that don't want it whole (the
    /// multipart reader). After this, the body is gone unless it had been
    /// read whole before.
    pub(crate) fn take_body(&mut self) -> Body {
        match &self.read {
            Some(bytes) => Body::from(bytes.clone()),
            None => std::mem::take(self.inner.body_mut()),
        }
    }

    /// A copy of this request, body included (read whole first).
    pub async fn copy(&mut self) -> Result<Self, Error> {
        let body = self.body().await?;
        let mut inner = http::Request::new(Body::from(body.clone()));
        *inner.method_mut() = self.inner.method().clone();
        *inner.uri_mut() = self.inner.uri().clone();
        *inner.version_mut() = self.inner.version();
        *inner.headers_mut() = self.inner.headers().clone();
        *inner.extensions_mut() = self.inner.extensions().clone();
        Ok(Self {
            inner,
            read: Some(body),
            body_limit: self.body_limit,
            trust_proxy: self.trust_proxy,
            form: self.form.clone(),
        })
    }

    /// Calls `app` with this request and returns its answer; an `Err` from
    /// the app is turned into its response, as a server would.
    pub async fn get_response<A: App>(self, app: &A) -> Response {
        match app.call(self.into_inner()).await {
            Ok(response) => Response::from(response),
            Err(err) => Response::from(err.into_response()),
        }
    }
}

/// A host header value made only of what host names, IP literals and
/// ports are made of.
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        })
}

/// Splits `host:port`, minding IPv6 literals.
fn split_port(host: &str) -> (&str, Option<u16>) {
    if host.ends_with(']') {
        return (host, None);
    }
    match host.rsplit_once(':') {
        Some((domain, port)) if !domain.contains(':') || domain.ends_with(']') => {
            match port.parse() {
                Ok(port) => (domain, Some(port)),
                Err(_) => (host, None),
            }
        }
        _ => (host, None),
    }
}

impl From<paste_core::Request> for Request {
    fn from(inner: paste_core::Request) -> Self {
        Self::new(inner)
    }
}

impl From<Request> for paste_core::Request {
    fn from(req: Request) -> Self {
        req.into_inner()
    }
}

impl Deref for Request {
    type Target = paste_core::Request;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl DerefMut for Request {
    fn deref_mut(&mut self) -> &mut Self::Target {
        // The caller may replace the body or the headers: forget what was
        // derived from them.
        self.read = None;
        self.form = None;
        &mut self.inner
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Request {} {}>", self.inner.method(), self.url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_pieces_follow_webob() {
        let mut req = Request::blank("/app/page/x?a=1").with_header("host", "example.com:8080");
        req.path_info_pop();
        assert_eq!(req.host_url(), "http://example.com:8080");
        assert_eq!(req.application_url(), "http://example.com:8080/app");
        assert_eq!(req.path_url(), "http://example.com:8080/app/page/x");
        assert_eq!(req.url(), "http://example.com:8080/app/page/x?a=1");
        assert_eq!(req.path_qs(), "/app/page/x?a=1");
        assert_eq!(req.path_info_peek(), Some("page"));
        assert_eq!(req.domain(), "example.com");
        assert_eq!(req.host_port(), 8080);
    }

    #[test]
    fn default_ports_are_dropped() {
        let req = Request::blank("https://example.com:443/x");
        assert_eq!(req.host_url(), "https://example.com");
        let req = Request::blank("http://[::1]:80/");
        assert_eq!(req.host_url(), "http://[::1]");
        assert_eq!(req.domain(), "[::1]");
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let req = Request::blank("/")
            .with_header("host", "internal:8000")
            .with_header("x-forwarded-proto", "https")
            .with_header("x-forwarded-host", "example.com");
        assert_eq!(req.host_url(), "http://internal:8000");
        let req = req.trusting_proxy(true);
        assert_eq!(req.host_url(), "https://example.com");
        let req = Request::blank("/")
            .with_header(
                "forwarded",
                "for=1.2.3.4;proto=https;host=\"a.example\", for=5.6.7.8",
            )
            .trusting_proxy(true);
        assert_eq!(req.host_url(), "https://a.example");
    }

    #[test]
    fn a_hostile_host_header_is_not_used() {
        let req = Request::blank("/").with_header("host", "evil.com/phish?");
        let mut req2 = Request::blank("/");
        req2.headers_mut().remove(HOST);
        assert_eq!(req.host(), "localhost");
        assert_eq!(req2.host(), "localhost");
    }

    #[tokio::test]
    async fn the_body_is_read_once_and_kept() {
        let inner = http::Request::post("/").body(Body::from("hello")).unwrap();
        let mut req = Request::new(inner);
        assert_eq!(req.body().await.unwrap(), "hello");
        assert_eq!(req.text().await.unwrap(), "hello");
        let inner = req.into_inner();
        assert_eq!(inner.into_body().to_bytes(100).await.unwrap(), "hello");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_413() {
        let inner = http::Request::post("/")
            .body(Body::from(vec![b'x'; 100]))
            .unwrap();
        let mut req = Request::new(inner).with_body_limit(10);
        assert_eq!(req.body().await.unwrap_err().status(), 413);
    }

    #[tokio::test]
    async fn bad_json_is_a_400() {
        let mut req = Request::blank("/").with_body("{nope");
        let err = req.json::<serde_json::Value>().await.unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.message().unwrap().contains("line 1"), "{err}");
    }
}
