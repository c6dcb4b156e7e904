//! A request → the CGI meta-variables of RFC 3875 §4.1, shared by every
//! gateway that runs a script for a request: [`CgiApp`](crate::CgiApp) and
//! [`CgiDirectory`](crate::CgiDirectory) put them in a child's environment,
//! a FastCGI client sends the same pairs as `FCGI_PARAMS`.
//!
//! # How to use it from another gateway
//!
//! ```text
//! let length = env::body_length(&req)?;               // before taking the body
//! let script = env::Script::of(&req, &script_filename); // or Script { .. } by hand
//! let vars = env::meta_variables(&req, &script, length, &config)?;
//! for (name, value) in vars.iter() {
//!     // name: &str (ASCII), value: &[u8] (may be any bytes but NUL)
//! }
//! ```
//!
//! - `config` is an [`EnvConfig`], kept in the gateway and filled by its
//!   builder methods (`pass_env`, `env`, `document_root`…).
//! - [`body_length`] says whether the request has a body and how long it
//!   is; call it before moving the body out of the request. A
//!   [`BodyLength::Unknown`] body (chunked, no `Content-Length`) gets no
//!   `CONTENT_LENGTH`: the gateway streams it and ends it with EOF (or
//!   refuses it with 411, the gateway's choice).
//! - [`meta_variables`] fails only on input that can't be expressed as
//!   variables (a `%00` in the path, a malformed `Content-Length`): a 400.
//!
//! # What is set, and what is not
//!
//! In order, each later source replacing an earlier variable of the same
//! name:
//! 1. the variables of the server's own environment named in the allow-list
//!    ([`EnvConfig::pass_env`], `PATH` alone by default) — never the whole
//!    environment;
//! 2. the request's: `GATEWAY_INTERFACE`, `SERVER_SOFTWARE`, `SERVER_NAME`,
//!    `SERVER_PORT`, `SERVER_ADDR`, `SERVER_PROTOCOL`, `REQUEST_METHOD`,
//!    `REQUEST_URI`, `SCRIPT_NAME`, `PATH_INFO`, `PATH_TRANSLATED`,
//!    `SCRIPT_FILENAME`, `DOCUMENT_ROOT`, `QUERY_STRING`, `REMOTE_ADDR`,
//!    `REMOTE_PORT`, `REMOTE_USER`, `AUTH_TYPE`, `CONTENT_TYPE`,
//!    `CONTENT_LENGTH`, `HTTPS`, `REDIRECT_STATUS` and one `HTTP_*` per
//!    request header;
//! 3. the fixed variables of [`EnvConfig::set`], the administrator's last
//!    word (`SERVER_NAME` for a canonical name, say).
//!
//! `SCRIPT_NAME` and `PATH_INFO` are percent-decoded, as RFC 3875 §4.1.5
//! and §4.1.13 want (paste-core keeps them encoded); `QUERY_STRING` and
//! `REQUEST_URI` stay as the client sent them.
//!
//! `HTTP_*` variables: a header's name upper-cased with `-` → `_`, its
//! values joined with `", "` (`"; "` for `Cookie`). Left out:
//! - `Proxy`: `HTTP_PROXY` would be taken for the proxy setting by most
//!   HTTP libraries (httpoxy, CVE-2016-5385);
//! - `Content-Type` and `Content-Length`, which are `CONTENT_*`;
//! - the hop-by-hop headers (`Connection` and the headers it names,
//!   `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`,
//!   `Proxy-Authorization`, `Proxy-Connection`): they belong to the
//!   connection, which the server owns;
//! - `Authorization`, unless [`EnvConfig::pass_authorization`] is on, as
//!   RFC 3875 §4.1.18 advises (credentials stay with the server);
//! - a header whose name has anything but letters, digits and `-`: with an
//!   `_`, `X_Forwarded_For` would pose as `X-Forwarded-For` (nginx and
//!   Apache drop them too);
//! - a value holding a NUL byte, which no environment can carry.
//!
//! RFC 3875 §4.4 says a query without `=` becomes the script's command
//! line. It is deliberately not done: that rule is how
//! `?-d+allow_url_include=1` reached php-cgi's options (CVE-2012-1823).
//! The argument list is the script alone.
//!
//! `REMOTE_HOST` (no reverse DNS) and `REMOTE_IDENT` are never set;
//! `REMOTE_ADDR`/`REMOTE_PORT` and `SERVER_ADDR` are left out when the
//! transport has no address (a Unix socket).

use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use http::header::{self, HeaderName};
use http::{HeaderMap, StatusCode};
use paste_core::{Error, RequestExt};
use percent_encoding::percent_decode_str;

/// The `SERVER_SOFTWARE` of every gateway of this crate.
pub(crate) const SERVER_SOFTWARE: &str = concat!("paste-cgi/", env!("CARGO_PKG_VERSION"));

/// How a gateway turns requests into meta-variables: the allow-list of
/// inherited variables, the fixed ones, the document root. Cloned into
/// each gateway; the gateway's builder methods change it.
#[derive(Clone)]
pub(crate) struct EnvConfig {
    pass: Vec<OsString>,
    fixed: Vec<(String, OsString)>,
    document_root: Option<PathBuf>,
    pass_authorization: bool,
}

impl Default for EnvConfig {
    fn default() -> Self {
        Self {
            pass: vec![OsString::from("PATH")],
            fixed: Vec::new(),
            document_root: None,
            pass_authorization: false,
        }
    }
}

impl fmt::Debug for EnvConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvConfig")
            .field("pass", &self.pass)
            .field("fixed", &self.fixed)
            .field("document_root", &self.document_root)
            .field("pass_authorization", &self.pass_authorization)
            .finish()
    }
}

impl EnvConfig {
    /// Adds `name` to the variables taken from the server's own
    /// environment (when set there). An invalid name (empty, or holding `=`
    /// or NUL) is ignored with a warning.
    pub(crate) fn pass_env(&mut self, name: impl Into<OsString>) {
        let name = name.into();
        if !valid_name(name.as_encoded_bytes()) {
            tracing::warn!(name = ?name, "ignoring an invalid environment variable name");
            return;
        }
        if !self.pass.contains(&name) {
            self.pass.push(name);
        }
    }

    /// Replaces the whole allow-list (`PATH` by default); an empty list
    /// passes nothing of the server's environment.
    pub(crate) fn pass_env_only<I, S>(&mut self, names: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.pass.clear();
        for name in names {
            self.pass_env(name);
        }
    }

    /// Sets `name` to `value` for every request, over whatever the request
    /// or the server's environment gave. An invalid name (empty, holding
    /// `=` or NUL) or a value holding NUL is ignored with a warning.
    pub(crate) fn set(&mut self, name: impl Into<String>, value: impl Into<OsString>) {
        let (name, value) = (name.into(), value.into());
        if !valid_name(name.as_bytes()) || value.as_encoded_bytes().contains(&0) {
            tracing::warn!(name, "ignoring an invalid environment variable");
            return;
        }
        self.fixed.retain(|(n, _)| *n != name);
        self.fixed.push((name, value));
    }

    /// Sets `DOCUMENT_ROOT`, and with it `PATH_TRANSLATED` (the root joined
    /// with the decoded `PATH_INFO`, when there is one).
    pub(crate) fn document_root(&mut self, root: impl Into<PathBuf>) {
        self.document_root = Some(root.into());
    }

    /// Passes the `Authorization` header as `HTTP_AUTHORIZATION` (off by
    /// default: programs that check credentials themselves need it on).
    pub(crate) fn pass_authorization(&mut self, pass: bool) {
        self.pass_authorization = pass;
    }

    /// The variables of the server's own environment on the allow-list
    /// that are set: the environment of a long-running responder this
    /// crate starts (php-cgi).
    pub(crate) fn inherited(&self) -> Vec<(OsString, OsString)> {
        self.pass
            .iter()
            .filter_map(|name| Some((name.clone(), std::env::var_os(name)?)))
            .collect()
    }
}

/// A name an environment can hold.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && !name.contains(&b'=') && !name.contains(&0)
}

/// What the gateway runs for the request, and how the request's path
/// splits around it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Script<'a> {
    /// The path up to and including the script, percent-encoded as in the
    /// URI (as [`RequestExt::script_name`] gives it).
    pub(crate) script_name: &'a str,
    /// The rest of the path, percent-encoded (as
    /// [`RequestExt::path_info`] gives it).
    pub(crate) path_info: &'a str,
    /// The file that is run: `SCRIPT_FILENAME`.
    pub(crate) filename: &'a Path,
}

impl<'a> Script<'a> {
    /// The script `filename`, with the request's own script name and path
    /// info: what a gateway that has shifted its script's segments onto
    /// the script name (or runs one script at its mount point) wants.
    pub(crate) fn of<B>(req: &'a http::Request<B>, filename: &'a Path) -> Self {
        Self {
            script_name: req.script_name(),
            path_info: req.path_info(),
            filename,
        }
    }
}

/// Whether a request has a body, and how long it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyLength {
    /// No body at all: no `CONTENT_LENGTH`, nothing on stdin.
    None,
    /// A body of this many bytes (`Content-Length`, or a body whose size is
    /// known exactly): `CONTENT_LENGTH` is set.
    Known(u64),
    /// A body of unknown length (chunked): streamed to EOF, no
    /// `CONTENT_LENGTH`.
    Unknown,
}

/// How long the body of `req` is: its `Content-Length` header, else the
/// body's exact size (an in-process request built from bytes), else
/// unknown. A malformed `Content-Length` is a 400.
pub(crate) fn body_length<B: http_body::Body>(req: &http::Request<B>) -> Result<BodyLength, Error> {
    let mut values = req.headers().get_all(header::CONTENT_LENGTH).iter();
    if let Some(first) = values.next() {
        let parsed = parse_length(first.as_bytes());
        let consistent = values.all(|other| parse_length(other.as_bytes()) == parsed);
        return match parsed {
            Some(len) if consistent => Ok(BodyLength::Known(len)),
            _ => Err(Error::new(StatusCode::BAD_REQUEST)
                .with_message("Bad Request: malformed Content-Length")),
        };
    }
    let body = req.body();
    match body.size_hint().exact() {
        Some(0) => Ok(BodyLength::None),
        Some(len) => Ok(BodyLength::Known(len)),
        None if body.is_end_stream() => Ok(BodyLength::None),
        None => Ok(BodyLength::Unknown),
    }
}

/// A decimal length of digits only (no sign, no spaces).
pub(crate) fn parse_length(text: &[u8]) -> Option<u64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// The meta-variables of one request: unique names in the order they were
/// first set, values as bytes (any but NUL).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MetaVars {
    vars: Vec<(String, Vec<u8>)>,
}

impl MetaVars {
    /// Sets `name`, replacing an earlier value.
    fn set(&mut self, name: impl Into<String> + AsRef<str>, value: impl Into<Vec<u8>>) {
        let value = value.into();
        if let Some(slot) = self.vars.iter_mut().find(|(n, _)| n == name.as_ref()) {
            slot.1 = value;
        } else {
            self.vars.push((name.into(), value));
        }
    }

    /// The value of `name`, if set.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The variables as `(name, value)` pairs.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.vars.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// How many variables there are.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.vars.len()
    }
}

/// The meta-variables for running `script` for `req`; see the module docs
/// for what is set. `body` comes from [`body_length`], called before the
/// body was taken out of the request.
///
/// Fails with a 400 when the script name or path info decodes to a NUL
/// byte, which no environment can hold.
pub(crate) fn meta_variables<B>(
    req: &http::Request<B>,
    script: &Script<'_>,
    body: BodyLength,
    config: &EnvConfig,
) -> Result<MetaVars, Error> {
    let mut vars = MetaVars::default();
    for name in &config.pass {
        if let Some(value) = std::env::var_os(name) {
            let name = name.to_string_lossy().into_owned();
            vars.set(name, value.into_encoded_bytes());
        }
    }

    let uri = req.uri();
    let headers = req.headers();
    vars.set("GATEWAY_INTERFACE", "CGI/1.1");
    vars.set("SERVER_SOFTWARE", SERVER_SOFTWARE);
    let (server_name, host_port) = server_name(req);
    vars.set("SERVER_NAME", server_name.into_owned());
    let https = req.url_scheme() == "https";
    let server_port = req
        .local_addr()
        .map(|addr| addr.port())
        .or(host_port)
        .unwrap_or(if https { 443 } else { 80 });
    vars.set("SERVER_PORT", server_port.to_string());
    if let Some(local) = req.local_addr() {
        vars.set("SERVER_ADDR", local.ip().to_canonical().to_string());
    }
    vars.set("SERVER_PROTOCOL", format!("{:?}", req.version()));
    vars.set("REQUEST_METHOD", req.method().as_str());
    let request_uri = uri.path_and_query().map_or("/", |pq| pq.as_str());
    vars.set("REQUEST_URI", request_uri);

    vars.set("SCRIPT_NAME", decode_path(script.script_name)?);
    let path_info = decode_path(script.path_info)?;
    if let Some(root) = &config.document_root {
        vars.set("DOCUMENT_ROOT", root.as_os_str().as_encoded_bytes());
        if !path_info.is_empty() {
            let mut translated = root.as_os_str().as_encoded_bytes().to_vec();
            while translated.last() == Some(&b'/') {
                translated.pop();
            }
            translated.extend_from_slice(&path_info);
            vars.set("PATH_TRANSLATED", translated);
        }
    }
    if !path_info.is_empty() {
        vars.set("PATH_INFO", path_info);
    }
    vars.set(
        "SCRIPT_FILENAME",
        script.filename.as_os_str().as_encoded_bytes(),
    );
    vars.set("QUERY_STRING", uri.query().unwrap_or(""));

    if let Some(remote) = req.remote_addr() {
        vars.set("REMOTE_ADDR", remote.ip().to_canonical().to_string());
        vars.set("REMOTE_PORT", remote.port().to_string());
    }
    if let Some(user) = req.remote_user() {
        vars.set("REMOTE_USER", user);
        let scheme = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.as_bytes().split(|b| *b == b' ').next())
            .filter(|scheme| !scheme.is_empty());
        if let Some(scheme) = scheme {
            vars.set("AUTH_TYPE", scheme);
        }
    }
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        vars.set("CONTENT_TYPE", content_type.as_bytes());
    }
    if let BodyLength::Known(len) = body {
        vars.set("CONTENT_LENGTH", len.to_string());
    }
    if https {
        vars.set("HTTPS", "on");
    }
    // php-cgi refuses to run without it (its force-cgi-redirect check).
    vars.set("REDIRECT_STATUS", "200");

    add_header_vars(&mut vars, headers, config.pass_authorization);
    if !headers.contains_key(header::HOST)
        && let Some(authority) = uri.authority()
    {
        // HTTP/2 carries the host in the URI, not in a header.
        vars.set("HTTP_HOST", authority.as_str());
    }

    for (name, value) in &config.fixed {
        vars.set(name.as_str(), value.as_encoded_bytes());
    }
    Ok(vars)
}

/// The server's name and the port the client asked for: from the `Host`
/// header, else the URI, else the local address, else `localhost`.
fn server_name<B>(req: &http::Request<B>) -> (Cow<'_, str>, Option<u16>) {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| req.uri().authority().map(http::uri::Authority::as_str))
        .filter(|host| !host.is_empty());
    if let Some(host) = host {
        return split_host(host);
    }
    match req.local_addr() {
        Some(addr) => (Cow::Owned(addr.ip().to_canonical().to_string()), None),
        None => (Cow::Borrowed("localhost"), None),
    }
}

/// `example.com:8080` → (`example.com`, 8080); `[::1]:80` → (`[::1]`, 80).
fn split_host(host: &str) -> (Cow<'_, str>, Option<u16>) {
    let (name, port) = match host.rfind(':') {
        Some(colon) if !host[colon..].contains(']') => {
            (&host[..colon], host[colon + 1..].parse().ok())
        }
        _ => (host, None),
    };
    (Cow::Borrowed(name), port)
}

/// Percent-decodes a path for `SCRIPT_NAME` or `PATH_INFO`; a NUL is a 400.
fn decode_path(path: &str) -> Result<Vec<u8>, Error> {
    let decoded: Vec<u8> = percent_decode_str(path).collect();
    if decoded.contains(&0) {
        return Err(Error::new(StatusCode::BAD_REQUEST)
            .with_message("Bad Request: the path holds a NUL byte (%00)"));
    }
    Ok(decoded)
}

/// Headers that never become `HTTP_*` variables, besides those named by
/// `Connection` and `Authorization` (see the module docs).
const NOT_PASSED: [HeaderName; 9] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::PROXY_AUTHORIZATION,
];

/// The `HTTP_*` variables of `headers`.
fn add_header_vars(vars: &mut MetaVars, headers: &HeaderMap, pass_authorization: bool) {
    // Headers named by `Connection` are hop-by-hop too (RFC 9110 §7.6.1).
    let nominated: Vec<&str> = paste_core::connection_tokens(headers).collect();
    for name in headers.keys() {
        let text = name.as_str();
        if NOT_PASSED.contains(name)
            || text == "proxy"
            || text == "proxy-connection"
            || (*name == header::AUTHORIZATION && !pass_authorization)
            || nominated.iter().any(|n| n.eq_ignore_ascii_case(text))
        {
            continue;
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            tracing::debug!(
                header = text,
                "header not passed to the CGI program: its name could pose as another's"
            );
            continue;
        }
        let separator: &[u8] = if *name == header::COOKIE {
            b"; "
        } else {
            b", "
        };
        let mut value = Vec::new();
        for (i, part) in headers.get_all(name).iter().enumerate() {
            if i > 0 {
                value.extend_from_slice(separator);
            }
            value.extend_from_slice(part.as_bytes());
        }
        if value.contains(&0) {
            tracing::debug!(
                header = text,
                "header not passed to the CGI program: NUL in its value"
            );
            continue;
        }
        let mut var = String::with_capacity(5 + text.len());
        var.push_str("HTTP_");
        var.extend(text.chars().map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        }));
        vars.set(var, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paste_core::{Body, ConnectionInfo, Request};

    fn vars(req: &Request, config: &EnvConfig) -> MetaVars {
        let filename = Path::new("/srv/cgi-bin/env.cgi");
        let length = body_length(req).unwrap();
        meta_variables(req, &Script::of(req, filename), length, config).unwrap()
    }

    fn text<'a>(vars: &'a MetaVars, name: &str) -> Option<&'a str> {
        vars.get(name).map(|v| std::str::from_utf8(v).unwrap())
    }

    #[test]
    fn the_standard_variables() {
        let mut req = Request::post("/app/env.cgi/extra%20path/x?a=1&b=%20")
            .header("host", "example.com:8080")
            .header("content-type", "text/plain")
            .body(Body::from("hello"))
            .unwrap();
        req.set_script_name("/app/env.cgi");
        req.extensions_mut().insert(
            ConnectionInfo::new(http::uri::Scheme::HTTPS)
                .with_remote_addr("[::ffff:10.0.0.7]:5000".parse().unwrap())
                .with_local_addr("192.168.1.2:8443".parse().unwrap()),
        );
        req.set_remote_user("alice");
        let mut config = EnvConfig::default();
        config.document_root("/srv/www/");
        let v = vars(&req, &config);
        let expect = [
            ("GATEWAY_INTERFACE", "CGI/1.1"),
            ("SERVER_NAME", "example.com"),
            ("SERVER_PORT", "8443"),
            ("SERVER_ADDR", "192.168.1.2"),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("REQUEST_METHOD", "POST"),
            ("REQUEST_URI", "/app/env.cgi/extra%20path/x?a=1&b=%20"),
            ("SCRIPT_NAME", "/app/env.cgi"),
            ("PATH_INFO", "/extra path/x"),
            ("PATH_TRANSLATED", "/srv/www/extra path/x"),
            ("DOCUMENT_ROOT", "/srv/www/"),
            ("SCRIPT_FILENAME", "/srv/cgi-bin/env.cgi"),
            ("QUERY_STRING", "a=1&b=%20"),
            ("REMOTE_ADDR", "10.0.0.7"),
            ("REMOTE_PORT", "5000"),
            ("REMOTE_USER", "alice"),
            ("CONTENT_TYPE", "text/plain"),
            ("CONTENT_LENGTH", "5"),
            ("HTTPS", "on"),
            ("REDIRECT_STATUS", "200"),
            ("HTTP_HOST", "example.com:8080"),
        ];
        for (name, value) in expect {
            assert_eq!(text(&v, name), Some(value), "{name}");
        }
        assert_eq!(text(&v, "HTTP_CONTENT_TYPE"), None);
        assert_eq!(text(&v, "AUTH_TYPE"), None, "no Authorization header");
    }

    #[test]
    fn a_bodiless_get_at_the_root_from_an_unknown_host() {
        let req = Request::get("/").body(Body::empty()).unwrap();
        let v = vars(&req, &EnvConfig::default());
        assert_eq!(text(&v, "CONTENT_LENGTH"), None);
        assert_eq!(text(&v, "PATH_INFO"), Some("/"));
        assert_eq!(text(&v, "SCRIPT_NAME"), Some(""));
        assert_eq!(text(&v, "QUERY_STRING"), Some(""));
        assert_eq!(text(&v, "SERVER_NAME"), Some("localhost"));
        assert_eq!(text(&v, "SERVER_PORT"), Some("80"));
        assert_eq!(text(&v, "HTTPS"), None);
        assert_eq!(text(&v, "REMOTE_ADDR"), None);
        assert_eq!(text(&v, "PATH_TRANSLATED"), None);
    }

    #[test]
    fn httpoxy_hop_by_hop_and_spoofable_headers_are_left_out() {
        let req = Request::get("/")
            .header("proxy", "http://evil.example:3128")
            .header("x_forwarded_for", "6.6.6.6")
            .header("x-forwarded-for", "10.0.0.1")
            .header("connection", "keep-alive, x-secret")
            .header("x-secret", "hop")
            .header("keep-alive", "timeout=5")
            .header("te", "trailers")
            .header("upgrade", "h2c")
            .header("proxy-authorization", "Basic Zm9vOmJhcg==")
            .header("authorization", "Basic YWxpY2U6cHc=")
            .header("content-length", "0")
            .body(Body::empty())
            .unwrap();
        let v = vars(&req, &EnvConfig::default());
        for name in [
            "HTTP_PROXY",
            "HTTP_CONNECTION",
            "HTTP_X_SECRET",
            "HTTP_KEEP_ALIVE",
            "HTTP_TE",
            "HTTP_UPGRADE",
            "HTTP_PROXY_AUTHORIZATION",
            "HTTP_AUTHORIZATION",
            "HTTP_CONTENT_LENGTH",
        ] {
            assert_eq!(text(&v, name), None, "{name}");
        }
        assert_eq!(text(&v, "HTTP_X_FORWARDED_FOR"), Some("10.0.0.1"));
        assert_eq!(text(&v, "CONTENT_LENGTH"), Some("0"));

        let mut config = EnvConfig::default();
        config.pass_authorization(true);
        let v = vars(&req, &config);
        assert_eq!(text(&v, "HTTP_AUTHORIZATION"), Some("Basic YWxpY2U6cHc="));
    }

    #[test]
    fn repeated_headers_are_joined_and_cookies_with_semicolons() {
        let req = Request::get("/")
            .header("accept", "text/html")
            .header("accept", "*/*")
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .body(Body::empty())
            .unwrap();
        let v = vars(&req, &EnvConfig::default());
        assert_eq!(text(&v, "HTTP_ACCEPT"), Some("text/html, */*"));
        assert_eq!(text(&v, "HTTP_COOKIE"), Some("a=1; b=2"));
    }

    #[test]
    fn an_encoded_nul_in_the_path_is_a_400() {
        let req = Request::get("/a%00b").body(Body::empty()).unwrap();
        let err = meta_variables(
            &req,
            &Script::of(&req, Path::new("/x")),
            BodyLength::None,
            &EnvConfig::default(),
        )
        .unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn fixed_variables_win_and_the_allow_list_is_all_that_passes() {
        let req = Request::get("/")
            .header("host", "h")
            .body(Body::empty())
            .unwrap();
        let mut config = EnvConfig::default();
        config.set("SERVER_NAME", "canonical.example");
        config.set("BAD=NAME", "x");
        config.set("APP_MODE", "test");
        config.pass_env_only(["PATH", "CARGO_PKG_NAME", "NO_SUCH_VARIABLE_HERE"]);
        let v = vars(&req, &config);
        assert_eq!(text(&v, "SERVER_NAME"), Some("canonical.example"));
        assert_eq!(text(&v, "APP_MODE"), Some("test"));
        assert_eq!(v.get("BAD=NAME"), None);
        assert_eq!(v.get("NO_SUCH_VARIABLE_HERE"), None);
        assert!(v.get("PATH").is_some());
        assert_eq!(v.get("HOME"), None);
        let names: Vec<&str> = v.iter().map(|(n, _)| n).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), v.len(), "names are unique: {names:?}");
    }

    #[test]
    fn body_lengths() {
        let chunked = Body::from_stream(futures_stream());
        let req = Request::post("/").body(chunked).unwrap();
        assert_eq!(body_length(&req).unwrap(), BodyLength::Unknown);
        let req = Request::post("/").body(Body::from("abc")).unwrap();
        assert_eq!(body_length(&req).unwrap(), BodyLength::Known(3));
        let req = Request::post("/")
            .header("content-length", "+3")
            .body(Body::from("abc"))
            .unwrap();
        assert_eq!(body_length(&req).unwrap_err().status(), 400);
        let req = Request::post("/")
            .header("content-length", "3")
            .header("content-length", "4")
            .body(Body::from("abc"))
            .unwrap();
        assert_eq!(body_length(&req).unwrap_err().status(), 400);
    }

    fn futures_stream() -> impl futures_core::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
        struct One(Option<bytes::Bytes>);
        impl futures_core::Stream for One {
            type Item = Result<bytes::Bytes, std::io::Error>;
            fn poll_next(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                std::task::Poll::Ready(self.0.take().map(Ok))
            }
        }
        One(Some(bytes::Bytes::from_static(b"chunk")))
    }

    #[test]
    fn hosts_with_ports_and_ipv6() {
        assert_eq!(
            split_host("example.com:81"),
            ("example.com".into(), Some(81))
        );
        assert_eq!(split_host("[::1]:8080"), ("[::1]".into(), Some(8080)));
        assert_eq!(split_host("[::1]"), ("[::1]".into(), None));
        assert_eq!(split_host("example.com"), ("example.com".into(), None));
    }
}
