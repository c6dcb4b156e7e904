//! The time limits hyper does not enforce itself: a write blocked on a
//! client that does not read ([`WriteTimeout`], around the socket), and a
//! request body that trickles in ([`BodyDeadline`], around the body).
//! Also the lingering close that spares clients a reset when the server
//! hangs up on bytes it has not read.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http::StatusCode;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use paste_core::{BoxError, Error};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::listen::Stream;

/// How long a closed connection is drained of what the client still sends,
/// so that closing it does not reset it (which would destroy the answer
/// the client has not read yet).
const LINGER: Duration = Duration::from_secs(2);

/// Far enough in the future to mean never (a timeout of `Duration::MAX`
/// would overflow the clock).
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The instant `timeout` from now; a timeout too large for the clock
/// means "never", not a panic.
fn after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(FAR))
        .unwrap_or(now)
}

/// A socket whose writes fail with [`io::ErrorKind::TimedOut`] once one
/// has been blocked (the client not reading) for longer than the timeout.
/// Each write that makes progress starts the clock again: a slow reader is
/// fine, a stalled one is cut. When dropped after a clean end (no timeout),
/// the socket lingers: see [`linger`].
pub(crate) struct WriteTimeout {
    io: Option<Stream>,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    blocked: bool,
    timed_out: bool,
}

impl WriteTimeout {
    pub(crate) fn new(io: Stream, timeout: Duration) -> Self {
        Self {
            io: Some(io),
            timeout,
            sleep: None,
            blocked: false,
            timed_out: false,
        }
    }

    fn io(&mut self) -> Pin<&mut Stream> {
        Pin::new(self.io.as_mut().expect("the stream is there until drop"))
    }

    /// Runs one write-side operation under the timeout.
    fn timed<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut Stream>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if self.timed_out {
            return Poll::Ready(Err(timed_out()));
        }
        match op(self.io(), cx) {
            Poll::Ready(result) => {
                self.blocked = false;
                Poll::Ready(result)
            }
            Poll::Pending => {
                // The clock starts when a write first blocks, not at every
                // poll while it stays blocked.
                if !self.blocked {
                    self.blocked = true;
                    let deadline = after(self.timeout);
                    self.sleep
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)))
                        .as_mut()
                        .reset(deadline);
                }
                let sleep = self.sleep.as_mut().expect("made when the write blocked");
                ready!(sleep.as_mut().poll(cx));
                tracing::debug!(
                    "closing a connection: a write was blocked for {:?}",
                    self.timeout
                );
                self.timed_out = true;
                Poll::Ready(Err(timed_out()))
            }
        }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "write timeout: the client stopped reading",
    )
}

impl AsyncRead for WriteTimeout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut().io().poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteTimeout {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().timed(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .timed(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.as_ref().is_some_and(AsyncWrite::is_write_vectored)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().timed(cx, AsyncWrite::poll_flush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().timed(cx, AsyncWrite::poll_shutdown)
    }
}

impl Drop for WriteTimeout {
    fn drop(&mut self) {
        if let Some(io) = self.io.take()
            && !self.timed_out
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(linger(io));
        }
    }
}

/// Closes `stream` the way that loses no answer: shuts the sending side
/// (the client sees the end of what it was sent), then reads and drops
/// whatever the client still sends, until it closes too or for
/// [`LINGER`] at most. Closing a socket with unread bytes in it would
/// send a reset instead, and a client that gets a reset may throw away
/// the answer it had not read yet (a 503, a 408, a last response).
pub(crate) async fn linger(mut stream: Stream) {
    let _ = tokio::time::timeout(LINGER, async {
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        io::Result::Ok(())
    })
    .await;
}

/// A request body under a deadline, the way Apache's `mod_reqtimeout`
/// does it: the body gets `timeout` to arrive, and every `min_rate` bytes
/// that do arrive add one second. A body that trickles (slower than the
/// rate) or stalls is cut with a `408 Request Timeout` error; one that
/// keeps up never is. `min_rate` 0 gives no extension: the whole body has
/// `timeout`. The clock starts when the app first reads the body.
pub(crate) struct BodyDeadline {
    body: Incoming,
    timeout: Duration,
    min_rate: u64,
    sleep: Option<Pin<Box<Sleep>>>,
    deadline: Option<Instant>,
}

impl BodyDeadline {
    pub(crate) fn new(body: Incoming, timeout: Duration, min_rate: u64) -> Self {
        Self {
            body,
            timeout,
            min_rate,
            sleep: None,
            deadline: None,
        }
    }
}

impl http_body::Body for BodyDeadline {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let deadline = *this.deadline.get_or_insert_with(|| after(this.timeout));
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref()
                    && this.min_rate > 0
                {
                    #[allow(clippy::cast_precision_loss)]
                    let earned = data.remaining() as f64 / this.min_rate as f64;
                    let earned = Duration::try_from_secs_f64(earned).unwrap_or(FAR);
                    this.deadline = Some(deadline.checked_add(earned).unwrap_or(deadline));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(client_body_error(err)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                ready!(sleep.as_mut().poll(cx));
                tracing::debug!("cutting a request body that came too slowly");
                Poll::Ready(Some(Err(Error::new(StatusCode::REQUEST_TIMEOUT)
                    .with_message("the request body came too slowly")
                    .into_boxed())))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A request body that broke off is the client's doing: a 400.
fn client_body_error(err: hyper::Error) -> BoxError {
    Error::new(StatusCode::BAD_REQUEST)
        .with_message("the request body could not be read")
        .with_source(err)
        .into_boxed()
}
