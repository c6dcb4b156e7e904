//! The cookie jar a [`TestApp`](crate::TestApp) keeps across requests,
//! with the rules of RFC 6265: domain, path, expiry and `Secure`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use cookie::Cookie;

/// One cookie as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredCookie {
    name: String,
    value: String,
    /// Lower-case, without a leading dot.
    domain: String,
    /// Sent to this exact host only (no `Domain` attribute was given).
    host_only: bool,
    path: String,
    expires: Option<SystemTime>,
    secure: bool,
}

/// The cookies of a [`TestApp`](crate::TestApp).
///
/// A `Set-Cookie` is accepted when its `Domain` (if any) is the request's
/// host or a parent of it (so `Domain=localhost` works for requests to
/// `localhost`); without `Path` the cookie's path is the request path's
/// directory. A cookie is sent when the host and path match, it has not
/// expired, and — for a `Secure` one — the request is over `https`.
/// `Max-Age` wins over `Expires`; an expiry in the past deletes the cookie.
/// A `Secure` cookie set over plain `http` is ignored (RFC 6265bis).
#[derive(Clone, Debug, Default)]
pub(crate) struct CookieJar {
    cookies: Vec<StoredCookie>,
}

impl CookieJar {
    /// Stores what a `Set-Cookie` header says, for a response to a request
    /// to `host` (no port) and `path`. Malformed headers and cookies for
    /// other domains are ignored, as a browser ignores them.
    pub(crate) fn store(
        &mut self,
        header: &str,
        host: &str,
        path: &str,
        https: bool,
        now: SystemTime,
    ) {
        let Ok(cookie) = Cookie::parse(header) else {
            return;
        };
        let secure = cookie.secure().unwrap_or(false);
        if secure && !https {
            // RFC 6265bis: only a secure origin may set a Secure cookie.
            return;
        }
        let host = host.to_ascii_lowercase();
        let (domain, host_only) = match cookie.domain() {
            Some(domain) if !domain.trim_start_matches('.').is_empty() => {
                let domain = domain.trim_start_matches('.').to_ascii_lowercase();
                if !domain_matches(&host, &domain) {
                    return;
                }
                (domain, false)
            }
            _ => (host, true),
        };
        let path = match cookie.path() {
            Some(p) if p.starts_with('/') => p.to_owned(),
            _ => default_path(path),
        };
        let expires = if let Some(max_age) = cookie.max_age() {
            let secs = max_age.whole_seconds();
            if secs <= 0 {
                Some(SystemTime::UNIX_EPOCH)
            } else {
                now.checked_add(Duration::from_secs(secs.unsigned_abs()))
            }
        } else {
            cookie.expires_datetime().map(SystemTime::from)
        };
        let stored = StoredCookie {
            name: cookie.name().to_owned(),
            value: cookie.value().to_owned(),
            domain,
            host_only,
            path,
            expires,
            secure,
        };
        self.put(stored, now);
    }

    /// Adds or replaces a cookie, dropping it (and its old self) when it
    /// has already expired.
    fn put(&mut self, cookie: StoredCookie, now: SystemTime) {
        self.cookies.retain(|c| {
            !(c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path)
        });
        if cookie.expires.is_none_or(|e| e > now) {
            self.cookies.push(cookie);
        }
    }

    /// Sets a cookie for `domain` and every host under it, path `/`.
    pub(crate) fn set(&mut self, name: &str, value: &str, domain: &str) {
        let cookie = StoredCookie {
            name: name.to_owned(),
            value: value.to_owned(),
            domain: domain.trim_start_matches('.').to_ascii_lowercase(),
            host_only: false,
            path: "/".to_owned(),
            expires: None,
            secure: false,
        };
        self.put(cookie, SystemTime::now());
    }

    /// The `Cookie` header for a request, or `None` when no cookie applies.
    /// Longer paths come first, as RFC 6265 recommends.
    pub(crate) fn header_for(
        &self,
        host: &str,
        path: &str,
        https: bool,
        now: SystemTime,
    ) -> Option<String> {
        let host = host.to_ascii_lowercase();
        let mut matching: Vec<&StoredCookie> = self
            .cookies
            .iter()
            .filter(|c| {
                c.expires.is_none_or(|e| e > now)
                    && (!c.secure || https)
                    && if c.host_only {
                        c.domain == host
                    } else {
                        domain_matches(&host, &c.domain)
                    }
                    && path_matches(path, &c.path)
            })
            .collect();
        if matching.is_empty() {
            return None;
        }
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let pairs: Vec<String> = matching
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        Some(pairs.join("; "))
    }

    /// Name to value of every live cookie (the last stored wins a tie).
    pub(crate) fn values(&self, now: SystemTime) -> BTreeMap<String, String> {
        self.cookies
            .iter()
            .filter(|c| c.expires.is_none_or(|e| e > now))
            .map(|c| (c.name.clone(), c.value.clone()))
            .collect()
    }

    /// Forgets every cookie.
    pub(crate) fn clear(&mut self) {
        self.cookies.clear();
    }
}

/// RFC 6265 §5.1.3: `host` is `domain` or a name under it (never for an
/// IP address, which has no parents).
fn domain_matches(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    let is_ip = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
    !is_ip
        && host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// RFC 6265 §5.1.4: the cookie path is the request path, or a prefix of it
/// that ends at a `/`.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

/// RFC 6265 §5.1.4: the directory of the request path.
fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => request_path[..i].to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        SystemTime::now()
    }

    #[test]
    fn domain_and_path_rules() {
        let mut jar = CookieJar::default();
        jar.store(
            "a=1; Domain=example.org",
            "www.example.org",
            "/",
            false,
            now(),
        );
        jar.store("b=2", "www.example.org", "/shop/cart", false, now());
        jar.store(
            "c=3; Domain=other.org",
            "www.example.org",
            "/",
            false,
            now(),
        );
        jar.store(
            "d=4; Domain=ample.org",
            "www.example.org",
            "/",
            false,
            now(),
        );
        assert_eq!(
            jar.header_for("example.org", "/", false, now()).as_deref(),
            Some("a=1")
        );
        assert_eq!(
            jar.header_for("www.example.org", "/shop/x", false, now())
                .as_deref(),
            Some("b=2; a=1")
        );
        assert_eq!(
            jar.header_for("www.example.org", "/shopping", false, now())
                .as_deref(),
            Some("a=1")
        );
        assert_eq!(
            jar.header_for("sub.www.example.org", "/shop", false, now())
                .as_deref(),
            Some("a=1")
        );
        assert_eq!(jar.header_for("other.org", "/", false, now()), None);
    }

    #[test]
    fn localhost_and_ip_hosts() {
        let mut jar = CookieJar::default();
        jar.store(
            "spam=eggs; Domain=localhost",
            "localhost",
            "/",
            false,
            now(),
        );
        jar.store("ip=1; Domain=0.0.1", "127.0.0.1", "/", false, now());
        assert_eq!(
            jar.header_for("localhost", "/", false, now()).as_deref(),
            Some("spam=eggs")
        );
        assert_eq!(jar.header_for("127.0.0.1", "/", false, now()), None);
    }

    #[test]
    fn expiry_and_secure() {
        let mut jar = CookieJar::default();
        let t = now();
        jar.store("s=1; Secure", "localhost", "/", true, t);
        jar.store("http=1; Secure", "localhost", "/", false, t);
        jar.store(
            "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
            "localhost",
            "/",
            false,
            t,
        );
        jar.store("short=1; Max-Age=10", "localhost", "/", false, t);
        assert_eq!(
            jar.header_for("localhost", "/", false, t).as_deref(),
            Some("short=1")
        );
        assert_eq!(
            jar.header_for("localhost", "/", true, t).as_deref(),
            Some("s=1; short=1")
        );
        let later = t + Duration::from_secs(11);
        assert_eq!(jar.header_for("localhost", "/", false, later), None);
        assert!(!jar.values(later).contains_key("short"));
        jar.store("s=gone; Max-Age=0", "localhost", "/", true, t);
        assert_eq!(
            jar.header_for("localhost", "/", true, t).as_deref(),
            Some("short=1")
        );
    }
}
