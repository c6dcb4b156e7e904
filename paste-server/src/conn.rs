//! One connection: the hyper service around the app, panics and errors
//! turned into responses, HEAD and `Server` handled, and the idle watchdog.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderValue, SERVER};
use http::{HeaderMap, Method, StatusCode};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use paste_core::{App, Body, ConnectionInfo, Error, Request, Response};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::Limits;
use crate::shutdown::Phase;

/// What every connection of one server shares.
pub(crate) struct Shared<A> {
    pub(crate) app: A,
    pub(crate) limits: Limits,
    pub(crate) server_header: Option<HeaderValue>,
    pub(crate) http: auto::Builder<TokioExecutor>,
}

/// Serves one accepted connection until it closes, the server shuts down,
/// or it sits idle past its limit.
pub(crate) async fn serve_connection<A, IO>(
    io: IO,
    shared: Arc<Shared<A>>,
    info: ConnectionInfo,
    mut phase: watch::Receiver<Phase>,
) where
    A: App,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let state = Arc::new(ConnState::new());
    let service = {
        let shared = Arc::clone(&shared);
        let state = Arc::clone(&state);
        hyper::service::service_fn(move |req| {
            let shared = Arc::clone(&shared);
            let info = info.clone();
            let guard = state.enter();
            async move {
                let response = respond(&shared, req, info).await;
                Ok::<_, Infallible>(response.map(|body| ResponseBody { body, _guard: guard }))
            }
        })
    };
    let conn = shared
        .http
        .serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);

    let limits = shared.limits;
    let mut closing = false;
    loop {
        let idle_deadline = state.idle_deadline(&limits);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!("connection closed: {err}");
                }
                return;
            }
            _ = phase.wait_for(|p| *p != Phase::Running), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(idle_deadline), if !closing => {
                if state.is_idle() && Instant::now() >= state.idle_deadline(&limits) {
                    tracing::debug!("closing an idle connection");
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Answers one request: never fails, whatever the app does.
async fn respond<A: App>(
    shared: &Shared<A>,
    req: http::Request<Incoming>,
    info: ConnectionInfo,
) -> Response {
    let head = req.method() == Method::HEAD;
    let limit = shared.limits.max_body_size;
    let mut response = if declared_length(req.headers()).is_some_and(|len| len > limit) {
        // Refused before reading a byte: with `Expect: 100-continue` the
        // client never even sends the body.
        too_large(limit).into_response()
    } else {
        let (mut parts, incoming) = req.into_parts();
        let body = if hyper::body::Body::is_end_stream(&incoming) {
            Body::empty()
        } else {
            Body::new(incoming.map_err(client_body_error)).limited(limit)
        };
        parts.extensions.insert(info);
        let req = Request::from_parts(parts, body);
        match (CatchUnwind {
            inner: shared.app.call(req),
        })
        .await
        {
            Ok(Ok(response)) => response,
            Ok(Err(err)) => {
                if err.status().is_server_error() {
                    tracing::error!(status = err.status().as_u16(), "app error: {err:#}");
                }
                err.into_response()
            }
            Err(panic) => {
                tracing::error!("app panicked: {}", panic_message(&*panic));
                Error::new(StatusCode::INTERNAL_SERVER_ERROR).into_response()
            }
        }
    };
    if let Some(server) = &shared.server_header {
        response
            .headers_mut()
            .entry(SERVER)
            .or_insert_with(|| server.clone());
    }
    if head {
        strip_body_for_head(&mut response);
    }
    response
}

/// A HEAD response keeps the length the GET would have had, and no body.
/// (hyper does this for HTTP/1 but not for HTTP/2.)
fn strip_body_for_head(response: &mut Response) {
    let size = http_body::Body::size_hint(response.body()).exact();
    if let Some(len) = size {
        if !response.headers().contains_key(CONTENT_LENGTH) {
            response
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(len));
        }
    }
    *response.body_mut() = Body::empty();
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn too_large(limit: u64) -> Error {
    Error::new(StatusCode::PAYLOAD_TOO_LARGE).with_message(format!(
        "the request body is larger than the limit of {limit} bytes"
    ))
}

/// A request body that broke off is the client's doing: a 400.
fn client_body_error(err: hyper::Error) -> paste_core::BoxError {
    Error::new(StatusCode::BAD_REQUEST)
        .with_message("the request body could not be read")
        .with_source(err)
        .into_boxed()
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(a non-string panic payload)"
    }
}

pin_project_lite::pin_project! {
    /// Turns a panic while polling `inner` into an `Err`.
    struct CatchUnwind<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// Requests in flight on one connection, and since when it has had none.
struct ConnState {
    start: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `start` when the last request finished;
    /// `u64::MAX` until the first one has.
    idle_since_ms: AtomicU64,
}

impl ConnState {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(u64::MAX),
        }
    }

    fn enter(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(self))
    }

    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    /// A fresh connection has the head timeout to send its first request;
    /// after that, an idle one has the keep-alive timeout.
    fn idle_deadline(&self, limits: &Limits) -> Instant {
        match self.idle_since_ms.load(Ordering::Acquire) {
            u64::MAX => self.start + limits.header_read_timeout,
            ms => self.start + Duration::from_millis(ms) + limits.keep_alive_timeout,
        }
    }
}

/// Held by a response body until hyper is done with it.
struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let ms = u64::try_from(self.0.start.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.0.idle_since_ms.store(ms, Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The response body as hyper sees it: the app's body, plus the guard
/// that marks the request as in flight until the body is done.
pub(crate) struct ResponseBody {
    body: Body,
    _guard: InFlight,
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
