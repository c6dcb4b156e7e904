//! Header surgery: hop-by-hop headers out, forwarding headers in.

use std::fmt::Write as _;
use std::net::IpAddr;

use http::HeaderMap;
use http::header::{
    CONNECTION, FORWARDED, HeaderName, HeaderValue, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, TE,
    TRAILER, TRANSFER_ENCODING, UPGRADE,
};
use paste_core::connection_tokens;

/// The hop-by-hop headers of RFC 9110 §7.6.1 that are always removed;
/// `Proxy-*` and the headers named by `Connection` go too.
const HOP_BY_HOP: [HeaderName; 6] = [
    CONNECTION,
    TE,
    TRAILER,
    TRANSFER_ENCODING,
    UPGRADE,
    PROXY_AUTHORIZATION,
];

/// Removes the hop-by-hop headers of `headers`: `Connection` and every
/// header it names, `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding`,
/// `Upgrade`, `Proxy` (httpoxy) and every `Proxy-*` header.
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) {
    // The headers named in Connection, read before Connection goes.
    let named: Vec<HeaderName> = connection_tokens(headers)
        .filter_map(|token| HeaderName::from_bytes(token.as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    // httpoxy: a CGI backend would take `Proxy` for HTTP_PROXY, its
    // programs' outgoing proxy. It is no standard header: never forwarded.
    headers.remove("proxy");
    headers.remove(PROXY_AUTHENTICATE);
    // Proxy-Connection, Proxy-Authorization-Info and the like: any name
    // that starts with `proxy-`. Scanned only when one is there.
    if headers
        .keys()
        .any(|name| name.as_str().starts_with("proxy-"))
    {
        let proxies: Vec<HeaderName> = headers
            .keys()
            .filter(|name| name.as_str().starts_with("proxy-"))
            .cloned()
            .collect();
        for name in proxies {
            headers.remove(name);
        }
    }
}

/// The protocol a request asks to switch to (`Upgrade: websocket` with
/// `upgrade` among the `Connection` tokens), if any.
pub(crate) fn upgrade_request(headers: &HeaderMap) -> Option<HeaderValue> {
    let upgrade = headers.get(UPGRADE)?;
    let asked = connection_tokens(headers).any(|token| token.eq_ignore_ascii_case("upgrade"));
    asked.then(|| upgrade.clone())
}

/// Puts back the two headers of a protocol switch.
pub(crate) fn set_upgrade(headers: &mut HeaderMap, protocol: HeaderValue) {
    headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(UPGRADE, protocol);
}

/// Which forwarding headers the proxy adds to the requests it sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Forwarding {
    pub(crate) x_forwarded_for: bool,
    pub(crate) x_forwarded_host: bool,
    pub(crate) x_forwarded_proto: bool,
    pub(crate) x_forwarded_prefix: bool,
    pub(crate) forwarded: bool,
}

impl Default for Forwarding {
    fn default() -> Self {
        Self {
            x_forwarded_for: true,
            x_forwarded_host: true,
            x_forwarded_proto: true,
            x_forwarded_prefix: true,
            forwarded: false,
        }
    }
}

/// What the front end knew about the request, for the forwarding headers.
pub(crate) struct Front<'a> {
    pub(crate) client_ip: Option<IpAddr>,
    pub(crate) host: Option<&'a HeaderValue>,
    pub(crate) proto: &'a str,
    pub(crate) prefix: &'a str,
}

pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");

impl Forwarding {
    /// Adds the enabled forwarding headers to `headers`. `X-Forwarded-For`
    /// and `Forwarded` are appended to what earlier proxies wrote; the
    /// others describe this hop's front end and replace what was there.
    pub(crate) fn apply(&self, headers: &mut HeaderMap, front: &Front<'_>) {
        if self.x_forwarded_for
            && let Some(ip) = front.client_ip
        {
            append_list(headers, &X_FORWARDED_FOR, &ip.to_string());
        }
        if self.x_forwarded_host {
            match front.host {
                Some(host) => {
                    headers.insert(X_FORWARDED_HOST, host.clone());
                }
                None => {
                    headers.remove(X_FORWARDED_HOST);
                }
            }
        }
        if self.x_forwarded_proto {
            headers.insert(X_FORWARDED_PROTO, proto_value(front.proto));
        }
        if self.x_forwarded_prefix {
            if front.prefix.is_empty() {
                headers.remove(X_FORWARDED_PREFIX);
            } else if let Ok(prefix) = HeaderValue::from_str(front.prefix) {
                headers.insert(X_FORWARDED_PREFIX, prefix);
            }
        }
        if self.forwarded {
            append_list(headers, &FORWARDED, &forwarded_element(front));
        }
    }
}

fn proto_value(proto: &str) -> HeaderValue {
    match proto {
        "https" => HeaderValue::from_static("https"),
        "http" => HeaderValue::from_static("http"),
        other => HeaderValue::from_str(other).unwrap_or(HeaderValue::from_static("http")),
    }
}

/// Appends `item` to the comma-separated list header `name`, folding
/// repeated headers into one.
fn append_list(headers: &mut HeaderMap, name: &HeaderName, item: &str) {
    let mut joined = String::new();
    for value in headers.get_all(name) {
        if let Ok(value) = value.to_str() {
            let value = value.trim();
            if !value.is_empty() {
                joined.push_str(value);
                joined.push_str(", ");
            }
        }
    }
    joined.push_str(item);
    if let Ok(value) = HeaderValue::from_str(&joined) {
        headers.insert(name, value);
    }
}

/// This hop's element of an RFC 7239 `Forwarded` header.
fn forwarded_element(front: &Front<'_>) -> String {
    let mut element = String::new();
    match front.client_ip {
        Some(IpAddr::V4(ip)) => {
            let _ = write!(element, "for={ip}");
        }
        Some(IpAddr::V6(ip)) => {
            let _ = write!(element, "for=\"[{ip}]\"");
        }
        None => element.push_str("for=unknown"),
    }
    if let Some(host) = front.host.and_then(|h| h.to_str().ok()) {
        element.push_str(";host=\"");
        for c in host.chars() {
            if c == '"' || c == '\\' {
                element.push('\\');
            }
            element.push(c);
        }
        element.push('"');
    }
    element.push_str(";proto=");
    element.push_str(if front.proto == "https" {
        "https"
    } else {
        "http"
    });
    element
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_go() {
        let mut headers = map(&[
            ("connection", "keep-alive, X-Secret-Hop"),
            ("keep-alive", "timeout=5"),
            ("x-secret-hop", "1"),
            ("te", "trailers"),
            ("trailer", "x-sum"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "h2c"),
            ("proxy-authorization", "Basic Zm9vOmJhcg=="),
            ("proxy-connection", "keep-alive"),
            ("content-type", "text/plain"),
            ("content-encoding", "gzip"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
        ]);
        remove_hop_by_hop(&mut headers);
        let mut left: Vec<_> = headers.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["content-encoding", "content-type", "set-cookie"]);
        assert_eq!(headers.get_all("set-cookie").iter().count(), 2);
    }

    #[test]
    fn an_upgrade_needs_both_headers() {
        assert!(upgrade_request(&map(&[("upgrade", "websocket")])).is_none());
        let both = map(&[
            ("upgrade", "websocket"),
            ("connection", "keep-alive, Upgrade"),
        ]);
        assert_eq!(upgrade_request(&both).unwrap(), "websocket");
    }

    #[test]
    fn x_forwarded_for_is_appended_and_forwarded_quotes_what_it_must() {
        let mut headers = map(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-for", "198.51.100.2"),
            ("forwarded", "for=192.0.2.60"),
        ]);
        let host = HeaderValue::from_static("front.example:8443");
        let all = Forwarding {
            forwarded: true,
            ..Forwarding::default()
        };
        all.apply(
            &mut headers,
            &Front {
                client_ip: Some("2001:db8::1".parse().unwrap()),
                host: Some(&host),
                proto: "https",
                prefix: "/app",
            },
        );
        assert_eq!(
            headers["x-forwarded-for"],
            "203.0.113.9, 198.51.100.2, 2001:db8::1"
        );
        assert_eq!(headers["x-forwarded-host"], "front.example:8443");
        assert_eq!(headers["x-forwarded-proto"], "https");
        assert_eq!(headers["x-forwarded-prefix"], "/app");
        assert_eq!(
            headers["forwarded"],
            "for=192.0.2.60, for=\"[2001:db8::1]\";host=\"front.example:8443\";proto=https"
        );
    }
}
