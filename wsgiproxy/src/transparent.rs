//! [`TransparentProxy`]: forwards each request to the host it names, if
//! that host is allowed.

use std::sync::Arc;

use http::StatusCode;
use http::header::{HOST, HeaderValue};
use http::uri::{Authority, Scheme};
use paste_core::{App, Request};

use crate::client::{Pool, PoolConfig};
use crate::error::{Error, ErrorKind};
use crate::forward::{Options, Target, forward};
use crate::options::common_options;
use crate::rewrite::{default_port, split_host_port};

/// An [`App`] that forwards each request to the server its `Host` names
/// (or its absolute URI, as a forward proxy gets), like WSGIProxy2's and
/// `paste.proxy`'s `TransparentProxy` — but only to the hosts it was told
/// to allow. With no host allowed it refuses everything: it is never an
/// open proxy by default. A refused host gets `403 Forbidden`, a request
/// without a host `400 Bad Request`.
///
/// An allowed host is written `example.com` (its default port only),
/// `example.com:8080` (that port) or `example.com:*` (any port). The
/// backend gets the host the client named as its `Host`, and is spoken to
/// in plain HTTP (`https(true)` with feature `tls`). The other
/// options are those of [`HostProxy`](crate::HostProxy).
///
/// ```
/// use wsgiproxy::TransparentProxy;
///
/// let proxy = TransparentProxy::new()
///     .allow_host("intranet.example")?
///     .allow_host("127.0.0.1:*")?;
/// assert!(proxy.allows("intranet.example:80"));
/// assert!(!proxy.allows("intranet.example:8080"));
/// assert!(proxy.allows("127.0.0.1:5000"));
/// assert!(!proxy.allows("169.254.169.254"));
/// # Ok::<(), wsgiproxy::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TransparentProxy {
    allowed: Arc<Vec<AllowedHost>>,
    scheme: Scheme,
    options: Arc<Options>,
    pool_config: PoolConfig,
    pool: Pool,
}

#[derive(Clone, Debug)]
struct AllowedHost {
    host: String,
    port: PortRule,
}

#[derive(Clone, Copy, Debug)]
enum PortRule {
    Default,
    Only(u16),
    Any,
}

impl Default for TransparentProxy {
    fn default() -> Self {
        Self::new()
    }
}

impl TransparentProxy {
    /// A transparent proxy that allows no host yet.
    pub fn new() -> Self {
        let pool_config = PoolConfig::new();
        Self {
            allowed: Arc::new(Vec::new()),
            scheme: Scheme::HTTP,
            options: Arc::new(Options::default()),
            pool: pool_config.build(),
            pool_config,
        }
    }

    /// Allows requests to `host` (`example.com`, `example.com:8080`,
    /// `example.com:*`, `[::1]:8080`). The name is compared without regard
    /// to case; it is not resolved, so list every name clients use.
    pub fn allow_host(mut self, host: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::BadHost,
                format!("bad allowed host {host:?}: {why}"),
            )
        };
        let trimmed = host.trim();
        let (name, port) = split_host_port(trimmed);
        let port = match port {
            None => PortRule::Default,
            Some("*") => PortRule::Any,
            Some(port) => PortRule::Only(
                port.parse()
                    .map_err(|_| bad("the port is not a number from 0 to 65535 nor *"))?,
            ),
        };
        if name.is_empty()
            || name.parse::<Authority>().is_err()
            || name.contains(['/', '@', '?', '#'])
        {
            return Err(bad(
                "expected a host name or address, with an optional :port or :*",
            ));
        }
        Arc::make_mut(&mut self.allowed).push(AllowedHost {
            host: name.to_ascii_lowercase(),
            port,
        });
        Ok(self)
    }

    /// Allows each of `hosts`, as [`allow_host`](Self::allow_host).
    pub fn allow_hosts<I>(self, hosts: I) -> Result<Self, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        hosts
            .into_iter()
            .try_fold(self, |proxy, host| proxy.allow_host(host.as_ref()))
    }

    /// Whether a request for `authority` (`host` or `host:port`) would be
    /// forwarded.
    pub fn allows(&self, authority: &str) -> bool {
        let (host, port) = split_host_port(authority);
        let port = match port {
            Some(port) => match port.parse() {
                Ok(port) => port,
                Err(_) => return false,
            },
            None => default_port(self.scheme.as_str()),
        };
        self.allows_host_port(host, port)
    }

    fn allows_host_port(&self, host: &str, port: u16) -> bool {
        let default = default_port(self.scheme.as_str());
        self.allowed.iter().any(|allowed| {
            allowed.host.eq_ignore_ascii_case(host)
                && match allowed.port {
                    PortRule::Default => port == default,
                    PortRule::Only(only) => port == only,
                    PortRule::Any => true,
                }
        })
    }

    /// Whether backends are spoken to over HTTPS instead of HTTP (the
    /// default port of an allowed host becomes 443).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    #[must_use]
    pub fn https(mut self, on: bool) -> Self {
        self.scheme = if on { Scheme::HTTPS } else { Scheme::HTTP };
        self
    }

    common_options!();

    async fn proxy(&self, req: Request) -> paste_core::Result {
        let named = match req.uri().authority() {
            Some(authority) => Some(authority.clone()),
            None => req
                .headers()
                .get(HOST)
                .and_then(|host| Authority::try_from(host.as_bytes()).ok()),
        };
        let Some(authority) = named else {
            return Err(paste_core::Error::new(StatusCode::BAD_REQUEST)
                .with_message("Bad Request: the request names no host to forward it to"));
        };
        let (host, _) = split_host_port(authority.as_str());
        let port = authority
            .port_u16()
            .unwrap_or(default_port(self.scheme.as_str()));
        if authority.as_str().contains('@') || !self.allows_host_port(host, port) {
            tracing::info!(
                host = authority.as_str(),
                "proxy: refused a request for a host that is not allowed"
            );
            return Err(paste_core::Error::new(StatusCode::FORBIDDEN)
                .with_message("Forbidden: this proxy does not forward requests to that host"));
        }
        let host = host.to_owned();
        // The backend gets the host it is reached at (RFC 9112 §3.2.2: an
        // absolute request target wins over a differing Host).
        let host_header = HeaderValue::from_str(authority.as_str()).ok();
        let target = Target {
            scheme: self.scheme.clone(),
            authority: authority.clone(),
            host: &host,
            port,
            base: "",
            host_header: host_header.as_ref(),
            cookie_domain: false,
        };
        forward(&self.pool, &self.options, target, req).await
    }
}

impl App for TransparentProxy {
    fn call(&self, req: Request) -> impl Future<Output = paste_core::Result> + Send {
        self.proxy(req)
    }
}
