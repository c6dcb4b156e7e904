//! One connection: the hyper service around the app, panics and errors
//! turned into responses, HEAD and `Server` handled, and the idle watchdog.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderValue, SERVER};
use http::{Method, StatusCode};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use paste_core::{App, Body, CatchCall, ConnectionInfo, Error, Request, Response, catch_call};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::Limits;
use crate::shutdown::Phase;
use crate::supervise::{ConnState, InFlight, Supervisor};
use crate::timeouts::BodyDeadline;

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
    phase: watch::Receiver<Phase>,
) where
    A: App,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let state = Arc::new(ConnState::new());
    let service = {
        let shared = Arc::clone(&shared);
        let state = Arc::clone(&state);
        hyper::service::service_fn(move |req: http::Request<Incoming>| {
            // The request is prepared before the future is made, so that the
            // future holds only what it needs across the app's await.
            let head = req.method() == Method::HEAD;
            let prepared = request_for_app(req, &info, &shared.limits);
            let shared = Arc::clone(&shared);
            let guard = state.enter();
            async move {
                let mut response = match prepared {
                    Ok(req) => call_app(&shared.app, req).await,
                    Err(refused) => refused.into_response(),
                };
                finish(&shared, &mut response, head);
                Ok::<_, Infallible>(response.map(|body| ResponseBody {
                    body,
                    _guard: guard,
                }))
            }
        })
    };
    let conn = shared
        .http
        .serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);

    let supervisor = Supervisor::new(phase, state, shared.limits);
    if let Err(err) = supervisor.run(conn, |c| c.graceful_shutdown()).await {
        tracing::debug!("connection closed: {err}");
    }
}

/// What the server adds to every answer: the `Server` header, and for
/// HEAD, no body.
fn finish<A>(shared: &Shared<A>, response: &mut Response, head: bool) {
    if let Some(server) = &shared.server_header {
        // A look-up and an insert cost less than the entry API.
        let headers = response.headers_mut();
        if !headers.contains_key(SERVER) {
            headers.insert(SERVER, server.clone());
        }
    }
    if head {
        strip_body_for_head(response);
    }
}

/// The request as the app sees it: a [`Body`] capped at `limit`, and the
/// connection's facts. A declared body over the limit is refused before a
/// byte of it is read (with `Expect: 100-continue`, before it is sent).
fn request_for_app(
    req: http::Request<Incoming>,
    info: &ConnectionInfo,
    limits: &Limits,
) -> Result<Request, Error> {
    let limit = limits.max_body_size;
    let incoming = req.body();
    let empty = hyper::body::Body::is_end_stream(incoming);
    if !empty && hyper::body::Body::size_hint(incoming).lower() > limit {
        return Err(Error::payload_too_large(limit));
    }
    // Converted in place (`map`), not taken apart and put together again:
    // the head of a request is a few hundred bytes, copied at each move.
    let mut req = req.map(|incoming| {
        if empty {
            Body::empty()
        } else {
            Body::new(BodyDeadline::new(
                incoming,
                limits.body_read_timeout,
                limits.min_body_rate,
            ))
            .limited(limit)
        }
    });
    req.extensions_mut().insert(info.clone());
    Ok(req)
}

/// Calls `app` with `req` the way [`Server`](crate::Server) does, and
/// always gives a response: an `Err` becomes the response for its status
/// ([`Error::into_response`]), a panic a bare `500 Internal Server Error`
/// for this request alone. 5xx errors, with their chain of sources, and
/// panics, with their message, are logged with [`tracing`] at the error
/// level; neither detail reaches the response.
///
/// For servers of other protocols, so that an app behaves behind them as
/// it does behind `Server`.
///
/// ```
/// use paste_core::http::StatusCode;
/// use paste_core::{Body, Error, Request, Response, app_fn};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = app_fn(|req: Request| async move {
///     match req.uri().path() {
///         "/" => Ok(Response::new("home".into())),
///         _ => Err(Error::new(StatusCode::NOT_FOUND)),
///     }
/// });
/// let missing = paste_core::http::Request::get("/nowhere")
///     .body(Body::empty())
///     .unwrap();
/// let response = paste_server::call_app(&app, missing).await;
/// assert_eq!(response.status(), StatusCode::NOT_FOUND);
/// # }
/// ```
pub fn call_app<A: App>(app: &A, req: Request) -> impl Future<Output = Response> + Send + '_ {
    // A future of its own rather than an `async fn`, which would keep a
    // copy of the request beside the app's future.
    CallApp {
        call: catch_call(app, req),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`call_app`].
    struct CallApp<F> {
        #[pin]
        call: CatchCall<F>,
    }
}

impl<F: Future<Output = paste_core::Result>> Future for CallApp<F> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        Poll::Ready(match ready!(self.project().call.poll(cx)) {
            Ok(Ok(response)) => response,
            Ok(Err(err)) => {
                if err.status().is_server_error() {
                    tracing::error!(status = err.status().as_u16(), "app error: {err:#}");
                }
                err.into_response()
            }
            Err(panic) => {
                tracing::error!("app panicked: {}", panic.message());
                Error::new(StatusCode::INTERNAL_SERVER_ERROR).into_response()
            }
        })
    }
}

/// A HEAD response keeps the length the GET would have had, and no body.
/// (hyper does this for HTTP/1 but not for HTTP/2.)
fn strip_body_for_head(response: &mut Response) {
    if let Some(len) = http_body::Body::size_hint(response.body()).exact()
        && !response.headers().contains_key(CONTENT_LENGTH)
    {
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    *response.body_mut() = Body::empty();
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
