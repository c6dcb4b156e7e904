//! [`PhpApp`]: a folder of PHP scripts, run by a `php-cgi -b` this crate
//! starts (or by an existing php-fpm) over FastCGI — WPHP's idea, without
//! its bugs.
//!
//! - `route`: which file a path names, and what is done with it;
//! - `spawn`: the php-cgi, started on demand and restarted when it died;
//! - `static_file`: the files beside the scripts.

mod route;
mod spawn;
mod static_file;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use http::header::{self, HeaderValue};
use paste_core::{App, Body, Error, Request, RequestExt, Response, Result};

use super::FastCgiAddr;
use super::client::{Pool, Settings, Target, client_options, forward, too_many_redirects};
use crate::app::{MAX_LOCAL_REDIRECTS, Outcome};
use route::Route;
use spawn::{SpawnConfig, Supervisor};

/// The connection limit, and so php-cgi's number of children, unless set.
const DEFAULT_CONNECTIONS: usize = 4;

/// Serves a folder of PHP scripts: `.php` files run through `php-cgi -b`
/// (started by the app when first needed) or an existing php-fpm, over
/// FastCGI; other files are served as they are. The Rust counterpart of
/// WPHP's `PHPApp`.
///
/// ```no_run
/// use std::time::Duration;
/// use paste_cgi::PhpApp;
/// use paste_core::{App, Body, Request};
///
/// # #[tokio::main] async fn main() {
/// let app = PhpApp::new("/srv/www")          // index.php, about.php, style.css…
///     .php_option("memory_limit", "64M")     // php-cgi -d memory_limit=64M
///     .max_connections(8)                    // PHP_FCGI_CHILDREN=8
///     .timeout(Duration::from_secs(30));
///
/// let response = app.call(Request::get("/about.php?lang=en").body(Body::empty()).unwrap()).await.unwrap();
/// println!("{}", response.status());
///
/// // Or let an existing php-fpm run the scripts:
/// let fpm = PhpApp::new("/srv/www").fpm(paste_cgi::FastCgiAddr::unix("/run/php/php8.2-fpm.sock"));
/// # let _ = fpm;
/// # }
/// ```
///
/// # Which file runs
///
/// The path below the app's mount point walks down the folder as in
/// [`CgiDirectory`](crate::CgiDirectory): segments are percent-decoded;
/// `.`, `..`, hidden names (`.htaccess`, `.git`), encoded slashes,
/// backslashes and NULs are a 404, and so is anything whose real path
/// (symlinks resolved) lies outside the folder. Then:
///
/// - a `.php` file (any case) runs, with the rest of the path as its
///   `PATH_INFO`: `/shop/cart.php/item/7` runs `shop/cart.php` with
///   `SCRIPT_NAME=/shop/cart.php`, `PATH_INFO=/item/7`;
/// - a folder named with its trailing slash runs or serves its first index
///   file ([`index_files`](PhpApp::index_files): `index.php`, `index.html`,
///   `index.htm`), with `SCRIPT_NAME` naming the index file
///   (`/shop/index.php`) and no `PATH_INFO`; no index file is a 404;
/// - a folder named without it gets a 301 to the same URL with the slash,
///   the query after it (`/shop?x=1` → `/shop/?x=1`);
/// - PHP source and settings under other names — `.inc`, `.ini`, `.phps`,
///   `.phtml`, `.php5` and the like, any name holding `.php` but not
///   ending with it (`config.php.bak`), backups (`~`, `.bak`, `.orig`,
///   `.swp`) — are never served: 404; nor, through a symlink, is a file
///   whose own name is such (`notes.txt -> index.php`);
/// - any other file is served as it is: GET and HEAD only (405 otherwise),
///   a `Content-Type` by extension, `Content-Length`, streamed from disk;
///   with more path after it, a 404.
///
/// # What a script gets
///
/// The CGI variables as [`FastCgiApp`](crate::FastCgiApp) sends them
/// (only `PATH` of the server's environment), with `SCRIPT_FILENAME` (the
/// script's real path), `SCRIPT_NAME`, `PATH_INFO`, `DOCUMENT_ROOT` (the
/// folder), `REQUEST_URI` as the client sent it and `REDIRECT_STATUS`, so
/// that php-cgi's `cgi.force_redirect` check passes. The request body is
/// streamed to PHP; a body without a `Content-Length` (chunked) is refused
/// with 411, since PHP reads exactly `CONTENT_LENGTH` bytes
/// ([`require_content_length`](PhpApp::require_content_length) turns that
/// off). A POST without a `Content-Type` reaches PHP without one.
///
/// # The php-cgi it starts
///
/// Unless [`fpm`](PhpApp::fpm) is set, the first request starts
/// `php-cgi -b <socket>` ([`php_cgi`](PhpApp::php_cgi), default `php-cgi`
/// on the server's `PATH`) with [`php_ini`](PhpApp::php_ini) as `-c` and
/// each [`php_option`](PhpApp::php_option) as `-d name=value`:
///
/// - on a Unix socket in a private folder (mode 0700) of the temporary
///   folder, so no port is chosen and no other user can connect;
/// - with `PHP_FCGI_CHILDREN` = [`max_connections`](PhpApp::max_connections)
///   (4 by default): one child per connection the app keeps;
///   `PHP_FCGI_MAX_REQUESTS` per [`php_max_requests`](PhpApp::php_max_requests)
///   (php-cgi's default, 500, otherwise: its master replaces a child
///   after that many requests, and the app sends a request again on
///   another connection when it meets one that closed);
/// - with only the allow-listed variables of the server's environment;
/// - in its own process group, killed whole when the last clone of the
///   app is dropped.
///
/// It must listen within [`start_timeout`](PhpApp::start_timeout) (10 s):
/// if it can't be found, exits at start or doesn't listen in time, the
/// request gets a 503 at once, never a hang, and the reason — with the
/// last lines php-cgi wrote — is logged and kept as the error's source;
/// requests in the next second get the same answer without a new try. If
/// it dies later (killed, crashed), the next request starts a new one.
///
/// Everything else — timeouts, limits, the environment, how failures
/// become 502, 503 and 504 — is as for [`FastCgiApp`](crate::FastCgiApp),
/// with the same builder methods.
#[derive(Clone)]
pub struct PhpApp {
    root: PathBuf,
    index: Arc<[String]>,
    settings: Settings,
    spawn: SpawnConfig,
    fpm: Option<FastCgiAddr>,
    backend: Backend,
}

/// Who runs the scripts.
#[derive(Clone, Debug)]
enum Backend {
    Spawn(Arc<Supervisor>),
    Fpm(Arc<Pool>),
}

impl PhpApp {
    /// An app serving the PHP folder `dir`. A relative path is made
    /// absolute against the current directory now; nothing is started
    /// before the first request.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let root = dir.into();
        let root = std::path::absolute(&root).unwrap_or(root);
        let mut settings = Settings {
            max_connections: DEFAULT_CONNECTIONS,
            require_content_length: true,
            ..Settings::default()
        };
        let document_root = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
        settings.env.document_root(document_root);
        let spawn = SpawnConfig::default();
        let backend = Backend::Spawn(Arc::new(Supervisor::new(spawn.clone(), root.clone())));
        Self {
            root,
            index: ["index.php", "index.html", "index.htm"]
                .map(str::to_owned)
                .into(),
            settings,
            spawn,
            fpm: None,
            backend,
        }
    }

    /// The php-cgi program to start: a path, or a name looked up on the
    /// server's `PATH`. Default: `php-cgi`.
    #[must_use]
    pub fn php_cgi(mut self, program: impl Into<PathBuf>) -> Self {
        self.spawn.program = program.into();
        self.settings_changed();
        self
    }

    /// The php.ini file (or the folder holding one) php-cgi reads: `-c`.
    /// Default: php-cgi's own (on Debian, `/etc/php/*/cgi/php.ini`).
    #[must_use]
    pub fn php_ini(mut self, path: impl Into<PathBuf>) -> Self {
        self.spawn.ini = Some(path.into());
        self.settings_changed();
        self
    }

    /// Sets a php.ini directive on php-cgi's command line: `-d name=value`.
    #[must_use]
    pub fn php_option(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.spawn.options.push((name.into(), value.into()));
        self.settings_changed();
        self
    }

    /// How many requests a php-cgi child serves before its master replaces
    /// it (`PHP_FCGI_MAX_REQUESTS`; 0 for never). Default: php-cgi's, 500.
    #[must_use]
    pub fn php_max_requests(mut self, requests: u32) -> Self {
        self.spawn.max_requests = Some(requests);
        self.settings_changed();
        self
    }

    /// How long php-cgi may take to listen on its socket once started;
    /// past it, it is killed and the request gets a 503. Default: 10 s.
    #[must_use]
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.spawn.start_timeout = timeout;
        self.settings_changed();
        self
    }

    /// Runs the scripts with an existing FastCGI PHP (php-fpm, or a
    /// `php-cgi -b` run elsewhere) at `addr` instead of starting php-cgi.
    /// It must see the folder at the same path: `SCRIPT_FILENAME` is the
    /// script's real path here.
    #[must_use]
    pub fn fpm(mut self, addr: impl Into<FastCgiAddr>) -> Self {
        self.fpm = Some(addr.into());
        self.settings_changed();
        self
    }

    /// The files looked for, in order, in a folder the path names. Default:
    /// `index.php`, `index.html`, `index.htm`.
    #[must_use]
    pub fn index_files<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.index = names.into_iter().map(Into::into).collect();
        self
    }

    /// The most connections open to PHP at once, idle ones included (at
    /// least 1); a request that finds them all busy waits for one up to
    /// [`timeout`](Self::timeout), then gets a 503. For the php-cgi the app
    /// starts, it is also `PHP_FCGI_CHILDREN`; with [`fpm`](Self::fpm), set
    /// it to at most php-fpm's `pm.max_children`. Default: 4.
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.settings.max_connections = connections.max(1);
        self.settings_changed();
        self
    }

    /// The folder served.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// A new backend for the new settings: clones made before a builder
    /// call keep the old one.
    fn settings_changed(&mut self) {
        self.backend = match &self.fpm {
            Some(addr) => Backend::Fpm(Pool::new(addr.clone(), self.settings.pool_config())),
            None => Backend::Spawn(Arc::new(Supervisor::new(
                self.spawn.clone(),
                self.root.clone(),
            ))),
        };
    }

    /// The pool of connections to PHP, starting php-cgi if need be.
    async fn pool(&self) -> Result<Arc<Pool>> {
        match &self.backend {
            Backend::Fpm(pool) => Ok(Arc::clone(pool)),
            Backend::Spawn(supervisor) => supervisor.pool(&self.settings).await,
        }
    }

    /// Finds what the path info `info` names, off the async threads.
    async fn route(&self, info: &str) -> Result<Route> {
        let segments: Vec<String> = info
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(str::to_owned)
            .collect();
        let slash = info.ends_with('/');
        let root = self.root.clone();
        let index = Arc::clone(&self.index);
        let lookup =
            tokio::task::spawn_blocking(move || route::resolve(&root, &segments, slash, &index));
        match lookup.await {
            Ok(Ok(route)) => Ok(route),
            Ok(Err(refusal)) => Err(refusal.into_error(info)),
            Err(join) => Err(Error::from(join)),
        }
    }
}

client_options!(PhpApp);

impl fmt::Debug for PhpApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhpApp")
            .field("root", &self.root)
            .field("index", &self.index)
            .field("spawn", &self.spawn)
            .field("fpm", &self.fpm)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl App for PhpApp {
    async fn call(&self, req: Request) -> Result {
        let mount = req.script_name().to_owned();
        let mut req = req;
        for _ in 0..=MAX_LOCAL_REDIRECTS {
            let info = req.path_info().to_owned();
            let (segments, filename, index) = match self.route(&info).await? {
                Route::AddSlash => return Ok(add_slash(&req)),
                Route::Static {
                    segments,
                    path,
                    meta,
                    index,
                } => {
                    for _ in 0..segments {
                        req.shift_path_info();
                    }
                    if !index && !req.path_info().is_empty() {
                        tracing::debug!(path = %req.uri().path(), "no path info after a static file");
                        return Err(Error::new(StatusCode::NOT_FOUND).with_message("Not Found"));
                    }
                    return static_file::serve(req.method(), &path, &meta).await;
                }
                Route::Script {
                    segments,
                    filename,
                    index,
                } => (segments, filename, index),
            };
            for _ in 0..segments {
                req.shift_path_info();
            }
            let (script_name, path_info) = match &index {
                Some(name) => (
                    format!("{}/{name}", req.script_name().trim_end_matches('/')),
                    String::new(),
                ),
                None => (req.script_name().to_owned(), req.path_info().to_owned()),
            };
            let target = Target {
                script_name: &script_name,
                path_info: &path_info,
                filename: Some(&filename),
            };
            let pool = self.pool().await?;
            match forward(&self.settings, &pool, req, target, &mount).await? {
                Outcome::Response(response) => return Ok(response),
                Outcome::Redirect(next) => req = next,
            }
        }
        Err(too_many_redirects(&self.root))
    }
}

/// The 301 to a folder's URL with its trailing slash; the query goes after
/// the slash (WPHP put the slash after the query).
fn add_slash(req: &Request) -> Response {
    // One leading slash: `//evil.com` (empty segments are skipped, so it
    // names the folder `evil.com`) must not redirect to the host evil.com.
    let path = req.uri().path().trim_start_matches(['/', '\\']);
    let mut location = format!("/{path}/");
    if let Some(query) = req.uri().query() {
        location.push('?');
        location.push_str(query);
    }
    let mut response = Response::new(Body::from("Moved Permanently\n"));
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
