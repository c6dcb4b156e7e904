//! [`UrlMap`]: dispatch on path prefix and, optionally, on host
//! (Paste's `urlmap`, `egg:Paste#urlmap`).
//!
//! Each app is mounted at a path prefix, optionally under a host
//! (`http://example.com:8080/blog`). A request goes to the app with the
//! longest prefix that matches it at a segment boundary, host entries
//! first; the matched prefix moves from the path info into the script
//! name, so the app sees paths relative to where it is mounted.

use std::fmt;

use http::StatusCode;
use paste_core::{App, BoxApp, Request, RequestExt as _, Result};

use crate::future::Either;
use webob::exc::HttpException;

/// Dispatches requests to apps mounted at path prefixes, optionally under
/// a host.
///
/// - `/blog` matches `/blog` and `/blog/…`, never `/blogs`; `/blog/` and
///   `//blog` mean the same mount as `/blog`, and `/` (or `""`) catches
///   everything.
/// - `http://host[:port]/path` mounts under a host (`https://` too; the
///   scheme itself is not compared). The host is compared without regard
///   to case, with the request's `Host` header or URI authority; a mount
///   without a port matches any port.
/// - Host entries are tried before the others, each group longest prefix
///   first (and, for a same prefix, an entry naming a port before one that
///   does not).
/// - The app sees the matched prefix in its
///   [`script_name`](paste_core::RequestExt::script_name) and the rest in
///   its `path_info`; `script_name + path_info` is still the path.
/// - Nothing matched: the [`not_found_app`](UrlMap::not_found_app) if one
///   is set, else a `404` negotiated with the request (HTML, JSON or text),
///   every value in it escaped.
///
/// ```
/// use paste_core::{App, Request, RequestExt, Response, app_fn};
/// use paste_middleware::urlmap::UrlMap;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let where_am_i = || app_fn(|req: Request| async move {
///     let text = format!("{} | {}", req.script_name(), req.path_info());
///     Ok(Response::new(text.into()))
/// });
/// let map = UrlMap::new()
///     .mount("/", where_am_i())
///     .mount("/blog/", where_am_i())
///     .mount("http://admin.example.com/", where_am_i());
///
/// let req = Request::get("/blog/2024/hello").body(().into()).unwrap();
/// let body = map.call(req).await.unwrap().into_body().to_bytes(100).await.unwrap();
/// assert_eq!(body, "/blog | /2024/hello");
///
/// let req = Request::get("/blogs").body(().into()).unwrap();
/// let body = map.call(req).await.unwrap().into_body().to_bytes(100).await.unwrap();
/// assert_eq!(body, " | /blogs");
/// # }
/// ```
#[derive(Clone, Default)]
pub struct UrlMap {
    /// Kept sorted in matching order.
    entries: Vec<Entry>,
    not_found: Option<BoxApp>,
}

#[derive(Clone)]
struct Entry {
    host: Option<HostKey>,
    /// Normalised: `""` or `/seg/seg`, percent-decoded.
    path: String,
    app: BoxApp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct HostKey {
    /// Lowercased, an IPv6 literal kept in brackets.
    name: String,
    port: Option<u16>,
}

/// A mount key that is neither a path nor an `http(s)://` URL, or whose
/// host or port can't be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidMount {
    key: String,
    reason: &'static str,
}

impl fmt::Display for InvalidMount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid URL map key {:?}: {}", self.key, self.reason)
    }
}

impl std::error::Error for InvalidMount {}

impl UrlMap {
    /// An empty map: every request is a `404`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Mounts `app` at `key` (builder style); see [`insert`](UrlMap::insert).
    ///
    /// # Panics
    ///
    /// When `key` is invalid. Use [`insert`](UrlMap::insert) for keys read
    /// from configuration.
    #[must_use]
    pub fn mount(mut self, key: &str, app: impl App) -> Self {
        if let Err(err) = self.insert(key, app) {
            panic!("{err}");
        }
        self
    }

    /// Mounts `app` at `key`: a path (`/blog`) or a URL naming a host
    /// (`http://example.com:8080/blog`). Mounting at a key already used
    /// replaces the app there.
    pub fn insert(&mut self, key: &str, app: impl App) -> std::result::Result<(), InvalidMount> {
        let (host, path) = parse_key(key)?;
        let app = BoxApp::new(app);
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|e| e.host == host && e.path == path)
        {
            entry.app = app;
            return Ok(());
        }
        self.entries.push(Entry { host, path, app });
        self.entries.sort_by(|a, b| {
            (
                b.host.is_some(),
                b.path.len(),
                b.host.as_ref().and_then(|h| h.port).is_some(),
            )
                .cmp(&(
                    a.host.is_some(),
                    a.path.len(),
                    a.host.as_ref().and_then(|h| h.port).is_some(),
                ))
        });
        Ok(())
    }

    /// Removes what is mounted at `key`; returns whether anything was.
    pub fn remove(&mut self, key: &str) -> bool {
        let Ok((host, path)) = parse_key(key) else {
            return false;
        };
        let before = self.entries.len();
        self.entries.retain(|e| !(e.host == host && e.path == path));
        self.entries.len() != before
    }

    /// Answers requests that match no mount with `app` instead of a `404`.
    /// It sees the request unchanged.
    #[must_use]
    pub fn not_found_app(mut self, app: impl App) -> Self {
        self.not_found = Some(BoxApp::new(app));
        self
    }

    /// The mounts in matching order, as `(host with port, path)`.
    pub fn keys(&self) -> impl Iterator<Item = (Option<String>, &str)> {
        self.entries.iter().map(|e| {
            let host = e.host.as_ref().map(|h| match h.port {
                Some(port) => format!("{}:{port}", h.name),
                None => h.name.clone(),
            });
            (host, e.path.as_str())
        })
    }

    /// The entry `req` goes to, the length of its script name now and
    /// the length it gets (the matched part of the path info added).
    fn find(&self, req: &Request) -> Option<(&Entry, usize, usize)> {
        let script_len = req.script_name().len();
        let info = &req.uri().path()[script_len..];
        let needs_host = self.entries.first().is_some_and(|e| e.host.is_some());
        let host = needs_host.then(|| request_host(req));
        self.entries.iter().find_map(|entry| {
            if let Some(key) = &entry.host {
                let (name, port) = host.as_ref()?;
                if key.name != *name || key.port.is_some_and(|p| p != *port) {
                    return None;
                }
            }
            match_prefix(info, &entry.path).map(|end| (entry, script_len, script_len + end))
        })
    }

    async fn not_found(&self, req: Request) -> Result {
        if let Some(app) = &self.not_found {
            return app.call(req).await;
        }
        let req = webob::Request::new(req);
        let comment = format!(
            "SCRIPT_NAME={:?} PATH_INFO={:?} HTTP_HOST={:?}",
            req.script_name(),
            req.path_info(),
            req.headers()
                .get(http::header::HOST)
                .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned()),
        );
        let exc = HttpException::new(StatusCode::NOT_FOUND)
            .with_detail(format!(
                "No application is mounted at {}",
                display_path(req.path_info())
            ))
            .with_comment(comment);
        Ok(exc.to_response(&req).into_inner())
    }
}

impl App for UrlMap {
    fn call(&self, mut req: Request) -> impl Future<Output = Result> + Send {
        // The mounted app is called at once: the future returned is the
        // app's own (see `crate::future`).
        let Some((entry, old_len, script_len)) = self.find(&req) else {
            // Boxed: the 404 page's future would otherwise make every
            // request's future larger.
            return Either::right(Box::pin(self.not_found(req)));
        };
        // The script name grows by the matched part of the path info; as
        // script name + path info is the path, that is a prefix of the
        // path.
        // A mount at the root matches nothing: then the script name
        // stays as it is, without a look-up or a copy.
        if script_len != old_len {
            let script_name = req.uri().path()[..script_len].to_owned();
            let moved = req.set_script_name(&script_name);
            debug_assert!(moved, "a matched prefix ends at a segment boundary");
        }
        Either::left(entry.app.call(req))
    }
}

impl fmt::Debug for UrlMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlMap")
            .field("keys", &self.keys().collect::<Vec<_>>())
            .field("not_found_app", &self.not_found.is_some())
            .finish()
    }
}

/// Splits a mount key into its host part and its normalised path.
fn parse_key(key: &str) -> std::result::Result<(Option<HostKey>, String), InvalidMount> {
    let invalid = |reason| InvalidMount {
        key: key.to_owned(),
        reason,
    };
    let lower = key.get(..8).unwrap_or(key).to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        Some(&key[7..])
    } else if lower.starts_with("https://") {
        Some(&key[8..])
    } else {
        None
    };
    let Some(rest) = rest else {
        if key.is_empty() || key.starts_with('/') {
            return Ok((None, normalise_path(key)));
        }
        return Err(invalid(
            "a key is a path starting with / or an http(s):// URL",
        ));
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.is_empty() {
        return Err(invalid("the URL has no host"));
    }
    if authority.contains(['@', '?', '#']) {
        return Err(invalid("the host holds user info, a query or a fragment"));
    }
    let (name, port) = split_port(authority);
    let port = match port {
        None => None,
        Some(port) => Some(
            port.parse::<u16>()
                .map_err(|_| invalid("the port is not a number from 0 to 65535"))?,
        ),
    };
    if name.is_empty() {
        return Err(invalid("the URL has no host"));
    }
    let host = HostKey {
        name: name.to_ascii_lowercase(),
        port,
    };
    Ok((Some(host), normalise_path(path)))
}

/// `//a///b/` → `/a/b`; `/` → `""`; each segment percent-decoded.
fn normalise_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(&percent_decode_lossy(segment));
    }
    out
}

/// `host:port` → (`host`, `Some("port")`), brackets of IPv6 literals kept.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => {
                let (name, rest) = authority.split_at(end + 1);
                (name, rest.strip_prefix(':'))
            }
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (authority, None),
    }
}

/// The host the request asked for, lowercased, and its port (from the
/// host, else the scheme's default).
fn request_host(req: &Request) -> (String, u16) {
    let header = req
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok());
    let authority = header.or_else(|| req.uri().authority().map(|a| a.as_str()));
    let Some(authority) = authority else {
        return (String::new(), default_port(req));
    };
    let (name, port) = split_port(authority.trim());
    let port = port
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| default_port(req));
    (name.to_ascii_lowercase(), port)
}

fn default_port(req: &Request) -> u16 {
    if req.url_scheme() == "https" { 443 } else { 80 }
}

/// Where a mount prefix (normalised, decoded) ends in the raw path info,
/// if it matches there at a segment boundary. Runs of slashes in the path
/// count as one, and each segment is compared percent-decoded.
fn match_prefix(info: &str, prefix: &str) -> Option<usize> {
    // The root matches everything, consuming nothing: answered without
    // starting a split (which costs more than the rest of the lookup).
    if prefix.is_empty() {
        return Some(0);
    }
    let mut at = 0;
    for wanted in prefix.split('/').skip(1) {
        let rest = &info[at..];
        let trimmed = rest.trim_start_matches('/');
        if trimmed.len() == rest.len() {
            return None;
        }
        at += rest.len() - trimmed.len();
        let segment = &trimmed[..trimmed.find('/').unwrap_or(trimmed.len())];
        if !segment_equals(segment, wanted) {
            return None;
        }
        at += segment.len();
    }
    Some(at)
}

/// Whether a raw (percent-encoded) path segment decodes to `wanted`.
fn segment_equals(raw: &str, wanted: &str) -> bool {
    if !raw.contains('%') {
        return raw == wanted;
    }
    percent_decode(raw) == wanted.as_bytes()
}

fn percent_decode(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16)),
                bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16)),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The path decoded for people, control characters left encoded.
fn display_path(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in percent_decode_lossy(raw).chars() {
        if c.is_control() {
            let mut utf8 = [0; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn percent_decode_lossy(raw: &str) -> String {
    String::from_utf8_lossy(&percent_decode(raw)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_normalised() {
        assert_eq!(parse_key("/blog/").unwrap(), (None, "/blog".to_owned()));
        assert_eq!(parse_key("//a///b").unwrap(), (None, "/a/b".to_owned()));
        assert_eq!(parse_key("/").unwrap(), (None, String::new()));
        assert_eq!(parse_key("/my%20blog").unwrap().1, "/my blog");
        let (host, path) = parse_key("HTTP://Example.COM:8080/x/").unwrap();
        assert_eq!(
            host,
            Some(HostKey {
                name: "example.com".to_owned(),
                port: Some(8080)
            })
        );
        assert_eq!(path, "/x");
        let (host, path) = parse_key("https://[::1]").unwrap();
        assert_eq!(host.unwrap().name, "[::1]");
        assert_eq!(path, "");
    }

    #[test]
    fn bad_keys_are_errors() {
        for key in [
            "blog",
            "http://",
            "http:///x",
            "http://h:99999/",
            "http://h:x/",
            "http://u@h/",
            "ftp://h/",
        ] {
            assert!(parse_key(key).is_err(), "{key}");
        }
    }

    #[test]
    fn prefixes_match_at_boundaries() {
        assert_eq!(match_prefix("/blog", "/blog"), Some(5));
        assert_eq!(match_prefix("/blog/x", "/blog"), Some(5));
        assert_eq!(match_prefix("/blogs", "/blog"), None);
        assert_eq!(match_prefix("//blog//x", "/blog"), Some(6));
        assert_eq!(match_prefix("/a//b/c", "/a/b"), Some(5));
        assert_eq!(match_prefix("/%62log/x", "/blog"), Some(7));
        assert_eq!(match_prefix("/a%2Fb", "/a/b"), None);
        assert_eq!(match_prefix("", "/a"), None);
        assert_eq!(match_prefix("", ""), Some(0));
        assert_eq!(match_prefix("/%zz", "/%zz"), Some(4));
    }
}
