//! Authentication middleware: Paste's `paste.auth` package.
//!
//! Every middleware here wraps an [`App`](paste_core::App) and, when it
//! authenticates a request, records the user with
//! [`RequestExt::set_remote_user`]
//! (WSGI's `REMOTE_USER`) and puts an [`Authenticated`] in the request's
//! extensions (for the app) and in the response's extensions (for the
//! middleware above, such as a request logger, which never sees the
//! request once it has passed it on).
//!
//! - [`basic`]: HTTP Basic (RFC 7617).
//! - [`digest`]: HTTP Digest (RFC 7616) with MD5 and SHA-256, stateless
//!   expiring nonces and replay protection.
//! - [`cookie`]: a signed cookie holding the user.
//! - [`tkt`]: tickets compatible with Apache's `mod_auth_tkt`.
//! - [`form`]: an HTML login form.
//! - [`multi`]: one of several methods per request.
//!
//! A request that already has a remote user passes through each of them
//! untouched, as in Paste, so that they stack: put the cookie middleware
//! outside the form one and a successful form login is remembered (the
//! form middleware asks for it with an [`AuthChange`] on the response).
//!
//! IP-based grants live in [`grantip`](crate::grantip).

use paste_core::http::{self, HeaderValue, StatusCode};
use paste_core::{Error, Request, RequestExt, Response};
pub(crate) use webob::escape_html;

pub mod basic;
pub mod cookie;
pub mod digest;
pub mod form;
pub mod multi;
pub mod tkt;

/// How a request's user was authenticated (WSGI's `AUTH_TYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthType {
    /// HTTP Basic.
    Basic,
    /// HTTP Digest.
    Digest,
    /// A signed cookie ([`cookie`]).
    Cookie,
    /// A `mod_auth_tkt` ticket ([`tkt`]); Paste says `cookie` for it too.
    Ticket,
    /// The login form ([`form`]).
    Form,
    /// The client's IP address ([`grantip`](crate::grantip)).
    Ip,
}

impl AuthType {
    /// The lower-case name Paste puts in `AUTH_TYPE` (`basic`, `digest`,
    /// `cookie`, `form`), and `ip` for IP grants.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Digest => "digest",
            Self::Cookie | Self::Ticket => "cookie",
            Self::Form => "form",
            Self::Ip => "ip",
        }
    }
}

/// Who was authenticated, and how: in the request's extensions for the
/// app, and in the response's extensions for the middleware above.
///
/// ```
/// use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
/// use paste_middleware::auth::{Authenticated, AuthType, basic::BasicAuth};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = BasicAuth::new(
///     app_fn(|req: Request| async move {
///         let how = req.extensions().get::<Authenticated>().unwrap().auth_type;
///         Ok(Response::new(format!("{} by {}", req.remote_user().unwrap(), how.as_str()).into()))
///     }),
///     "realm",
///     |user, password| user == "ann" && password == "secret",
/// );
/// let req = Request::get("/")
///     .header("authorization", "Basic YW5uOnNlY3JldA==")
///     .body(Body::empty())
///     .unwrap();
/// let response = app.call(req).await.unwrap();
/// assert_eq!(response.extensions().get::<Authenticated>().unwrap().user, "ann");
/// assert_eq!(response.into_body().to_bytes(64).await.unwrap(), "ann by basic");
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated {
    /// The user, as given to `set_remote_user`.
    pub user: String,
    /// The method that authenticated them.
    pub auth_type: AuthType,
}

/// The roles or tokens of the request's user (Paste's
/// `REMOTE_USER_TOKENS`), in the request's extensions: tickets carry them
/// and IP grants add and remove them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tokens(pub Vec<String>);

impl Tokens {
    /// The tokens of `req`; empty when it has none.
    pub fn of(req: &Request) -> &[String] {
        req.extensions()
            .get::<Self>()
            .map_or(&[], |tokens| tokens.0.as_slice())
    }

    /// Whether `token` is among them.
    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }
}

/// What an app (or the [`form`] middleware) puts in a response's
/// extensions to have the cookie-based middleware above it ([`cookie`],
/// [`tkt`]) log the user in or out: the Rust counterpart of Paste's
/// `paste.auth_tkt.set_user` / `logout_user` callbacks.
///
/// ```
/// use paste_core::Response;
/// use paste_middleware::auth::AuthChange;
///
/// let mut response: Response = Response::new("welcome".into());
/// response.extensions_mut().insert(AuthChange::Login("ann".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthChange {
    /// Remember this user from now on.
    Login(String),
    /// Forget the user.
    Logout,
}

/// Records `user` on the request: the remote user and [`Authenticated`].
pub(crate) fn authenticate(req: &mut Request, user: &str, auth_type: AuthType) {
    req.set_remote_user(user);
    req.extensions_mut().insert(Authenticated {
        user: user.to_owned(),
        auth_type,
    });
}

/// Whether two secrets are equal: digests, MACs, hashes of passwords,
/// nonces' tags. The time taken depends on the lengths only, never on
/// where the first difference is ([`subtle`]), so that a client can't
/// guess a secret byte by byte from how long a refusal takes. Every
/// comparison of a secret in this crate goes through here (RELIABILITY.md,
/// "Security", lists them).
pub(crate) fn secret_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

/// At a login: gives the request's session (if a
/// [`SessionMiddleware`](crate::session::SessionMiddleware) is in front) a
/// new id, so that an id planted or seen before the login is worth nothing
/// after it (session fixation).
pub(crate) fn new_session_id_at_login(session: Option<&crate::session::Session>) {
    if let Some(session) = session {
        session.regenerate_id();
    }
}

/// Copies the request's [`Authenticated`] to the response, unless the
/// response (an inner middleware) already has one.
pub(crate) fn mark_response(response: &mut Response, auth: Option<Authenticated>) {
    if let Some(auth) = auth
        && response.extensions().get::<Authenticated>().is_none()
    {
        response.extensions_mut().insert(auth);
    }
}

/// Calls `app` with `req` and copies who was authenticated to its
/// response (an `Err` has no extensions to copy to).
pub(crate) async fn call_marked<A: paste_core::App>(app: &A, req: Request) -> paste_core::Result {
    let auth = req.extensions().get::<Authenticated>().cloned();
    let mut response = app.call(req).await?;
    mark_response(&mut response, auth);
    Ok(response)
}

/// A 401 with these challenges.
pub(crate) fn unauthorized(challenges: &[String]) -> Error {
    let mut err = Error::new(StatusCode::UNAUTHORIZED).with_message("This server could not verify that you are authorized to access the document you requested.");
    for challenge in challenges {
        if let Ok(value) = HeaderValue::from_str(challenge) {
            err = err.with_header(http::header::WWW_AUTHENTICATE, value);
        }
    }
    err
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_eq_is_equality_on_bytes() {
        assert!(secret_eq(b"", b""));
        assert!(secret_eq(b"d41d8cd98f00b204", b"d41d8cd98f00b204"));
        assert!(!secret_eq(b"d41d8cd98f00b204", b"d41d8cd98f00b205"));
        assert!(!secret_eq(b"d41d8cd98f00b204", b"e41d8cd98f00b204"));
        // A prefix, or the same bytes and more, is not the secret.
        assert!(!secret_eq(b"d41d8cd9", b"d41d8cd98f00b204"));
        assert!(!secret_eq(b"d41d8cd98f00b204", b"d41d8cd98f00b2040"));
        assert!(!secret_eq(b"abc", b""));
    }

    #[test]
    fn html_escaping_covers_attribute_breakouts() {
        assert_eq!(
            escape_html(r#""><script>x='1'&</script>"#),
            "&quot;&gt;&lt;script&gt;x=&#x27;1&#x27;&amp;&lt;/script&gt;"
        );
    }
}
