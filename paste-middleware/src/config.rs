//! `config`: per-request configuration available to the app (Paste
//! Deploy's `ConfigMiddleware`, `paste.config` in the environ).

use std::sync::Arc;

use paste_core::{App, Request, Result};

/// Puts a shared configuration value into every request's extensions, as
/// `Arc<T>`, for the app (and the middleware inside) to read.
///
/// ```
/// use std::sync::Arc;
/// use paste_core::{App, Body, Request, Response, app_fn};
/// use paste_middleware::config::WithConfig;
///
/// struct Settings { site: String }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = app_fn(|req: Request| async move {
///     let settings = req.extensions().get::<Arc<Settings>>().expect("configured");
///     Ok(Response::new(settings.site.clone().into()))
/// });
/// let app = WithConfig::new(app, Settings { site: "example".to_owned() });
/// let response = app.call(Request::new(Body::empty())).await.unwrap();
/// assert_eq!(response.into_body().to_bytes(64).await.unwrap(), "example");
/// # }
/// ```
#[derive(Debug)]
pub struct WithConfig<A, T> {
    app: A,
    config: Arc<T>,
}

impl<A, T> WithConfig<A, T> {
    /// Wraps `app`, giving every request `config`.
    pub fn new(app: A, config: T) -> Self {
        Self {
            app,
            config: Arc::new(config),
        }
    }

    /// Wraps `app` with a configuration already shared elsewhere.
    pub fn shared(app: A, config: Arc<T>) -> Self {
        Self { app, config }
    }
}

impl<A: App, T: Send + Sync + 'static> App for WithConfig<A, T> {
    async fn call(&self, mut req: Request) -> Result {
        req.extensions_mut().insert(Arc::clone(&self.config));
        self.app.call(req).await
    }
}
