//! [`catch_panic`]: a panic while polling an app's future, as a value —
//! for whoever serves apps (paste-server) or turns failures into pages
//! (paste-middleware's error catcher).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs `future`, turning a panic while it is polled into `Err(Panic)`.
///
/// ```
/// use paste_core::catch_panic;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let fine = catch_panic(async { 7 }).await;
/// assert_eq!(fine.unwrap(), 7);
///
/// let failed = catch_panic(async { panic!("the app fell over") }).await;
/// assert_eq!(failed.unwrap_err().message(), "the app fell over");
/// # }
/// ```
pub fn catch_panic<F: Future>(future: F) -> CatchPanic<F> {
    CatchPanic { inner: future }
}

pin_project_lite::pin_project! {
    /// The future [`catch_panic`] returns.
    pub struct CatchPanic<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Panic>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match catch_poll(|| inner.poll(cx)) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// Runs one `poll`, turning a panic into `Err(Panic)`: what
/// [`CatchPanic`] and [`Body::catch_panic`](crate::Body::catch_panic)
/// share.
#[inline]
pub(crate) fn catch_poll<T>(poll: impl FnOnce() -> Poll<T>) -> Result<Poll<T>, Panic> {
    // The output leaves through `ready` rather than as the closure's
    // return value: fewer copies of a large response on the hot path.
    let mut ready = None;
    let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
        if let Poll::Ready(output) = poll() {
            ready = Some(output);
        }
    }));
    match (polled, ready) {
        (Err(payload), _) => Err(Panic(payload)),
        (Ok(()), Some(output)) => Ok(Poll::Ready(output)),
        (Ok(()), None) => Ok(Poll::Pending),
    }
}

impl<F> fmt::Debug for CatchPanic<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CatchPanic")
    }
}

/// A caught panic.
pub struct Panic(Box<dyn Any + Send>);

impl Panic {
    /// The panic's message, when it was a string (as `panic!` makes it).
    pub fn message(&self) -> &str {
        if let Some(s) = self.0.downcast_ref::<&'static str>() {
            s
        } else if let Some(s) = self.0.downcast_ref::<String>() {
            s
        } else {
            "(a non-string panic payload)"
        }
    }

    /// The payload, to resume unwinding with.
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.0
    }
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Panic").field(&self.message()).finish()
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panicked: {}", self.message())
    }
}
