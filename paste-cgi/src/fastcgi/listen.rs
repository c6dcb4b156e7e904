//! Where a FastCGI server listens: a TCP or a Unix domain socket.
//!
//! The same shape as paste-server's listener, trimmed to what FastCGI
//! needs: the peer of a FastCGI connection is the web server, so its
//! address tells the app nothing (the client's address comes in the
//! params).

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

/// A bound socket, not yet registered with tokio.
#[derive(Debug)]
pub(crate) enum Bound {
    Tcp(std::net::TcpListener),
    /// With the socket file to remove at shutdown, if the server made it.
    Unix(std::os::unix::net::UnixListener, Option<PathBuf>),
}

impl Bound {
    pub(crate) fn tcp(addr: impl ToSocketAddrs) -> io::Result<Self> {
        // std sets SO_REUSEADDR on Unix, so a restart does not wait for
        // TIME_WAIT to pass.
        Self::from_tcp(std::net::TcpListener::bind(addr)?)
    }

    pub(crate) fn unix(path: &Path) -> io::Result<Self> {
        let listener = match std::os::unix::net::UnixListener::bind(path) {
            Err(err) if err.kind() == io::ErrorKind::AddrInUse && is_stale_socket(path) => {
                std::fs::remove_file(path)?;
                std::os::unix::net::UnixListener::bind(path)?
            }
            other => other?,
        };
        listener.set_nonblocking(true)?;
        Ok(Self::Unix(listener, Some(path.to_owned())))
    }

    pub(crate) fn from_tcp(listener: std::net::TcpListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Self::Tcp(listener))
    }

    pub(crate) fn from_unix(listener: std::os::unix::net::UnixListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Self::Unix(listener, None))
    }

    /// A socket handed over at start: the first one of systemd socket
    /// activation (`LISTEN_FDS`), else a listening socket on descriptor 0
    /// (`FCGI_LISTENSOCK_FILENO`, the way spawn-fcgi, mod_fcgid and
    /// lighttpd's `bin-path` start FastCGI programs).
    pub(crate) fn from_env() -> io::Result<Option<Self>> {
        let mut fds = listenfd::ListenFd::from_env();
        if fds.len() > 0 {
            if let Ok(Some(listener)) = fds.take_tcp_listener(0) {
                return Self::from_tcp(listener).map(Some);
            }
            if let Some(listener) = fds.take_unix_listener(0)? {
                return Self::from_unix(listener).map(Some);
            }
        }
        Self::from_stdin()
    }

    /// Descriptor 0, if it is a listening socket (a copy of it, so that
    /// nothing unsafe is needed to own it).
    fn from_stdin() -> io::Result<Option<Self>> {
        use rustix::net::AddressFamily;
        use rustix::net::sockopt::{socket_acceptconn, socket_domain};
        use std::os::fd::AsFd;
        let stdin = std::io::stdin();
        // Not a socket (a terminal, a pipe, /dev/null): not ours to serve.
        if !socket_acceptconn(stdin.as_fd()).unwrap_or(false) {
            return Ok(None);
        }
        let fd = stdin.as_fd().try_clone_to_owned()?;
        match socket_domain(&fd)? {
            AddressFamily::UNIX => Self::from_unix(fd.into()).map(Some),
            AddressFamily::INET | AddressFamily::INET6 => Self::from_tcp(fd.into()).map(Some),
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "descriptor 0 is a listening socket of a family other than TCP or Unix",
            )),
        }
    }

    pub(crate) fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Self::Tcp(listener) => listener.local_addr().ok(),
            Self::Unix(..) => None,
        }
    }

    pub(crate) fn describe(&self) -> Described {
        match self {
            Self::Tcp(listener) => match listener.local_addr() {
                Ok(addr) => Described(addr.to_string()),
                Err(_) => Described("(a TCP socket)".to_owned()),
            },
            Self::Unix(listener, path) => {
                let path = path.clone().or_else(|| {
                    let addr = listener.local_addr().ok()?;
                    addr.as_pathname().map(Path::to_path_buf)
                });
                match path {
                    Some(path) => Described(format!("unix:{}", path.display())),
                    None => Described("unix:(unnamed)".to_owned()),
                }
            }
        }
    }
}

/// A listen address, for log lines.
pub(crate) struct Described(String);

impl fmt::Display for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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

/// The tokio side of a [`Bound`] socket.
pub(crate) enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

impl Listener {
    /// Registers the socket with tokio; also returns the socket file to
    /// remove at shutdown, if the server made one.
    pub(crate) fn from_bound(bound: Bound) -> io::Result<(Self, Option<PathBuf>)> {
        Ok(match bound {
            Bound::Tcp(listener) => (
                Self::Tcp(tokio::net::TcpListener::from_std(listener)?),
                None,
            ),
            Bound::Unix(listener, path) => (
                Self::Unix(tokio::net::UnixListener::from_std(listener)?),
                path,
            ),
        })
    }

    pub(crate) async fn accept(&self) -> io::Result<Stream> {
        match self {
            Self::Tcp(listener) => {
                let (stream, _) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                Ok(Stream::Tcp(stream))
            }
            Self::Unix(listener) => Ok(Stream::Unix(listener.accept().await?.0)),
        }
    }
}

/// An accepted TCP or Unix stream, as one `AsyncRead + AsyncWrite` type.
pub(crate) enum Stream {
    Tcp(TcpStream),
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
