//! Interop with the tower ecosystem (feature `tower`): an [`App`] as a
//! `tower::Service`, and a `tower::Service` — an axum `Router`, a stack of
//! tower-http layers — as an [`App`].
//!
//! ```
//! use paste_core::tower::{AppService, ServiceApp};
//! use paste_core::{App, Request, Response, app_fn};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = app_fn(|_req| async { Ok(Response::new("hi".into())) });
//! // A Paste app where tower wants a Service (inside tower layers, say)…
//! let service = AppService::new(app);
//! // …and a tower Service where Paste wants an App (to serve it, say).
//! let back = ServiceApp::new(service);
//! let response = back.call(Request::new(().into())).await.unwrap();
//! assert_eq!(response.into_body().to_bytes(8).await.unwrap(), "hi");
//! # }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

use crate::error::BoxError;
use crate::{App, Body, Error, Request, Response, Result};

/// An [`App`] as a `tower::Service` whose error is [`Infallible`]: an
/// [`Error`] from the app is turned into its response, as a server would,
/// so the service drops into axum and tower-http where they expect
/// infallible services. Any request body type is accepted.
pub struct AppService<A> {
    app: Arc<A>,
}

impl<A: App> AppService<A> {
    /// Wraps `app`.
    pub fn new(app: A) -> Self {
        Self { app: Arc::new(app) }
    }
}

impl<A> Clone for AppService<A> {
    fn clone(&self) -> Self {
        Self {
            app: Arc::clone(&self.app),
        }
    }
}

impl<A> fmt::Debug for AppService<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppService").finish_non_exhaustive()
    }
}

impl<A, B> Service<http::Request<B>> for AppService<A>
where
    A: App,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<std::result::Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let app = Arc::clone(&self.app);
        Box::pin(async move {
            Ok(match app.call(req.map(Body::new)).await {
                Ok(response) => response,
                Err(err) => err.into_response(),
            })
        })
    }
}

/// A `tower::Service` as an [`App`]: an axum `Router`, or any service of
/// `http` requests and responses whose bodies carry [`bytes::Bytes`].
///
/// The service is cloned for each call (tower services take `&mut self`);
/// its errors become 500 [`Error`]s, except an [`Error`] that was boxed with
/// [`Error::into_boxed`], which keeps its status.
#[derive(Clone)]
pub struct ServiceApp<S> {
    service: S,
}

impl<S> ServiceApp<S> {
    /// Wraps `service`.
    pub fn new(service: S) -> Self {
        Self { service }
    }
}

impl<S> fmt::Debug for ServiceApp<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceApp").finish_non_exhaustive()
    }
}

impl<S, B> App for ServiceApp<S>
where
    S: Service<Request, Response = http::Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send {
        let mut service = self.service.clone();
        async move {
            poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(|err| Error::from_boxed(err.into()))?;
            let response = service
                .call(req)
                .await
                .map_err(|err| Error::from_boxed(err.into()))?;
            Ok(response.map(Body::new))
        }
    }
}
