//! [`FastCgiApp`]: requests forwarded to a FastCGI responder (php-fpm,
//! `php-cgi -b`, flup, another [`FastCgiServer`](crate::FastCgiServer)).
//!
//! - `conn`: connections and the pool that keeps them between requests;
//! - `exchange`: one request out and its head in, retried on another
//!   connection when a reused one turns out closed;
//! - `body`: the rest of the response, streamed.

mod body;
mod conn;
mod exchange;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use paste_core::{App, Request, RequestExt, Result};

use crate::app::{MAX_LOCAL_REDIRECTS, Outcome};
use crate::env::EnvConfig;
use crate::head::DEFAULT_MAX_HEAD_SIZE;

pub(crate) use conn::Pool;
use conn::PoolConfig;
use exchange::bad_gateway;
pub(crate) use exchange::{Target, forward};

/// Where a FastCGI responder listens: a TCP address or a Unix socket.
///
/// ```
/// use paste_cgi::FastCgiAddr;
///
/// let php_fpm = FastCgiAddr::unix("/run/php/php8.2-fpm.sock");
/// let remote = FastCgiAddr::tcp("127.0.0.1:9000");
/// let local: FastCgiAddr = "127.0.0.1:9000".parse::<std::net::SocketAddr>().unwrap().into();
/// assert_eq!(remote, local);
/// assert_eq!(php_fpm.to_string(), "unix:/run/php/php8.2-fpm.sock");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FastCgiAddr {
    /// `host:port`, resolved at each connection (`127.0.0.1:9000`,
    /// `[::1]:9000`, `php:9000`).
    Tcp(String),
    /// The path of a Unix domain socket.
    Unix(PathBuf),
}

impl FastCgiAddr {
    /// A TCP address, `host:port`.
    pub fn tcp(addr: impl Into<String>) -> Self {
        Self::Tcp(addr.into())
    }

    /// A Unix domain socket.
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Self::Unix(path.into())
    }
}

impl From<SocketAddr> for FastCgiAddr {
    fn from(addr: SocketAddr) -> Self {
        Self::Tcp(addr.to_string())
    }
}

impl fmt::Display for FastCgiAddr {
    /// `host:port`, or `unix:` and the socket's path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(addr) => f.write_str(addr),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// The settings [`FastCgiApp`] and [`PhpApp`](crate::PhpApp) share; their
/// builder methods (the `client_options!` macro) set them.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) env: EnvConfig,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) keep_conn: bool,
    pub(crate) max_head_size: usize,
    pub(crate) require_content_length: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            env: EnvConfig::default(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            pool_idle_timeout: Duration::from_secs(30),
            max_connections: 64,
            keep_conn: true,
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            require_content_length: false,
        }
    }
}

impl Settings {
    pub(crate) fn pool_config(&self) -> PoolConfig {
        PoolConfig {
            max_connections: self.max_connections,
            connect_timeout: self.connect_timeout,
            idle_timeout: self.pool_idle_timeout,
            keep_conn: self.keep_conn,
        }
    }
}

/// The builder methods that [`FastCgiApp`] and [`PhpApp`](crate::PhpApp)
/// share: they set the `settings` field, then call the type's
/// `settings_changed` so that its pool follows.
macro_rules! client_options {
    ($ty:ty) => {
        impl $ty {
            /// How long the responder may take to answer with its response
            /// head, counted from the request's start and started again
            /// each time it takes a piece of the request body (so a large
            /// upload at a fair pace never times out). Past it: a 504, and
            /// the connection is closed. Also the longest a request waits
            /// for a connection under `max_connections` (then a 503).
            /// Default: 60 s.
            #[must_use]
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings.timeout = timeout;
                self.settings_changed();
                self
            }

            /// How long connecting to the responder may take; past it, a
            /// 504. Default: 10 s.
            #[must_use]
            pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings.connect_timeout = timeout;
                self.settings_changed();
                self
            }

            /// The longest the responder may go without writing while its
            /// body is streamed (time the client spends reading is not
            /// counted, and the responder taking request body counts as
            /// writing). Past it the connection is closed and the response
            /// cut short: the client already has its status. Default: 60 s.
            #[must_use]
            pub fn idle_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings.idle_timeout = timeout;
                self.settings_changed();
                self
            }

            /// How long a connection is kept open for the next request
            /// after its last one. Default: 30 s.
            #[must_use]
            pub fn pool_idle_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings.pool_idle_timeout = timeout;
                self.settings_changed();
                self
            }

            /// Whether connections are kept open for further requests
            /// (`FCGI_KEEP_CONN`). Default: yes.
            #[must_use]
            pub fn keep_conn(mut self, keep: bool) -> Self {
                self.settings.keep_conn = keep;
                self.settings_changed();
                self
            }

            /// Passes the server's own environment variable `name` to the
            /// responder as a param, when it is set. Only `PATH` is passed
            /// by default; nothing else of the server's environment ever is.
            #[must_use]
            pub fn pass_env(mut self, name: impl Into<std::ffi::OsString>) -> Self {
                self.settings.env.pass_env(name);
                self.settings_changed();
                self
            }

            /// Passes exactly these variables of the server's environment,
            /// `PATH` included only if named; an empty list passes none.
            #[must_use]
            pub fn pass_env_only<I, S>(mut self, names: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<std::ffi::OsString>,
            {
                self.settings.env.pass_env_only(names);
                self.settings_changed();
                self
            }

            /// Sets the param `name` to `value` for every request, over
            /// whatever the request or the server's environment gave
            /// (`env("SERVER_NAME", "www.example.com")` fixes the server
            /// name, say). A name that is empty or holds `=` or NUL, or a
            /// value holding NUL, is ignored with a warning.
            #[must_use]
            pub fn env(
                mut self,
                name: impl Into<String>,
                value: impl Into<std::ffi::OsString>,
            ) -> Self {
                self.settings.env.set(name, value);
                self.settings_changed();
                self
            }

            /// Sets `DOCUMENT_ROOT`, and `PATH_TRANSLATED` = this root
            /// joined with the decoded `PATH_INFO`.
            #[must_use]
            pub fn document_root(mut self, root: impl Into<std::path::PathBuf>) -> Self {
                self.settings.env.document_root(root);
                self.settings_changed();
                self
            }

            /// Passes the `Authorization` header as `HTTP_AUTHORIZATION`,
            /// for applications that check credentials themselves (PHP's
            /// `$_SERVER['PHP_AUTH_USER']` needs it). Off by default, as
            /// RFC 3875 §4.1.18 advises.
            #[must_use]
            pub fn pass_authorization(mut self, pass: bool) -> Self {
                self.settings.env.pass_authorization(pass);
                self.settings_changed();
                self
            }

            /// The largest response head accepted, in bytes; a larger one
            /// is a 502. Default: 64 KiB.
            #[must_use]
            pub fn max_head_size(mut self, bytes: usize) -> Self {
                self.settings.max_head_size = bytes;
                self.settings_changed();
                self
            }

            /// Refuses request bodies of unknown length (chunked, without
            /// `Content-Length`) with a 411 instead of streaming them
            /// without `CONTENT_LENGTH`.
            #[must_use]
            pub fn require_content_length(mut self, require: bool) -> Self {
                self.settings.require_content_length = require;
                self.settings_changed();
                self
            }
        }
    };
}
pub(crate) use client_options;

/// Forwards each request to a FastCGI responder, over TCP or a Unix
/// socket: php-fpm, `php-cgi -b`, or any FastCGI application server.
///
/// ```no_run
/// use paste_cgi::FastCgiApp;
/// use paste_core::{App, Body, Request};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // php-fpm, running one script for every request (a front controller).
/// let app = FastCgiApp::unix("/run/php/php8.2-fpm.sock")
///     .script_filename("/srv/www/index.php")
///     .document_root("/srv/www")
///     .max_connections(5); // php-fpm's pm.max_children
///
/// let response = app.call(Request::get("/hello").body(Body::empty()).unwrap()).await.unwrap();
/// println!("{}", response.status());
/// # }
/// ```
///
/// And the other way round: a [`FastCgiServer`](crate::FastCgiServer)
/// serving an app, reached through `FastCgiApp`:
///
/// ```
/// use paste_cgi::{FastCgiApp, FastCgiServer};
/// use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let server = FastCgiServer::bind("127.0.0.1:0")?.handle_signals(false);
/// let addr = server.local_addr().unwrap();
/// tokio::spawn(server.serve(app_fn(|req: Request| async move {
///     Ok(Response::new(format!("hello from {}", req.path_info()).into()))
/// })));
///
/// let app = FastCgiApp::new(addr);
/// let req = Request::get("/there").body(Body::empty()).unwrap();
/// let body = app.call(req).await.unwrap().into_body().to_bytes(1024).await.unwrap();
/// assert_eq!(body, "hello from /there");
/// # Ok(()) }
/// ```
///
/// # What the responder gets
///
/// - The CGI meta-variables of the request as `FCGI_PARAMS`, built as for
///   [`CgiApp`](crate::CgiApp) (`SCRIPT_NAME` = the app's mount point,
///   `PATH_INFO` = the rest; `HTTP_*` without `Proxy`, hop-by-hop headers
///   or `Authorization`; only `PATH` of the server's own environment),
///   plus [`script_filename`](FastCgiApp::script_filename) as
///   `SCRIPT_FILENAME` when set (php-fpm needs it).
/// - The request body as `FCGI_STDIN`, streamed as it arrives, while the
///   answer is read: a responder that writes before it has read everything
///   does not deadlock.
/// - One request per connection at a time, with `FCGI_KEEP_CONN`: a
///   connection is reused once a request has ended cleanly
///   (END_REQUEST). At most [`max_connections`](FastCgiApp::max_connections)
///   are open, idle ones included; set it to at most the responder's
///   number of workers (php-fpm's `pm.max_children`), which serve one
///   connection each for as long as it stays open.
/// - A kept connection that the responder closed while it sat idle
///   (php-fpm's and php-cgi's workers exit after their `max_requests`) is
///   met by sending the request again on a new connection: any request
///   when the connection was reset with the request unread, only an
///   idempotent one (GET, HEAD, PUT, DELETE, OPTIONS) when it was closed
///   after reading, since the script may have run. A body over 64 KiB,
///   or of unknown length, is never kept for that: it goes on a new
///   connection from the start.
///
/// # What the client gets
///
/// - The head the responder writes (LF or CRLF lines; `Status`,
///   `Location` and the other fields as for [`CgiApp`](crate::CgiApp): a
///   local `Location` re-enters the app as a GET), then `FCGI_STDOUT`,
///   streamed as records arrive. `FCGI_STDERR` goes to [`tracing`] line by
///   line, at WARN with target `paste_cgi::stderr`, lines cut at 4 KiB.
///
/// # When things go wrong
///
/// - The responder can't be reached (refused, no socket): 502; connecting
///   takes longer than [`connect_timeout`](FastCgiApp::connect_timeout):
///   504; every connection busy for longer than
///   [`timeout`](FastCgiApp::timeout): 503.
/// - Malformed records, a malformed head or one over
///   [`max_head_size`](FastCgiApp::max_head_size), a connection closed or
///   a request ended before the head: 502 (503 for `FCGI_OVERLOADED`);
///   no head within `timeout`: 504. The details are logged.
/// - Once the head is sent: a stall over
///   [`idle_timeout`](FastCgiApp::idle_timeout), a broken connection, or
///   an output shorter than its `Content-Length` cuts the body short with
///   an error; the connection is closed.
/// - The response dropped before its end (the client went away): the
///   connection is closed, which is how the responder learns it.
#[derive(Clone)]
pub struct FastCgiApp {
    settings: Settings,
    pool: Arc<Pool>,
    script_filename: Option<PathBuf>,
}

impl FastCgiApp {
    /// An app forwarding to the responder at `addr`. Nothing is connected
    /// before the first request.
    pub fn new(addr: impl Into<FastCgiAddr>) -> Self {
        let settings = Settings::default();
        let pool = Pool::new(addr.into(), settings.pool_config());
        Self {
            settings,
            pool,
            script_filename: None,
        }
    }

    /// An app forwarding to a responder on TCP, `host:port`.
    pub fn tcp(addr: impl Into<String>) -> Self {
        Self::new(FastCgiAddr::tcp(addr))
    }

    /// An app forwarding to a responder on a Unix domain socket.
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Self::new(FastCgiAddr::unix(path))
    }

    /// Sends `SCRIPT_FILENAME` = `path` with every request: the script
    /// php-fpm runs. Not sent by default.
    #[must_use]
    pub fn script_filename(mut self, path: impl Into<PathBuf>) -> Self {
        self.script_filename = Some(path.into());
        self
    }

    /// The most connections open to the responder at once, idle ones
    /// included (at least 1), shared by the clones of this app. A request
    /// that finds them all busy waits for one up to
    /// [`timeout`](Self::timeout), then gets a 503. Default: 64.
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.settings.max_connections = connections;
        self.settings_changed();
        self
    }

    /// The responder's address.
    pub fn addr(&self) -> &FastCgiAddr {
        self.pool.addr()
    }

    /// A new pool for the new settings: clones made before a builder call
    /// keep the old one.
    fn settings_changed(&mut self) {
        self.pool = Pool::new(self.pool.addr().clone(), self.settings.pool_config());
    }
}

client_options!(FastCgiApp);

impl fmt::Debug for FastCgiApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FastCgiApp")
            .field("addr", self.pool.addr())
            .field("script_filename", &self.script_filename)
            .field("settings", &self.settings)
            .finish()
    }
}

impl App for FastCgiApp {
    async fn call(&self, req: Request) -> Result {
        let mount = req.script_name().to_owned();
        let mut req = req;
        for _ in 0..=MAX_LOCAL_REDIRECTS {
            let script_name = req.script_name().to_owned();
            let path_info = req.path_info().to_owned();
            let target = Target {
                script_name: &script_name,
                path_info: &path_info,
                filename: self.script_filename.as_deref(),
            };
            match forward(&self.settings, &self.pool, req, target, &mount).await? {
                Outcome::Response(response) => return Ok(response),
                Outcome::Redirect(next) => req = next,
            }
        }
        Err(too_many_redirects(
            self.script_filename
                .as_deref()
                .unwrap_or(Path::new("(no SCRIPT_FILENAME)")),
        ))
    }
}

/// The error when a request keeps being redirected locally.
pub(crate) fn too_many_redirects(script: &Path) -> paste_core::Error {
    tracing::error!(
        script = %script.display(),
        "FastCGI local redirects went on past {MAX_LOCAL_REDIRECTS}: a redirect loop?"
    );
    bad_gateway(std::io::Error::other("too many local redirects"))
}
