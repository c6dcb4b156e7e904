//! The supervisor of one connection: the idle watchdog and the shutdown
//! signal, polled only when one of them has news, so that the hot path of
//! a busy connection pays one atomic load per wake-up for them.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::Limits;
use crate::shutdown::Phase;

/// What the supervisor needs to know of a connection's requests: how many
/// are in flight, and how many have finished (so that it can tell, at its
/// next look, whether the connection has been idle since the last one).
/// Two atomic operations per request; no clock reads.
pub(crate) struct ConnState {
    in_flight: AtomicUsize,
    finished: AtomicU64,
}

impl ConnState {
    pub(crate) fn new() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            finished: AtomicU64::new(0),
        }
    }

    pub(crate) fn enter(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(self))
    }
}

/// Held by a response body until hyper is done with it.
pub(crate) struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::AcqRel);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How long after a shutdown begins a connection is closed if idle: long
/// enough for the runtime to poll the sockets once more.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(10);

/// How many looks the supervisor takes per idle period: an idle connection
/// is closed between 1 and 1¼ idle periods after its last request.
const LOOKS_PER_PERIOD: u32 = 4;

/// Watches one connection for a reason to close it gracefully.
pub(crate) struct Supervisor {
    phase: watch::Receiver<Phase>,
    state: Arc<ConnState>,
    limits: Limits,
}

impl Supervisor {
    pub(crate) fn new(
        phase: watch::Receiver<Phase>,
        state: Arc<ConnState>,
        limits: Limits,
    ) -> Self {
        Self {
            phase,
            state,
            limits,
        }
    }

    /// Resolves when the connection should close: the server is shutting
    /// down, or the connection has been idle too long — a new connection
    /// that has not sent a request within the head timeout, or one with no
    /// request in flight and none finished for the keep-alive timeout.
    async fn reason_to_close(mut self) {
        let Limits {
            header_read_timeout,
            keep_alive_timeout,
            ..
        } = self.limits;
        let look = header_read_timeout.min(keep_alive_timeout) / LOOKS_PER_PERIOD;
        let look = look.max(Duration::from_millis(1));
        let start = Instant::now();
        let mut finished = 0;
        let mut idle_for = Duration::ZERO;
        loop {
            let shutting_down = tokio::select! {
                _ = self.phase.wait_for(|p| *p != Phase::Running) => true,
                () = tokio::time::sleep(look) => false,
            };
            if shutting_down {
                // One more turn of the I/O driver first: a request whose
                // bytes are already in the socket, but not yet seen as
                // readable, is read (and answered, with a close) instead of
                // dropped with the connection as if it were idle.
                tokio::time::sleep(SHUTDOWN_GRACE).await;
                return;
            }
            let now_finished = self.state.finished.load(Ordering::Acquire);
            if self.state.in_flight.load(Ordering::Acquire) > 0 || now_finished != finished {
                finished = now_finished;
                idle_for = Duration::ZERO;
                continue;
            }
            idle_for += look;
            let too_long = if finished == 0 {
                start.elapsed() >= header_read_timeout
            } else {
                idle_for >= keep_alive_timeout
            };
            if too_long {
                tracing::debug!("closing an idle connection");
                return;
            }
        }
    }

    /// Drives `conn` to its end, calling `graceful_shutdown` on it once
    /// there is a reason to close.
    pub(crate) async fn run<C: Future>(
        self,
        mut conn: Pin<&mut C>,
        mut graceful_shutdown: impl FnMut(Pin<&mut C>),
    ) -> C::Output {
        let mut reason = pin!(self.reason_to_close());
        let news = Arc::new(News {
            woken: AtomicBool::new(true),
            task: Mutex::new(None),
        });
        let news_waker = Waker::from(Arc::clone(&news));
        let mut closing = false;
        poll_fn(|cx| {
            // The connection first: a request whose bytes have arrived is
            // read (and so is in flight, and finishes) before a shutdown
            // closes the connection as idle.
            if let Poll::Ready(output) = conn.as_mut().poll(cx) {
                return Poll::Ready(output);
            }
            if !closing && news.woken.swap(false, Ordering::AcqRel) {
                news.remember(cx.waker());
                let mut news_cx = Context::from_waker(&news_waker);
                if reason.as_mut().poll(&mut news_cx).is_ready() {
                    closing = true;
                    graceful_shutdown(conn.as_mut());
                    return conn.as_mut().poll(cx);
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// The waker given to the supervisor's own futures: it marks that they
/// have news, then wakes the connection's task.
struct News {
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl News {
    fn remember(&self, waker: &Waker) {
        let mut task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !task.as_ref().is_some_and(|known| known.will_wake(waker)) {
            *task = Some(waker.clone());
        }
    }
}

impl Wake for News {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(task) = task.as_ref() {
            task.wake_by_ref();
        }
    }
}
