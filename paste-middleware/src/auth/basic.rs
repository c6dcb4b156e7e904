//! HTTP Basic authentication (RFC 7617): Paste's `paste.auth.basic`.
//!
//! Differences from Paste, on purpose:
//! - malformed credentials (bad base64, no `:`, a bare `Basic`) are a 401
//!   with the challenge, not a 500;
//! - the realm is quoted and escaped in the challenge;
//! - credentials are decoded as UTF-8 (RFC 7617 §2.1), falling back to
//!   ISO-8859-1, not ASCII only;
//! - [`UserTable`] compares passwords in constant time.

use std::collections::HashMap;
use std::fmt;

use paste_core::{App, Request, RequestExt, Result};
use sha2::{Digest, Sha256};
use webob::auth::{Authorization, Challenge};

use super::{AuthType, authenticate, call_marked, unauthorized};

/// Asks for and checks HTTP Basic credentials.
///
/// A request with a remote user already passes through. Otherwise the
/// `Authorization: Basic` credentials must satisfy `check(user,
/// password)`; anything else (none, another scheme, malformed, wrong) is
/// a 401 with `WWW-Authenticate: Basic realm="…"`.
///
/// ```
/// use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
/// use paste_middleware::auth::basic::{BasicAuth, UserTable};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let users = UserTable::new().with_user("ann", "open sesame");
/// let app = BasicAuth::new(
///     app_fn(|req: Request| async move {
///         Ok(Response::new(format!("hello {}", req.remote_user().unwrap()).into()))
///     }),
///     "Staff only",
///     users.into_check(),
/// );
///
/// let anonymous = Request::get("/").body(Body::empty()).unwrap();
/// let err = app.call(anonymous).await.unwrap_err();
/// assert_eq!(err.status(), 401);
/// assert_eq!(err.headers()["www-authenticate"], r#"Basic realm="Staff only""#);
///
/// let ann = Request::get("/")
///     .header("authorization", "Basic YW5uOm9wZW4gc2VzYW1l")
///     .body(Body::empty())
///     .unwrap();
/// let response = app.call(ann).await.unwrap();
/// assert_eq!(response.into_body().to_bytes(64).await.unwrap(), "hello ann");
/// # }
/// ```
pub struct BasicAuth<A, F> {
    app: A,
    challenge: String,
    check: F,
}

impl<A, F> BasicAuth<A, F>
where
    A: App,
    F: Fn(&str, &str) -> bool + Send + Sync + 'static,
{
    /// Protects `app` with Basic credentials checked by `check(user,
    /// password)`, in `realm`.
    pub fn new(app: A, realm: &str, check: F) -> Self {
        Self {
            app,
            challenge: Challenge::basic(realm).to_string(),
            check,
        }
    }
}

impl<A, F> App for BasicAuth<A, F>
where
    A: App,
    F: Fn(&str, &str) -> bool + Send + Sync + 'static,
{
    async fn call(&self, mut req: Request) -> Result {
        if req.remote_user().is_some() {
            return self.app.call(req).await;
        }
        let credentials = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(Authorization::parse);
        match credentials {
            Some(Authorization::Basic { username, password })
                if (self.check)(&username, &password) =>
            {
                authenticate(&mut req, &username, AuthType::Basic);
                call_marked(&self.app, req).await
            }
            _ => Err(unauthorized(std::slice::from_ref(&self.challenge))),
        }
    }
}

impl<A, F> fmt::Debug for BasicAuth<A, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

/// A fixed table of users and passwords, checked in constant time.
///
/// Passwords are kept as SHA-256 digests and compared with
/// [`subtle`], so neither the length nor the first differing byte of a
/// guess shows in the timing; an unknown user costs the same comparison
/// as a known one. (This is for small static tables in configuration;
/// a real user store should keep salted, slow hashes.)
///
/// ```
/// use paste_middleware::auth::basic::UserTable;
///
/// let users = UserTable::new().with_user("ann", "pw1").with_user("bob", "pw2");
/// assert!(users.check("ann", "pw1"));
/// assert!(!users.check("ann", "pw2"));
/// assert!(!users.check("carl", "pw1"));
/// ```
#[derive(Clone, Default)]
pub struct UserTable {
    users: HashMap<String, [u8; 32]>,
}

impl UserTable {
    /// An empty table: nobody gets in.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a user.
    #[must_use]
    pub fn with_user(mut self, user: &str, password: &str) -> Self {
        self.users
            .insert(user.to_owned(), Sha256::digest(password.as_bytes()).into());
        self
    }

    /// Whether `password` is `user`'s.
    pub fn check(&self, user: &str, password: &str) -> bool {
        let given: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        let (stored, known) = match self.users.get(user) {
            Some(stored) => (*stored, true),
            // Compare against something all the same, to keep the timing.
            None => ([0; 32], false),
        };
        super::secret_eq(&stored, &given) & known
    }

    /// The table as a check function for [`BasicAuth::new`].
    pub fn into_check(self) -> impl Fn(&str, &str) -> bool + Send + Sync + 'static {
        move |user, password| self.check(user, password)
    }
}

impl fmt::Debug for UserTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut users: Vec<&str> = self.users.keys().map(String::as_str).collect();
        users.sort_unstable();
        f.debug_struct("UserTable").field("users", &users).finish()
    }
}
