//! [`TestApp`]: the app under test, its cookie jar and the environ every
//! request gets.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use http::Method;
use paste_core::{App, BoxApp};
use paste_middleware::lint::Lint;
use webob::auth::Authorization;

use crate::cookies::CookieJar;
use crate::request::TestRequest;

/// An app under test, driven in-process like a browser would drive it.
///
/// Each request method returns a [`TestRequest`] builder; awaiting it
/// sends the request and gives a [`TestResponse`](crate::TestResponse) —
/// or fails the test (panics) with the method, the URL, the status, the
/// app's error chain and the start of the body when the status is not
/// the expected one (2xx or 3xx unless [`status`](TestRequest::status)
/// says otherwise), when the app panics, or when `lint` finds the response
/// invalid.
///
/// Cookies set by the app are kept in a jar and sent back on later
/// requests, as a browser does. A `TestApp` is cheap to clone; clones share
/// the jar and settings.
///
/// ```
/// use paste_core::{Request, RequestExt, Response, app_fn};
/// use webtest::TestApp;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = TestApp::new(app_fn(|req: Request| async move {
///     let mut res = Response::new(format!("Hello from {}", req.path_info()).into());
///     res.headers_mut().insert("content-type", "text/plain".parse().unwrap());
///     Ok(res)
/// }));
/// let res = app.get("/world").await;
/// assert_eq!(res.status(), 200);
/// res.mustcontain(&["Hello", "/world"]);
/// # }
/// ```
///
/// A live server can be driven the same way by wrapping a proxy app
/// (`TestApp::new(wsgiproxy::HostProxy::new(url)?)`); an `http` feature
/// doing that for you is planned.
#[derive(Clone)]
pub struct TestApp {
    inner: Arc<Inner>,
}

struct Inner {
    app: BoxApp,
    linted: BoxApp,
    state: Mutex<State>,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) jar: CookieJar,
    pub(crate) environ: Environ,
    pub(crate) no_lint: bool,
}

/// What every request gets unless it says otherwise: WebTest's
/// `extra_environ`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Environ {
    pub(crate) host: Option<String>,
    pub(crate) https: Option<bool>,
    pub(crate) remote_addr: Option<SocketAddr>,
    pub(crate) remote_user: Option<String>,
    pub(crate) script_name: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) authorization: Option<Authorization>,
}

impl TestApp {
    /// Wraps `app` (any [`App`]: an `app_fn`, a middleware stack, a
    /// [`BoxApp`] from a deployment file, a proxy to a live server).
    /// `lint` checks every response; see [`set_lint`](TestApp::set_lint).
    pub fn new<A: App>(app: A) -> Self {
        let app = BoxApp::new(app);
        let linted = BoxApp::new(Lint::new(app.clone()).allow_head_body(true));
        Self {
            inner: Arc::new(Inner {
                app,
                linted,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Drives the live server at `url` (`http://host:port[/base]`, or
    /// `https://…` with wsgiproxy's `tls` feature) over HTTP, through a
    /// [`wsgiproxy::HostProxy`]: the same tests then run against a
    /// deployed server. Redirects and cookies that name the server are
    /// rewritten to the test app's host, as a browser in front of a proxy
    /// would see them, so `follow` and the cookie jar work unchanged.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), wsgiproxy::Error> {
    /// let app = webtest::TestApp::from_url("http://127.0.0.1:8080")?;
    /// app.get("/").await.mustcontain(&["Hello"]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// When `url` is not an http(s) URL with a host (or a user, query or
    /// fragment is in it).
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    pub fn from_url(url: &str) -> Result<Self, wsgiproxy::Error> {
        Ok(Self::new(wsgiproxy::HostProxy::new(url)?))
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The app requests go to: lint-wrapped unless lint is off.
    pub(crate) fn target(&self) -> (BoxApp, bool) {
        if self.state().no_lint {
            (self.inner.app.clone(), false)
        } else {
            (self.inner.linted.clone(), true)
        }
    }

    /// Turns [`paste_middleware::lint`]'s response checks on (the default)
    /// or off. An invalid response fails the request with the violation.
    /// A body in the answer to `HEAD` is allowed and dropped, as a server
    /// drops it.
    pub fn set_lint(&self, on: bool) -> &Self {
        self.state().no_lint = !on;
        self
    }

    /// A request of any method, such as `MKCOL`: WebTest's `request`.
    pub fn request(&self, method: Method, url: &str) -> TestRequest {
        TestRequest::new(self.clone(), method, url)
    }

    /// A `GET`; [`params`](TestRequest::params) go to the query string.
    pub fn get(&self, url: &str) -> TestRequest {
        self.request(Method::GET, url)
    }

    /// A `HEAD`; [`params`](TestRequest::params) go to the query string.
    pub fn head(&self, url: &str) -> TestRequest {
        self.request(Method::HEAD, url)
    }

    /// An `OPTIONS`.
    pub fn options(&self, url: &str) -> TestRequest {
        self.request(Method::OPTIONS, url)
    }

    /// A `POST`; [`params`](TestRequest::params) make a form body.
    pub fn post(&self, url: &str) -> TestRequest {
        self.request(Method::POST, url)
    }

    /// A `PUT`; [`params`](TestRequest::params) make a form body.
    pub fn put(&self, url: &str) -> TestRequest {
        self.request(Method::PUT, url)
    }

    /// A `PATCH`; [`params`](TestRequest::params) make a form body.
    pub fn patch(&self, url: &str) -> TestRequest {
        self.request(Method::PATCH, url)
    }

    /// A `DELETE`; [`params`](TestRequest::params) make a form body.
    pub fn delete(&self, url: &str) -> TestRequest {
        self.request(Method::DELETE, url)
    }

    /// A `POST` of `value` as JSON (`Content-Type: application/json`).
    pub fn post_json<T: serde::Serialize + ?Sized>(&self, url: &str, value: &T) -> TestRequest {
        self.post(url).json(value)
    }

    /// A `PUT` of `value` as JSON.
    pub fn put_json<T: serde::Serialize + ?Sized>(&self, url: &str, value: &T) -> TestRequest {
        self.put(url).json(value)
    }

    /// A `PATCH` of `value` as JSON.
    pub fn patch_json<T: serde::Serialize + ?Sized>(&self, url: &str, value: &T) -> TestRequest {
        self.patch(url).json(value)
    }

    /// A `DELETE` with `value` as a JSON body.
    pub fn delete_json<T: serde::Serialize + ?Sized>(&self, url: &str, value: &T) -> TestRequest {
        self.delete(url).json(value)
    }

    /// The host requests go to when their URL names none (`Host` header
    /// and cookie domain); default `localhost`. May carry a port.
    pub fn set_host(&self, host: &str) -> &Self {
        self.state().environ.host = Some(host.to_owned());
        self
    }

    /// Makes requests whose URL names no scheme come over `https` (or
    /// `http`, the default).
    pub fn set_https(&self, https: bool) -> &Self {
        self.state().environ.https = Some(https);
        self
    }

    /// The peer address every request comes from (WSGI's `REMOTE_ADDR`);
    /// none by default.
    pub fn set_remote_addr(&self, addr: SocketAddr) -> &Self {
        self.state().environ.remote_addr = Some(addr);
        self
    }

    /// The user every request is authenticated as (WSGI's `REMOTE_USER`),
    /// or `None` for nobody.
    pub fn set_remote_user(&self, user: Option<&str>) -> &Self {
        self.state().environ.remote_user = user.map(str::to_owned);
        self
    }

    /// Mounts the app at `prefix` (WSGI's `SCRIPT_NAME`), as a URL map
    /// or a reverse proxy would: a request for `/path` goes to
    /// `/prefix/path` with the script name `/prefix` and the path info
    /// `/path`; a URL already under the prefix keeps it. Redirects, links
    /// and forms then stay under the prefix. `None` (the default) mounts
    /// it at the root.
    ///
    /// # Panics
    ///
    /// When `prefix` does not start with `/`, or ends with one.
    #[track_caller]
    pub fn set_script_name(&self, prefix: Option<&str>) -> &Self {
        if let Some(prefix) = prefix {
            assert!(
                prefix.starts_with('/') && !prefix.ends_with('/'),
                "a script name starts with / and does not end with one: {prefix:?}"
            );
        }
        self.state().environ.script_name = prefix.map(str::to_owned);
        self
    }

    /// A header every request carries (a request's own header of that
    /// name wins).
    pub fn set_header(&self, name: &str, value: &str) -> &Self {
        let mut state = self.state();
        let headers = &mut state.environ.headers;
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.to_owned(), value.to_owned()));
        drop(state);
        self
    }

    /// The `Authorization` every request carries, or `None` to stop
    /// sending one (WebTest's `authorization` property).
    ///
    /// ```
    /// use webtest::{Authorization, TestApp};
    /// # let app = TestApp::new(paste_middleware::test_app::TestApp::new());
    /// app.set_authorization(Some(Authorization::Basic {
    ///     username: "ann".into(),
    ///     password: "secret".into(),
    /// }));
    /// app.set_authorization(Some(Authorization::Bearer("token".into())));
    /// app.set_authorization(None);
    /// ```
    pub fn set_authorization(&self, authorization: Option<Authorization>) -> &Self {
        self.state().environ.authorization = authorization;
        self
    }

    /// Adds a cookie for the app's host (and the hosts under it), path `/`,
    /// as if the app had set it.
    pub fn set_cookie(&self, name: &str, value: &str) -> &Self {
        let mut state = self.state();
        let host = state
            .environ
            .host
            .clone()
            .unwrap_or_else(|| "localhost".to_owned());
        let domain = crate::request::strip_port(&host).to_owned();
        state.jar.set(name, value, &domain);
        drop(state);
        self
    }

    /// The live cookies in the jar, name to value.
    pub fn cookies(&self) -> BTreeMap<String, String> {
        self.state().jar.values(SystemTime::now())
    }

    /// One cookie's value from the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().remove(name)
    }

    /// Forgets every cookie (WebTest's `reset`); settings stay.
    pub fn reset(&self) -> &Self {
        self.state().jar.clear();
        self
    }
}

impl fmt::Debug for TestApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("TestApp")
            .field("environ", &state.environ)
            .field("jar", &state.jar)
            .field("lint", &!state.no_lint)
            .finish_non_exhaustive()
    }
}
