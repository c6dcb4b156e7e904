//! [`Server`]: the builder, its limits, and the accept loop.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use http::uri::Scheme;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use paste_core::App;
use tokio::io::AsyncWriteExt;

use crate::conn::{Shared, serve_connection};
use crate::listen::{Accepted, Bound, ListenAddr, Listener, Stream};
use crate::shutdown::{Handle, on_signals};
use crate::timeouts::{WriteTimeout, linger};

/// The limits a server enforces on its clients. Every one has a default
/// fit for a public server and a setter on [`Server`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) max_header_size: usize,
    pub(crate) max_body_size: u64,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) drain_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) min_body_rate: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            max_header_size: 64 * 1024,
            max_body_size: 64 * 1024 * 1024,
            keep_alive_timeout: Duration::from_secs(75),
            max_connections: 16_384,
            drain_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
            min_body_rate: 500,
        }
    }
}

/// The smallest read buffer hyper accepts for HTTP/1.
const MIN_HEADER_SIZE: usize = 8192;

/// A web server for any [`App`]: HTTP/1.1 and HTTP/2 on hyper and tokio.
///
/// `bind` (or one of its siblings) takes the socket at once, so a port
/// already in use is an error before anything is served and the real
/// address of port 0 is known; [`serve`](Server::serve) then runs until
/// SIGINT/SIGTERM or [`Handle::shutdown`].
///
/// ```no_run
/// use std::time::Duration;
/// use paste_core::{Response, app_fn};
/// use paste_server::Server;
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let app = app_fn(|_req| async { Ok(Response::new("Hello, World!".into())) });
///     Server::bind("127.0.0.1:8080")?
///         .header_read_timeout(Duration::from_secs(10))
///         .max_body_size(10 * 1024 * 1024)
///         .serve(app)
///         .await
/// }
/// ```
///
/// Each request the app sees carries a [`ConnectionInfo`](paste_core::ConnectionInfo) (peer and local
/// address, scheme) and an empty script name. Whatever the app does, the
/// client gets an answer: an `Err` becomes a response with its status, and
/// a panic becomes a 500 for that request alone.
#[derive(Debug)]
pub struct Server {
    bound: Bound,
    limits: Limits,
    server_header: Option<HeaderValue>,
    handle: Handle,
    signals: bool,
    #[cfg(feature = "tls")]
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl Server {
    fn new(bound: Bound) -> Self {
        Self {
            bound,
            limits: Limits::default(),
            server_header: Some(HeaderValue::from_static("paste-server")),
            handle: Handle::new(),
            signals: true,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Binds a TCP socket: `"127.0.0.1:8080"`, `"[::1]:8080"`,
    /// `"localhost:0"`, a [`SocketAddr`]… The first address that binds wins.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Bound::tcp(addr).map(Self::new)
    }

    /// Binds a Unix domain socket at `path`, replacing a stale socket file
    /// left by a server that died (but not a live one).
    pub fn bind_unix(path: impl AsRef<Path>) -> io::Result<Self> {
        Bound::unix(path.as_ref()).map(Self::new)
    }

    /// Serves on a TCP listener bound elsewhere.
    pub fn from_tcp(listener: std::net::TcpListener) -> io::Result<Self> {
        Bound::from_tcp(listener).map(Self::new)
    }

    /// Serves on a Unix listener bound elsewhere. Its socket file is
    /// removed when the server stops.
    pub fn from_unix(listener: std::os::unix::net::UnixListener) -> io::Result<Self> {
        Bound::from_unix(listener).map(|bound| Self::new(bound.remove_socket_file()))
    }

    /// Serves on the first socket passed by systemd socket activation
    /// (`LISTEN_FDS`, `LISTEN_PID`), TCP or Unix; `Ok(None)` when none was
    /// passed. A Unix socket's file is systemd's, and left in place.
    pub fn from_env() -> io::Result<Option<Self>> {
        Ok(Bound::from_env()?.map(Self::new))
    }

    /// Serves on a socket bound with [`listen::Bound`](crate::listen::Bound),
    /// for instance one handed over on descriptor 0. A Unix socket's file
    /// is removed when the server stops if [`Bound::unix`] made it.
    ///
    /// ```
    /// use paste_server::Server;
    /// use paste_server::listen::Bound;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let server = match Bound::from_stdin()? {
    ///     Some(inherited) => Server::from_bound(inherited),
    ///     None => Server::bind("127.0.0.1:0")?,
    /// };
    /// println!("serving on {}", server.url());
    /// # Ok(()) }
    /// ```
    pub fn from_bound(bound: Bound) -> Self {
        Self::new(bound)
    }

    /// The address the server listens on.
    pub fn listen_addr(&self) -> ListenAddr {
        self.bound.listen_addr()
    }

    /// The TCP address the server listens on (`None` on a Unix socket).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match self.listen_addr() {
            ListenAddr::Tcp(addr) => Some(addr),
            ListenAddr::Unix(_) => None,
        }
    }

    /// A handle that shuts the server down from elsewhere.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// How long a client has to send a whole request head (slowloris
    /// protection); also how long a new connection may stay silent.
    /// For HTTP/1 the timer runs from the moment the connection is idle,
    /// so it also bounds the keep-alive idle time. Default: 30 s.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// The largest request head accepted; past it the client gets a 431.
    /// Values under 8 KiB count as 8 KiB. Default: 64 KiB.
    #[must_use]
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.limits.max_header_size = bytes.max(MIN_HEADER_SIZE);
        self
    }

    /// The largest request body accepted: a larger `Content-Length` gets a
    /// 413 before the body is read, and a chunked body that grows past it
    /// fails to read with a 413 error. Default: 64 MiB.
    #[must_use]
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.limits.max_body_size = bytes;
        self
    }

    /// How long a connection with no request in flight is kept open.
    /// Default: 75 s.
    #[must_use]
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.limits.keep_alive_timeout = timeout;
        self
    }

    /// How long a write to a client may stay blocked (the client not
    /// reading what it is sent) before the connection is closed. Each
    /// write that makes progress starts the clock again, so a slow reader
    /// is served and only a stalled one is cut. Default: 60 s.
    #[must_use]
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.limits.write_timeout = timeout;
        self
    }

    /// How long a request body has to arrive, from the app's first read
    /// of it, extended by one second for every [`min_body_rate`](Self::min_body_rate)
    /// bytes received (Apache's `RequestReadTimeout body=…,MinRate=…`). A
    /// body that stalls or trickles in slower than the rate fails to read
    /// with a `408 Request Timeout` error, and the connection is closed
    /// after the answer. Default: 30 s.
    #[must_use]
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.body_read_timeout = timeout;
        self
    }

    /// The request body rate, in bytes a second, that earns a body one
    /// more second past [`body_read_timeout`](Self::body_read_timeout);
    /// 0 gives no extension (the whole body has the timeout). Default: 500.
    #[must_use]
    pub fn min_body_rate(mut self, bytes_per_second: u64) -> Self {
        self.limits.min_body_rate = bytes_per_second;
        self
    }

    /// How many connections may be open at once; past it, a new connection
    /// gets a `503 Service Unavailable` (with `Connection: close` and
    /// `Retry-After: 1`) and is closed without a reset: whatever the client
    /// sent is read and dropped for up to 2 s, so that it reads the 503.
    /// The connections open go on being served, and new ones are accepted
    /// again as soon as some close. Default: 16384.
    ///
    /// Each connection takes a file descriptor: at start-up,
    /// [`serve`](Self::serve) raises the process's soft `RLIMIT_NOFILE` to
    /// its hard limit, and says so (at the info level) when that is still under
    /// `max_connections` plus a margin.
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.limits.max_connections = connections.max(1);
        self
    }

    /// How long a graceful shutdown waits for requests in flight before it
    /// closes their connections. Default: 30 s.
    #[must_use]
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.limits.drain_timeout = timeout;
        self
    }

    /// The `Server` header added to responses that have none; `None` adds
    /// nothing. Default: `paste-server` (no version, to tell attackers less).
    #[must_use]
    pub fn server_header(mut self, value: Option<HeaderValue>) -> Self {
        self.server_header = value;
        self
    }

    /// Whether SIGINT and SIGTERM shut the server down (the first one
    /// gracefully, a second one at once). Default: yes.
    #[must_use]
    pub fn handle_signals(mut self, enabled: bool) -> Self {
        self.signals = enabled;
        self
    }

    /// Serves HTTPS with this rustls configuration. HTTP/2 and HTTP/1.1 are
    /// offered by ALPN unless the configuration names its own protocols.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    #[must_use]
    pub fn tls(mut self, mut config: rustls::ServerConfig) -> Self {
        if config.alpn_protocols.is_empty() {
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        self.tls = Some(Arc::new(config));
        self
    }

    /// Serves HTTPS with a certificate chain and a private key read from
    /// PEM files.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls_pem_files(
        self,
        cert_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> io::Result<Self> {
        let config = crate::tls::config_from_pem_files(cert_chain.as_ref(), private_key.as_ref())?;
        Ok(self.tls(config))
    }

    /// The `http://…`/`https://…` URL this server answers on (for a Unix
    /// socket, `unix:PATH`).
    pub fn url(&self) -> String {
        let scheme = if self.is_tls() { "https" } else { "http" };
        match self.listen_addr() {
            ListenAddr::Tcp(addr) if addr.ip().is_unspecified() => {
                format!("{scheme}://localhost:{}", addr.port())
            }
            ListenAddr::Tcp(addr) => format!("{scheme}://{addr}"),
            unix @ ListenAddr::Unix(_) => unix.to_string(),
        }
    }

    fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    fn http_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_header_size)
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(limits.max_header_size).unwrap_or(u32::MAX));
        builder
    }

    /// Serves `app` until the server is shut down, then waits for the
    /// requests in flight (up to the drain timeout) and returns.
    pub async fn serve<A: App>(self, app: A) -> io::Result<()> {
        let url = self.url();
        let scheme = if self.is_tls() {
            Scheme::HTTPS
        } else {
            Scheme::HTTP
        };
        let limits = self.limits;
        let shared = Arc::new(Shared {
            app,
            limits,
            server_header: self.server_header,
            http: Self::http_builder(&limits),
        });
        #[cfg(feature = "tls")]
        let tls = self.tls.map(tokio_rustls::TlsAcceptor::from);
        let handle = self.handle;
        let signals = self
            .signals
            .then(|| tokio::spawn(on_signals(handle.clone())));
        raise_fd_limit(limits.max_connections);
        let listener = Listener::from_bound(self.bound)?;
        tracing::info!("serving on {url}");
        let serve = |stream: Stream, accepted: Accepted| {
            let info = accepted.with_scheme(scheme.clone());
            let stream = WriteTimeout::new(stream, limits.write_timeout);
            let shared = Arc::clone(&shared);
            let phase = handle.subscribe();
            #[cfg(feature = "tls")]
            let tls = tls.clone();
            async move {
                #[cfg(feature = "tls")]
                if let Some(tls) = tls {
                    let timeout = shared.limits.header_read_timeout;
                    match tokio::time::timeout(timeout, tls.accept(stream)).await {
                        Ok(Ok(stream)) => serve_connection(stream, shared, info, phase).await,
                        Ok(Err(err)) => tracing::debug!("TLS handshake failed: {err}"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                    return;
                }
                serve_connection(stream, shared, info, phase).await;
            }
        };
        listener
            .serve_connections(
                &handle,
                limits.max_connections,
                limits.drain_timeout,
                serve,
                refuse,
            )
            .await;
        if let Some(signals) = signals {
            signals.abort();
        }
        tracing::info!("server on {url} stopped");
        Ok(())
    }
}

/// Tells a client over the connection limit so, and closes without a
/// reset (the client's request is read and dropped, so that it gets to
/// read the answer). A TLS client cannot read the plain answer; it just
/// sees the connection close.
async fn refuse(mut stream: Stream) {
    let reply = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\
        content-type: text/plain; charset=utf-8\r\ncontent-length: 20\r\n\
        retry-after: 1\r\n\r\ntoo many connections";
    let written = tokio::time::timeout(Duration::from_millis(500), stream.write_all(reply)).await;
    if matches!(written, Ok(Ok(()))) {
        linger(stream).await;
    }
}

/// Raises the soft limit on open files to the hard limit (Linux and most
/// Unixes start processes at a soft limit of 1024, far under what a
/// server with thousands of connections needs), and warns when even the
/// hard limit leaves too little room for `max_connections`.
fn raise_fd_limit(max_connections: usize) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if let Some(hard) = limit.maximum
        && limit.current.is_some_and(|soft| soft < hard)
    {
        let soft = limit.current;
        limit.current = Some(hard);
        match setrlimit(Resource::Nofile, limit) {
            Ok(()) => tracing::debug!("raised the open-file limit from {soft:?} to {hard}"),
            Err(err) => tracing::debug!("cannot raise the open-file limit: {err}"),
        }
    }
    let soft = getrlimit(Resource::Nofile).current;
    let wanted = u64::try_from(max_connections)
        .unwrap_or(u64::MAX)
        .saturating_add(64);
    if let Some(soft) = soft
        && soft < wanted
    {
        tracing::info!(
            "the open-file limit ({soft}) is under max_connections ({max_connections}) \
             plus a margin: accepting will fail before the limit is reached"
        );
    }
}
