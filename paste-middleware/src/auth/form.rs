//! An HTML login form: Paste's `paste.auth.form`.
//!
//! An unauthenticated request gets a login form posting back to the same
//! URL. A POST of `username` and `password` that the check function
//! accepts sets the remote user; the request then goes on to the app as a
//! GET (the login fields are not the app's), and the response carries an
//! [`AuthChange::Login`] so that a [`cookie`](super::cookie) or
//! [`tkt`](super::tkt) middleware outside remembers the user.
//!
//! Differences from Paste, on purpose:
//! - the form's action (the request's path and query, not a URL built
//!   from the `Host` header) and every value put in the page are
//!   HTML-escaped; Paste puts the URL in unescaped (cross-site scripting);
//! - the page is UTF-8 bytes with a correct length (Paste's Python 3 body
//!   is a `str`), and is sent with `Cache-Control: no-store`;
//! - the action starts with exactly one `/`: a request for `//evil.com/`
//!   does not get a form that posts the password to `evil.com`;
//! - a login gives the request's [`Session`] a new id (session fixation);
//! - a failed attempt shows the form again with a message;
//! - no unused `realm` argument.

use std::fmt;

use paste_core::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use paste_core::http::{HeaderValue, Method};
use paste_core::{App, Body, Request, RequestExt, Response, Result};

use super::{
    AuthChange, AuthType, authenticate, call_marked, escape_html, new_session_id_at_login,
};
use crate::session::Session;

/// The default page: `{action}` is replaced by the escaped form action,
/// `{message}` by an escaped message (or nothing).
pub const DEFAULT_TEMPLATE: &str = r#"<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Please log in</title></head>
<body>
<h1>Please log in</h1>
{message}<form action="{action}" method="post">
<p><label>Username: <input type="text" name="username" autocomplete="username"></label></p>
<p><label>Password: <input type="password" name="password" autocomplete="current-password"></label></p>
<p><input type="submit" name="authform" value="Log in"></p>
</form>
</body>
</html>
"#;

/// Shows a login form to unauthenticated requests and checks what is
/// posted with `check(username, password)`.
///
/// ```
/// use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
/// use paste_middleware::auth::form::FormAuth;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = FormAuth::new(
///     app_fn(|req: Request| async move {
///         Ok(Response::new(format!("hi {}", req.remote_user().unwrap()).into()))
///     }),
///     |user: &str, password: &str| user == "ann" && password == "pw",
/// );
/// let page = app.call(Request::get("/a?b='&c").body(Body::empty()).unwrap()).await.unwrap();
/// let html = page.into_body().to_bytes(4096).await.unwrap();
/// assert!(std::str::from_utf8(&html).unwrap().contains(r#"action="/a?b=&#x27;&amp;c""#));
///
/// let login = Request::post("/a")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(Body::from("username=ann&password=pw"))
///     .unwrap();
/// let response = app.call(login).await.unwrap();
/// assert_eq!(response.into_body().to_bytes(64).await.unwrap(), "hi ann");
/// # }
/// ```
pub struct FormAuth<A, F> {
    app: A,
    check: F,
    template: String,
}

impl<A, F> FormAuth<A, F>
where
    A: App,
    F: Fn(&str, &str) -> bool + Send + Sync + 'static,
{
    /// Protects `app` with the [`DEFAULT_TEMPLATE`] form.
    pub fn new(app: A, check: F) -> Self {
        Self {
            app,
            check,
            template: DEFAULT_TEMPLATE.to_owned(),
        }
    }

    /// Uses `template` for the page: `{action}` and `{message}` are
    /// replaced by escaped values; the form must post `username` and
    /// `password` to `{action}`.
    #[must_use]
    pub fn template(mut self, template: &str) -> Self {
        template.clone_into(&mut self.template);
        self
    }

    fn page(&self, req: &Request, message: Option<&str>) -> Response {
        let action = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        // One leading slash: `//evil.com/` (or `/\evil.com/`) as the action
        // would post the password to another host.
        let action = format!("/{}", action.trim_start_matches(['/', '\\']));
        let message = message
            .map(|m| format!("<p class=\"error\">{}</p>\n", escape_html(m)))
            .unwrap_or_default();
        // The message first, so that a `{message}` in the action stays as is.
        let html = self
            .template
            .replace("{message}", &message)
            .replace("{action}", &escape_html(&action));
        let length = html.len();
        let mut response = Response::new(Body::from(html));
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        response
    }
}

impl<A, F> App for FormAuth<A, F>
where
    A: App,
    F: Fn(&str, &str) -> bool + Send + Sync + 'static,
{
    async fn call(&self, req: Request) -> Result {
        if req.remote_user().is_some() {
            return self.app.call(req).await;
        }
        if req.method() != Method::POST {
            return Ok(self.page(&req, None));
        }
        let mut wrapped = webob::Request::new(req);
        let fields = wrapped.post().await?;
        let username = fields.get("username").cloned().unwrap_or_default();
        let password = fields.get("password").cloned().unwrap_or_default();
        let mut req = wrapped.into_inner();
        if username.is_empty() || password.is_empty() {
            return Ok(self.page(&req, None));
        }
        if !(self.check)(&username, &password) {
            return Ok(self.page(&req, Some("Invalid username or password.")));
        }
        // On to the app as a GET: the body was the login form.
        *req.method_mut() = Method::GET;
        *req.body_mut() = Body::empty();
        let headers = req.headers_mut();
        headers.remove(CONTENT_TYPE);
        headers.remove(CONTENT_LENGTH);
        headers.remove(paste_core::http::header::TRANSFER_ENCODING);
        authenticate(&mut req, &username, AuthType::Form);
        new_session_id_at_login(Session::from_request(&req).as_ref());
        let mut response = call_marked(&self.app, req).await?;
        if response.extensions().get::<AuthChange>().is_none() {
            response
                .extensions_mut()
                .insert(AuthChange::Login(username));
        }
        Ok(response)
    }
}

impl<A, F> fmt::Debug for FormAuth<A, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormAuth").finish_non_exhaustive()
    }
}
