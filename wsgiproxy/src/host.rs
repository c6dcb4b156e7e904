//! [`HostProxy`]: forwards every request to one fixed backend.

use std::path::Path;
use std::sync::Arc;

use http::HeaderValue;
use http::uri::{Authority, Scheme};
use paste_core::{App, Request};

use crate::client::{Pool, PoolConfig};
use crate::error::{Error, ErrorKind};
use crate::forward::{Options, Target, forward};
use crate::options::common_options;
use crate::rewrite::{default_port, split_host_port};

/// An [`App`] that forwards every request to one backend server
/// (WSGIProxy2's `HostProxy`, `paste.proxy.Proxy`).
///
/// [`HostProxy::new`] takes the backend's URL: `http://host:port`, with a
/// base path if the backend's app lives below its root
/// (`http://127.0.0.1:8080/base`), or `https://…` with feature `tls`.
/// [`HostProxy::unix`] talks to a server on a Unix socket.
///
/// With the default options the request goes out as the client sent it:
/// the method, the path (minus the proxy's script name) and query still
/// percent-encoded, every header but the hop-by-hop ones (so `Cookie`,
/// `Authorization`, `Content-Encoding`…), and the body, streamed. The
/// `Host` header becomes the backend's (see [`keep_host`](Self::keep_host)),
/// and `X-Forwarded-For`/`-Host`/`-Proto`/`-Prefix` tell the backend about
/// the client. The response comes back as the backend sent it, streamed,
/// minus hop-by-hop headers, with a `Location` or cookie path that points
/// at the backend rewritten to the front end. A backend that cannot be
/// reached gives `502 Bad Gateway`, one that is too slow
/// `504 Gateway Timeout`.
///
/// Clones share one pool of keep-alive connections.
///
/// ```no_run
/// use paste_core::App;
/// use wsgiproxy::HostProxy;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let proxy = HostProxy::new("http://127.0.0.1:8080/base")?
///     .timeout(Some(std::time::Duration::from_secs(30)));
/// paste_server::serve(proxy, "127.0.0.1:8000")?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct HostProxy {
    backend: Arc<Backend>,
    options: Arc<Options>,
    pool_config: PoolConfig,
    pool: Pool,
}

#[derive(Debug)]
struct Backend {
    scheme: Scheme,
    authority: Authority,
    host: String,
    port: u16,
    base: String,
    host_header: HeaderValue,
}

impl HostProxy {
    /// A proxy to the backend at `url`: `http://host[:port][/base]`,
    /// `https://…` (feature `tls`), or `unix:/path/to.sock` (as
    /// [`HostProxy::unix`]). A trailing `/` of the base is ignored; a
    /// user, a query or a fragment in the URL is an error.
    ///
    /// This is the constructor to drive a live server with: with the
    /// default options a request to `http://127.0.0.1:PORT` is forwarded
    /// faithfully — method, path, query, headers (cookies included) and
    /// body — with only `Host` set to `127.0.0.1:PORT` and the
    /// `X-Forwarded-*` headers added.
    ///
    /// ```
    /// use wsgiproxy::HostProxy;
    ///
    /// let proxy = HostProxy::new("http://127.0.0.1:8080/base/").unwrap();
    /// assert_eq!(proxy.backend_url(), "http://127.0.0.1:8080/base");
    /// assert!(HostProxy::new("http://user:pw@example.com/").is_err());
    /// ```
    pub fn new(url: &str) -> Result<Self, Error> {
        if let Some(path) = url.strip_prefix("unix:") {
            return Ok(Self::unix(path));
        }
        let bad =
            |why: &str| Error::new(ErrorKind::BadUrl, format!("bad backend URL {url:?}: {why}"));
        if url.contains('#') {
            return Err(bad("a backend URL has no fragment"));
        }
        let uri: http::Uri = url.parse().map_err(|err| bad(&format!("{err}")))?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::HTTP,
            Some(s) if s.eq_ignore_ascii_case("https") => {
                if cfg!(not(feature = "tls")) {
                    return Err(Error::new(
                        ErrorKind::FeatureMissing,
                        format!(
                            "backend URL {url:?}: https backends need the `tls` feature of wsgiproxy"
                        ),
                    ));
                }
                Scheme::HTTPS
            }
            _ => return Err(bad("only http:// and https:// backends are supported")),
        };
        let Some(authority) = uri.authority().cloned() else {
            return Err(bad("the URL has no host"));
        };
        if authority.as_str().contains('@') {
            return Err(bad(
                "a user in the backend URL is not supported (it would be sent to nobody)",
            ));
        }
        if authority.host().is_empty() {
            return Err(bad("the URL has no host"));
        }
        if uri.query().is_some() {
            return Err(bad("a backend URL has no query"));
        }
        let (host, _) = split_host_port(authority.as_str());
        let port = authority
            .port_u16()
            .unwrap_or(default_port(scheme.as_str()));
        let host_header =
            HeaderValue::from_str(authority.as_str()).map_err(|err| bad(&format!("{err}")))?;
        let backend = Backend {
            host: host.to_owned(),
            base: uri.path().trim_end_matches('/').to_owned(),
            scheme,
            authority,
            port,
            host_header,
        };
        Ok(Self::with_backend(backend, PoolConfig::new()))
    }

    /// A proxy to the HTTP server listening on the Unix socket at `path`.
    /// The backend sees `Host: localhost` (unless the client's is kept).
    ///
    /// ```
    /// use wsgiproxy::HostProxy;
    ///
    /// let proxy = HostProxy::unix("/run/app.sock");
    /// assert_eq!(proxy.backend_url(), "unix:/run/app.sock");
    /// ```
    pub fn unix(path: impl AsRef<Path>) -> Self {
        let mut config = PoolConfig::new();
        config.unix_socket = Some(Arc::from(path.as_ref()));
        let backend = Backend {
            scheme: Scheme::HTTP,
            authority: Authority::from_static("localhost"),
            host: "localhost".to_owned(),
            port: 80,
            base: String::new(),
            host_header: HeaderValue::from_static("localhost"),
        };
        Self::with_backend(backend, config)
    }

    fn with_backend(backend: Backend, pool_config: PoolConfig) -> Self {
        Self {
            backend: Arc::new(backend),
            options: Arc::new(Options::default()),
            pool: pool_config.build(),
            pool_config,
        }
    }

    /// The backend, as a URL: `http://host:port/base`, or `unix:PATH`.
    pub fn backend_url(&self) -> String {
        match &self.pool_config.unix_socket {
            Some(path) => format!("unix:{}", path.display()),
            None => format!(
                "{}://{}{}",
                self.backend.scheme, self.backend.authority, self.backend.base
            ),
        }
    }

    /// Whether the backend gets the client's `Host` header (`true`) or its
    /// own authority, as in its URL (`false`, the default, as WSGIProxy2's
    /// `HostProxy` does). Keep it for a backend that serves several
    /// virtual hosts or builds absolute URLs from `Host`.
    #[must_use]
    pub fn keep_host(mut self, keep: bool) -> Self {
        Arc::make_mut(&mut self.options).keep_host = keep;
        self
    }

    common_options!();
}

impl App for HostProxy {
    fn call(&self, req: Request) -> impl Future<Output = paste_core::Result> + Send {
        let backend = &*self.backend;
        let target = Target {
            scheme: backend.scheme.clone(),
            authority: backend.authority.clone(),
            host: &backend.host,
            port: backend.port,
            base: &backend.base,
            host_header: Some(&backend.host_header),
            cookie_domain: true,
        };
        forward(&self.pool, &self.options, target, req)
    }
}
