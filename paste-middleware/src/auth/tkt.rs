//! Tickets compatible with Apache's `mod_auth_tkt`: Paste's
//! `paste.auth.auth_tkt`.
//!
//! A ticket is a cookie value
//! `digest` + `%08x timestamp` + `userid` + `!` + [`tokens` + `!`] +
//! `user_data`, where `digest` is the hex of
//! `H(H(ip ‖ ts ‖ secret ‖ userid ‖ NUL ‖ tokens ‖ NUL ‖ user_data).hex ‖ secret)`
//! with `ip` the client's IPv4 address in 4 bytes (`0.0.0.0` when tickets
//! are not bound to addresses), `ts` the timestamp in 4 big-endian bytes,
//! and `H` MD5, SHA-256 or SHA-512. Apache servers sharing the secret
//! accept the tickets made here, and the other way round.
//!
//! Differences from Paste, on purpose:
//! - tickets expire: [`AuthTktMiddleware`] refuses those older than its
//!   timeout (2 hours by default, `mod_auth_tkt`'s `TKTAuthTimeout`);
//!   Paste never checks the timestamp;
//! - the digest is compared in constant time;
//! - the cookies it sets use the configured digest (Paste's `set_user`
//!   always uses MD5), carry the ticket as is (not a `b'…'` repr), are
//!   `HttpOnly` and `SameSite=Lax`, and are set once, for the host, unless a
//!   domain is configured (Paste sets three: no domain, the host, `.host`);
//! - a client without an IPv4 address (a pure IPv6 peer) can't have a
//!   ticket bound to its address: it is not authenticated by one, and no
//!   ticket is issued to it (Paste raises);
//! - tokens may not contain `,` or `!`, and tokens and user data only
//!   cookie-safe characters: [`AuthTicket::cookie_value`] refuses others
//!   rather than make a ticket that parses differently;
//! - a successful login or logout is asked for with an
//!   [`AuthChange`] on the response instead of an
//!   environ callback.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use paste_core::http::header::SET_COOKIE;
use paste_core::http::{HeaderValue, StatusCode};
use paste_core::{App, Error, Request, RequestExt, Result};
use sha2::{Digest, Sha256, Sha512};
use webob::cookies::{Cookie, SameSite};

use super::{AuthChange, AuthType, Tokens, authenticate, mark_response, unix_now};
use crate::token::hex;

/// The hash a ticket's digest is made with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TktDigest {
    /// MD5 (32 hex digits): `mod_auth_tkt`'s and Paste's default.
    #[default]
    Md5,
    /// SHA-256 (64 hex digits).
    Sha256,
    /// SHA-512 (128 hex digits).
    Sha512,
}

impl TktDigest {
    /// How many hex digits the digest takes.
    pub fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }

    fn hex(self, parts: &[&[u8]]) -> String {
        fn run<D: Digest>(parts: &[&[u8]]) -> String {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hex(&hasher.finalize())
        }
        match self {
            Self::Md5 => run::<Md5>(parts),
            Self::Sha256 => run::<Sha256>(parts),
            Self::Sha512 => run::<Sha512>(parts),
        }
    }
}

/// Why a ticket was refused or could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketError {
    /// Not shaped like a ticket (too short, no hex timestamp, no `!`,
    /// bad escapes).
    Malformed,
    /// The digest does not match: tampered, another secret, another IP.
    BadDigest,
    /// Older than the timeout allows.
    Expired,
    /// A token holds `,` or `!`, or a token or the user data a character a
    /// cookie value can't carry as is; or a token is empty.
    BadField(String),
}

impl fmt::Display for TicketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed ticket"),
            Self::BadDigest => f.write_str("the ticket's digest does not match"),
            Self::Expired => f.write_str("the ticket has expired"),
            Self::BadField(why) => write!(f, "can't make a ticket: {why}"),
        }
    }
}

impl std::error::Error for TicketError {}

/// A ticket to issue.
///
/// ```
/// use std::net::Ipv4Addr;
/// use paste_middleware::auth::tkt::{AuthTicket, TktDigest, parse_ticket};
///
/// // The vector of Paste's test suite, which mod_auth_tkt agrees with.
/// let ticket = AuthTicket {
///     tokens: vec!["admin".into()],
///     time: 1579782607,
///     ..AuthTicket::new("shared_secret", "username")
/// };
/// let value = ticket.cookie_value().unwrap();
/// assert_eq!(value, "731274bec45f6983c1f33bac8e8baf435e2991cfusername!admin!");
///
/// let parsed = parse_ticket("shared_secret", &value, None, TktDigest::Md5).unwrap();
/// assert_eq!((parsed.userid.as_str(), parsed.time), ("username", 1579782607));
/// assert_eq!(parsed.tokens, ["admin"]);
/// assert!(parse_ticket("other secret", &value, None, TktDigest::Md5).is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AuthTicket {
    /// The secret shared with the servers that check the ticket.
    pub secret: String,
    /// The user.
    pub userid: String,
    /// The client's address the ticket is bound to; `None` for any
    /// (`0.0.0.0` in the digest).
    pub ip: Option<Ipv4Addr>,
    /// Tokens (roles, groups): no `,` or `!` in them.
    pub tokens: Vec<String>,
    /// Free data for the app: no `!`.
    pub user_data: String,
    /// When it was issued, in seconds since the Unix epoch.
    pub time: u32,
    /// The hash of the digest.
    pub digest: TktDigest,
}

impl AuthTicket {
    /// A ticket for `userid` issued now, bound to no address, with no
    /// tokens or data, digested with MD5.
    pub fn new(secret: &str, userid: &str) -> Self {
        Self {
            secret: secret.to_owned(),
            userid: userid.to_owned(),
            ip: None,
            tokens: Vec::new(),
            user_data: String::new(),
            time: u32::try_from(unix_now()).unwrap_or(u32::MAX),
            digest: TktDigest::Md5,
        }
    }

    /// The hex digest of this ticket.
    pub fn digest_hex(&self) -> String {
        calculate_digest(
            self.digest,
            self.ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
            self.time,
            self.secret.as_bytes(),
            &self.userid,
            &self.tokens.join(","),
            &self.user_data,
        )
    }

    /// The cookie value, as `mod_auth_tkt` and Paste make it (the userid
    /// percent-encoded as Python's `quote` does).
    pub fn cookie_value(&self) -> std::result::Result<String, TicketError> {
        for token in &self.tokens {
            if token.is_empty() {
                return Err(TicketError::BadField("an empty token".to_owned()));
            }
            if token
                .bytes()
                .any(|b| b == b',' || b == b'!' || !is_cookie_octet(b))
            {
                return Err(TicketError::BadField(format!("token {token:?}")));
            }
        }
        if self
            .user_data
            .bytes()
            .any(|b| b == b'!' || !is_cookie_octet(b))
        {
            return Err(TicketError::BadField(format!(
                "user data {:?}",
                self.user_data
            )));
        }
        let mut value = self.digest_hex();
        value.push_str(&format!("{:08x}", self.time));
        value.push_str(&quote(&self.userid));
        value.push('!');
        if !self.tokens.is_empty() {
            value.push_str(&self.tokens.join(","));
            value.push('!');
        }
        value.push_str(&self.user_data);
        Ok(value)
    }
}

impl fmt::Debug for AuthTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthTicket")
            .field("userid", &self.userid)
            .field("ip", &self.ip)
            .field("tokens", &self.tokens)
            .field("user_data", &self.user_data)
            .field("time", &self.time)
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

/// What a valid ticket says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketData {
    /// When it was issued, in seconds since the Unix epoch.
    pub time: u32,
    /// The user.
    pub userid: String,
    /// Its tokens; empty when it has none.
    pub tokens: Vec<String>,
    /// Its user data.
    pub user_data: String,
}

impl TicketData {
    /// Whether the ticket is older than `timeout` at `now` (seconds since
    /// the epoch). A ticket from the future is not expired.
    pub fn is_expired_at(&self, timeout: Duration, now: u64) -> bool {
        now.saturating_sub(u64::from(self.time)) > timeout.as_secs()
    }
}

/// Checks and reads a ticket (optionally in `"` quotes, or base64-encoded
/// as Paste's `AuthTicket.cookie()` writes it) made with `secret` for the
/// client at `ip` (`None`: a ticket bound to no address). The digest is
/// compared in constant time. The age is not checked here:
/// [`TicketData::is_expired_at`] does it.
pub fn parse_ticket(
    secret: &str,
    value: &str,
    ip: Option<Ipv4Addr>,
    digest: TktDigest,
) -> std::result::Result<TicketData, TicketError> {
    let raw = value.trim().trim_matches('"');
    match parse_raw(secret, raw, ip, digest) {
        Err(TicketError::Malformed) if !raw.contains('!') && raw.len() <= 8192 => {
            let decoded = STANDARD.decode(raw).map_err(|_| TicketError::Malformed)?;
            let decoded = String::from_utf8(decoded).map_err(|_| TicketError::Malformed)?;
            parse_raw(secret, decoded.trim_matches('"'), ip, digest)
        }
        other => other,
    }
}

fn parse_raw(
    secret: &str,
    raw: &str,
    ip: Option<Ipv4Addr>,
    digest: TktDigest,
) -> std::result::Result<TicketData, TicketError> {
    let n = digest.hex_len();
    if raw.len() < n + 8 || !raw.is_char_boundary(n) || !raw.is_char_boundary(n + 8) {
        return Err(TicketError::Malformed);
    }
    let (given, rest) = raw.split_at(n);
    let (ts, rest) = rest.split_at(8);
    if !ts.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(TicketError::Malformed);
    }
    let time = u32::from_str_radix(ts, 16).map_err(|_| TicketError::Malformed)?;
    let (userid, data) = rest.split_once('!').ok_or(TicketError::Malformed)?;
    let userid = unquote(userid).ok_or(TicketError::Malformed)?;
    let (tokens, user_data) = data.split_once('!').unwrap_or(("", data));
    let expected = calculate_digest(
        digest,
        ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
        time,
        secret.as_bytes(),
        &userid,
        tokens,
        user_data,
    );
    let given = given.to_ascii_lowercase();
    if !super::secret_eq(expected.as_bytes(), given.as_bytes()) {
        return Err(TicketError::BadDigest);
    }
    Ok(TicketData {
        time,
        userid,
        tokens: tokens
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        user_data: user_data.to_owned(),
    })
}

/// The double-hash construction of `mod_auth_tkt`.
fn calculate_digest(
    digest: TktDigest,
    ip: Ipv4Addr,
    time: u32,
    secret: &[u8],
    userid: &str,
    tokens: &str,
    user_data: &str,
) -> String {
    let inner = digest.hex(&[
        &ip.octets(),
        &time.to_be_bytes(),
        secret,
        userid.as_bytes(),
        b"\0",
        tokens.as_bytes(),
        b"\0",
        user_data.as_bytes(),
    ]);
    digest.hex(&[inner.as_bytes(), secret])
}

/// What Python's `urllib.parse.quote` leaves alone (safe=`/`).
fn quote_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.-~/".contains(&b)
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if quote_safe(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unquote(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let pair = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(pair, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// An RFC 6265 `cookie-octet`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// The values of the cookie `name`, split on `;` only.
///
/// A ticket's token list is comma-separated, and `mod_auth_tkt` sends it
/// so; the lenient cookie parser of `webob` (like WebOb's) ends an
/// unquoted value at a `,`, which would cut such a ticket short. So the
/// ticket cookie is also read this simpler way (at most 64 of them).
fn raw_cookie_values<'a>(headers: &'a http::HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| {
            let (n, v) = pair.split_once('=')?;
            (n.trim() == name).then(|| v.trim())
        })
        .take(64)
        .collect()
}

/// Authenticates requests by a `mod_auth_tkt` ticket cookie.
///
/// A valid, unexpired ticket (bound to the client's IPv4 address unless
/// [`include_ip(false)`](AuthTktMiddleware::include_ip)) sets the remote
/// user, appends the ticket's tokens to the request's [`Tokens`], and puts
/// the [`TicketData`] in the request's extensions. Bad tickets are
/// ignored: the request goes on unauthenticated.
///
/// The app logs a user in or out with an [`AuthChange`] in its response's
/// extensions; a request to the
/// [`logout_path`](AuthTktMiddleware::logout_path) logs out too.
///
/// ```
/// use paste_core::{App, Body, ConnectionInfo, Request, RequestExt, Response, app_fn};
/// use paste_core::http::uri::Scheme;
/// use paste_middleware::auth::AuthChange;
/// use paste_middleware::auth::tkt::AuthTktMiddleware;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = AuthTktMiddleware::new(
///     app_fn(|req: Request| async move {
///         let mut response = Response::new(req.remote_user().unwrap_or("-").to_owned().into());
///         if req.uri().path() == "/login" {
///             response.extensions_mut().insert(AuthChange::Login("ann".into()));
///         }
///         Ok(response)
///     }),
///     "a secret shared with Apache",
/// );
/// let from = |path: &str| {
///     let mut req = Request::get(path).body(Body::empty()).unwrap();
///     req.extensions_mut().insert(
///         ConnectionInfo::new(Scheme::HTTP).with_remote_addr("192.0.2.7:4000".parse().unwrap()),
///     );
///     req
/// };
///
/// let login = app.call(from("/login")).await.unwrap();
/// let set_cookie = login.headers()["set-cookie"].to_str().unwrap();
/// let ticket = set_cookie.split(';').next().unwrap();
///
/// let mut req = from("/");
/// req.headers_mut().insert("cookie", ticket.parse().unwrap());
/// let response = app.call(req).await.unwrap();
/// assert_eq!(response.into_body().to_bytes(64).await.unwrap(), "ann");
/// # }
/// ```
pub struct AuthTktMiddleware<A> {
    app: A,
    secret: String,
    cookie_name: String,
    include_ip: bool,
    timeout: Option<Duration>,
    digest: TktDigest,
    secure: bool,
    domain: Option<String>,
    logout_path: Option<String>,
}

impl<A: App> AuthTktMiddleware<A> {
    /// Tickets made with `secret`, in the cookie `auth_tkt`, bound to the
    /// client's address, MD5, valid for 2 hours, cookies for the host only
    /// and not `Secure`.
    pub fn new(app: A, secret: &str) -> Self {
        Self {
            app,
            secret: secret.to_owned(),
            cookie_name: "auth_tkt".to_owned(),
            include_ip: true,
            timeout: Some(Duration::from_secs(2 * 60 * 60)),
            digest: TktDigest::Md5,
            secure: false,
            domain: None,
            logout_path: None,
        }
    }

    /// The cookie's name (default `auth_tkt`).
    #[must_use]
    pub fn cookie_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.cookie_name);
        self
    }

    /// Whether tickets are bound to the client's IPv4 address (default
    /// yes, as in Paste).
    #[must_use]
    pub fn include_ip(mut self, include: bool) -> Self {
        self.include_ip = include;
        self
    }

    /// How old a ticket may be; `None` for no limit (Paste's behaviour).
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The hash of the digest (default MD5, for compatibility; SHA-512 is
    /// the better choice where every server supports it).
    #[must_use]
    pub fn digest(mut self, digest: TktDigest) -> Self {
        self.digest = digest;
        self
    }

    /// Whether the cookies set are `Secure` (HTTPS only).
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// A `Domain` for the cookies set (to share tickets with subdomains).
    #[must_use]
    pub fn domain(mut self, domain: &str) -> Self {
        self.domain = Some(domain.to_owned());
        self
    }

    /// A path (compared with the whole request path) that logs the user
    /// out.
    #[must_use]
    pub fn logout_path(mut self, path: &str) -> Self {
        self.logout_path = Some(path.to_owned());
        self
    }

    /// The address a ticket for `req` is bound to: `Ok(None)` when tickets
    /// are not bound, `Err` when the client has no IPv4 address.
    fn client_ip(&self, req: &Request) -> std::result::Result<Option<Ipv4Addr>, ()> {
        if !self.include_ip {
            return Ok(None);
        }
        match req.remote_addr().map(|addr| addr.ip()) {
            Some(IpAddr::V4(v4)) => Ok(Some(v4)),
            Some(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(Some).ok_or(()),
            None => Err(()),
        }
    }

    /// A ticket for `userid` with `tokens` and `user_data`, for the client
    /// of `req`, as this middleware makes them.
    pub fn ticket(
        &self,
        req: &Request,
        userid: &str,
        tokens: &[&str],
        user_data: &str,
    ) -> std::result::Result<AuthTicket, Error> {
        let ip = self.client_ip(req).map_err(|()| {
            Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("can't bind a ticket to a client without an IPv4 address")
        })?;
        Ok(AuthTicket {
            ip,
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
            user_data: user_data.to_owned(),
            digest: self.digest,
            ..AuthTicket::new(&self.secret, userid)
        })
    }

    /// The `Set-Cookie` value that logs `userid` in (with `tokens` and
    /// `user_data`) for the client of `req`.
    pub fn login_cookie(
        &self,
        req: &Request,
        userid: &str,
        tokens: &[&str],
        user_data: &str,
    ) -> std::result::Result<HeaderValue, Error> {
        let value = self
            .ticket(req, userid, tokens, user_data)?
            .cookie_value()
            .map_err(|err| Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_source(err))?;
        self.cookie_header(&value, false)
    }

    /// The `Set-Cookie` value that logs the user out.
    pub fn logout_cookie(&self) -> std::result::Result<HeaderValue, Error> {
        self.cookie_header("", true)
    }

    fn cookie_header(&self, value: &str, expire: bool) -> std::result::Result<HeaderValue, Error> {
        let mut cookie = Cookie::new(self.cookie_name.as_str(), value);
        cookie.set_path("/");
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        if self.secure {
            cookie.set_secure(true);
        }
        if let Some(domain) = &self.domain {
            cookie.set_domain(domain.as_str());
        }
        if expire {
            cookie.make_removal();
        }
        HeaderValue::from_str(&cookie.to_string()).map_err(|err| {
            Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("invalid ticket cookie")
                .with_source(err)
        })
    }

    /// The valid ticket of `req`, if any.
    fn valid_ticket(&self, req: &Request) -> Option<TicketData> {
        let ip = self.client_ip(req).ok()?;
        let cookies = webob::cookies::Cookies::from_headers(req.headers());
        let now = unix_now();
        let raw = raw_cookie_values(req.headers(), &self.cookie_name);
        let mut candidates = raw.into_iter().chain(cookies.get_all(&self.cookie_name));
        candidates.find_map(|value| {
            let data = parse_ticket(&self.secret, value, ip, self.digest).ok()?;
            match self.timeout {
                Some(timeout) if data.is_expired_at(timeout, now) => None,
                _ => Some(data),
            }
        })
    }
}

impl<A: App> App for AuthTktMiddleware<A> {
    async fn call(&self, mut req: Request) -> Result {
        let logout = self.logout_path.as_deref() == Some(req.uri().path());
        if !logout
            && req.remote_user().is_none()
            && let Some(data) = self.valid_ticket(&req)
        {
            authenticate(&mut req, &data.userid, AuthType::Ticket);
            let mut tokens = req.extensions_mut().remove::<Tokens>().unwrap_or_default();
            tokens.0.extend(data.tokens.iter().cloned());
            req.extensions_mut().insert(tokens);
            req.extensions_mut().insert(data);
        }
        let auth = req.extensions().get::<super::Authenticated>().cloned();
        let ip = self.client_ip(&req);
        let session = crate::session::Session::from_request(&req);
        let mut response = self.app.call(req).await?;
        mark_response(&mut response, auth);
        let change = if logout {
            Some(AuthChange::Logout)
        } else {
            response.extensions_mut().remove::<AuthChange>()
        };
        match change {
            Some(AuthChange::Login(user)) => {
                super::new_session_id_at_login(session.as_ref());
                let ip = ip.map_err(|()| {
                    Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                        .with_message("can't bind a ticket to a client without an IPv4 address")
                })?;
                let ticket = AuthTicket {
                    ip,
                    digest: self.digest,
                    ..AuthTicket::new(&self.secret, &user)
                };
                let value = ticket.cookie_value().map_err(|err| {
                    Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_source(err)
                })?;
                let header = self.cookie_header(&value, false)?;
                response.headers_mut().append(SET_COOKIE, header);
            }
            Some(AuthChange::Logout) => {
                let header = self.logout_cookie()?;
                response.headers_mut().append(SET_COOKIE, header);
            }
            None => {}
        }
        Ok(response)
    }
}

impl<A> fmt::Debug for AuthTktMiddleware<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthTktMiddleware")
            .field("cookie_name", &self.cookie_name)
            .field("include_ip", &self.include_ip)
            .field("timeout", &self.timeout)
            .field("digest", &self.digest)
            .field("secure", &self.secure)
            .field("domain", &self.domain)
            .field("logout_path", &self.logout_path)
            .finish_non_exhaustive()
    }
}
