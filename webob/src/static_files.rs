//! Static files: [`FileApp`] serves one file, [`DirectoryApp`] a folder.
//!
//! Both stream from disk in 64 KiB chunks — seeking for ranges, never
//! reading a whole file into memory — and answer conditional and range
//! requests (`304`, `412`, `206`, `multipart/byteranges`, `416`) with a
//! strong `ETag` made from the file's size and modification time and a
//! `Last-Modified`. Only GET and HEAD are allowed (`405` otherwise).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use http::header::{ACCEPT_RANGES, ALLOW, CACHE_CONTROL, CONTENT_LENGTH, LOCATION};
use http::{HeaderValue, Method, StatusCode};
use paste_core::{App, Body, RequestExt as _};
use percent_encoding::percent_decode_str;

use crate::conditional::{
    Conditions, Decision, Segment, SliceBody, Source, evaluate, not_modified, partial, plain,
    precondition_failed, unsatisfiable,
};
use crate::etag::ETag;
use crate::{Request, Response};

/// Settings shared by both apps.
#[derive(Clone, Debug, Default)]
struct FileOptions {
    content_type: Option<String>,
    weak_etag: bool,
    cache_control: Option<HeaderValue>,
}

/// Serves one file (Paste's and WebOb's `FileApp`).
///
/// The file is looked at anew on every request, so a changed file is
/// served changed. A missing file is a `404`, one that can't be read a
/// `403`; error pages never show the path.
///
/// ```no_run
/// use webob::static_files::FileApp;
///
/// let app = FileApp::new("/srv/site/robots.txt").cache_control("public, max-age=3600");
/// // paste_server::serve(app, ...) — or mount it in a URL map.
/// ```
///
/// ```
/// use webob::{Request, static_files::FileApp};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("hello.txt");
/// std::fs::write(&path, "Hello, World!").unwrap();
///
/// let app = FileApp::new(&path);
/// let mut response = Request::blank("/").get_response(&app).await;
/// assert_eq!(response.headers()["content-type"], "text/plain; charset=UTF-8");
/// assert_eq!(response.body_bytes(100).await.unwrap(), "Hello, World!");
///
/// let req = Request::blank("/").with_header("range", "bytes=7-");
/// let mut response = req.get_response(&app).await;
/// assert_eq!(response.status(), 206);
/// assert_eq!(response.body_bytes(100).await.unwrap(), "World!");
/// # }
/// ```
#[derive(Clone)]
pub struct FileApp {
    path: PathBuf,
    options: FileOptions,
}

impl FileApp {
    /// An app serving the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            options: FileOptions::default(),
        }
    }

    /// Sets the content type instead of guessing it from the extension
    /// (text types get `charset=UTF-8` unless one is given).
    #[must_use]
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.options.content_type = Some(content_type.into());
        self
    }

    /// Sends a weak `ETag` (`W/"…"`) instead of a strong one. Weak tags
    /// never satisfy `If-Range` or `If-Match`; use them when the file may
    /// change within the clock's resolution.
    #[must_use]
    pub fn weak_etag(mut self, weak: bool) -> Self {
        self.options.weak_etag = weak;
        self
    }

    /// Sends this `Cache-Control` value with the file (an invalid value is
    /// ignored with a warning).
    #[must_use]
    pub fn cache_control(mut self, value: &str) -> Self {
        self.options.cache_control = cache_control_value(value);
        self
    }
}

impl fmt::Debug for FileApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileApp")
            .field("path", &self.path)
            .field("options", &self.options)
            .finish()
    }
}

impl App for FileApp {
    async fn call(&self, req: paste_core::Request) -> paste_core::Result {
        let req = Request::new(req);
        if let Some(refused) = refuse_method(&req) {
            return Ok(refused.into());
        }
        let conditions = Conditions::of(&req);
        Ok(
            serve_file(&conditions, &self.path, &self.path, &self.options)
                .await
                .into(),
        )
    }
}

/// Serves a folder: the request's [`path_info`](paste_core::RequestExt::path_info)
/// names a file under the root (Paste's `StaticURLParser`, WebOb's
/// `DirectoryApp`).
///
/// Each path segment is percent-decoded and refused (`404`) when it is
/// `.` or `..`, holds a `/` (`%2F`), a backslash, a NUL or any other
/// control character, or — unless [`allow_hidden`](DirectoryApp::allow_hidden)
/// — starts with a dot. The path is then resolved on disk, and one that a
/// symlink leads outside the root is refused unless
/// [`follow_symlinks_outside_root`](DirectoryApp::follow_symlinks_outside_root)
/// allows it. A folder asked without a trailing slash is a `301` to the
/// same path with one; with the slash, its index file is served
/// (`index.html` by default) or it is a `404` (there is no listing).
///
/// ```
/// use webob::{Request, static_files::DirectoryApp};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let root = tempfile::tempdir().unwrap();
/// std::fs::create_dir(root.path().join("docs")).unwrap();
/// std::fs::write(root.path().join("docs/index.html"), "<h1>Docs</h1>").unwrap();
///
/// let app = DirectoryApp::new(root.path());
/// let response = Request::blank("/docs?v=1").get_response(&app).await;
/// assert_eq!(response.status(), 301);
/// assert_eq!(response.headers()["location"], "/docs/?v=1");
///
/// let mut response = Request::blank("/docs/").get_response(&app).await;
/// assert_eq!(response.body_bytes(100).await.unwrap(), "<h1>Docs</h1>");
///
/// let response = Request::blank("/../etc/passwd").get_response(&app).await;
/// assert_eq!(response.status(), 404);
/// # }
/// ```
#[derive(Clone)]
pub struct DirectoryApp {
    root: PathBuf,
    index_file: Option<String>,
    allow_hidden: bool,
    follow_symlinks_outside_root: bool,
    options: FileOptions,
}

impl DirectoryApp {
    /// An app serving the files under `root`. The root is resolved on each
    /// request; if it is missing, every request is a `404`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            index_file: Some("index.html".to_owned()),
            allow_hidden: false,
            follow_symlinks_outside_root: false,
            options: FileOptions::default(),
        }
    }

    /// The file served for a folder asked with a trailing slash (default
    /// `index.html`). A name holding a path separator or starting with a
    /// dot is refused: no index file then.
    #[must_use]
    pub fn index_file(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.index_file = valid_segment(&name, true).then_some(name);
        self
    }

    /// Serves no index file: a folder is always a `404`.
    #[must_use]
    pub fn no_index_file(mut self) -> Self {
        self.index_file = None;
        self
    }

    /// Serves files and folders whose names start with a dot (`.env`,
    /// `.git/`…), refused by default.
    #[must_use]
    pub fn allow_hidden(mut self, allow: bool) -> Self {
        self.allow_hidden = allow;
        self
    }

    /// Follows symlinks that lead outside the root. Off by default:
    /// symlinks are followed only while they stay inside the root.
    #[must_use]
    pub fn follow_symlinks_outside_root(mut self, follow: bool) -> Self {
        self.follow_symlinks_outside_root = follow;
        self
    }

    /// Sends weak `ETag`s (see [`FileApp::weak_etag`]).
    #[must_use]
    pub fn weak_etag(mut self, weak: bool) -> Self {
        self.options.weak_etag = weak;
        self
    }

    /// Sends this `Cache-Control` value with every file.
    #[must_use]
    pub fn cache_control(mut self, value: &str) -> Self {
        self.options.cache_control = cache_control_value(value);
        self
    }

    async fn answer(&self, req: Request) -> Response {
        if let Some(refused) = refuse_method(&req) {
            return refused;
        }
        let conditions = Conditions::of(&req);
        let info = req.path_info().to_owned();
        let info = info.as_str();
        let Some(segments) = decode_segments(info, self.allow_hidden) else {
            tracing::debug!(path = info, "refused a static path");
            return not_found();
        };
        let root = match tokio::fs::canonicalize(&self.root).await {
            Ok(root) => root,
            Err(err) => {
                tracing::warn!(root = ?self.root, "the static root can't be resolved: {err}");
                return not_found();
            }
        };
        let mut target = root.clone();
        target.extend(&segments);
        let resolved = match self.resolve(&root, &target).await {
            Ok(resolved) => resolved,
            Err(response) => return response,
        };
        let is_dir = match tokio::fs::metadata(&resolved).await {
            Ok(meta) => meta.is_dir(),
            Err(err) => return io_error(&err),
        };
        if is_dir {
            if !info.ends_with('/') {
                return redirect_to_slash(&req);
            }
            let Some(index) = &self.index_file else {
                return not_found();
            };
            let index_path = resolved.join(index);
            let resolved = match self.resolve(&root, &index_path).await {
                Ok(resolved) => resolved,
                Err(response) => return response,
            };
            return serve_file(&conditions, &resolved, &index_path, &self.options).await;
        }
        if info.ends_with('/') {
            // A file asked as a folder: `/a.txt/`.
            return not_found();
        }
        serve_file(&conditions, &resolved, &target, &self.options).await
    }

    /// `path` with its symlinks resolved, if it exists and stays under
    /// `root` (or leaving is allowed).
    async fn resolve(&self, root: &Path, path: &Path) -> Result<PathBuf, Response> {
        let resolved = tokio::fs::canonicalize(path)
            .await
            .map_err(|err| io_error(&err))?;
        if !self.follow_symlinks_outside_root && !resolved.starts_with(root) {
            tracing::debug!("refused a path that leaves the static root");
            return Err(not_found());
        }
        Ok(resolved)
    }
}

impl fmt::Debug for DirectoryApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectoryApp")
            .field("root", &self.root)
            .field("index_file", &self.index_file)
            .field("allow_hidden", &self.allow_hidden)
            .field(
                "follow_symlinks_outside_root",
                &self.follow_symlinks_outside_root,
            )
            .field("options", &self.options)
            .finish()
    }
}

impl App for DirectoryApp {
    async fn call(&self, req: paste_core::Request) -> paste_core::Result {
        let req = Request::new(req);
        Ok(self.answer(req).await.into())
    }
}

fn cache_control_value(value: &str) -> Option<HeaderValue> {
    match HeaderValue::from_str(value) {
        Ok(value) => Some(value),
        Err(_) => {
            tracing::warn!("ignoring an invalid Cache-Control value {value:?}");
            None
        }
    }
}

/// Percent-decodes the segments of `info`, refusing any that could step
/// out of the folder or mean something else on some file system.
fn decode_segments(info: &str, allow_hidden: bool) -> Option<Vec<String>> {
    let mut segments = Vec::new();
    for raw in info.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode_str(raw).decode_utf8().ok()?;
        if !valid_segment(&decoded, allow_hidden) {
            return None;
        }
        segments.push(decoded.into_owned());
    }
    Some(segments)
}

/// A name that is one plain path component.
fn valid_segment(name: &str, allow_hidden: bool) -> bool {
    if name.is_empty() || name == "." || name == ".." {
        return false;
    }
    if name.contains(['/', '\\']) || name.chars().any(char::is_control) {
        return false;
    }
    if !allow_hidden && name.starts_with('.') {
        return false;
    }
    // Drive letters, alternate data streams and the names Windows trims.
    if cfg!(windows) && (name.contains(':') || name.ends_with(['.', ' '])) {
        return false;
    }
    true
}

/// `301` to the request's path plus `/`, query kept. The location is an
/// absolute path starting with exactly one `/`, so it can't be read as
/// another host (`//evil.com`, `/\evil.com`).
fn redirect_to_slash(req: &Request) -> Response {
    let path = req.uri().path().trim_start_matches(['/', '\\']);
    let mut location = format!("/{path}/");
    if let Some(query) = req.uri().query() {
        location.push('?');
        location.push_str(query);
    }
    let mut response = plain(StatusCode::MOVED_PERMANENTLY, "Moved Permanently\n");
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            response.headers_mut().insert(LOCATION, value);
            response
        }
        Err(_) => not_found(),
    }
}

fn refuse_method(req: &Request) -> Option<Response> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    Some(response)
}

fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "Not Found\n")
}

/// The answer for a failed file operation; never shows the path.
fn io_error(err: &io::Error) -> Response {
    match err.kind() {
        io::ErrorKind::NotFound
        | io::ErrorKind::NotADirectory
        | io::ErrorKind::IsADirectory
        | io::ErrorKind::InvalidFilename
        | io::ErrorKind::InvalidInput => not_found(),
        io::ErrorKind::PermissionDenied => plain(StatusCode::FORBIDDEN, "Forbidden\n"),
        _ => {
            tracing::warn!("a static file can't be served: {err}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error\n")
        }
    }
}

/// The validator of a file: its modification time and size.
fn file_etag(len: u64, modified: Option<SystemTime>, weak: bool) -> ETag {
    let (secs, nanos) = modified
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or((0, 0), |d| (d.as_secs(), d.subsec_nanos()));
    let tag = format!("{secs:x}.{nanos:x}-{len:x}");
    if weak {
        ETag::weak(tag)
    } else {
        ETag::strong(tag)
    }
}

/// Serves the file at `path` (already resolved); `name` gives the content
/// type by its extension.
async fn serve_file(req: &Conditions, path: &Path, name: &Path, options: &FileOptions) -> Response {
    // Look before opening: opening a FIFO or a device could block.
    match tokio::fs::metadata(path).await {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return not_found(),
        Err(err) => return io_error(&err),
    }
    let file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(err) => return io_error(&err),
    };
    // The handle's own metadata: what is sent is what was measured.
    let meta = match file.metadata().await {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return not_found(),
        Err(err) => return io_error(&err),
    };
    let len = meta.len();
    let modified = meta.modified().ok();
    let etag = file_etag(len, modified, options.weak_etag);

    let mut response = Response::new();
    match &options.content_type {
        Some(content_type) => response.set_content_type(content_type),
        None => response.set_content_type(
            mime_guess::from_path(name)
                .first_raw()
                .unwrap_or("application/octet-stream"),
        ),
    }
    response.set_etag(&etag);
    if let Some(modified) = modified {
        response.set_last_modified(modified);
    }
    response
        .headers_mut()
        .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(cache_control) = &options.cache_control {
        response
            .headers_mut()
            .insert(CACHE_CONTROL, cache_control.clone());
    }
    let head = req.is_head();
    match evaluate(req, Some(&etag), modified, Some(len)) {
        Decision::Full => {
            if !head {
                let body = SliceBody::new(Source::File(file), vec![Segment::Slice(0, len)]);
                response.set_body_stream(Body::new(body));
            }
            response
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(len));
            response
        }
        Decision::NotModified => not_modified(response),
        Decision::PreconditionFailed => precondition_failed(),
        Decision::Unsatisfiable => unsatisfiable(len),
        Decision::Partial(ranges) => partial(response, &ranges, len, Source::File(file), head),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_checked() {
        assert_eq!(
            decode_segments("/a/b%20c//d.txt", false),
            Some(vec!["a".into(), "b c".into(), "d.txt".into()])
        );
        assert_eq!(decode_segments("", false), Some(vec![]));
        for bad in [
            "/..",
            "/a/../b",
            "/%2e%2e/x",
            "/%2E%2e",
            "/.",
            "/%2e",
            "/a%2fb",
            "/a%2Fb",
            "/a\\b",
            "/a%5cb",
            "/a%00b",
            "/a%0ab",
            "/a%7fb",
            "/.env",
            "/%2eenv",
            "/%ff",
        ] {
            assert_eq!(decode_segments(bad, false), None, "{bad:?}");
        }
        assert_eq!(
            decode_segments("/.well-known/x", true),
            Some(vec![".well-known".into(), "x".into()])
        );
        assert_eq!(decode_segments("/..", true), None);
    }

    #[test]
    fn io_errors_map_to_statuses() {
        let status = |kind| io_error(&io::Error::from(kind)).status();
        assert_eq!(status(io::ErrorKind::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(status(io::ErrorKind::NotADirectory), StatusCode::NOT_FOUND);
        assert_eq!(
            status(io::ErrorKind::PermissionDenied),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            status(io::ErrorKind::Other),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn etags_change_with_size_and_time() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_nanos(1_500_000_000_123);
        let a = file_etag(10, Some(t), false);
        assert!(!a.weak);
        assert_ne!(a, file_etag(11, Some(t), false));
        assert_ne!(
            a,
            file_etag(10, Some(t + std::time::Duration::from_nanos(1)), false)
        );
        assert!(file_etag(10, Some(t), true).weak);
    }
}
