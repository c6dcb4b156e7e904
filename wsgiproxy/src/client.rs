//! The pooled HTTP client under every proxy: TCP (and TLS with feature
//! `tls`) or a Unix socket, and how its failures become responses.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::StatusCode;
use hyper::body::Incoming;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::legacy::{self, Client};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use paste_core::{Body, Error};
use tokio::net::UnixStream;

/// The TCP connector: plain HTTP, or HTTP and HTTPS with feature `tls`.
#[cfg(not(feature = "tls"))]
type TcpConnector = HttpConnector;
#[cfg(feature = "tls")]
type TcpConnector = hyper_rustls::HttpsConnector<HttpConnector>;

/// One pool of connections to the backend(s); cloned cheaply, shared by
/// the clones of a proxy.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Tcp(Client<TcpConnector, Body>),
    Unix(Client<UnixConnector, Body>),
}

/// What the pool is built from; a proxy keeps it to rebuild the pool when
/// a builder method changes it.
#[derive(Clone, Debug)]
pub(crate) struct PoolConfig {
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) unix_socket: Option<Arc<Path>>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

impl PoolConfig {
    pub(crate) fn new() -> Self {
        Self {
            connect_timeout: Some(Duration::from_secs(10)),
            unix_socket: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    pub(crate) fn build(&self) -> Pool {
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90));
        if let Some(path) = &self.unix_socket {
            return Pool::Unix(builder.build(UnixConnector {
                path: Arc::clone(path),
                timeout: self.connect_timeout,
            }));
        }
        let mut http = HttpConnector::new();
        http.set_connect_timeout(self.connect_timeout);
        http.set_nodelay(true);
        #[cfg(feature = "tls")]
        let http = {
            http.enforce_http(false);
            let tls = match &self.tls {
                Some(config) => (**config).clone(),
                None => default_tls_config(),
            };
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .wrap_connector(http)
        };
        Pool::Tcp(builder.build(http))
    }
}

/// Mozilla's root certificates, ring as the crypto provider.
#[cfg(feature = "tls")]
fn default_tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

impl Pool {
    pub(crate) fn request(&self, req: http::Request<Body>) -> legacy::ResponseFuture {
        match self {
            Self::Tcp(client) => client.request(req),
            Self::Unix(client) => client.request(req),
        }
    }
}

/// Connects every request to one Unix socket, whatever its URI.
#[derive(Clone, Debug)]
pub(crate) struct UnixConnector {
    path: Arc<Path>,
    timeout: Option<Duration>,
}

type Connecting = Pin<Box<dyn Future<Output = io::Result<UnixConn>> + Send>>;

impl tower_service::Service<http::Uri> for UnixConnector {
    type Response = UnixConn;
    type Error = io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: http::Uri) -> Self::Future {
        let (path, timeout) = (Arc::clone(&self.path), self.timeout);
        Box::pin(async move {
            let connect = UnixStream::connect(&*path);
            let stream = match timeout {
                Some(limit) => tokio::time::timeout(limit, connect).await.map_err(|_| {
                    io::Error::new(io::ErrorKind::TimedOut, "connecting timed out")
                })??,
                None => connect.await?,
            };
            Ok(UnixConn(TokioIo::new(stream)))
        })
    }
}

/// A connection to a Unix socket, as hyper's client drives it.
#[derive(Debug)]
pub(crate) struct UnixConn(TokioIo<UnixStream>);

impl Connection for UnixConn {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl Read for UnixConn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl Write for UnixConn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

/// The 504 of a backend that did not answer in time.
pub(crate) fn timed_out(what: &str) -> Error {
    Error::new(StatusCode::GATEWAY_TIMEOUT)
        .with_message("Gateway Timeout: the backend server did not answer in time")
        .with_source(io::Error::new(io::ErrorKind::TimedOut, what.to_owned()))
}

/// The response for a failed exchange with the backend: 504 when it was
/// a timeout, 502 otherwise (refused, reset, unresolvable, a response that
/// is not HTTP). The cause is logged and kept as the source; the client
/// sees only the status and a generic message.
pub(crate) fn exchange_failed(err: legacy::Error, backend: &dyn std::fmt::Display) -> Error {
    let timeout = chain_has_timeout(&err);
    tracing::warn!(%backend, connect = err.is_connect(), "proxy: the backend failed: {}", chain(&err));
    if timeout {
        timed_out("connecting to the backend timed out").with_source(err)
    } else {
        let message = if err.is_connect() {
            "Bad Gateway: the backend server could not be reached"
        } else {
            "Bad Gateway: the backend server did not send a valid response"
        };
        Error::new(StatusCode::BAD_GATEWAY)
            .with_message(message)
            .with_source(err)
    }
}

/// The error that cuts a response short when the backend's body breaks
/// off: logged here, and the server aborts the response so that the
/// client sees it incomplete.
pub(crate) fn body_failed(err: hyper::Error) -> paste_core::BoxError {
    tracing::warn!(
        "proxy: the backend's response body broke off: {}",
        chain(&err)
    );
    Error::new(StatusCode::BAD_GATEWAY)
        .with_message("the backend's response body broke off")
        .with_source(err)
        .into_boxed()
}

/// A response body streamed from the backend, errors logged and mapped;
/// with `idle`, cut off when no data arrives for that long.
pub(crate) fn stream_body(incoming: Incoming, idle: Option<Duration>) -> Body {
    use http_body_util::BodyExt;
    if http_body::Body::is_end_stream(&incoming) {
        return Body::empty();
    }
    match idle {
        None => Body::new(incoming.map_err(body_failed)),
        Some(limit) => Body::new(IdleLimited {
            inner: incoming,
            limit,
            sleep: Box::pin(tokio::time::sleep(limit)),
        }),
    }
}

/// A backend body that fails when it stalls for longer than `limit`
/// between two frames.
struct IdleLimited {
    inner: Incoming,
    limit: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for IdleLimited {
    type Data = bytes::Bytes;
    type Error = paste_core::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let deadline = tokio::time::Instant::now() + this.limit;
                this.sleep.as_mut().reset(deadline);
                Poll::Ready(frame.map(|frame| frame.map_err(body_failed)))
            }
            Poll::Pending => {
                if this.sleep.as_mut().poll(cx).is_ready() {
                    tracing::warn!(
                        "proxy: the backend's response body stalled for {:?}; cut off",
                        this.limit
                    );
                    return Poll::Ready(Some(Err(Error::new(StatusCode::GATEWAY_TIMEOUT)
                        .with_message("the backend's response body stalled")
                        .into_boxed())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

fn chain_has_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::TimedOut
        {
            return true;
        }
        next = err.source();
    }
    false
}

/// `err: its cause: its cause…`, for the log.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}
