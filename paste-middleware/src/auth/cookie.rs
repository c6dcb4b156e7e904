//! A signed cookie that remembers the user: Paste's `paste.auth.cookie`.
//!
//! The cookie holds `issued-at:user`, signed by a [`webob`] [`Signer`]
//! (HMAC-SHA256 over the cookie's name and value), so the client can read
//! it but neither forge it nor move it to another cookie name.
//!
//! Differences from Paste, on purpose:
//! - only the user is kept (Paste restores any list of environ keys);
//! - HMAC-SHA256 through [`Signer`], with key rotation, instead of
//!   HMAC-SHA1 with a home-made layout; no secret is made up when none is
//!   given (Paste silently picks a random one);
//! - the cookie is `HttpOnly` and `SameSite=Lax` by default, and `Secure`
//!   on HTTPS as in Paste;
//! - it is re-issued only once half its timeout has passed, not on every
//!   response, and the timeout is checked on the server (Paste's check
//!   can't run on Python ≥ 3.9: reading the cookie raises);
//! - logging in and out goes through an [`AuthChange`] on the response
//!   (Paste watches `REMOTE_USER` appear in the environ).

use std::fmt;
use std::time::Duration;

use paste_core::http::HeaderValue;
use paste_core::http::header::SET_COOKIE;
use paste_core::{App, Error, Request, RequestExt, Response, Result};
use webob::cookies::{CookieOptions, SameSite, Signer};

use super::{
    AuthChange, AuthType, Authenticated, authenticate, mark_response, new_session_id_at_login,
    unix_now,
};
use crate::session::Session;

/// Authenticates requests by a signed cookie, and sets or clears it when
/// the app (or the [`form`](super::form) middleware inside) answers with
/// an [`AuthChange`].
///
/// ```
/// use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
/// use paste_middleware::auth::cookie::CookieAuth;
/// use webob::cookies::Signer;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
/// let auth = CookieAuth::new(
///     app_fn(|req: Request| async move {
///         Ok(Response::new(req.remote_user().unwrap_or("nobody").to_owned().into()))
///     }),
///     Signer::new(b"a secret of at least thirty-two bytes")?,
/// );
/// // What a login page would send back:
/// let set_cookie = auth.login_cookie("ann")?;
/// let cookie = set_cookie.to_str().unwrap().split(';').next().unwrap().to_owned();
///
/// let req = Request::get("/").header("cookie", cookie).body(Body::empty()).unwrap();
/// let response = auth.call(req).await?;
/// assert_eq!(response.into_body().to_bytes(64).await?, "ann");
/// # Ok(()) }
/// ```
pub struct CookieAuth<A> {
    app: A,
    signer: Signer,
    cookie_name: String,
    timeout: Option<Duration>,
    options: CookieOptions,
}

impl<A: App> CookieAuth<A> {
    /// Cookies named `PASTE_AUTH_COOKIE`, signed by `signer`, valid 30
    /// minutes (Paste's defaults), `HttpOnly`, `SameSite=Lax`, `Path=/`.
    pub fn new(app: A, signer: Signer) -> Self {
        Self {
            app,
            signer,
            cookie_name: "PASTE_AUTH_COOKIE".to_owned(),
            timeout: Some(Duration::from_secs(30 * 60)),
            options: CookieOptions::new()
                .http_only(true)
                .same_site(SameSite::Lax),
        }
    }

    /// The cookie's name.
    #[must_use]
    pub fn cookie_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.cookie_name);
        self
    }

    /// How long a cookie is good for after it was issued; `None` for as
    /// long as the browser keeps it.
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The cookie's attributes (path, domain, `Secure`, `SameSite`…).
    #[must_use]
    pub fn options(mut self, options: CookieOptions) -> Self {
        self.options = options;
        self
    }

    /// The `Set-Cookie` value that logs `user` in.
    pub fn login_cookie(&self, user: &str) -> std::result::Result<HeaderValue, Error> {
        self.login_cookie_with(user, &self.options)
    }

    fn login_cookie_with(
        &self,
        user: &str,
        options: &CookieOptions,
    ) -> std::result::Result<HeaderValue, Error> {
        let mut response = webob::Response::new();
        let value = format!("{}:{user}", unix_now());
        response.set_signed_cookie(&self.cookie_name, &value, &self.signer, options)?;
        Ok(take_set_cookie(response))
    }

    /// The `Set-Cookie` value that logs the user out: the cookie emptied
    /// and expired, with the same `Path` and `Domain` it was set with (a
    /// browser only drops a cookie whose path and domain match).
    pub fn logout_cookie(&self) -> HeaderValue {
        let expired = self
            .options
            .clone()
            .max_age(Duration::ZERO)
            .expires(std::time::SystemTime::UNIX_EPOCH);
        let mut response = webob::Response::new();
        if let Err(err) = response.set_cookie_with(&self.cookie_name, "", &expired) {
            // The name and options were accepted for the login cookie, so
            // this can't happen; say so if it does.
            tracing::warn!("no logout cookie: {err}");
        }
        take_set_cookie(response)
    }

    /// The user of a valid cookie, and when it was issued.
    fn valid_user(&self, req: &Request) -> Option<(String, u64)> {
        let cookies = webob::cookies::Cookies::from_headers(req.headers());
        let now = unix_now();
        cookies.get_all(&self.cookie_name).find_map(|value| {
            let signed = self.signer.verify(&self.cookie_name, value)?;
            let (issued, user) = signed.split_once(':')?;
            let issued: u64 = issued.parse().ok()?;
            match self.timeout {
                Some(timeout) if now.saturating_sub(issued) > timeout.as_secs() => None,
                _ => Some((user.to_owned(), issued)),
            }
        })
    }

    fn set(&self, response: &mut Response, header: HeaderValue) {
        response.headers_mut().append(SET_COOKIE, header);
    }
}

fn take_set_cookie(response: webob::Response) -> HeaderValue {
    let inner = response.into_inner();
    inner
        .headers()
        .get(SET_COOKIE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static(""))
}

impl<A: App> App for CookieAuth<A> {
    async fn call(&self, mut req: Request) -> Result {
        let mut refresh = None;
        if req.remote_user().is_none()
            && let Some((user, issued)) = self.valid_user(&req)
        {
            authenticate(&mut req, &user, AuthType::Cookie);
            if let Some(timeout) = self.timeout
                && unix_now().saturating_sub(issued) > timeout.as_secs() / 2
            {
                refresh = Some(user);
            }
        }
        let options = if req.url_scheme() == "https" {
            self.options.clone().secure(true)
        } else {
            self.options.clone()
        };
        let auth = req.extensions().get::<Authenticated>().cloned();
        let session = Session::from_request(&req);
        let mut response = self.app.call(req).await?;
        mark_response(&mut response, auth);
        match response.extensions_mut().remove::<AuthChange>() {
            Some(AuthChange::Login(user)) => {
                new_session_id_at_login(session.as_ref());
                let header = self.login_cookie_with(&user, &options)?;
                self.set(&mut response, header);
            }
            Some(AuthChange::Logout) => {
                let header = self.logout_cookie();
                self.set(&mut response, header);
            }
            None => {
                if let Some(user) = refresh {
                    let header = self.login_cookie_with(&user, &options)?;
                    self.set(&mut response, header);
                }
            }
        }
        Ok(response)
    }
}

impl<A> fmt::Debug for CookieAuth<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieAuth")
            .field("cookie_name", &self.cookie_name)
            .field("timeout", &self.timeout)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
