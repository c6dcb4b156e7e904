//! The [`App`] trait and its two helpers: [`BoxApp`] and [`app_fn`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{Request, Result};

/// An application: the Rust counterpart of a WSGI callable.
///
/// It takes a request and answers with a response or an [`Error`](crate::Error)
/// that stands for one. The future may borrow the app (`&self`), so a
/// middleware that owns the app it wraps calls it without cloning anything:
/// a static stack of middleware costs no allocation per layer.
///
/// Implementing it by hand:
///
/// ```
/// use paste_core::{App, Request, Response, Result};
///
/// struct Hello {
///     greeting: String,
/// }
///
/// impl App for Hello {
///     async fn call(&self, _req: Request) -> Result {
///         Ok(Response::new(self.greeting.clone().into()))
///     }
/// }
/// ```
///
/// And a middleware, which owns the app it wraps:
///
/// ```
/// use paste_core::{App, Request, Result, http::HeaderValue};
///
/// struct PoweredBy<A>(A);
///
/// impl<A: App> App for PoweredBy<A> {
///     async fn call(&self, req: Request) -> Result {
///         let mut response = self.0.call(req).await?;
///         response.headers_mut().insert("x-powered-by", HeaderValue::from_static("paste"));
///         Ok(response)
///     }
/// }
/// ```
pub trait App: Send + Sync + 'static {
    /// Answers one request.
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send;
}

impl<A: App> App for Arc<A> {
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send {
        (**self).call(req)
    }
}

impl<A: App> App for Box<A> {
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send {
        (**self).call(req)
    }
}

type BoxFuture<'a> = Pin<Box<dyn Future<Output = Result> + Send + 'a>>;

/// The object-safe twin of [`App`], behind [`BoxApp`].
trait DynApp: Send + Sync + 'static {
    fn call_boxed(&self, req: Request) -> BoxFuture<'_>;
}

impl<A: App> DynApp for A {
    fn call_boxed(&self, req: Request) -> BoxFuture<'_> {
        Box::pin(self.call(req))
    }
}

/// A cloneable, type-erased [`App`]: what deployment builds at run time.
///
/// Cloning is a reference-count increment; each call costs one allocation
/// (the boxed future). Static composition stays generic and zero-cost;
/// dynamic composition, such as a pipeline read from an INI file, goes
/// through `BoxApp`.
///
/// ```
/// use paste_core::{App, BoxApp, Request, Response, app_fn};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let apps: Vec<BoxApp> = vec![
///     BoxApp::new(app_fn(|_req| async { Ok(Response::new("one".into())) })),
///     BoxApp::new(app_fn(|_req| async { Ok(Response::new("two".into())) })),
/// ];
/// let response = apps[1].call(Request::new(().into())).await.unwrap();
/// let body = response.into_body().to_bytes(64).await.unwrap();
/// assert_eq!(body, "two");
/// # }
/// ```
#[derive(Clone)]
pub struct BoxApp {
    inner: Arc<dyn DynApp>,
}

impl BoxApp {
    /// Erases the type of `app`. Boxing a `BoxApp` returns it as is.
    pub fn new<A: App>(app: A) -> Self {
        let mut slot = Some(app);
        if let Some(boxed) = (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<Self>>()
            && let Some(boxed) = boxed.take()
        {
            return boxed;
        }
        let app = slot.expect("the slot is only emptied by the downcast above");
        Self {
            inner: Arc::new(app),
        }
    }
}

impl App for BoxApp {
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send {
        self.inner.call_boxed(req)
    }
}

impl fmt::Debug for BoxApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxApp")
    }
}

/// Makes an [`App`] of an async closure.
///
/// ```
/// use paste_core::{App, Request, Response, RequestExt, app_fn};
///
/// let echo_path = app_fn(|req: Request| async move {
///     Ok(Response::new(req.path_info().to_owned().into()))
/// });
/// # let _ = echo_path;
/// ```
pub fn app_fn<F, Fut>(f: F) -> AppFn<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result> + Send,
{
    AppFn { f }
}

/// An [`App`] made of a closure by [`app_fn`].
#[derive(Clone, Copy)]
pub struct AppFn<F> {
    f: F,
}

impl<F, Fut> App for AppFn<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result> + Send,
{
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send {
        (self.f)(req)
    }
}

impl<F> fmt::Debug for AppFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppFn")
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Response;

    #[tokio::test]
    async fn boxing_a_box_app_does_not_nest() {
        let app = BoxApp::new(app_fn(|_| async { Ok(Response::new("x".into())) }));
        let again = BoxApp::new(app.clone());
        assert!(Arc::ptr_eq(&app.inner, &again.inner));
        let response = again.call(Request::new(().into())).await.unwrap();
        assert_eq!(response.into_body().to_bytes(8).await.unwrap(), "x");
    }
}
