//! What a WSGI environ carried beyond the request itself, as typed
//! extensions, and [`RequestExt`] to read them.

use std::net::SocketAddr;

use http::uri::Scheme;

/// The connection a request came in on: the peer's and the local address
/// and the URL scheme. The server inserts one into every request's
/// extensions; [`RequestExt`] reads it.
///
/// ```
/// use paste_core::{Body, ConnectionInfo, Request, RequestExt, http::uri::Scheme};
///
/// let mut req = Request::new(Body::empty());
/// req.extensions_mut().insert(
///     ConnectionInfo::new(Scheme::HTTPS).with_remote_addr("10.0.0.7:5000".parse().unwrap()),
/// );
/// assert_eq!(req.url_scheme(), "https");
/// assert_eq!(req.remote_addr().unwrap().port(), 5000);
/// ```
#[derive(Clone, Debug)]
pub struct ConnectionInfo {
    scheme: Scheme,
    remote_addr: Option<SocketAddr>,
    local_addr: Option<SocketAddr>,
}

impl ConnectionInfo {
    /// A connection with this scheme and no addresses known (a Unix socket).
    pub fn new(scheme: Scheme) -> Self {
        Self {
            scheme,
            remote_addr: None,
            local_addr: None,
        }
    }

    /// Sets the peer's address.
    #[must_use]
    pub fn with_remote_addr(mut self, addr: SocketAddr) -> Self {
        self.remote_addr = Some(addr);
        self
    }

    /// Sets the local address the connection was accepted on.
    #[must_use]
    pub fn with_local_addr(mut self, addr: SocketAddr) -> Self {
        self.local_addr = Some(addr);
        self
    }

    /// The URL scheme (`http` or `https`).
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The peer's address, when the transport has one.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// The local address, when the transport has one.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }
}

/// The mount point of the app: the part of the path already consumed by
/// whoever dispatched to it (WSGI's `SCRIPT_NAME`). Kept in the request's
/// extensions; use [`RequestExt`] rather than this type.
#[derive(Clone, Debug, Default)]
struct ScriptName(String);

/// The user authenticated by an auth middleware (WSGI's `REMOTE_USER`).
#[derive(Clone, Debug)]
struct RemoteUser(String);

/// Reads and moves the WSGI-environ facts of a request.
///
/// The script name and the path info split the request's path:
/// `script_name() + path_info() == uri().path()` always holds, because only
/// the script name is stored and the path info is derived from it. Both are
/// percent-encoded, as in the URI (WSGI decodes them, which makes `%2F`
/// and `/` look alike).
///
/// ```
/// use paste_core::{Body, Request, RequestExt};
///
/// let mut req = Request::get("/blog/2024/hello?x=1").body(Body::empty()).unwrap();
/// assert_eq!((req.script_name(), req.path_info()), ("", "/blog/2024/hello"));
///
/// assert_eq!(req.shift_path_info().as_deref(), Some("blog"));
/// assert_eq!((req.script_name(), req.path_info()), ("/blog", "/2024/hello"));
///
/// assert_eq!(req.unshift_path_info().as_deref(), Some("blog"));
/// assert_eq!((req.script_name(), req.path_info()), ("", "/blog/2024/hello"));
/// ```
pub trait RequestExt: sealed::Sealed {
    /// The mount point: the part of the path dispatched on so far; `""` at
    /// the root.
    fn script_name(&self) -> &str;

    /// The rest of the path after the script name: `""` or starting with `/`.
    fn path_info(&self) -> &str;

    /// Moves the next segment of the path info to the end of the script
    /// name and returns it (Paste's `path_info_pop`). Leading slashes move
    /// with it. Returns `None` when the path info is empty, and `Some("")`
    /// when it is only slashes.
    fn shift_path_info(&mut self) -> Option<String>;

    /// The inverse of [`shift_path_info`](RequestExt::shift_path_info):
    /// moves the last segment of the script name back to the front of the
    /// path info and returns it; `None` when the script name is empty.
    fn unshift_path_info(&mut self) -> Option<String>;

    /// Sets the script name to `prefix` if it is a prefix of the path that
    /// ends at a segment boundary (the rest is empty or starts with `/`);
    /// returns whether it did. This is how a URL map mounts an app at a
    /// multi-segment prefix.
    fn set_script_name(&mut self, prefix: &str) -> bool;

    /// The peer's address, if the request came over TCP.
    fn remote_addr(&self) -> Option<SocketAddr>;

    /// The local address the request came in on, if over TCP.
    fn local_addr(&self) -> Option<SocketAddr>;

    /// `"https"` or `"http"`: from the connection, else from the URI, else
    /// `"http"`.
    fn url_scheme(&self) -> &str;

    /// The authenticated user, as set by an auth middleware.
    fn remote_user(&self) -> Option<&str>;

    /// Records the authenticated user.
    fn set_remote_user(&mut self, user: impl Into<String>);
}

mod sealed {
    pub trait Sealed {}
    impl<B> Sealed for http::Request<B> {}
}

/// The script name stored in `req`, if it still splits the path.
fn stored_script_name<B>(req: &http::Request<B>) -> Option<&str> {
    let stored = &req.extensions().get::<ScriptName>()?.0;
    let rest = req.uri().path().strip_prefix(stored.as_str())?;
    (rest.is_empty() || rest.starts_with('/')).then_some(stored.as_str())
}

impl<B> RequestExt for http::Request<B> {
    fn script_name(&self) -> &str {
        stored_script_name(self).unwrap_or("")
    }

    fn path_info(&self) -> &str {
        let path = self.uri().path();
        &path[self.script_name().len()..]
    }

    fn shift_path_info(&mut self) -> Option<String> {
        let script_len = self.script_name().len();
        let path = self.uri().path();
        let info = &path[script_len..];
        if info.is_empty() {
            return None;
        }
        let trimmed = info.trim_start_matches('/');
        let segment_end = trimmed.find('/').unwrap_or(trimmed.len());
        let segment = trimmed[..segment_end].to_owned();
        let new_len = script_len + (info.len() - trimmed.len()) + segment_end;
        let new_script = path[..new_len].to_owned();
        self.extensions_mut().insert(ScriptName(new_script));
        Some(segment)
    }

    fn unshift_path_info(&mut self) -> Option<String> {
        let script = self.script_name();
        if script.is_empty() {
            return None;
        }
        let start = script.rfind('/').map_or(0, |i| i + 1);
        let segment = script[start..].to_owned();
        let kept = script[..start].trim_end_matches('/').to_owned();
        self.extensions_mut().insert(ScriptName(kept));
        Some(segment)
    }

    fn set_script_name(&mut self, prefix: &str) -> bool {
        let Some(rest) = self.uri().path().strip_prefix(prefix) else {
            return false;
        };
        if !(rest.is_empty() || rest.starts_with('/')) {
            return false;
        }
        // Re-storing the same name is a no-op; skipping it spares an
        // allocation per request to routers that mount at the root.
        let unchanged = match self.extensions().get::<ScriptName>() {
            Some(stored) => stored.0 == prefix,
            None => prefix.is_empty(),
        };
        if !unchanged {
            self.extensions_mut().insert(ScriptName(prefix.to_owned()));
        }
        true
    }

    fn remote_addr(&self) -> Option<SocketAddr> {
        self.extensions().get::<ConnectionInfo>()?.remote_addr
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.extensions().get::<ConnectionInfo>()?.local_addr
    }

    fn url_scheme(&self) -> &str {
        match self.extensions().get::<ConnectionInfo>() {
            Some(info) => info.scheme.as_str(),
            None => match self.uri().scheme_str() {
                Some(scheme) if scheme.eq_ignore_ascii_case("https") => "https",
                _ => "http",
            },
        }
    }

    fn remote_user(&self) -> Option<&str> {
        Some(self.extensions().get::<RemoteUser>()?.0.as_str())
    }

    fn set_remote_user(&mut self, user: impl Into<String>) {
        self.extensions_mut().insert(RemoteUser(user.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;

    fn req(path: &str) -> Request<()> {
        Request::get(path).body(()).unwrap()
    }

    fn split<B>(r: &http::Request<B>) -> (&str, &str) {
        (r.script_name(), r.path_info())
    }

    #[test]
    fn shifting_walks_the_path_and_keeps_the_invariant() {
        let mut r = req("//a/b/");
        assert_eq!(r.shift_path_info().as_deref(), Some("a"));
        assert_eq!(split(&r), ("//a", "/b/"));
        assert_eq!(r.shift_path_info().as_deref(), Some("b"));
        assert_eq!(split(&r), ("//a/b", "/"));
        assert_eq!(r.shift_path_info().as_deref(), Some(""));
        assert_eq!(split(&r), ("//a/b/", ""));
        assert_eq!(r.shift_path_info(), None);
        let (s, p) = split(&r);
        assert_eq!(format!("{s}{p}"), r.uri().path());
    }

    #[test]
    fn unshifting_undoes_shifting() {
        let mut r = req("/a/b/c");
        r.shift_path_info();
        r.shift_path_info();
        assert_eq!(r.unshift_path_info().as_deref(), Some("b"));
        assert_eq!(split(&r), ("/a", "/b/c"));
        assert_eq!(r.unshift_path_info().as_deref(), Some("a"));
        assert_eq!(split(&r), ("", "/a/b/c"));
        assert_eq!(r.unshift_path_info(), None);
    }

    #[test]
    fn set_script_name_only_cuts_at_segment_boundaries() {
        let mut r = req("/api/v1/users");
        assert!(!r.set_script_name("/ap"));
        assert!(!r.set_script_name("/other"));
        assert!(r.set_script_name("/api/v1"));
        assert_eq!(split(&r), ("/api/v1", "/users"));
    }

    #[test]
    fn setting_the_same_script_name_again_changes_nothing() {
        let mut r = req("/api/v1/users");
        assert!(r.set_script_name(""));
        assert!(r.extensions().get::<ScriptName>().is_none());
        assert!(r.set_script_name("/api"));
        assert!(r.set_script_name("/api"));
        assert_eq!(split(&r), ("/api", "/v1/users"));
        // A stale name is replaced, even by the empty one.
        *r.uri_mut() = "/elsewhere".parse().unwrap();
        assert!(r.set_script_name(""));
        *r.uri_mut() = "/api/again".parse().unwrap();
        assert_eq!(split(&r), ("", "/api/again"));
    }

    #[test]
    fn a_rewritten_uri_drops_a_stale_script_name() {
        let mut r = req("/app/page");
        r.shift_path_info();
        *r.uri_mut() = "/elsewhere".parse().unwrap();
        assert_eq!(split(&r), ("", "/elsewhere"));
    }

    #[test]
    fn scheme_falls_back_to_the_uri_then_http() {
        assert_eq!(req("/").url_scheme(), "http");
        assert_eq!(req("https://example.com/").url_scheme(), "https");
        let mut r = req("/");
        r.extensions_mut()
            .insert(ConnectionInfo::new(Scheme::HTTPS));
        assert_eq!(r.url_scheme(), "https");
        assert_eq!(r.remote_addr(), None);
    }

    #[test]
    fn remote_user_round_trips() {
        let mut r = req("/");
        assert_eq!(r.remote_user(), None);
        r.set_remote_user("alice");
        assert_eq!(r.remote_user(), Some("alice"));
    }
}
