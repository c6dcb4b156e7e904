//! [`StaticDir`]: serve a folder (Paste's `StaticURLParser`,
//! `egg:Paste#static`), a thin layer over [`webob::DirectoryApp`] with
//! Paste's option names.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use http::header::EXPIRES;
use paste_core::{App, Request, Result};
use webob::DirectoryApp;

/// Serves the files under `document_root` at the request's path info.
///
/// Everything about files is [`webob::DirectoryApp`]'s: `GET` and `HEAD`
/// only, conditional and range requests, a `301` to add the slash to a
/// folder, `index.html` for a folder, no listing. Its path checks are the
/// point: `..` and `.` segments (raw or percent-encoded), encoded slashes
/// and backslashes, NUL and control characters, dot-files, and symlinks
/// leading out of the root are all a `404`, and error pages never show a
/// file system path.
///
/// [`cache_max_age`](StaticDir::cache_max_age) adds, as Paste does,
/// `Cache-Control: public, max-age=N` and an `Expires` header.
///
/// ```
/// use paste_core::{App, Request};
/// use paste_middleware::static_files::StaticDir;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let root = tempfile::tempdir().unwrap();
/// std::fs::write(root.path().join("hello.txt"), "Hello!").unwrap();
/// let app = StaticDir::new(root.path()).cache_max_age(3600);
///
/// let req = Request::get("/hello.txt").body(().into()).unwrap();
/// let response = app.call(req).await.unwrap();
/// assert_eq!(response.headers()["cache-control"], "public, max-age=3600");
/// assert_eq!(response.into_body().to_bytes(100).await.unwrap(), "Hello!");
///
/// let req = Request::get("/%2e%2e/etc/passwd").body(().into()).unwrap();
/// assert_eq!(app.call(req).await.unwrap().status(), 404);
/// # }
/// ```
#[derive(Clone)]
pub struct StaticDir {
    document_root: PathBuf,
    inner: DirectoryApp,
    cache_max_age: Option<u64>,
}

impl StaticDir {
    /// Serves the folder `document_root`.
    pub fn new(document_root: impl Into<PathBuf>) -> Self {
        let document_root = document_root.into();
        Self {
            inner: DirectoryApp::new(document_root.clone()),
            document_root,
            cache_max_age: None,
        }
    }

    /// Lets browsers and proxies cache files for `seconds`.
    #[must_use]
    pub fn cache_max_age(mut self, seconds: u64) -> Self {
        self.inner = self
            .inner
            .cache_control(&format!("public, max-age={seconds}"));
        self.cache_max_age = Some(seconds);
        self
    }

    /// The file served for a folder (default `index.html`); a name with a
    /// path separator or a leading dot is refused: no index file then.
    #[must_use]
    pub fn index_file(mut self, name: &str) -> Self {
        self.inner = self.inner.index_file(name);
        self
    }

    /// The folder served.
    pub fn document_root(&self) -> &std::path::Path {
        &self.document_root
    }

    /// The underlying app, for the options Paste did not have.
    #[must_use]
    pub fn map_directory_app(mut self, f: impl FnOnce(DirectoryApp) -> DirectoryApp) -> Self {
        self.inner = f(self.inner);
        self
    }
}

/// A [`StaticDir`] for `document_root` with the default options.
pub fn static_app(document_root: impl Into<PathBuf>) -> StaticDir {
    StaticDir::new(document_root)
}

impl App for StaticDir {
    async fn call(&self, req: Request) -> Result {
        let mut response = self.inner.call(req).await?;
        if let Some(seconds) = self.cache_max_age
            && (response.status().is_success() || response.status() == 304)
        {
            let when = SystemTime::now() + Duration::from_secs(seconds.min(10 * 365 * 86_400));
            if let Ok(value) = HeaderValue::from_str(&webob::fmt_http_date(when)) {
                response.headers_mut().insert(EXPIRES, value);
            }
        }
        Ok(response)
    }
}

impl fmt::Debug for StaticDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticDir")
            .field("document_root", &self.document_root)
            .field("cache_max_age", &self.cache_max_age)
            .finish_non_exhaustive()
    }
}
