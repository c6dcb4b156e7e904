//! The `Authorization` request header and the `WWW-Authenticate`
//! challenge (RFC 7235, RFC 7617 Basic, RFC 6750 Bearer, RFC 7616 Digest).
//!
//! ```
//! use webob::auth::{Authorization, Challenge};
//! use webob::{Request, Response};
//!
//! let req = Request::blank("/").with_header("authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
//! assert_eq!(
//!     req.authorization(),
//!     Some(Authorization::Basic { username: "Aladdin".into(), password: "open sesame".into() })
//! );
//!
//! let mut response = Response::new();
//! response.set_www_authenticate(&Challenge::basic("Staff \"only\""));
//! assert_eq!(response.headers()["www-authenticate"], r#"Basic realm="Staff \"only\"""#);
//! ```

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use http::HeaderValue;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};

use crate::headers::{is_tchar, is_token, quote};

/// The most auth-params read from one header.
const MAX_PARAMS: usize = 64;

/// What follows a scheme other than Basic, Bearer and Digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A `token68` (`Negotiate YIIC…`).
    Token68(String),
    /// Auth-params, names lower-cased, in order; empty when the scheme
    /// came alone.
    Params(Vec<(String, String)>),
}

/// A parsed `Authorization` header.
///
/// Parsing gives `None` for anything malformed: a scheme that is not a
/// token, Basic credentials that are not base64 of `user:password`, a
/// Bearer token with characters a token68 can't have, auth-params with an
/// unterminated quoted string or a name given twice.
///
/// ```
/// use webob::auth::{Authorization, Credentials};
///
/// let auth = Authorization::parse(r#"Digest username="Mufasa", realm="a \"b\", c", nc=00000001"#).unwrap();
/// assert_eq!(auth.param("Realm"), Some(r#"a "b", c"#));
/// assert_eq!(auth.param("nc"), Some("00000001"));
///
/// assert_eq!(Authorization::parse("bearer abc.def-_~+/=").unwrap(), Authorization::Bearer("abc.def-_~+/=".into()));
/// assert_eq!(Authorization::parse("Basic !!!"), None);
///
/// let basic = Authorization::Basic { username: "u".into(), password: "p:w".into() };
/// assert_eq!(basic.to_string(), "Basic dTpwOnc=");
/// assert_eq!(Authorization::parse(&basic.to_string()), Some(basic));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// `Basic` (RFC 7617): base64 of `username:password`. The username
    /// ends at the first `:`; the password may hold more.
    Basic {
        /// The user id (no `:` in it).
        username: String,
        /// The password.
        password: String,
    },
    /// `Bearer` (RFC 6750): an opaque token.
    Bearer(String),
    /// `Digest` (RFC 7616): its auth-params, names lower-cased, in order.
    Digest(Vec<(String, String)>),
    /// Any other scheme, as sent.
    Other {
        /// The scheme, as sent.
        scheme: String,
        /// Its token68 or auth-params.
        credentials: Credentials,
    },
}

/// A `token68` (RFC 7235 §2.1).
fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// Bytes as text: UTF-8 when they are (RFC 7617 §2.1), else ISO-8859-1.
fn decode_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|err| err.into_bytes().iter().map(|&b| char::from(b)).collect())
}

/// A list of auth-params: `name = (token | quoted-string)`, comma
/// separated, empty elements allowed. `None` when malformed.
fn parse_params(input: &str) -> Option<Vec<(String, String)>> {
    let bytes = input.as_bytes();
    let mut params: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && matches!(bytes[*i], b' ' | b'\t') {
            *i += 1;
        }
    };
    loop {
        // Empty list elements and whitespace.
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b',') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && is_tchar(bytes[i]) {
            i += 1;
        }
        let name = input[start..i].to_ascii_lowercase();
        if name.is_empty() {
            return None;
        }
        skip_ws(&mut i);
        if bytes.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        skip_ws(&mut i);
        let value = if bytes.get(i) == Some(&b'"') {
            i += 1;
            let mut value = Vec::new();
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i += 1;
                        break;
                    }
                    b'\\' => {
                        value.push(*bytes.get(i + 1)?);
                        i += 2;
                    }
                    &b if (b < 0x20 && b != b'\t') || b == 0x7f => return None,
                    &b => {
                        value.push(b);
                        i += 1;
                    }
                }
            }
            // Escapes are ASCII, so cutting at them keeps UTF-8 whole.
            String::from_utf8(value).ok()?
        } else {
            let start = i;
            while i < bytes.len() && is_tchar(bytes[i]) {
                i += 1;
            }
            if start == i {
                return None;
            }
            input[start..i].to_owned()
        };
        skip_ws(&mut i);
        if i < bytes.len() && bytes[i] != b',' {
            return None;
        }
        if params.iter().any(|(n, _)| *n == name) || params.len() >= MAX_PARAMS {
            return None;
        }
        params.push((name, value));
    }
    Some(params)
}

/// How a parameter value goes out: as a token when the scheme wants it
/// bare (`algorithm=MD5`, `nc=00000001`, `stale=true`, and `qop` in
/// credentials), else quoted and escaped.
fn fmt_param(f: &mut fmt::Formatter<'_>, name: &str, value: &str, bare_qop: bool) -> fmt::Result {
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii() && is_tchar(*c as u8))
        .collect();
    let bare = matches!(name.as_str(), "algorithm" | "nc" | "stale" | "userhash")
        || (bare_qop && name == "qop");
    if bare && is_token(value) {
        write!(f, "{name}={value}")
    } else {
        write!(f, "{name}={}", quote(value))
    }
}

fn fmt_params(
    f: &mut fmt::Formatter<'_>,
    params: &[(String, String)],
    bare_qop: bool,
) -> fmt::Result {
    for (i, (name, value)) in params.iter().enumerate() {
        f.write_str(if i == 0 { " " } else { ", " })?;
        fmt_param(f, name, value, bare_qop)?;
    }
    Ok(())
}

/// Only the characters a token68 may have.
fn clean_token68(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-._~+/=".contains(*c))
        .collect()
}

/// Only the characters a token may have.
fn clean_token(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii() && is_tchar(*c as u8))
        .collect()
}

impl Authorization {
    /// Parses a header value; `None` when it is malformed.
    pub fn parse(header: &str) -> Option<Self> {
        let header = header.trim();
        let (scheme, rest) = match header.find([' ', '\t']) {
            Some(i) => (&header[..i], header[i..].trim()),
            None => (header, ""),
        };
        if !is_token(scheme) {
            return None;
        }
        if scheme.eq_ignore_ascii_case("basic") {
            if !is_token68(rest) {
                return None;
            }
            let bytes = STANDARD
                .decode(rest)
                .or_else(|_| STANDARD_NO_PAD.decode(rest))
                .ok()?;
            let text = decode_text(bytes);
            let (username, password) = text.split_once(':')?;
            return Some(Self::Basic {
                username: username.to_owned(),
                password: password.to_owned(),
            });
        }
        if scheme.eq_ignore_ascii_case("bearer") {
            return is_token68(rest).then(|| Self::Bearer(rest.to_owned()));
        }
        if scheme.eq_ignore_ascii_case("digest") {
            return parse_params(rest).map(Self::Digest);
        }
        let credentials = match parse_params(rest) {
            Some(params) => Credentials::Params(params),
            None if is_token68(rest) => Credentials::Token68(rest.to_owned()),
            None => return None,
        };
        Some(Self::Other {
            scheme: scheme.to_owned(),
            credentials,
        })
    }

    /// The scheme: `Basic`, `Bearer`, `Digest` or the other one as sent.
    pub fn scheme(&self) -> &str {
        match self {
            Self::Basic { .. } => "Basic",
            Self::Bearer(_) => "Bearer",
            Self::Digest(_) => "Digest",
            Self::Other { scheme, .. } => scheme,
        }
    }

    /// An auth-param by name (case-insensitive), for Digest and other
    /// schemes with parameters.
    pub fn param(&self, name: &str) -> Option<&str> {
        let (Self::Digest(params)
        | Self::Other {
            credentials: Credentials::Params(params),
            ..
        }) = self
        else {
            return None;
        };
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Authorization {
    /// The header value. Whatever the fields hold, the output is one
    /// header line: tokens lose characters they can't have, quoted values
    /// are escaped and lose control characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, password } => {
                write!(
                    f,
                    "Basic {}",
                    STANDARD.encode(format!("{username}:{password}"))
                )
            }
            Self::Bearer(token) => write!(f, "Bearer {}", clean_token68(token)),
            Self::Digest(params) => {
                f.write_str("Digest")?;
                fmt_params(f, params, true)
            }
            Self::Other {
                scheme,
                credentials,
            } => {
                f.write_str(&clean_token(scheme))?;
                match credentials {
                    Credentials::Token68(token) => write!(f, " {}", clean_token68(token)),
                    Credentials::Params(params) => fmt_params(f, params, true),
                }
            }
        }
    }
}

/// A `WWW-Authenticate` challenge: a scheme and its auth-params
/// (`Basic realm="x", charset="UTF-8"`).
///
/// ```
/// use webob::auth::Challenge;
///
/// let challenge = Challenge::new("Digest")
///     .param("realm", "api")
///     .param("nonce", "abc\r\nSet-Cookie: x=1")
///     .param("algorithm", "SHA-256");
/// assert_eq!(
///     challenge.to_string(),
///     r#"Digest realm="api", nonce="abcSet-Cookie: x=1", algorithm=SHA-256"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    /// A challenge for `scheme` without parameters. Characters a token
    /// can't have are dropped from the scheme.
    pub fn new(scheme: &str) -> Self {
        Self {
            scheme: clean_token(scheme),
            params: Vec::new(),
        }
    }

    /// `Basic realm="…"` (RFC 7617).
    pub fn basic(realm: &str) -> Self {
        Self::new("Basic").param("realm", realm)
    }

    /// `Bearer realm="…"` (RFC 6750).
    pub fn bearer(realm: &str) -> Self {
        Self::new("Bearer").param("realm", realm)
    }

    /// Adds an auth-param (builder style), replacing one of the same name.
    /// Characters a token can't have are dropped from the name; the value
    /// is quoted and escaped on output.
    #[must_use]
    pub fn param(mut self, name: &str, value: &str) -> Self {
        let name = clean_token(name).to_ascii_lowercase();
        if name.is_empty() {
            return self;
        }
        match self.params.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.params.push((name, value.to_owned())),
        }
        self
    }

    /// The scheme.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// An auth-param by name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        fmt_params(f, &self.params, false)
    }
}

impl crate::Request {
    /// The `Authorization` header, parsed; `None` when it is absent or
    /// malformed.
    pub fn authorization(&self) -> Option<Authorization> {
        let value = self.headers().get(AUTHORIZATION)?.to_str().ok()?;
        Authorization::parse(value)
    }
}

impl crate::Response {
    /// Sets `WWW-Authenticate` to `challenge`, replacing earlier ones. The
    /// status is left alone (a 401 is the app's to set).
    pub fn set_www_authenticate(&mut self, challenge: &Challenge) {
        self.headers_mut().remove(WWW_AUTHENTICATE);
        self.add_www_authenticate(challenge);
    }

    /// Adds one more `WWW-Authenticate` challenge, keeping earlier ones.
    pub fn add_www_authenticate(&mut self, challenge: &Challenge) {
        match HeaderValue::from_str(&challenge.to_string()) {
            Ok(value) => {
                self.headers_mut().append(WWW_AUTHENTICATE, value);
            }
            // Unreachable in practice: the output has no control characters.
            Err(_) => tracing::warn!("refusing an invalid challenge {challenge}"),
        }
    }
}
