//! [`wsgify`]: write an app in webob terms, get a core [`App`].

use std::fmt;
use std::future::Future;

use http::header::{ACCEPT, HOST};
use http::{HeaderValue, Method, Uri};
use paste_core::{App, Error};

use crate::exc::Carried;
use crate::{Request, Response};

/// Turns `async fn(Request) -> Result<Response, Error>` into a core
/// [`App`] — WebOb's `@wsgify`.
///
/// An error the handler returns becomes its response; an
/// [`HttpException`](crate::exc::HttpException) that travelled through `?`
/// is rendered as HTML, JSON or text by the request's `Accept` header, with
/// a safe absolute `Location` for redirects.
///
/// ```
/// use paste_core::App;
/// use webob::exc::HttpException;
/// use webob::{Request, Response, wsgify};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = wsgify(|mut req: Request| async move {
///     let params = req.get_params()?;
///     let name = params.get("name").ok_or_else(|| HttpException::bad_request().with_detail("name?"))?;
///     Ok(Response::text(format!("Hello, {name}!")))
/// });
/// let ok = Request::blank("/?name=Ada").get_response(&app).await;
/// assert_eq!(ok.status(), 200);
/// let bad = Request::blank("/").with_header("accept", "application/json").get_response(&app).await;
/// assert_eq!(bad.status(), 400);
/// assert_eq!(bad.headers()["content-type"], "application/json");
/// # }
/// ```
pub fn wsgify<F, Fut>(handler: F) -> Wsgify<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response, Error>> + Send,
{
    Wsgify { handler }
}

/// The [`App`] made by [`wsgify`].
#[derive(Clone, Copy)]
pub struct Wsgify<F> {
    handler: F,
}

impl<F> fmt::Debug for Wsgify<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wsgify").finish_non_exhaustive()
    }
}

/// What rendering an exception needs of the request, kept before the
/// request goes to the handler (a few reference-counted clones).
struct Negotiation {
    method: Method,
    uri: Uri,
    host: Option<HeaderValue>,
    accept: Option<HeaderValue>,
    info: Option<paste_core::ConnectionInfo>,
}

impl Negotiation {
    fn of(req: &paste_core::Request) -> Self {
        Self {
            method: req.method().clone(),
            uri: req.uri().clone(),
            host: req.headers().get(HOST).cloned(),
            accept: req.headers().get(ACCEPT).cloned(),
            info: req
                .extensions()
                .get::<paste_core::ConnectionInfo>()
                .cloned(),
        }
    }

    fn request(self) -> Request {
        let mut inner = http::Request::new(paste_core::Body::empty());
        *inner.method_mut() = self.method;
        *inner.uri_mut() = self.uri;
        if let Some(host) = self.host {
            inner.headers_mut().insert(HOST, host);
        }
        if let Some(accept) = self.accept {
            inner.headers_mut().insert(ACCEPT, accept);
        }
        if let Some(info) = self.info {
            inner.extensions_mut().insert(info);
        }
        Request::new(inner)
    }
}

impl<F, Fut> App for Wsgify<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response, Error>> + Send,
{
    async fn call(&self, req: paste_core::Request) -> paste_core::Result {
        let negotiation = Negotiation::of(&req);
        match (self.handler)(Request::new(req)).await {
            Ok(response) => Ok(response.into()),
            Err(err) => match err.downcast_ref::<Carried>() {
                Some(Carried(exc)) => Ok(exc.to_response(&negotiation.request()).into()),
                None => Err(err),
            },
        }
    }
}
