//! Cookies: reading them from requests ([`Cookies`]), setting and deleting
//! them on responses ([`CookieOptions`] and the `Response` methods
//! [`set_cookie`](crate::Response::set_cookie),
//! [`set_cookie_with`](crate::Response::set_cookie_with),
//! [`delete_cookie`](crate::Response::delete_cookie),
//! [`unset_cookie`](crate::Response::unset_cookie)), and signed cookies
//! ([`Signer`], [`SignedSerializer`]).
//!
//! ```
//! use webob::{Request, Response};
//! use webob::cookies::{CookieOptions, Signer};
//!
//! # fn main() -> Result<(), paste_core::Error> {
//! // Reading: lenient, as WebOb is.
//! let req = Request::blank("/").with_header("cookie", "theme=dark; lang=\"fr\"");
//! assert_eq!(req.cookies().get("theme"), Some("dark"));
//! assert_eq!(req.cookies().get("lang"), Some("fr"));
//!
//! // Writing: one Set-Cookie header per cookie.
//! let mut response = Response::text("ok");
//! response.set_cookie_with("theme", "light", &CookieOptions::new().http_only(true))?;
//! assert_eq!(response.headers()["set-cookie"], "theme=light; HttpOnly; Path=/");
//!
//! // Signing: the value is readable but can't be forged or moved.
//! let signer = Signer::new(b"an example secret of at least 32 bytes!")?;
//! let signed = signer.sign("user", "alice");
//! assert_eq!(signer.verify("user", &signed).as_deref(), Some("alice"));
//! assert_eq!(signer.verify("admin", &signed), None);
//! # Ok(()) }
//! ```
//!
//! Values are sent as they are when they are made only of the characters
//! RFC 6265 allows in a cookie value; any other byte (space, `"`, `,`, `;`,
//! `\`, control characters, non-ASCII) and `%` itself are percent-encoded,
//! so that [`Cookies::get_decoded`] gives back exactly what was stored.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::marker::PhantomData;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, StatusCode};
use paste_core::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

pub use cookie::{Cookie, SameSite};

/// At most this many cookies are kept from a request's `Cookie` headers;
/// the rest are ignored, to bound the work a huge header can cause.
pub const MAX_COOKIES: usize = 256;

/// The largest `name=value` (after encoding) a response may set: browsers
/// silently drop bigger cookies, so setting one is refused instead.
pub const MAX_COOKIE_SIZE: usize = 4096;

/// The shortest secret a [`Signer`] accepts, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// Attribute names that can't be cookie names (WebOb drops them when
/// parsing, so a cookie with such a name could never be read back).
const RESERVED_NAMES: [&str; 8] = [
    "path", "domain", "comment", "max-age", "expires", "secure", "httponly", "samesite",
];

// ===================================================================
// Reading
// ===================================================================

/// The cookies a request sent, in the order they came (read-only).
///
/// Parsing is lenient, as WebOb's is: every `Cookie` header is read (HTTP/2
/// may split them), pairs are separated by `;`, `,` or whitespace, spaces
/// around `=` are allowed, `"quoted"` values are unquoted (with `\"` and
/// `\ooo` octal escapes), a value may contain `=`, and malformed pairs or
/// invalid names are skipped without losing the good ones. Values are not
/// percent-decoded by [`get`](Cookies::get) (WebOb doesn't either);
/// [`get_decoded`](Cookies::get_decoded) does it.
///
/// When a name comes more than once, [`get`](Cookies::get) gives the
/// *first*: browsers send the cookie with the most specific path first.
///
/// ```
/// use webob::Request;
///
/// let req = Request::blank("/")
///     .with_header("cookie", "a=1; junk; b=\"x\\\"y\"; a=2")
///     .with_added_header("cookie", "c=caf%C3%A9");
/// let cookies = req.cookies();
/// assert_eq!(cookies.len(), 4);
/// assert_eq!(cookies.get("a"), Some("1"));
/// assert_eq!(cookies.get_all("a").collect::<Vec<_>>(), ["1", "2"]);
/// assert_eq!(cookies.get("b"), Some("x\"y"));
/// assert_eq!(cookies.get("c"), Some("caf%C3%A9"));
/// assert_eq!(cookies.get_decoded("c").as_deref(), Some("café"));
/// assert_eq!(cookies.get("junk"), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cookies {
    pairs: Vec<(String, String)>,
}

impl Cookies {
    /// The cookies of every `Cookie` header in `headers`, in order.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut pairs = Vec::new();
        for value in headers.get_all(COOKIE) {
            parse_into(&mut pairs, value.as_bytes());
        }
        Self { pairs }
    }

    /// The cookies of one `Cookie` header value.
    pub fn parse(header: &str) -> Self {
        let mut pairs = Vec::new();
        parse_into(&mut pairs, header.as_bytes());
        Self { pairs }
    }

    /// The value of the first cookie called `name`, as sent (unquoted, not
    /// percent-decoded).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The values of every cookie called `name`, in the order sent.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first cookie called `name`, percent-decoded (the
    /// inverse of what [`set_cookie_with`](crate::Response::set_cookie_with)
    /// does). Bytes that are not UTF-8 once decoded become U+FFFD.
    pub fn get_decoded(&self, name: &str) -> Option<String> {
        let raw = self.get(name)?;
        Some(
            percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned(),
        )
    }

    /// Whether a cookie called `name` was sent.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every `(name, value)` pair, in order, duplicates included.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many cookies were kept (duplicates counted).
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether no cookie was kept.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_sep(b: u8) -> bool {
    is_ws(b) || b == b';' || b == b','
}

/// A byte of an unquoted value: anything but separators, `"` and
/// control characters. Non-ASCII bytes are kept (the value must be UTF-8
/// in the end).
fn is_value_byte(b: u8) -> bool {
    !is_sep(b) && b != b'"' && b >= 0x20 && b != 0x7f
}

/// An RFC 7230 `tchar`: what a cookie name is made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A name WebOb would keep: a token, not starting with `$`, not an
/// attribute name.
pub(crate) fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.iter().all(|&b| is_tchar(b))
        && name[0] != b'$'
        && !RESERVED_NAMES
            .iter()
            .any(|r| r.as_bytes().eq_ignore_ascii_case(name))
}

fn parse_into(pairs: &mut Vec<(String, String)>, input: &[u8]) {
    let n = input.len();
    let mut i = 0;
    while i < n && pairs.len() < MAX_COOKIES {
        while i < n && is_sep(input[i]) {
            i += 1;
        }
        let start = i;
        while i < n && !is_sep(input[i]) && input[i] != b'=' {
            i += 1;
        }
        let name = &input[start..i];
        let mut j = i;
        while j < n && is_ws(input[j]) {
            j += 1;
        }
        if j >= n || input[j] != b'=' {
            // A flag (`Secure`) or junk with no value: skip it. `i` is at a
            // separator (or the end), so the loop moves on.
            continue;
        }
        i = j + 1;
        while i < n && is_ws(input[i]) {
            i += 1;
        }
        let (value, next) = read_value(input, i);
        i = next;
        // A valid name is ASCII, so `from_utf8` can't fail.
        if let Some(value) = value
            && valid_name(name)
            && let Ok(name) = std::str::from_utf8(name)
        {
            pairs.push((name.to_owned(), value));
        }
    }
}

/// Reads a value starting at `i`; gives it (or `None` when it is
/// malformed) and where to go on from.
fn read_value(input: &[u8], i: usize) -> (Option<String>, usize) {
    let n = input.len();
    if input.get(i) == Some(&b'"') {
        return match read_quoted(input, i + 1) {
            Some((bytes, next)) => (String::from_utf8(bytes).ok(), next),
            // Unterminated: skip to the next `;`, so later cookies survive.
            None => {
                let next = input[i..]
                    .iter()
                    .position(|&b| b == b';')
                    .map_or(n, |p| i + p);
                (None, next)
            }
        };
    }
    if is_expires_date(&input[i..]) {
        let end = i + EXPIRES_SHAPE.len();
        return (
            std::str::from_utf8(&input[i..end]).ok().map(str::to_owned),
            end,
        );
    }
    let mut end = i;
    while end < n && is_value_byte(input[end]) {
        end += 1;
    }
    (
        std::str::from_utf8(&input[i..end]).ok().map(str::to_owned),
        end,
    )
}

/// Reads a quoted string's body from `i` (just past the opening quote) to
/// the closing quote, resolving `\"`, `\\` and `\ooo` escapes.
fn read_quoted(input: &[u8], mut i: usize) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    while let Some(&b) = input.get(i) {
        match b {
            b'"' => return Some((out, i + 1)),
            b'\\' => {
                let rest = input.get(i + 1..)?;
                match rest {
                    [a @ b'0'..=b'3', b @ b'0'..=b'7', c @ b'0'..=b'7', ..] => {
                        out.push(((a - b'0') << 6) | ((b - b'0') << 3) | (c - b'0'));
                        i += 4;
                    }
                    [other, ..] => {
                        out.push(*other);
                        i += 2;
                    }
                    [] => return None,
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

/// `Www, DD-Mon-YYYY HH:MM:SS GMT`: `a` is a letter, `d` a digit.
const EXPIRES_SHAPE: &[u8] = b"aaa, dd-aaa-dddd dd:dd:dd GMT";

/// Whether `input` starts with an old-style expires date, whose comma
/// and spaces must not split the value.
fn is_expires_date(input: &[u8]) -> bool {
    input.len() >= EXPIRES_SHAPE.len()
        && EXPIRES_SHAPE
            .iter()
            .zip(input)
            .all(|(&shape, &b)| match shape {
                b'a' => b.is_ascii_alphabetic(),
                b'd' => b.is_ascii_digit(),
                _ => shape == b,
            })
}

impl crate::Request {
    /// The cookies the request sent (see [`Cookies`] for the parsing rules).
    ///
    /// ```
    /// let req = webob::Request::blank("/").with_header("cookie", "id=42; theme=dark");
    /// assert_eq!(req.cookies().get("id"), Some("42"));
    /// ```
    pub fn cookies(&self) -> Cookies {
        Cookies::from_headers(self.headers())
    }

    /// The value of the cookie `name` if its signature by `signer` holds.
    /// When the name comes more than once, the first one that verifies
    /// wins, so a forged cookie can't hide the real one. Missing, tampered
    /// and malformed cookies all give `None`.
    ///
    /// ```
    /// use webob::{Request, cookies::Signer};
    ///
    /// # fn main() -> Result<(), paste_core::Error> {
    /// let signer = Signer::new(&[7; 32])?;
    /// let cookie = format!("user=forged; user={}", signer.sign("user", "alice"));
    /// let req = Request::blank("/").with_header("cookie", &cookie);
    /// assert_eq!(req.signed_cookie("user", &signer).as_deref(), Some("alice"));
    /// # Ok(()) }
    /// ```
    pub fn signed_cookie(&self, name: &str, signer: &Signer) -> Option<String> {
        self.cookies()
            .get_all(name)
            .find_map(|value| signer.verify(name, value))
    }
}

// ===================================================================
// Writing
// ===================================================================

/// The attributes of a cookie set by
/// [`set_cookie_with`](crate::Response::set_cookie_with): builder-style,
/// defaulting to WebOb's (`Path=/`, nothing else).
///
/// ```
/// use std::time::Duration;
/// use webob::Response;
/// use webob::cookies::{CookieOptions, SameSite};
///
/// # fn main() -> Result<(), paste_core::Error> {
/// let options = CookieOptions::new()
///     .max_age(Duration::from_secs(3600))
///     .secure(true)
///     .http_only(true)
///     .same_site(SameSite::Lax);
/// let mut response = Response::new();
/// response.set_cookie_with("session", "abc", &options)?;
/// let header = response.headers()["set-cookie"].to_str().unwrap();
/// assert!(header.starts_with("session=abc; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600; Expires="));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieOptions {
    max_age: Option<Duration>,
    expires: Option<SystemTime>,
    path: Option<String>,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self {
            max_age: None,
            expires: None,
            path: Some("/".to_owned()),
            domain: None,
            secure: false,
            http_only: false,
            same_site: None,
        }
    }
}

impl CookieOptions {
    /// The defaults: `Path=/`, a session cookie, not secure, readable by
    /// scripts, no `SameSite` (browsers then treat it as `Lax`).
    pub fn new() -> Self {
        Self::default()
    }

    /// How long the cookie lives (`Max-Age`); an `Expires` of now +
    /// `max_age` is written too, for old clients, unless
    /// [`expires`](CookieOptions::expires) is given.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// When the cookie expires (`Expires`).
    #[must_use]
    pub fn expires(mut self, expires: SystemTime) -> Self {
        self.expires = Some(expires);
        self
    }

    /// The path the cookie is sent for (default `/`).
    #[must_use]
    pub fn path(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    /// No `Path` attribute: the browser uses the request's directory.
    #[must_use]
    pub fn no_path(mut self) -> Self {
        self.path = None;
        self
    }

    /// The domain the cookie is sent to (and its subdomains); without it,
    /// only to the host that set it.
    #[must_use]
    pub fn domain(mut self, domain: &str) -> Self {
        self.domain = Some(domain.to_owned());
        self
    }

    /// Sent over HTTPS only.
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Hidden from scripts (`HttpOnly`).
    #[must_use]
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The `SameSite` policy. `SameSite::None` needs
    /// [`secure`](CookieOptions::secure): setting such a cookie without it
    /// is refused, as browsers would drop it.
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }

    fn apply(&self, cookie: &mut Cookie<'_>) {
        if let Some(path) = &self.path {
            cookie.set_path(path.clone());
        }
        if let Some(domain) = &self.domain {
            cookie.set_domain(domain.clone());
        }
        cookie.set_secure(self.secure);
        if self.http_only {
            cookie.set_http_only(true);
        }
        if let Some(same_site) = self.same_site {
            cookie.set_same_site(same_site);
        }
        if let Some(max_age) = self.max_age {
            let secs = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
            cookie.set_max_age(cookie::time::Duration::seconds(secs));
            if self.expires.is_none() {
                let at = SystemTime::now()
                    .checked_add(max_age)
                    .unwrap_or(SystemTime::UNIX_EPOCH + Duration::from_secs(LAST_HTTP_SECOND));
                cookie.set_expires(http_time(at));
            }
        }
        if let Some(expires) = self.expires {
            cookie.set_expires(http_time(expires));
        }
    }
}

/// 9999-12-31T23:59:59Z: the last second a four-digit HTTP date can say.
const LAST_HTTP_SECOND: u64 = 253_402_300_799;

/// A time the cookie crate can format (clamped to 1970..=9999).
fn http_time(time: SystemTime) -> cookie::time::OffsetDateTime {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .min(LAST_HTTP_SECOND);
    let secs = i64::try_from(secs).unwrap_or(0);
    cookie::time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or(cookie::time::OffsetDateTime::UNIX_EPOCH)
}

fn refuse(message: String) -> Error {
    Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_message(message)
}

/// Whether `b` is an RFC 6265 `cookie-octet` other than `%`: what is sent
/// as is.
fn is_plain_value_byte(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x24 | 0x26..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// Percent-encodes the bytes of `value` that are not plain cookie octets.
pub(crate) fn encode_value(value: &str) -> Cow<'_, str> {
    if value.bytes().all(is_plain_value_byte) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for b in value.bytes() {
        if is_plain_value_byte(b) {
            out.push(char::from(b));
        } else {
            // Writing to a String can't fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    Cow::Owned(out)
}

/// Checks a cookie and renders its `Set-Cookie` value.
fn render(mut cookie: Cookie<'_>) -> Result<HeaderValue, Error> {
    let name = cookie.name().to_owned();
    if !valid_name(name.as_bytes()) {
        return Err(refuse(format!(
            "invalid cookie name {name:?}: it must be a token, not start with '$' \
             and not be an attribute name"
        )));
    }
    let value = encode_value(cookie.value()).into_owned();
    if name.len() + 1 + value.len() > MAX_COOKIE_SIZE {
        return Err(refuse(format!(
            "cookie {name:?} is {} bytes, over the {MAX_COOKIE_SIZE} browsers keep",
            name.len() + 1 + value.len()
        )));
    }
    if let Some(path) = cookie.path()
        && path
            .bytes()
            .any(|b| b == b';' || !(0x20..0x7f).contains(&b))
    {
        return Err(refuse(format!("invalid cookie path {path:?}")));
    }
    if let Some(domain) = cookie.domain() {
        let bare = domain.strip_prefix('.').unwrap_or(domain);
        if bare.is_empty()
            || !bare
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(refuse(format!("invalid cookie domain {domain:?}")));
        }
    }
    if cookie.same_site() == Some(SameSite::None) {
        match cookie.secure() {
            Some(false) => {
                return Err(refuse(format!(
                    "cookie {name:?} has SameSite=None without Secure; browsers would drop it"
                )));
            }
            // The cookie crate adds Secure then; say so explicitly.
            None => cookie.set_secure(true),
            Some(true) => {}
        }
    }
    cookie.set_value(value);
    let mut text = String::new();
    write!(text, "{cookie}").map_err(|_| refuse(format!("cookie {name:?} can't be formatted")))?;
    HeaderValue::from_str(&text)
        .map_err(|_| refuse(format!("cookie {name:?} is not a valid header value")))
}

/// The cookie name a `Set-Cookie` value sets.
fn set_cookie_name(value: &HeaderValue) -> &[u8] {
    let bytes = value.as_bytes();
    let end = bytes
        .iter()
        .position(|&b| b == b'=' || b == b';')
        .unwrap_or(bytes.len());
    bytes[..end].trim_ascii()
}

impl crate::Response {
    /// Adds a `Set-Cookie` header for `cookie` (its own header, never
    /// joined with others).
    ///
    /// The value is percent-encoded where it has bytes a cookie value
    /// can't carry (see the [module docs](crate::cookies)). Refused with a
    /// 500 [`Error`] (the app's mistake), and nothing added: a name that is
    /// not a token (or starts with `$`, or is an attribute name like
    /// `path`), a `Path` with `;` or control characters, a `Domain` that is
    /// not a host name, `SameSite=None` with `Secure` explicitly off, and a
    /// `name=value` over [`MAX_COOKIE_SIZE`] bytes.
    ///
    /// ```
    /// use webob::Response;
    /// use webob::cookies::Cookie;
    ///
    /// let mut response = Response::new();
    /// response.set_cookie(Cookie::build(("greeting", "hi; there")).path("/app").build()).unwrap();
    /// assert_eq!(response.headers()["set-cookie"], "greeting=hi%3B%20there; Path=/app");
    /// assert!(response.set_cookie(Cookie::new("bad name", "x")).is_err());
    /// ```
    pub fn set_cookie(&mut self, cookie: Cookie<'_>) -> Result<(), Error> {
        let value = render(cookie)?;
        self.headers_mut().append(SET_COOKIE, value);
        Ok(())
    }

    /// Adds a `Set-Cookie` header for `name=value` with `options`; the
    /// same checks as [`set_cookie`](crate::Response::set_cookie).
    pub fn set_cookie_with(
        &mut self,
        name: &str,
        value: &str,
        options: &CookieOptions,
    ) -> Result<(), Error> {
        let mut cookie = Cookie::new(name, value);
        options.apply(&mut cookie);
        self.set_cookie(cookie)
    }

    /// Tells the browser to drop the cookie `name` set for `path` (default
    /// `/`) and `domain`: an empty value, `Max-Age=0` and an `Expires` in
    /// the past. A name, path or domain that could not have been set is
    /// ignored (with a warning in the log).
    ///
    /// ```
    /// let mut response = webob::Response::new();
    /// response.delete_cookie("session", None, None);
    /// assert_eq!(
    ///     response.headers()["set-cookie"],
    ///     "session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    /// );
    /// ```
    pub fn delete_cookie(&mut self, name: &str, path: Option<&str>, domain: Option<&str>) {
        let mut cookie = Cookie::new(name, "");
        cookie.set_path(path.unwrap_or("/"));
        if let Some(domain) = domain {
            cookie.set_domain(domain);
        }
        cookie.set_max_age(cookie::time::Duration::ZERO);
        cookie.set_expires(cookie::time::OffsetDateTime::UNIX_EPOCH);
        if let Err(err) = self.set_cookie(cookie) {
            tracing::warn!("not deleting cookie: {err}");
        }
    }

    /// Removes the `Set-Cookie` headers already on this response that set
    /// the cookie `name` (WebOb's `unset_cookie`; the browser is told
    /// nothing), keeping the others byte for byte. Says whether any was
    /// removed.
    ///
    /// ```
    /// use webob::{Response, cookies::CookieOptions};
    ///
    /// let mut response = Response::new();
    /// response.set_cookie_with("a", "1", &CookieOptions::new()).unwrap();
    /// response.set_cookie_with("b", "2", &CookieOptions::new()).unwrap();
    /// assert!(response.unset_cookie("a"));
    /// assert!(!response.unset_cookie("a"));
    /// assert_eq!(response.headers()["set-cookie"], "b=2; Path=/");
    /// ```
    pub fn unset_cookie(&mut self, name: &str) -> bool {
        let headers = self.headers_mut();
        let all: Vec<HeaderValue> = headers.get_all(SET_COOKIE).iter().cloned().collect();
        let before = all.len();
        let kept: Vec<HeaderValue> = all
            .into_iter()
            .filter(|v| set_cookie_name(v) != name.as_bytes())
            .collect();
        if kept.len() == before {
            return false;
        }
        headers.remove(SET_COOKIE);
        for value in kept {
            headers.append(SET_COOKIE, value);
        }
        true
    }

    /// Sets the cookie `name` to `value` signed by `signer` (see
    /// [`Signer::sign`]); read it back with
    /// [`Request::signed_cookie`](crate::Request::signed_cookie).
    pub fn set_signed_cookie(
        &mut self,
        name: &str,
        value: &str,
        signer: &Signer,
        options: &CookieOptions,
    ) -> Result<(), Error> {
        self.set_cookie_with(name, &signer.sign(name, value), options)
    }
}

// ===================================================================
// Signing
// ===================================================================

type HmacSha256 = Hmac<Sha256>;

/// Separates this use of the secret from any other HMAC made with it.
const SIGN_CONTEXT: &[u8] = b"webob signed cookie v1\0";

/// Signed cookies longer than this are not even looked at.
const MAX_SIGNED_LEN: usize = 2 * MAX_COOKIE_SIZE;

/// Signs cookie values with HMAC-SHA256, so that the client can read them
/// but not change them.
///
/// A signed value is `base64url(value) "." base64url(mac)` (no padding:
/// every character is cookie-safe). The MAC covers the cookie's name too,
/// so a value signed for one cookie is rejected under another.
///
/// Key rotation: the first secret signs, every secret verifies — add the
/// new secret first and keep the old ones with
/// [`with_old_secret`](Signer::with_old_secret) until their cookies have
/// expired.
///
/// ```
/// use webob::cookies::Signer;
///
/// # fn main() -> Result<(), paste_core::Error> {
/// let old = Signer::new(b"the old secret, 32 bytes or more..")?;
/// let signed = old.sign("user", "alice");
///
/// let rotated = Signer::new(b"the new secret, 32 bytes or more..")?
///     .with_old_secret(b"the old secret, 32 bytes or more..")?;
/// assert_eq!(rotated.verify("user", &signed).as_deref(), Some("alice"));
/// assert_eq!(rotated.verify("user", "YWxpY2U.forged"), None);
/// assert!(Signer::new(b"too short").is_err());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Signer {
    /// Keyed MACs, the signing one first.
    keys: Vec<HmacSha256>,
}

impl Signer {
    /// A signer with one secret, which must be at least
    /// [`MIN_SECRET_LEN`] bytes (use random bytes, not a password).
    pub fn new(secret: &[u8]) -> Result<Self, Error> {
        Ok(Self {
            keys: vec![keyed(secret)?],
        })
    }

    /// Also accepts values signed with `secret` (an older one, during a
    /// rotation); signing still uses the first secret.
    pub fn with_old_secret(mut self, secret: &[u8]) -> Result<Self, Error> {
        self.keys.push(keyed(secret)?);
        Ok(self)
    }

    /// `value` signed for the cookie `name`.
    pub fn sign(&self, name: &str, value: &str) -> String {
        let mut out = URL_SAFE_NO_PAD.encode(value.as_bytes());
        out.push('.');
        if let Some(key) = self.keys.first() {
            let tag = mac(key, name, value.as_bytes()).finalize().into_bytes();
            URL_SAFE_NO_PAD.encode_string(tag, &mut out);
        }
        out
    }

    /// The value in `signed` if it was signed for the cookie `name` with
    /// one of this signer's secrets; `None` for anything tampered,
    /// truncated or malformed. The MAC is compared in constant time.
    pub fn verify(&self, name: &str, signed: &str) -> Option<String> {
        if signed.len() > MAX_SIGNED_LEN {
            return None;
        }
        let (value, tag) = signed.rsplit_once('.')?;
        let value = URL_SAFE_NO_PAD.decode(value).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let valid = self
            .keys
            .iter()
            .any(|key| mac(key, name, &value).verify_slice(&tag).is_ok());
        if valid {
            String::from_utf8(value).ok()
        } else {
            None
        }
    }
}

fn keyed(secret: &[u8]) -> Result<HmacSha256, Error> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(refuse(format!(
            "a cookie-signing secret needs at least {MIN_SECRET_LEN} bytes, got {}",
            secret.len()
        )));
    }
    HmacSha256::new_from_slice(secret)
        .map_err(|_| refuse("the cookie-signing secret was refused".to_owned()))
}

/// The MAC state over the context, the name (length-prefixed, so that
/// name and value can't trade bytes) and the value.
fn mac(key: &HmacSha256, name: &str, value: &[u8]) -> HmacSha256 {
    let mut mac = key.clone();
    mac.update(SIGN_CONTEXT);
    mac.update(&(name.len() as u64).to_be_bytes());
    mac.update(name.as_bytes());
    mac.update(value);
    mac
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("secrets", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// Stores a serde value in a signed cookie: JSON, with the time it was
/// issued, signed by a [`Signer`]. Loading gives `None` for anything
/// tampered, truncated, malformed, of the wrong shape or older than the
/// optional max age — never an error or a panic.
///
/// ```
/// use std::time::Duration;
/// use serde::{Deserialize, Serialize};
/// use webob::cookies::{SignedSerializer, Signer};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Session { user: String, admin: bool }
///
/// # fn main() -> Result<(), paste_core::Error> {
/// let serializer = SignedSerializer::<Session>::new(Signer::new(&[42; 32])?)
///     .with_max_age(Duration::from_secs(3600));
/// let session = Session { user: "alice".into(), admin: false };
/// let cookie = serializer.dumps("session", &session)?;
/// assert_eq!(serializer.loads("session", &cookie), Some(session));
/// assert_eq!(serializer.loads("session", &cookie.replace('.', "x.")), None);
/// # Ok(()) }
/// ```
pub struct SignedSerializer<T> {
    signer: Signer,
    max_age: Option<Duration>,
    _value: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> SignedSerializer<T> {
    /// A serializer signing with `signer`, with no max age.
    pub fn new(signer: Signer) -> Self {
        Self {
            signer,
            max_age: None,
            _value: PhantomData,
        }
    }

    /// Values issued longer than `max_age` ago load as `None` (the cookie's
    /// own `Max-Age` is only a request to the browser; this is enforced).
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// `value` as a signed cookie value for the cookie `name`. Fails only
    /// if `value` can't be serialised as JSON.
    pub fn dumps(&self, name: &str, value: &T) -> Result<String, Error> {
        let json = serde_json::to_string(&(unix_now(), value))?;
        Ok(self.signer.sign(name, &json))
    }

    /// The value in `signed`, if it is genuine, of the right shape and not
    /// too old.
    pub fn loads(&self, name: &str, signed: &str) -> Option<T> {
        self.loads_at(name, signed, unix_now())
    }

    fn loads_at(&self, name: &str, signed: &str, now: u64) -> Option<T> {
        let json = self.signer.verify(name, signed)?;
        let (issued, value): (u64, T) = serde_json::from_str(&json).ok()?;
        if let Some(max_age) = self.max_age
            && now.saturating_sub(issued) > max_age.as_secs()
        {
            return None;
        }
        Some(value)
    }

    /// The value of the request's cookie `name` (the first that loads).
    pub fn load_from(&self, req: &crate::Request, name: &str) -> Option<T> {
        req.cookies()
            .get_all(name)
            .find_map(|value| self.loads(name, value))
    }

    /// Sets the cookie `name` to `value` on `response`, serialised and
    /// signed. When the serializer has a max age and `options` none, the
    /// cookie gets the same `Max-Age`.
    pub fn save_to(
        &self,
        response: &mut crate::Response,
        name: &str,
        value: &T,
        options: &CookieOptions,
    ) -> Result<(), Error> {
        let signed = self.dumps(name, value)?;
        match (self.max_age, options.max_age) {
            (Some(max_age), None) => {
                response.set_cookie_with(name, &signed, &options.clone().max_age(max_age))
            }
            _ => response.set_cookie_with(name, &signed, options),
        }
    }
}

impl<T> Clone for SignedSerializer<T> {
    fn clone(&self) -> Self {
        Self {
            signer: self.signer.clone(),
            max_age: self.max_age,
            _value: PhantomData,
        }
    }
}

impl<T> fmt::Debug for SignedSerializer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedSerializer")
            .field("signer", &self.signer)
            .field("max_age", &self.max_age)
            .finish()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(header: &str) -> Vec<(String, String)> {
        Cookies::parse(header).pairs
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn webob_bad_cookie_cases() {
        assert_eq!(parse("fo234{=bar blub=Blah"), pairs(&[("blub", "Blah")]));
        assert_eq!(parse("070-it-:><?0"), pairs(&[]));
        assert_eq!(parse("..."), pairs(&[]));
        assert_eq!(parse("=foo"), pairs(&[]));
        assert_eq!(parse("a=b, c=d"), pairs(&[("a", "b"), ("c", "d")]));
    }

    #[test]
    fn webob_complex_cookie() {
        let header = "dismiss-top=6; CP=null*; PHPSESSID=0a539d42abc001cdc762809248d4beed, \
                      a=\"42,\"";
        assert_eq!(
            parse(header),
            pairs(&[
                ("dismiss-top", "6"),
                ("CP", "null*"),
                ("PHPSESSID", "0a539d42abc001cdc762809248d4beed"),
                ("a", "42,"),
            ])
        );
    }

    #[test]
    fn expires_dates_stay_whole() {
        assert_eq!(
            parse("when=Wed, 09-Jun-2021 10:18:14 GMT; b=1"),
            pairs(&[("when", "Wed, 09-Jun-2021 10:18:14 GMT"), ("b", "1")])
        );
    }

    #[test]
    fn octal_and_backslash_escapes() {
        assert_eq!(parse(r#"a="\101\"\\\x""#), pairs(&[("a", "A\"\\x")]));
        // UTF-8 written as octal escapes.
        assert_eq!(parse(r#"a="caf\303\251""#), pairs(&[("a", "café")]));
        // Octal escapes giving invalid UTF-8: that cookie is skipped.
        assert_eq!(parse(r#"a="\377"; b=2"#), pairs(&[("b", "2")]));
    }

    #[test]
    fn expires_shape_needs_every_piece() {
        assert!(is_expires_date(b"Wed, 09-Jun-2021 10:18:14 GMT"));
        assert!(!is_expires_date(b"Wed, 09-Jun-2021 10:18:14 GM"));
        assert!(!is_expires_date(b"Wed, 09 Jun 2021 10:18:14 GMT"));
    }

    #[test]
    fn value_encoding_keeps_cookie_octets() {
        assert!(matches!(encode_value("abc-/=:[]"), Cow::Borrowed(_)));
        assert_eq!(encode_value("a b;c,d\"e\\f%"), "a%20b%3Bc%2Cd%22e%5Cf%25");
        assert_eq!(encode_value("é\r\n"), "%C3%A9%0D%0A");
    }

    #[test]
    fn serializer_max_age_is_enforced() {
        let signer = Signer::new(&[1; 32]).unwrap();
        let s = SignedSerializer::<String>::new(signer).with_max_age(Duration::from_secs(60));
        let signed = s.dumps("n", &"v".to_owned()).unwrap();
        let now = unix_now();
        assert_eq!(s.loads_at("n", &signed, now + 60).as_deref(), Some("v"));
        assert_eq!(s.loads_at("n", &signed, now + 61), None);
    }

    #[test]
    fn far_future_expiry_is_clamped_not_a_panic() {
        let mut cookie = Cookie::new("a", "b");
        CookieOptions::new()
            .max_age(Duration::from_secs(u64::MAX))
            .apply(&mut cookie);
        let header = render(cookie).unwrap();
        assert!(
            header
                .to_str()
                .unwrap()
                .ends_with("Expires=Fri, 31 Dec 9999 23:59:59 GMT"),
            "{header:?}"
        );
    }
}
