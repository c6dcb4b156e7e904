//! Where the server listens: TCP (IPv4 or IPv6), a Unix domain socket, or a
//! socket inherited from systemd.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use std::pin::Pin;
use std::task::{Context, Poll};

use http::uri::Scheme;
use paste_core::ConnectionInfo;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

/// The listen backlog: enough for bursts of thousands of connections.
const BACKLOG: i32 = 1024;

/// A bound, not yet serving, listening socket.
#[derive(Debug)]
pub(crate) enum Bound {
    Tcp(std::net::TcpListener),
    Unix(std::os::unix::net::UnixListener, Option<PathBuf>),
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
    pub(crate) fn tcp(addr: impl ToSocketAddrs) -> io::Result<Self> {
        let mut last_err = None;
        for addr in addr.to_socket_addrs()? {
            match bind_tcp(addr) {
                Ok(listener) => return Ok(Self::Tcp(listener)),
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
        let path = listener.local_addr()?.as_pathname().map(Path::to_path_buf);
        Ok(Self::Unix(listener, path))
    }

    /// The first socket passed by systemd (`LISTEN_FDS`), if any.
    pub(crate) fn from_env() -> io::Result<Option<Self>> {
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

    pub(crate) fn listen_addr(&self) -> ListenAddr {
        match self {
            Self::Tcp(listener) => match listener.local_addr() {
                Ok(addr) => ListenAddr::Tcp(addr),
                Err(_) => ListenAddr::Tcp(SocketAddr::from(([0, 0, 0, 0], 0))),
            },
            Self::Unix(_, path) => ListenAddr::Unix(path.clone()),
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

/// The tokio side of a [`Bound`] socket, accepting.
pub(crate) enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

/// What is known of a connection when it is accepted, before the scheme.
pub(crate) struct Accepted {
    remote: Option<SocketAddr>,
    local: Option<SocketAddr>,
}

impl Accepted {
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

    pub(crate) async fn accept(&self) -> io::Result<(Stream, Accepted)> {
        match self {
            Self::Tcp(listener) => {
                let (stream, remote) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().ok();
                let remote = Some(remote);
                Ok((Stream::Tcp(stream), Accepted { remote, local }))
            }
            Self::Unix(listener) => {
                let (stream, _) = listener.accept().await?;
                let (remote, local) = (None, None);
                Ok((Stream::Unix(stream), Accepted { remote, local }))
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_unix_socket_is_replaced_but_a_live_one_is_not() {
        let dir = std::env::temp_dir().join(format!("paste-server-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
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
}
