//! Listening sockets and accepted connections, for [`Server`](crate::Server)
//! and for servers of other protocols built on paste-server's sockets
//! (paste-cgi's FastCGI server is one).
//!
//! Two steps, as in `Server`: a [`Bound`] socket is taken before anything
//! runs (so that a port in use is an error at once, and port 0's real
//! port is known), then turned into a [`Listener`] on the tokio runtime,
//! which accepts [`Stream`]s. A [`Handle`] says when to
//! stop accepting. [`Listener::serve_connections`] is the whole accept
//! loop `Server` runs — a task per connection, a connection limit, the
//! drain at shutdown — for a protocol of your own; below, the bare steps.
//!
//! ```
//! use paste_server::Handle;
//! use paste_server::listen::{Bound, Listener};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! // A one-line "protocol": greet each client, then hang up.
//! let bound = Bound::tcp("127.0.0.1:0")?;
//! let addr = bound.local_addr().unwrap();
//! let handle = Handle::new();
//! let listener = Listener::from_bound(bound)?;
//! let shutting_down = handle.shutting_down();
//! let server = tokio::spawn(async move {
//!     tokio::pin!(shutting_down);
//!     loop {
//!         let (mut stream, _accepted) = tokio::select! {
//!             () = &mut shutting_down => return,
//!             accepted = listener.accept() => accepted.unwrap(),
//!         };
//!         tokio::spawn(async move { stream.write_all(b"hello\n").await });
//!     }
//! });
//!
//! let mut client = tokio::net::TcpStream::connect(addr).await?;
//! let mut greeting = String::new();
//! client.read_to_string(&mut greeting).await?;
//! assert_eq!(greeting, "hello\n");
//! handle.shutdown();
//! server.await.unwrap();
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::uri::Scheme;
use paste_core::ConnectionInfo;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::Handle;

/// The listen backlog: enough for bursts of thousands of connections.
const BACKLOG: i32 = 1024;

/// A bound listening socket, not yet accepting: TCP (IPv4 or IPv6) or a
/// Unix domain socket, bound here or handed over by whoever started the
/// process.
///
/// A Unix socket file is removed when the [`Listener`] made of it is
/// dropped if, and only if, [`Bound::unix`] made it: a socket bound
/// elsewhere, or inherited, is its owner's to remove (systemd's socket
/// unit goes on listening on it after the service stops).
///
/// ```
/// use paste_server::listen::Bound;
///
/// # fn main() -> std::io::Result<()> {
/// // Someone else's socket if we were given one, else our own.
/// let bound = match Bound::from_env()? {
///     Some(inherited) => inherited,
///     None => Bound::tcp("127.0.0.1:0")?,
/// };
/// println!("listening on {}", bound.listen_addr());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Bound(Inner);

#[derive(Debug)]
enum Inner {
    Tcp(std::net::TcpListener),
    Unix {
        listener: std::os::unix::net::UnixListener,
        /// The socket's path, as shown to people.
        path: Option<PathBuf>,
        /// Whether the file at `path` is removed at shutdown.
        remove: bool,
    },
}

/// The address a server listens on, as shown to people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix domain socket, by path (`None` for an unnamed inherited one).
    Unix(Option<PathBuf>),
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Unix(Some(path)) => write!(f, "unix:{}", path.display()),
            Self::Unix(None) => f.write_str("unix:(inherited)"),
        }
    }
}

impl Bound {
    /// Binds a TCP socket: `"127.0.0.1:8080"`, `"[::1]:8080"`,
    /// `"localhost:0"`, a [`SocketAddr`]… The first address that binds
    /// wins. The socket has `SO_REUSEADDR` (a restart need not wait for
    /// `TIME_WAIT`) and a backlog of 1024.
    pub fn tcp(addr: impl ToSocketAddrs) -> io::Result<Self> {
        let mut last_err = None;
        for addr in addr.to_socket_addrs()? {
            match bind_tcp(addr) {
                Ok(listener) => return Ok(Self(Inner::Tcp(listener))),
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the address resolved to nothing",
            )
        }))
    }

    /// Binds a Unix domain socket at `path`, replacing a stale socket file
    /// left by a server that died (but not a live one). The file is
    /// removed when the [`Listener`] is dropped.
    pub fn unix(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let listener = match std::os::unix::net::UnixListener::bind(path) {
            Err(err) if err.kind() == io::ErrorKind::AddrInUse && is_stale_socket(path) => {
                std::fs::remove_file(path)?;
                std::os::unix::net::UnixListener::bind(path)?
            }
            other => other?,
        };
        listener.set_nonblocking(true)?;
        Ok(Self(Inner::Unix {
            listener,
            path: Some(path.to_owned()),
            remove: true,
        }))
    }

    /// A TCP listener bound elsewhere.
    pub fn from_tcp(listener: std::net::TcpListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Self(Inner::Tcp(listener)))
    }

    /// A Unix listener bound elsewhere; its socket file is left alone.
    pub fn from_unix(listener: std::os::unix::net::UnixListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        let path = listener.local_addr()?.as_pathname().map(Path::to_path_buf);
        Ok(Self(Inner::Unix {
            listener,
            path,
            remove: false,
        }))
    }

    /// The first socket passed by systemd socket activation (`LISTEN_FDS`,
    /// `LISTEN_PID`), TCP or Unix; `Ok(None)` when none was passed.
    pub fn from_env() -> io::Result<Option<Self>> {
        let mut fds = listenfd::ListenFd::from_env();
        if fds.len() == 0 {
            return Ok(None);
        }
        if let Ok(Some(listener)) = fds.take_tcp_listener(0) {
            return Self::from_tcp(listener).map(Some);
        }
        match fds.take_unix_listener(0)? {
            Some(listener) => Self::from_unix(listener).map(Some),
            None => Ok(None),
        }
    }

    /// A listening socket on descriptor 0, TCP or Unix; `Ok(None)` when
    /// descriptor 0 is something else (a terminal, a pipe, `/dev/null`,
    /// closed).
    ///
    /// This is how FastCGI programs are started (`FCGI_LISTENSOCK_FILENO`:
    /// spawn-fcgi, Apache's mod_fcgid, lighttpd's `bin-path`,
    /// `cgi-fcgi -start`), and systemd's `StandardInput=socket`. The
    /// socket is taken as a copy of descriptor 0, which stays open.
    ///
    /// ```
    /// use paste_server::listen::Bound;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// // Under `cargo test`, descriptor 0 is no listening socket.
    /// assert!(Bound::from_stdin()?.is_none());
    /// # Ok(()) }
    /// ```
    pub fn from_stdin() -> io::Result<Option<Self>> {
        use std::os::fd::AsFd;
        let stdin = std::io::stdin();
        let fd = stdin.as_fd();
        let socket = SockRef::from(&fd);
        // A listening stream socket has a type, an address and no peer
        // (the FastCGI specification's test, §2.2); the others are not
        // ours to serve.
        if !matches!(socket.r#type(), Ok(Type::STREAM)) {
            return Ok(None);
        }
        if !matches!(socket.peer_addr(), Err(err) if err.kind() == io::ErrorKind::NotConnected) {
            return Ok(None);
        }
        #[cfg(any(
            target_os = "android",
            target_os = "freebsd",
            target_os = "fuchsia",
            target_os = "linux"
        ))]
        if !socket.is_listener().unwrap_or(false) {
            return Ok(None); // not connected, but not listening either
        }
        let local = socket.local_addr()?;
        let copy = fd.try_clone_to_owned()?;
        if local.is_unix() {
            Self::from_unix(copy.into()).map(Some)
        } else if local.is_ipv4() || local.is_ipv6() {
            Self::from_tcp(copy.into()).map(Some)
        } else {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "descriptor 0 is a listening socket of a family other than TCP or Unix",
            ))
        }
    }

    /// Makes [`Server::from_unix`](crate::Server::from_unix) remove the
    /// socket file at shutdown, as it always has.
    pub(crate) fn remove_socket_file(mut self) -> Self {
        if let Inner::Unix { remove, .. } = &mut self.0 {
            *remove = true;
        }
        self
    }

    /// The address the socket listens on.
    pub fn listen_addr(&self) -> ListenAddr {
        match &self.0 {
            Inner::Tcp(listener) => match listener.local_addr() {
                Ok(addr) => ListenAddr::Tcp(addr),
                Err(_) => ListenAddr::Tcp(SocketAddr::from(([0, 0, 0, 0], 0))),
            },
            Inner::Unix { path, .. } => ListenAddr::Unix(path.clone()),
        }
    }

    /// The TCP address the socket listens on (`None` for a Unix socket):
    /// the real port when port 0 was asked for.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.0 {
            Inner::Tcp(listener) => listener.local_addr().ok(),
            Inner::Unix { .. } => None,
        }
    }
}

fn bind_tcp(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// A socket file nobody listens on any more (left by a crashed server).
fn is_stale_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let is_socket = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
    is_socket
        && matches!(
            std::os::unix::net::UnixStream::connect(path),
            Err(err) if err.kind() == io::ErrorKind::ConnectionRefused
        )
}

/// A [`Bound`] socket registered with tokio, accepting connections.
///
/// Dropping it stops accepting (new connections are refused) and removes
/// the socket file that [`Bound::unix`] made.
///
/// ```
/// use paste_server::listen::{Bound, Listener};
///
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let bound = Bound::tcp("127.0.0.1:0")?;
/// let addr = bound.local_addr().unwrap();
/// let listener = Listener::from_bound(bound)?;
/// let client = tokio::net::TcpStream::connect(addr).await?;
/// let (_stream, accepted) = listener.accept().await?;
/// assert_eq!(accepted.remote_addr(), Some(client.local_addr()?));
/// assert_eq!(accepted.local_addr(), Some(addr));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Listener {
    socket: Accepting,
    /// The socket file to remove when the listener goes.
    socket_file: Option<PathBuf>,
}

#[derive(Debug)]
enum Accepting {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

/// What is known of a connection when it is accepted: its addresses, for
/// TCP (a Unix peer has none worth telling).
///
/// ```
/// use paste_server::listen::{Bound, Listener};
///
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let bound = Bound::tcp("127.0.0.1:0")?;
/// let addr = bound.local_addr().unwrap();
/// let listener = Listener::from_bound(bound)?;
/// let _client = tokio::net::TcpStream::connect(addr).await?;
/// let (_stream, accepted) = listener.accept().await?;
/// let peer = accepted.remote_addr().unwrap();
/// assert!(peer.ip().is_loopback());
/// println!("a connection from {peer}");
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Accepted {
    remote: Option<SocketAddr>,
    local: Option<SocketAddr>,
}

impl Accepted {
    /// The peer's address (`None` on a Unix socket).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// The address the connection came in on (`None` on a Unix socket).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local
    }

    pub(crate) fn with_scheme(self, scheme: Scheme) -> ConnectionInfo {
        let mut info = ConnectionInfo::new(scheme);
        if let Some(addr) = self.remote {
            info = info.with_remote_addr(addr);
        }
        if let Some(addr) = self.local {
            info = info.with_local_addr(addr);
        }
        info
    }
}

impl Listener {
    /// Registers the socket with tokio. Call it inside a tokio runtime
    /// with I/O enabled (it panics elsewhere, as tokio's listeners do).
    pub fn from_bound(bound: Bound) -> io::Result<Self> {
        Ok(match bound.0 {
            Inner::Tcp(listener) => Self {
                socket: Accepting::Tcp(tokio::net::TcpListener::from_std(listener)?),
                socket_file: None,
            },
            Inner::Unix {
                listener,
                path,
                remove,
            } => Self {
                socket: Accepting::Unix(tokio::net::UnixListener::from_std(listener)?),
                socket_file: path.filter(|_| remove),
            },
        })
    }

    /// Accepts the next connection, with `TCP_NODELAY` set on TCP.
    ///
    /// An error is the socket's (out of file descriptors, say), not the
    /// end of the listener: log it, back off a little, and go on.
    /// Cancel-safe, as tokio's `accept` is.
    pub async fn accept(&self) -> io::Result<(Stream, Accepted)> {
        match &self.socket {
            Accepting::Tcp(listener) => {
                let (stream, remote) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().ok();
                let remote = Some(remote);
                Ok((Stream::Tcp(stream), Accepted { remote, local }))
            }
            Accepting::Unix(listener) => {
                let (stream, _) = listener.accept().await?;
                let (remote, local) = (None, None);
                Ok((Stream::Unix(stream), Accepted { remote, local }))
            }
        }
    }
}

impl Listener {
    /// The accept loop every server of the family runs: accepts connections
    /// until `handle` starts shutting down, each served by the future
    /// `serve` makes of it, on a task of its own, while at most
    /// `max_connections` are open — one over the limit goes to the future
    /// `refuse` makes of it instead. Then it closes the listening socket
    /// (removing a socket file it made) and waits for the open connections
    /// to finish, up to `drain_timeout` or until [`Handle::stop_now`], and
    /// drops those still open. Failed accepts (out of file descriptors and
    /// the like) are logged and retried after a short pause.
    ///
    /// ```
    /// use std::time::Duration;
    /// use paste_server::Handle;
    /// use paste_server::listen::{Bound, Listener};
    /// use tokio::io::AsyncWriteExt;
    ///
    /// # #[tokio::main] async fn main() -> std::io::Result<()> {
    /// let bound = Bound::tcp("127.0.0.1:0")?;
    /// let addr = bound.local_addr().unwrap();
    /// let listener = Listener::from_bound(bound)?;
    /// let handle = Handle::new();
    /// let stop = handle.clone();
    /// let greeter = tokio::spawn(async move {
    ///     let serve = |mut stream: paste_server::listen::Stream, _| async move {
    ///         let _ = stream.write_all(b"hello\n").await;
    ///     };
    ///     let refuse = |_| async {};
    ///     listener
    ///         .serve_connections(&stop, 100, Duration::from_secs(5), serve, refuse)
    ///         .await;
    /// });
    /// let mut client = tokio::net::TcpStream::connect(addr).await?;
    /// let mut greeting = String::new();
    /// tokio::io::AsyncReadExt::read_to_string(&mut client, &mut greeting).await?;
    /// assert_eq!(greeting, "hello\n");
    /// handle.shutdown();
    /// greeter.await.unwrap();
    /// # Ok(()) }
    /// ```
    pub async fn serve_connections<S, SF, R, RF>(
        self,
        handle: &Handle,
        max_connections: usize,
        drain_timeout: Duration,
        mut serve: S,
        mut refuse: R,
    ) where
        S: FnMut(Stream, Accepted) -> SF,
        SF: Future<Output = ()> + Send + 'static,
        R: FnMut(Stream) -> RF,
        RF: Future<Output = ()> + Send + 'static,
    {
        let permits = Arc::new(Semaphore::new(max_connections.max(1)));
        let mut connections = JoinSet::new();
        let mut shutting_down = std::pin::pin!(handle.shutting_down());
        loop {
            let accepted = tokio::select! {
                biased;
                () = &mut shutting_down => break,
                accepted = self.accept() => accepted,
            };
            while connections.try_join_next().is_some() {}
            let (stream, accepted) = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: back off a
                    // little instead of spinning.
                    tracing::error!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                tracing::warn!("refusing a connection: {max_connections} connections are open");
                tokio::spawn(refuse(stream));
                continue;
            };
            let connection = serve(stream, accepted);
            connections.spawn(async move {
                let _permit = permit;
                connection.await;
            });
        }

        drop(self); // from here on, new connections are refused
        while connections.try_join_next().is_some() {}
        let open = connections.len();
        if open > 0 {
            tracing::info!("waiting for {open} open connection(s) to finish");
        }
        let drained = async { while connections.join_next().await.is_some() {} };
        tokio::select! {
            () = drained => {}
            () = tokio::time::sleep(drain_timeout) => {
                tracing::warn!("drain timeout: closing {} connection(s)", connections.len());
            }
            () = handle.stopping() => {}
        }
        connections.shutdown().await;
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(path) = self.socket_file.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// An accepted TCP or Unix stream, as one `AsyncRead + AsyncWrite` type
/// with vectored writes.
///
/// ```
/// use paste_server::listen::{Bound, Listener, Stream};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("paste-doc-stream-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("s.sock");
/// let listener = Listener::from_bound(Bound::unix(&path)?)?;
/// let mut client = tokio::net::UnixStream::connect(&path).await?;
/// let (mut stream, accepted) = listener.accept().await?;
/// assert!(matches!(stream, Stream::Unix(_)));
/// assert_eq!(accepted.remote_addr(), None);
/// stream.write_all(b"over unix").await?;
/// drop(stream);
/// let mut got = String::new();
/// client.read_to_string(&mut got).await?;
/// assert_eq!(got, "over unix");
/// drop(listener);
/// assert!(!path.exists(), "the socket file Bound::unix made is gone");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Stream {
    /// A TCP connection (with `TCP_NODELAY`).
    Tcp(TcpStream),
    /// A Unix domain socket connection.
    Unix(UnixStream),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Stream::Tcp($s) => $e,
            Stream::Unix($s) => $e,
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Tcp(s) => s.is_write_vectored(),
            Self::Unix(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_shutdown(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("paste-server-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_stale_unix_socket_is_replaced_but_a_live_one_is_not() {
        let dir = temp_dir("stale");
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let live = Bound::unix(&path).unwrap();
        assert_eq!(
            Bound::unix(&path).unwrap_err().kind(),
            io::ErrorKind::AddrInUse
        );
        drop(live); // the file stays behind, like after a crash
        assert!(path.exists());
        Bound::unix(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn only_a_socket_file_bound_here_is_removed_with_the_listener() {
        let dir = temp_dir("owner");
        let ours = dir.join("ours.sock");
        let bound = Bound::unix(&ours).unwrap();
        assert_eq!(bound.listen_addr(), ListenAddr::Unix(Some(ours.clone())));
        drop(Listener::from_bound(bound).unwrap());
        assert!(!ours.exists());

        let theirs = dir.join("theirs.sock");
        let std_listener = std::os::unix::net::UnixListener::bind(&theirs).unwrap();
        let bound = Bound::from_unix(std_listener).unwrap();
        assert_eq!(bound.listen_addr(), ListenAddr::Unix(Some(theirs.clone())));
        drop(Listener::from_bound(bound).unwrap());
        assert!(theirs.exists(), "a socket bound elsewhere is left alone");

        let handed = dir.join("handed.sock");
        let std_listener = std::os::unix::net::UnixListener::bind(&handed).unwrap();
        let bound = Bound::from_unix(std_listener).unwrap().remove_socket_file();
        drop(Listener::from_bound(bound).unwrap());
        assert!(!handed.exists(), "as Server::from_unix asks");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
