//! [`catch_panic`]: a panic while polling an app's future, as a value —
//! for whoever serves apps (paste-server) or turns failures into pages
//! (paste-middleware's error catcher).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{App, Request};

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

/// Calls `app` with `req` and runs the answer's future, turning a panic
/// into `Err(Panic)` — a panic in `call` itself (before it returns a
/// future, as in an [`app_fn`](crate::app_fn) closure's synchronous part)
/// as well as one while the future is polled. What a server or an error
/// catcher wraps around an app.
///
/// ```
/// use paste_core::{App, Body, Request, Response, catch_call};
///
/// struct Eager;
/// impl App for Eager {
///     fn call(&self, req: Request) -> impl Future<Output = paste_core::Result> + Send {
///         assert_eq!(req.uri().path(), "/", "no such page");
///         async { Ok(Response::new(Body::from("home"))) }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let fine = catch_call(&Eager, Request::get("/").body(Body::empty()).unwrap()).await;
/// assert!(fine.unwrap().is_ok());
/// let failed = catch_call(&Eager, Request::get("/x").body(Body::empty()).unwrap()).await;
/// assert!(failed.unwrap_err().message().contains("no such page"));
/// # }
/// ```
pub fn catch_call<A: App + ?Sized>(
    app: &A,
    req: Request,
) -> CatchCall<impl Future<Output = crate::Result> + Send + '_> {
    let state = match std::panic::catch_unwind(AssertUnwindSafe(|| app.call(req))) {
        Ok(future) => CallState::Called {
            future: catch_panic(future),
        },
        Err(payload) => CallState::Panicked {
            panic: Some(Panic(payload)),
        },
    };
    CatchCall { state }
}

pin_project_lite::pin_project! {
    /// The future [`catch_call`] returns.
    pub struct CatchCall<F> {
        #[pin]
        state: CallState<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = CallStateProj]
    enum CallState<F> {
        // The app returned a future, now running.
        Called { #[pin] future: CatchPanic<F> },
        // The app panicked in `call`; taken when polled.
        Panicked { panic: Option<Panic> },
    }
}

impl<F: Future> Future for CatchCall<F> {
    type Output = Result<F::Output, Panic>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            CallStateProj::Called { future } => future.poll(cx),
            CallStateProj::Panicked { panic } => match panic.take() {
                Some(panic) => Poll::Ready(Err(panic)),
                None => panic!("CatchCall polled after it finished"),
            },
        }
    }
}

impl<F> fmt::Debug for CatchCall<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CatchCall")
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
