//! One authentication method per request, picked by predicate: Paste's
//! `paste.auth.multi`.
//!
//! Differences from Paste, on purpose:
//! - each method is an app already built around the protected app (a
//!   [`BoxApp`]), rather than a factory called with it;
//! - [`query_argument`] compares the parameter's decoded value, where Paste
//!   looks for the substring `*authmeth=name` anywhere in the query string.

use std::fmt;

use paste_core::http::header::{ACCEPT, AUTHORIZATION};
use paste_core::{App, BoxApp, Request, Result};

type Predicate = Box<dyn Fn(&Request) -> bool + Send + Sync>;

/// Sends each request to the first method whose predicate holds, else to
/// the default.
///
/// ```
/// use paste_core::{App, Body, BoxApp, Request, RequestExt, Response, app_fn};
/// use paste_middleware::auth::basic::BasicAuth;
/// use paste_middleware::auth::form::FormAuth;
/// use paste_middleware::auth::multi::{MultiAuth, has_authorization};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let inner = BoxApp::new(app_fn(|req: Request| async move {
///     Ok(Response::new(req.remote_user().unwrap_or("-").to_owned().into()))
/// }));
/// let check = |user: &str, password: &str| user == "ann" && password == "pw";
/// let app = MultiAuth::new(FormAuth::new(inner.clone(), check))
///     .when(has_authorization, BasicAuth::new(inner, "api", check));
///
/// // API clients send credentials: Basic.
/// let api = Request::get("/").header("authorization", "Basic YW5uOnB3").body(Body::empty()).unwrap();
/// assert_eq!(app.call(api).await.unwrap().into_body().to_bytes(64).await.unwrap(), "ann");
/// // Browsers get the form.
/// let browser = Request::get("/").body(Body::empty()).unwrap();
/// let page = app.call(browser).await.unwrap();
/// assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
/// # }
/// ```
pub struct MultiAuth {
    methods: Vec<(Predicate, BoxApp)>,
    default: BoxApp,
}

impl MultiAuth {
    /// Requests no predicate picks go to `default` (which may be the
    /// unprotected app, as in Paste, or one of the methods).
    pub fn new(default: impl App) -> Self {
        Self {
            methods: Vec::new(),
            default: BoxApp::new(default),
        }
    }

    /// Adds a method: requests for which `predicate` holds (and no earlier
    /// predicate did) go to `app`.
    #[must_use]
    pub fn when(
        mut self,
        predicate: impl Fn(&Request) -> bool + Send + Sync + 'static,
        app: impl App,
    ) -> Self {
        self.methods.push((Box::new(predicate), BoxApp::new(app)));
        self
    }
}

impl App for MultiAuth {
    async fn call(&self, req: Request) -> Result {
        let app = self
            .methods
            .iter()
            .find(|(predicate, _)| predicate(&req))
            .map_or(&self.default, |(_, app)| app);
        app.call(req).await
    }
}

impl fmt::Debug for MultiAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiAuth")
            .field("methods", &self.methods.len())
            .finish_non_exhaustive()
    }
}

/// Whether the request carries an `Authorization` header (an API client
/// or a browser that has already answered a challenge).
pub fn has_authorization(req: &Request) -> bool {
    req.headers().contains_key(AUTHORIZATION)
}

/// Whether the client accepts HTML: a browser, most likely.
pub fn accepts_html(req: &Request) -> bool {
    req.headers()
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

/// A predicate holding when the query parameter `name` is `value` (Paste's
/// `set_query_argument`, whose parameter is `*authmeth`).
pub fn query_argument(
    name: &str,
    value: &str,
) -> impl Fn(&Request) -> bool + Send + Sync + 'static {
    let (name, value) = (name.to_owned(), value.to_owned());
    move |req: &Request| {
        let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let Ok(params) = webob::Request::blank(target).get_params() else {
            return false;
        };
        params.get_all(&name).any(|v| *v == value)
    }
}
