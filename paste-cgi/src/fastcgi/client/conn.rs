//! Connections to a FastCGI responder, and the [`Pool`] that keeps them
//! between requests.
//!
//! The pool counts every open connection, idle or busy, against one limit
//! (`max_connections`): a responder with a fixed number of workers
//! (php-cgi's children, php-fpm's `pm.max_children`) serves one
//! connection per worker until that connection is closed, so a client that
//! opens more connections than there are workers leaves the extra ones in
//! the listen backlog. For the same reason a connection is not kept idle
//! while a request waits on a fresh connection for its first answer: that
//! request may be queued behind the very worker the idle connection holds,
//! so the idle connection is closed instead, which frees the worker.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream, tcp, unix};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::FastCgiAddr;
use crate::fastcgi::proto::RecordReader;

/// The reading half of a connection.
#[derive(Debug)]
pub(crate) enum ReadHalf {
    Tcp(tcp::OwnedReadHalf),
    Unix(unix::OwnedReadHalf),
}

/// The writing half of a connection. Dropping it shuts the connection's
/// writing side.
#[derive(Debug)]
pub(crate) enum WriteHalf {
    Tcp(tcp::OwnedWriteHalf),
    Unix(unix::OwnedWriteHalf),
}

impl ReadHalf {
    /// Whether the responder has neither closed the connection nor sent
    /// anything while it sat idle (either makes it unusable). Looks without
    /// waiting.
    fn looks_open(&self) -> bool {
        let mut probe = [0u8; 1];
        let read = match self {
            Self::Tcp(half) => half.try_read(&mut probe),
            Self::Unix(half) => half.try_read(&mut probe),
        };
        matches!(read, Err(err) if err.kind() == io::ErrorKind::WouldBlock)
    }
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(half) => Pin::new(half).poll_read(cx, buf),
            Self::Unix(half) => Pin::new(half).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(half) => Pin::new(half).poll_write(cx, buf),
            Self::Unix(half) => Pin::new(half).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(half) => Pin::new(half).poll_write_vectored(cx, bufs),
            Self::Unix(half) => Pin::new(half).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Tcp(half) => half.is_write_vectored(),
            Self::Unix(half) => half.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(half) => Pin::new(half).poll_flush(cx),
            Self::Unix(half) => Pin::new(half).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(half) => Pin::new(half).poll_shutdown(cx),
            Self::Unix(half) => Pin::new(half).poll_shutdown(cx),
        }
    }
}

/// An open connection, taken from the pool for one request.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) reader: RecordReader<ReadHalf>,
    pub(crate) writer: WriteHalf,
    /// Whether it served a request before: a reused connection may have
    /// been closed by the responder in the meantime.
    pub(crate) reused: bool,
    pub(crate) slot: Slot,
}

/// A connection's place under the pool's limit, held while it is open.
#[derive(Debug)]
pub(crate) struct Slot {
    permit: OwnedSemaphorePermit,
}

/// An idle connection in the pool.
struct Idle {
    reader: RecordReader<ReadHalf>,
    writer: WriteHalf,
    slot: Slot,
    since: Instant,
}

/// Why no connection could be had.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// Every connection is busy, and none came free in time.
    Busy,
    /// Connecting took longer than the connect timeout.
    Timeout,
    /// The responder refused, or isn't there.
    Failed(io::Error),
}

/// What a pool is told of its settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolConfig {
    pub(crate) max_connections: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) keep_conn: bool,
}

/// The connections to one responder, shared by the clones of an app.
pub(crate) struct Pool {
    addr: FastCgiAddr,
    config: PoolConfig,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Idle>>,
    /// Woken when a connection is put back, for requests waiting for one.
    returned: Notify,
    /// Requests on fresh connections still waiting for their first record.
    fresh_waiting: AtomicUsize,
    /// Set when connecting failed outright (refused, no socket file): a
    /// responder this crate started is then to be started again.
    unreachable: AtomicBool,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("addr", &self.addr)
            .field("config", &self.config)
            .field("available", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl Pool {
    pub(crate) fn new(addr: FastCgiAddr, config: PoolConfig) -> Arc<Self> {
        let max = config.max_connections.clamp(1, Semaphore::MAX_PERMITS);
        Arc::new(Self {
            addr,
            config: PoolConfig {
                max_connections: max,
                ..config
            },
            permits: Arc::new(Semaphore::new(max)),
            idle: Mutex::new(Vec::new()),
            returned: Notify::new(),
            fresh_waiting: AtomicUsize::new(0),
            unreachable: AtomicBool::new(false),
        })
    }

    pub(crate) fn addr(&self) -> &FastCgiAddr {
        &self.addr
    }

    pub(crate) fn keep_conn(&self) -> bool {
        self.config.keep_conn
    }

    pub(crate) fn max_connections(&self) -> usize {
        self.config.max_connections
    }

    /// Whether connecting has failed outright since the last success.
    pub(crate) fn is_unreachable(&self) -> bool {
        self.unreachable.load(Ordering::Relaxed)
    }

    /// A connection: an idle one that still looks open, or a new one when
    /// fewer than the limit are open; otherwise waits for one to be put
    /// back or closed, until `deadline`. With `fresh`, always a new one
    /// (closing an idle one if the limit is reached): for a request that
    /// could not be sent again should a reused connection turn out closed.
    pub(crate) async fn get(&self, deadline: Instant, fresh: bool) -> Result<Conn, ConnectError> {
        loop {
            let returned = self.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            if !fresh && let Some(conn) = self.take_idle() {
                return Ok(conn);
            }
            if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
                return self.connect(permit).await;
            }
            if fresh && let Some(conn) = self.take_idle() {
                // Closed, for its slot.
                return self.connect(conn.slot.permit).await;
            }
            let permit = tokio::select! {
                biased;
                permit = Arc::clone(&self.permits).acquire_owned() => {
                    permit.expect("the pool's semaphore is never closed")
                }
                () = &mut returned => continue,
                () = tokio::time::sleep_until(deadline) => return Err(ConnectError::Busy),
            };
            return self.connect(permit).await;
        }
    }

    /// The most recently used idle connection that is fresh and still
    /// open; the stale ones met on the way are closed.
    fn take_idle(&self) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(conn) = idle.pop() {
            if conn.since.elapsed() < self.config.idle_timeout && conn.reader.get_ref().looks_open()
            {
                return Some(Conn {
                    reader: conn.reader,
                    writer: conn.writer,
                    reused: true,
                    slot: conn.slot,
                });
            }
            tracing::trace!(addr = %self.addr, "closing a stale idle FastCGI connection");
        }
        None
    }

    async fn connect(&self, permit: OwnedSemaphorePermit) -> Result<Conn, ConnectError> {
        let connecting = async {
            Ok::<_, io::Error>(match &self.addr {
                FastCgiAddr::Tcp(addr) => {
                    let stream = TcpStream::connect(addr.as_str()).await?;
                    stream.set_nodelay(true)?;
                    let (read, write) = stream.into_split();
                    (ReadHalf::Tcp(read), WriteHalf::Tcp(write))
                }
                FastCgiAddr::Unix(path) => {
                    let (read, write) = UnixStream::connect(path).await?.into_split();
                    (ReadHalf::Unix(read), WriteHalf::Unix(write))
                }
            })
        };
        match tokio::time::timeout(self.config.connect_timeout, connecting).await {
            Err(_elapsed) => Err(ConnectError::Timeout),
            Ok(Err(err)) => {
                if matches!(
                    err.kind(),
                    io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
                ) {
                    self.unreachable.store(true, Ordering::Relaxed);
                }
                Err(ConnectError::Failed(err))
            }
            Ok(Ok((read, write))) => {
                self.unreachable.store(false, Ordering::Relaxed);
                Ok(Conn {
                    reader: RecordReader::new(read),
                    writer: write,
                    reused: false,
                    slot: Slot { permit },
                })
            }
        }
    }

    /// Keeps a connection whose request ended cleanly for the next request
    /// (see the module docs for when it is closed instead).
    pub(crate) fn put(&self, reader: RecordReader<ReadHalf>, writer: WriteHalf, slot: Slot) {
        if !self.config.keep_conn || !reader.is_drained() {
            return;
        }
        if self.fresh_waiting.load(Ordering::Relaxed) > 0 {
            tracing::trace!(
                addr = %self.addr,
                "closing a FastCGI connection: a request waits on a fresh one"
            );
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.push(Idle {
            reader,
            writer,
            slot,
            since: Instant::now(),
        });
        drop(idle);
        self.returned.notify_one();
    }

    /// Counts a request on a fresh connection as waiting for its first
    /// record, until the guard is dropped.
    pub(crate) fn fresh_waiting(self: &Arc<Self>) -> FreshWaiting {
        self.fresh_waiting.fetch_add(1, Ordering::Relaxed);
        FreshWaiting(Arc::clone(self))
    }
}

/// See [`Pool::fresh_waiting`].
#[derive(Debug)]
pub(crate) struct FreshWaiting(Arc<Pool>);

impl Drop for FreshWaiting {
    fn drop(&mut self) {
        self.0.fresh_waiting.fetch_sub(1, Ordering::Relaxed);
    }
}
