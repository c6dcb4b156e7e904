//! [`Recursive`]: internal forwards and includes (Paste's `recursive`,
//! `egg:Paste#recursive`).
//!
//! [`Recursive`] puts a [`Forwarder`] in every request's extensions. An app
//! below it calls [`forward`] to answer with another path of the same
//! application (the request is re-dispatched, method, headers and body
//! kept), or [`include()`] to fetch another path as a `GET` and use its
//! response, for instance inside its own page.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::uri::PathAndQuery;
use http::{Method, StatusCode, Uri};
use paste_core::{App, Body, BoxApp, Error, Request, RequestExt as _, Result};

/// How many forwards and includes may nest before the chain is refused.
pub const MAX_DEPTH: usize = 10;

/// Lets the app it wraps re-dispatch requests to itself; see the
/// [module docs](self).
///
/// ```
/// use paste_core::{App, Request, RequestExt, Response, app_fn};
/// use paste_middleware::recursive::{Recursive, forward};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = Recursive::new(app_fn(|req: Request| async move {
///     match req.path_info() {
///         "/old" => forward(req, "/new?from=old").await,
///         "/loop" => forward(req, "/loop").await,
///         path => Ok(Response::new(format!("{path} {}", req.uri().query().unwrap_or("")).into())),
///     }
/// }));
///
/// let req = Request::get("/old").body(().into()).unwrap();
/// let body = app.call(req).await.unwrap().into_body().to_bytes(100).await.unwrap();
/// assert_eq!(body, "/new from=old");
///
/// let req = Request::get("/loop").body(().into()).unwrap();
/// assert_eq!(app.call(req).await.unwrap_err().status(), 500);
/// # }
/// ```
pub struct Recursive<A> {
    app: Arc<A>,
    /// The same app, erased once, for the forwarders to call.
    boxed: BoxApp,
}

impl<A: App> Recursive<A> {
    /// Wraps `app`.
    pub fn new(app: A) -> Self {
        let app = Arc::new(app);
        let boxed = BoxApp::new(Arc::clone(&app));
        Self { app, boxed }
    }
}

impl<A: App> App for Recursive<A> {
    async fn call(&self, mut req: Request) -> Result {
        let forwarder = Forwarder {
            root: self.boxed.clone(),
            script_name: req.script_name().to_owned(),
            chain: Arc::new(vec![req.path_info().to_owned()]),
        };
        req.extensions_mut().insert(forwarder);
        self.app.call(req).await
    }
}

impl<A> fmt::Debug for Recursive<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recursive")
            .field("app", &std::any::type_name::<A>())
            .finish()
    }
}

/// What [`Recursive`] puts in a request's extensions: the application to
/// re-dispatch to, where it is mounted, and the paths visited so far.
#[derive(Clone)]
pub struct Forwarder {
    root: BoxApp,
    script_name: String,
    /// The path infos of this request and of those that led to it.
    chain: Arc<Vec<String>>,
}

impl Forwarder {
    /// The paths (relative to the application) visited so far, the
    /// current one last.
    pub fn chain(&self) -> &[String] {
        &self.chain
    }

    /// Sends `req` to `target` (a path relative to where [`Recursive`] is
    /// mounted, with an optional query) and returns the answer; see
    /// [`forward`].
    pub async fn forward(&self, req: Request, target: &str) -> Result {
        let (mut parts, body) = req.into_parts();
        let (uri, path_info) = self.target_uri(&parts.uri, target)?;
        parts.uri = uri;
        let mut req = Request::from_parts(parts, body);
        self.dispatch(&mut req, path_info)?;
        self.root.call(req).await
    }

    /// Fetches `target` as a bodiless `GET` with the headers of `req`;
    /// see [`include()`]. The future does not borrow `req`.
    pub fn include(
        &self,
        req: &Request,
        target: &str,
    ) -> impl Future<Output = Result> + Send + 'static {
        let prepared = self.prepare_include(req, target);
        let root = self.root.clone();
        async move { root.call(prepared?).await }
    }

    fn prepare_include(&self, req: &Request, target: &str) -> Result<Request> {
        let (uri, path_info) = self.target_uri(req.uri(), target)?;
        let mut new = Request::new(Body::empty());
        *new.method_mut() = Method::GET;
        *new.uri_mut() = uri;
        *new.version_mut() = req.version();
        *new.headers_mut() = req.headers().clone();
        for name in [CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING] {
            new.headers_mut().remove(name);
        }
        *new.extensions_mut() = req.extensions().clone();
        self.dispatch(&mut new, path_info)?;
        Ok(new)
    }

    /// The URI of `target` under the mount point, scheme and authority of
    /// `base` kept, and the target's path info.
    fn target_uri(&self, base: &Uri, target: &str) -> Result<(Uri, String)> {
        if !target.starts_with('/') {
            return Err(
                Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_source(io_error(format!(
                    "an internal forward needs a path starting with /, not {target:?}"
                ))),
            );
        }
        let path_and_query: PathAndQuery = format!("{}{target}", self.script_name)
            .parse()
            .map_err(|err| {
                Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_source(io_error(format!(
                    "an internal forward to {target:?} is not a valid path: {err}"
                )))
            })?;
        let path_info = path_and_query.path()[self.script_name.len()..].to_owned();
        let mut parts = base.clone().into_parts();
        parts.path_and_query = Some(path_and_query);
        let uri = Uri::from_parts(parts).map_err(Error::from)?;
        Ok((uri, path_info))
    }

    /// Checks the chain for a loop and puts the next forwarder in `req`.
    fn dispatch(&self, req: &mut Request, path_info: String) -> Result<()> {
        if self.chain.contains(&path_info) || self.chain.len() > MAX_DEPTH {
            let mut chain = self.chain.join(" -> ");
            chain.push_str(" -> ");
            chain.push_str(&path_info);
            let why = if self.chain.contains(&path_info) {
                "a loop"
            } else {
                "too deep"
            };
            tracing::error!("internal forward refused, {why}: {chain}");
            return Err(Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("Internal Server Error (a recursive forward loop)")
                .with_source(io_error(format!(
                    "internal forward refused, {why}: {chain}"
                ))));
        }
        req.set_script_name(&self.script_name);
        let mut chain = Vec::with_capacity(self.chain.len() + 1);
        chain.extend(self.chain.iter().cloned());
        chain.push(path_info);
        req.extensions_mut().insert(Self {
            root: self.root.clone(),
            script_name: self.script_name.clone(),
            chain: Arc::new(chain),
        });
        Ok(())
    }
}

impl fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forwarder")
            .field("script_name", &self.script_name)
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

fn io_error(message: String) -> std::io::Error {
    std::io::Error::other(message)
}

fn no_forwarder() -> Error {
    Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_source(io_error(
        "an internal forward needs the Recursive middleware above the app".to_owned(),
    ))
}

/// Answers `req` with the response for `target` — a path relative to where
/// [`Recursive`] is mounted, with an optional query — as if the client had
/// asked for it: method, headers, body and extensions are kept
/// (Paste's `ForwardRequestException(url)`).
///
/// A `500` error when no [`Recursive`] is above the app, when `target`
/// does not start with `/`, when it was already visited on this chain (a
/// loop), or past [`MAX_DEPTH`] forwards.
pub async fn forward(req: Request, target: &str) -> Result {
    let Some(forwarder) = req.extensions().get::<Forwarder>().cloned() else {
        return Err(no_forwarder());
    };
    forwarder.forward(req, target).await
}

/// The response for `target` fetched as a `GET` without a body, with the
/// headers and extensions of `req` (Paste's `include`); the same errors as
/// [`forward`]. The future does not borrow `req`, so the caller can keep
/// using it.
pub fn include(req: &Request, target: &str) -> impl Future<Output = Result> + Send + 'static {
    let prepared = match req.extensions().get::<Forwarder>() {
        Some(forwarder) => forwarder
            .prepare_include(req, target)
            .map(|new| (forwarder.root.clone(), new)),
        None => Err(no_forwarder()),
    };
    async move {
        let (root, new) = prepared?;
        root.call(new).await
    }
}
