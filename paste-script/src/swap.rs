//! [`SwapApp`]: an app that can be replaced while it serves.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use arc_swap::ArcSwap;
use paste_core::{App, BoxApp, Request, Result};

/// An app whose inner app can be swapped at any time: requests in flight
/// finish on the app they started with, the next ones get the new one,
/// and no connection is dropped. `paster serve --reload` serves one.
///
/// ```
/// use paste_core::{App, BoxApp, Request, Response, app_fn};
/// use paste_script::SwapApp;
///
/// fn text(t: &'static str) -> BoxApp {
///     BoxApp::new(app_fn(move |_req| async move { Ok(Response::new(t.into())) }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = SwapApp::new(text("old"));
/// let serving = app.clone();
/// app.swap(text("new"));
/// let response = serving.call(Request::get("/").body(().into()).unwrap()).await.unwrap();
/// assert_eq!(response.into_body().to_bytes(64).await.unwrap(), "new");
/// # }
/// ```
#[derive(Clone)]
pub struct SwapApp {
    current: Arc<ArcSwap<BoxApp>>,
}

impl SwapApp {
    /// Serves `app` until it is swapped.
    pub fn new(app: BoxApp) -> Self {
        Self {
            current: Arc::new(ArcSwap::from_pointee(app)),
        }
    }

    /// Serves `app` from the next request on (in every clone of this).
    pub fn swap(&self, app: BoxApp) {
        self.current.store(Arc::new(app));
    }
}

impl App for SwapApp {
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send {
        let app = BoxApp::clone(&self.current.load());
        async move { app.call(req).await }
    }
}

impl fmt::Debug for SwapApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SwapApp")
    }
}
