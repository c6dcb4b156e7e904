//! [`TestRequest`]: one request being built, sent when awaited.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::time::SystemTime;

use bytes::Bytes;
use http::uri::Scheme;
use http::{HeaderMap, Method, StatusCode};
use paste_core::{ConnectionInfo, RequestExt as _, catch_call};

use crate::TestApp;
use crate::error::{ErrorKind, TestError};
use crate::response::TestResponse;
use crate::status::{ExpectStatus, status_line};

/// The most a response body may hold: 256 MiB.
const BODY_LIMIT: u64 = 256 * 1024 * 1024;

/// How much of the body a failure message shows.
const BODY_SHOWN: usize = 1000;

/// A file to upload in a multipart form.
///
/// ```
/// use webtest::Upload;
///
/// let upload = Upload::new("avatar", "me.png", &b"\x89PNG..."[..]);
/// assert_eq!(upload.content_type(), "image/png");
/// let notes = Upload::new("notes", "notes", "plain words").with_content_type("text/plain");
/// assert_eq!(notes.content_type(), "text/plain");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    field: String,
    filename: String,
    content: Bytes,
    content_type: Option<String>,
}

impl Upload {
    /// A file named `filename` holding `content`, for the form field
    /// `field`. Its content type is guessed from the file name.
    pub fn new(field: &str, filename: &str, content: impl Into<Bytes>) -> Self {
        Self {
            field: field.to_owned(),
            filename: filename.to_owned(),
            content: content.into(),
            content_type: None,
        }
    }

    /// The file at `path`, read now, under its own file name.
    ///
    /// # Errors
    ///
    /// When the file can't be read.
    pub fn from_path(field: &str, path: impl AsRef<Path>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let content = std::fs::read(path)?;
        let filename = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self::new(field, &filename, content))
    }

    /// Sets the content type instead of guessing it.
    #[must_use]
    pub fn with_content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(content_type.to_owned());
        self
    }

    /// The form field.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The file name sent.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The content sent.
    pub fn content(&self) -> &Bytes {
        &self.content
    }

    /// The content type sent: the one set, else a guess from the file
    /// name, else `application/octet-stream`.
    pub fn content_type(&self) -> String {
        match &self.content_type {
            Some(ct) => ct.clone(),
            None => mime_guess::from_path(&self.filename)
                .first_raw()
                .unwrap_or("application/octet-stream")
                .to_owned(),
        }
    }

    pub(crate) fn set_field(&mut self, field: &str) {
        field.clone_into(&mut self.field);
    }
}

enum Body {
    Empty,
    Raw(Bytes),
    Json(Result<Vec<u8>, String>),
}

/// A request being built: set what it needs, then `.await` it.
///
/// Awaiting gives the [`TestResponse`] or fails the test with a message
/// saying what went wrong; [`send`](TestRequest::send) gives a
/// [`TestError`] instead, for tests of failures.
///
/// ```
/// use paste_core::{Request, Response, app_fn};
/// use webtest::{AnyStatus, TestApp, Upload};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let app = TestApp::new(paste_middleware::test_app::TestApp::new());
/// let res = app
///     .get("/search")
///     .params(&[("q", "rust web"), ("page", "2")])
///     .header("accept-language", "fr")
///     .xhr()
///     .await;
/// res.mustcontain(&["q=rust+web&amp;page=2", "XMLHttpRequest"]);
///
/// app.post("/upload")
///     .form(&[("title", "Me")])
///     .upload(Upload::new("photo", "me.jpg", &b"..."[..]))
///     .status(AnyStatus)
///     .await;
/// # }
/// ```
#[must_use = "a request is sent when awaited"]
pub struct TestRequest {
    app: TestApp,
    method: Method,
    url: String,
    query: Vec<(String, String)>,
    fields: Vec<(String, String)>,
    uploads: Vec<Upload>,
    multipart: bool,
    body: Body,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    host: Option<String>,
    https: Option<bool>,
    remote_addr: Option<SocketAddr>,
    remote_user: Option<String>,
    expect: ExpectStatus,
}

impl TestRequest {
    pub(crate) fn new(app: TestApp, method: Method, url: &str) -> Self {
        Self {
            app,
            method,
            url: url.to_owned(),
            query: Vec::new(),
            fields: Vec::new(),
            uploads: Vec::new(),
            multipart: false,
            body: Body::Empty,
            content_type: None,
            headers: Vec::new(),
            host: None,
            https: None,
            remote_addr: None,
            remote_user: None,
            expect: ExpectStatus::default(),
        }
    }

    /// The statuses to accept instead of 2xx or 3xx: `404`, `"4*"`,
    /// `[400, 422]`, [`AnyStatus`](crate::AnyStatus)…; see
    /// [`ExpectStatus`].
    pub fn status(mut self, expect: impl Into<ExpectStatus>) -> Self {
        self.expect = expect.into();
        self
    }

    /// Accepts any status (WebTest's `expect_errors=True`).
    pub fn expect_errors(self) -> Self {
        self.status(ExpectStatus::Any)
    }

    /// Parameters: appended to the query string for `GET`, `HEAD` and
    /// `OPTIONS`, sent as a form body for the other methods (WebTest's
    /// `params`).
    pub fn params<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self {
        if matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            self.query(pairs)
        } else {
            self.form(pairs)
        }
    }

    /// One parameter; see [`params`](TestRequest::params).
    pub fn param(self, name: &str, value: &str) -> Self {
        self.params(&[(name, value)])
    }

    /// Pairs appended to the query string, whatever the method.
    pub fn query<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        self.query.extend(
            pairs
                .iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())),
        );
        self
    }

    /// Form fields sent as the body: `application/x-www-form-urlencoded`,
    /// or `multipart/form-data` when there are uploads or the content type
    /// says so. The method stays what it was.
    pub fn form<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        self.fields.extend(
            pairs
                .iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())),
        );
        self
    }

    /// A file to upload; the body becomes `multipart/form-data`.
    pub fn upload(mut self, upload: Upload) -> Self {
        self.uploads.push(upload);
        self
    }

    /// Sends the form as `multipart/form-data` even without uploads.
    pub fn multipart(mut self) -> Self {
        self.multipart = true;
        self
    }

    /// A raw body (its `Content-Type` is whatever
    /// [`content_type`](TestRequest::content_type) says, else none).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Body::Raw(body.into());
        self
    }

    /// `value` as a JSON body, with `Content-Type: application/json`
    /// unless [`content_type`](TestRequest::content_type) says otherwise.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = Body::Json(serde_json::to_vec(value).map_err(|e| e.to_string()));
        self
    }

    /// The `Content-Type` of the body.
    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(content_type.to_owned());
        self
    }

    /// A header (replacing one of the same name set on the app).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `X-Requested-With: XMLHttpRequest`, as JavaScript libraries send.
    pub fn xhr(self) -> Self {
        self.header("x-requested-with", "XMLHttpRequest")
    }

    /// The host, when the URL names none; see [`TestApp::set_host`].
    pub fn host(mut self, host: &str) -> Self {
        self.host = Some(host.to_owned());
        self
    }

    /// Over `https` (or `http`), when the URL names no scheme.
    pub fn https(mut self, https: bool) -> Self {
        self.https = Some(https);
        self
    }

    /// The peer address (WSGI's `REMOTE_ADDR`).
    pub fn remote_addr(mut self, addr: SocketAddr) -> Self {
        self.remote_addr = Some(addr);
        self
    }

    /// The authenticated user (WSGI's `REMOTE_USER`).
    pub fn remote_user(mut self, user: &str) -> Self {
        self.remote_user = Some(user.to_owned());
        self
    }

    /// Sends the request and checks the response: `Err` where awaiting
    /// the request would fail the test.
    ///
    /// # Errors
    ///
    /// A status that is not the expected one, a panic of the app, a lint
    /// violation, a body that fails, a request that can't be built.
    pub async fn send(self) -> Result<TestResponse, TestError> {
        let app = self.app.clone();
        let expect = self.expect.clone();
        let method = self.method.clone();
        let (req, url, host, path) = self.build()?;
        let (target, linted) = app.target();
        let fail =
            |kind, what: String| TestError::new(kind, format!("{what}\n  for {method} {url}"));

        let (response, app_error) = match catch_call(&target, req).await {
            Err(panic) => {
                return Err(fail(
                    ErrorKind::Panic,
                    format!("the app panicked: {}", panic.message()),
                ));
            }
            Ok(Ok(response)) => (response, None),
            Ok(Err(err)) => {
                if linted && err.message().is_some_and(|m| m.starts_with("lint: ")) {
                    return Err(fail(ErrorKind::Lint, format!("{err:#}")));
                }
                let chain = format!("{err:#}");
                (err.into_response(), Some(chain))
            }
        };
        let mut response = webob::Response::from(response);
        if method == Method::HEAD {
            // Dropped as a server drops it, its Content-Length kept.
            *response.body_mut() = paste_core::Body::empty();
        }
        let read = async {
            response.decode_content(BODY_LIMIT).await?;
            response.body_bytes(BODY_LIMIT).await
        };
        let body = match read.await {
            Ok(body) => body,
            Err(err) => {
                let kind = if linted && err.message().is_some_and(|m| m.starts_with("lint: ")) {
                    ErrorKind::Lint
                } else {
                    ErrorKind::Body
                };
                return Err(fail(kind, format!("the response body failed: {err:#}")));
            }
        };
        let response = response.into_inner();
        let status = response.status();
        let headers = response.headers().clone();
        let result = TestResponse::new(
            app.clone(),
            method.clone(),
            url.clone(),
            status,
            headers,
            body,
            app_error,
        );
        if !expect.matches(status) {
            let message = bad_status(&result, status, &expect);
            return Err(fail(ErrorKind::BadStatus, message).with_response(result));
        }
        store_cookies(
            &app,
            result.headers(),
            &host,
            &path,
            url.starts_with("https:"),
        );
        Ok(result)
    }

    /// The core request, its absolute URL, host (no port) and path.
    #[allow(clippy::type_complexity)]
    fn build(self) -> Result<(paste_core::Request, String, String, String), TestError> {
        let environ = self.app.state().environ.clone();
        let bad = |what: String| TestError::new(ErrorKind::Request, what);

        // The URL: scheme and host from it or the settings, no fragment.
        let url = self.url.split('#').next().unwrap_or("");
        let (mut https, mut host, mut target) = (
            self.https.or(environ.https).unwrap_or(false),
            self.host
                .clone()
                .or(environ.host.clone())
                .unwrap_or_else(|| "localhost".to_owned()),
            url.to_owned(),
        );
        if url.starts_with("http://") || url.starts_with("https://") {
            let uri: http::Uri = url
                .parse()
                .map_err(|e| bad(format!("bad URL {url:?}: {e}")))?;
            https = uri.scheme() == Some(&Scheme::HTTPS);
            if let Some(authority) = uri.authority() {
                host = authority.as_str().to_owned();
            }
            target = uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
        } else if !target.starts_with('/') {
            target.insert(0, '/');
        }
        if let Some(prefix) = &environ.script_name
            && !under(&target, prefix)
        {
            target.insert_str(0, prefix);
        }
        if !self.query.is_empty() {
            let encoded = serde_urlencoded::to_string(&self.query)
                .map_err(|e| bad(format!("bad query parameters: {e}")))?;
            target.push(if target.contains('?') { '&' } else { '?' });
            target.push_str(&encoded);
        }
        let path = target.split('?').next().unwrap_or("/").to_owned();
        let scheme = if https { "https" } else { "http" };
        let full_url = format!("{scheme}://{host}{target}");
        if target.parse::<http::uri::PathAndQuery>().is_err() {
            return Err(bad(format!("bad URL {full_url:?}")));
        }

        // The body.
        let mut req = webob::Request::blank(&target);
        let content_type = self.content_type.clone();
        let multipart = self.multipart
            || !self.uploads.is_empty()
            || content_type
                .as_deref()
                .is_some_and(|ct| ct.starts_with("multipart/"));
        if multipart {
            let fields: Vec<(&str, &str)> = self
                .fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let types: Vec<String> = self.uploads.iter().map(Upload::content_type).collect();
            let files: Vec<(&str, &str, &str, &[u8])> = self
                .uploads
                .iter()
                .zip(&types)
                .map(|(u, t)| {
                    (
                        u.field.as_str(),
                        u.filename.as_str(),
                        t.as_str(),
                        &u.content[..],
                    )
                })
                .collect();
            req = req.with_multipart(&fields, &files);
        } else if !self.fields.is_empty() {
            let fields: Vec<(&str, &str)> = self
                .fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            req = req.with_form(&fields);
            if let Some(ct) = &content_type {
                req = req.with_header("content-type", ct);
            }
        } else {
            match self.body {
                Body::Empty => {}
                Body::Raw(bytes) => req = req.with_body(bytes),
                Body::Json(Ok(json)) => {
                    req = req
                        .with_body(json)
                        .with_header("content-type", "application/json");
                }
                Body::Json(Err(e)) => return Err(bad(format!("the JSON body failed: {e}"))),
            }
            if let Some(ct) = &content_type {
                req = req.with_header("content-type", ct);
            }
        }
        let mut req = req.with_method(self.method.clone());

        // Headers: the app's, the request's, authorization, cookies.
        req = req.with_header("host", &host);
        for (name, value) in environ.headers.iter().chain(&self.headers) {
            check_header(name, value).map_err(bad)?;
            req = req.with_header(name, value);
        }
        if let Some(auth) = &environ.authorization
            && !self
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        {
            req = req.with_header("authorization", &auth.to_string());
        }
        let bare_host = strip_port(&host).to_owned();
        let cookie = self
            .app
            .state()
            .jar
            .header_for(&bare_host, &path, https, SystemTime::now());
        if let Some(cookie) = cookie {
            req = req.with_added_header("cookie", &cookie);
        }

        let mut req = req.into_inner();
        let mut info = ConnectionInfo::new(if https { Scheme::HTTPS } else { Scheme::HTTP });
        if let Some(addr) = self.remote_addr.or(environ.remote_addr) {
            info = info.with_remote_addr(addr);
        }
        req.extensions_mut().insert(info);
        if let Some(prefix) = &environ.script_name {
            req.set_script_name(prefix);
        }
        if let Some(user) = self.remote_user.or(environ.remote_user) {
            req.set_remote_user(user);
        }
        Ok((req, full_url, bare_host, path))
    }
}

/// Whether the path of `target` is `prefix` or under it.
fn under(target: &str, prefix: &str) -> bool {
    target
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
}

/// Rejects what `webob::Request::with_header` would silently drop.
fn check_header(name: &str, value: &str) -> Result<(), String> {
    if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("bad header name {name:?}"));
    }
    if http::HeaderValue::from_str(value).is_err() {
        return Err(format!("bad value for header {name}: {value:?}"));
    }
    Ok(())
}

fn store_cookies(app: &TestApp, headers: &HeaderMap, host: &str, path: &str, https: bool) {
    let now = SystemTime::now();
    let mut state = app.state();
    for value in headers.get_all(http::header::SET_COOKIE) {
        if let Ok(value) = value.to_str() {
            state.jar.store(value, host, path, https, now);
        }
    }
}

fn bad_status(response: &TestResponse, status: StatusCode, expect: &ExpectStatus) -> String {
    let mut message = format!("Bad response: {} (not {expect})", status_line(status));
    if let Some(chain) = response.app_error() {
        message.push_str("\n  the app's error: ");
        message.push_str(chain);
    }
    let text = response.text();
    if !text.is_empty() {
        let mut end = text.len().min(BODY_SHOWN);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        message.push_str("\n  body: ");
        message.push_str(&text[..end]);
        if end < text.len() {
            message.push('…');
        }
    }
    message
}

/// `example.org` of `example.org:8080` (and `[::1]` of `[::1]:80`).
pub(crate) fn strip_port(host: &str) -> &str {
    if host.ends_with(']') {
        return host;
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.contains(':') => {
            name
        }
        Some((name, port)) if name.ends_with(']') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

impl IntoFuture for TestRequest {
    type Output = TestResponse;
    type IntoFuture = Pin<Box<dyn Future<Output = TestResponse> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            match self.send().await {
                Ok(response) => response,
                Err(err) => panic!("{err}"),
            }
        })
    }
}

impl fmt::Debug for TestRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("query", &self.query)
            .field("fields", &self.fields)
            .field("uploads", &self.uploads)
            .field("headers", &self.headers)
            .field("expect", &self.expect)
            .finish_non_exhaustive()
    }
}
