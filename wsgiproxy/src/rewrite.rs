//! Backend-to-front-end rewriting of `Location` and `Set-Cookie`.

/// Where the backend lives and where the front end shows it.
pub(crate) struct Mapping<'a> {
    /// `http` or `https`.
    pub(crate) scheme: &'a str,
    /// The backend's host, as in its URL (IPv6 in brackets).
    pub(crate) host: &'a str,
    /// The backend's port, explicit or by scheme.
    pub(crate) port: u16,
    /// The backend's base path: `""` or `/base` (no trailing slash).
    pub(crate) base: &'a str,
    /// The front end's prefix (the script name): `""` or `/app`.
    pub(crate) prefix: &'a str,
    /// Whether a cookie `Domain` naming the backend host is dropped (the
    /// cookie then belongs to whatever host the client used).
    pub(crate) cookie_domain: bool,
}

impl Mapping<'_> {
    /// Whether anything can change: a base or a prefix to trade, or
    /// absolute URLs of the backend to turn into paths.
    fn maps_paths(&self) -> bool {
        self.base != self.prefix
    }

    /// `path` (with its query and fragment) under the base, moved under
    /// the prefix; `None` when it is outside the base.
    fn map_path(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix(self.base)?;
        if !(rest.is_empty() || rest.starts_with(['/', '?', '#'])) {
            return None;
        }
        let mut mapped = String::with_capacity(self.prefix.len() + rest.len() + 1);
        mapped.push_str(self.prefix);
        if !rest.starts_with('/') {
            mapped.push('/');
        }
        mapped.push_str(rest);
        // `//evil.com/x` (or `/\evil.com/x`) is a path of the backend, but
        // a browser would take it for another host: keep the backend's URL.
        if paste_core::same_host_location(&mapped) != mapped {
            return None;
        }
        Some(mapped)
    }

    /// The `Location` the client should see, or `None` to keep it as is.
    ///
    /// - An absolute URL of the backend (same scheme, host and port; or
    ///   scheme-relative `//host:port/…`) under its base becomes a path of
    ///   the front end: `http://backend:8080/base/x?q` → `/prefix/x?q`.
    /// - A path (`/base/x`) under the base gets the same treatment.
    /// - Anything else (another host, a relative reference) is kept.
    pub(crate) fn location(&self, location: &str) -> Option<String> {
        if let Some(rest) = location.strip_prefix("//") {
            return self.backend_url_rest(rest).and_then(|p| self.map_path(p));
        }
        if location.starts_with('/') {
            return if self.maps_paths() {
                self.map_path(location)
            } else {
                None
            };
        }
        let (scheme, rest) = location.split_once("://")?;
        if !scheme.eq_ignore_ascii_case(self.scheme) {
            return None;
        }
        self.backend_url_rest(rest).and_then(|p| self.map_path(p))
    }

    /// `authority/path…` of a URL: the path part if the authority is the
    /// backend's.
    fn backend_url_rest<'l>(&self, rest: &'l str) -> Option<&'l str> {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.contains('@') {
            return None;
        }
        let (host, port) = split_host_port(authority);
        let port = match port {
            Some(port) => port.parse::<u16>().ok()?,
            None => default_port(self.scheme),
        };
        (host.eq_ignore_ascii_case(self.host) && port == self.port).then_some(path)
    }

    /// The `Set-Cookie` the client should see, or `None` to keep it as is:
    /// a `Path` under the base is moved under the prefix, and a `Domain`
    /// naming the backend host is dropped (when so configured).
    pub(crate) fn set_cookie(&self, cookie: &str) -> Option<String> {
        let mut changed = false;
        let mut out = String::with_capacity(cookie.len() + self.prefix.len());
        for (i, part) in cookie.split(';').enumerate() {
            if i > 0 {
                let attr = part.trim();
                let (name, value) = attr.split_once('=').unwrap_or((attr, ""));
                let (name, value) = (name.trim(), value.trim());
                if self.cookie_domain
                    && name.eq_ignore_ascii_case("domain")
                    && value
                        .trim_start_matches('.')
                        .eq_ignore_ascii_case(self.host.trim_matches(['[', ']']))
                {
                    changed = true;
                    continue;
                }
                if name.eq_ignore_ascii_case("path")
                    && self.maps_paths()
                    && value.starts_with('/')
                    && let Some(mapped) = self.map_path(value)
                {
                    let mapped = if mapped.len() > 1 && (value == "/" || value == self.base) {
                        // The whole base (`/` when empty) is the whole prefix.
                        mapped.trim_end_matches('/').to_owned()
                    } else {
                        mapped
                    };
                    out.push_str("; ");
                    out.push_str(name);
                    out.push('=');
                    out.push_str(&mapped);
                    changed = true;
                    continue;
                }
                out.push(';');
            }
            out.push_str(part);
        }
        changed.then_some(out)
    }
}

/// Splits `host:port` (and `[v6]:port`) into its host and port.
pub(crate) fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => {
                let (host, rest) = authority.split_at(end + 1);
                (host, rest.strip_prefix(':'))
            }
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

/// 443 for `https`, 80 for anything else.
pub(crate) fn default_port(scheme: &str) -> u16 {
    if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn mapping<'a>(base: &'a str, prefix: &'a str) -> Mapping<'a> {
        Mapping {
            scheme: "http",
            host: "backend.internal",
            port: 8080,
            base,
            prefix,
            cookie_domain: true,
        }
    }

    #[test]
    fn absolute_backend_urls_become_front_end_paths() {
        let m = mapping("/base", "/app");
        let cases = [
            (
                "http://backend.internal:8080/base/x?q=1#f",
                Some("/app/x?q=1#f"),
            ),
            ("HTTP://Backend.Internal:8080/base", Some("/app/")),
            ("//backend.internal:8080/base/y", Some("/app/y")),
            ("/base/z", Some("/app/z")),
            // Outside the base, another port, another host, relative: kept.
            ("http://backend.internal:8080/other", None),
            ("http://backend.internal/base/x", None),
            ("https://backend.internal:8080/base/x", None),
            ("http://evil.example/base/x", None),
            ("http://user@backend.internal:8080/base/x", None),
            ("/baseball", None),
            ("next/page", None),
        ];
        for (location, expected) in cases {
            assert_eq!(m.location(location).as_deref(), expected, "{location}");
        }
    }

    #[test]
    fn without_base_nor_prefix_only_absolute_urls_change() {
        let m = mapping("", "");
        assert_eq!(m.location("/x").as_deref(), None);
        assert_eq!(
            m.location("http://backend.internal:8080/x?y").as_deref(),
            Some("/x?y")
        );
        let m = mapping("", "/app");
        assert_eq!(m.location("/x").as_deref(), Some("/app/x"));
    }

    #[test]
    fn cookies_move_under_the_prefix_and_lose_the_backend_domain() {
        let m = mapping("/base", "/app");
        assert_eq!(
            m.set_cookie("sid=abc; Path=/base/admin; Domain=.backend.internal; HttpOnly")
                .as_deref(),
            Some("sid=abc; Path=/app/admin; HttpOnly")
        );
        assert_eq!(
            m.set_cookie("a=1; Path=/base").as_deref(),
            Some("a=1; Path=/app")
        );
        assert_eq!(m.set_cookie("sid=abc; Path=/elsewhere"), None);
        assert_eq!(m.set_cookie("sid=abc; Domain=example.com"), None);
        let m = mapping("", "/app");
        assert_eq!(
            m.set_cookie("a=1; path=/").as_deref(),
            Some("a=1; path=/app")
        );
        let m = mapping("", "");
        assert_eq!(m.set_cookie("a=1; Path=/; Secure"), None);
    }

    #[test]
    fn host_and_port_split() {
        assert_eq!(split_host_port("a:1"), ("a", Some("1")));
        assert_eq!(split_host_port("[::1]:8"), ("[::1]", Some("8")));
        assert_eq!(split_host_port("[::1]"), ("[::1]", None));
        assert_eq!(split_host_port("a"), ("a", None));
    }
}
