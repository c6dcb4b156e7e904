//! Header helpers every gateway needs.

use std::borrow::Cow;

use http::HeaderMap;
use http::header::CONNECTION;

/// The tokens of the `Connection` headers (`close`, `upgrade`, or the
/// names of other hop-by-hop headers, RFC 9110 §7.6.1), trimmed, empty
/// ones and non-text values skipped. A CGI host leaves the named headers
/// out of the environment; a proxy removes them before forwarding.
///
/// ```
/// use paste_core::{connection_tokens, http::HeaderMap};
///
/// let mut headers = HeaderMap::new();
/// headers.append("connection", "keep-alive, X-Secret".parse().unwrap());
/// headers.append("connection", " , Upgrade".parse().unwrap());
/// let tokens: Vec<&str> = connection_tokens(&headers).collect();
/// assert_eq!(tokens, ["keep-alive", "X-Secret", "Upgrade"]);
/// ```
pub fn connection_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// `location` as a `Location` value that can't send a browser to another
/// host by accident: control characters and spaces are dropped (browsers
/// drop tabs and newlines, so `/\t/evil.com` is `//evil.com` to them), and
/// a scheme-relative `//host…`, `\host…` or `/\host…` — a path to the
/// eye, another host to a browser — becomes the path `/%2Fhost…` on this
/// host. Anything else, absolute URLs included, is returned as it was.
///
/// webob's redirects and exceptions, paste-cgi's program redirects and
/// wsgiproxy's `Location` rewriting all check here, so that none of them
/// is an open redirect.
///
/// ```
/// use paste_core::same_host_location;
///
/// assert_eq!(same_host_location("/login?next=/"), "/login?next=/");
/// assert_eq!(same_host_location("//evil.com/x"), "/%2Fevil.com/x");
/// assert_eq!(same_host_location("/\\evil.com"), "/%2Fevil.com");
/// assert_eq!(same_host_location("/\t/evil.com"), "/%2Fevil.com");
/// assert_eq!(same_host_location("https://example.com/"), "https://example.com/");
/// ```
pub fn same_host_location(location: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || c == ' ';
    let cleaned: Cow<'_, str> = if location.contains(unsafe_char) {
        Cow::Owned(location.chars().filter(|&c| !unsafe_char(c)).collect())
    } else {
        Cow::Borrowed(location)
    };
    if matches!(
        cleaned.as_bytes(),
        [b'/' | b'\\', b'/' | b'\\', ..] | [b'\\', ..]
    ) {
        let rest = cleaned.trim_start_matches(['/', '\\']);
        Cow::Owned(format!("/%2F{rest}"))
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::same_host_location;

    #[test]
    fn scheme_relative_shapes_are_pinned_and_the_rest_kept() {
        for (given, sent) in [
            ("//evil.com/x", "/%2Fevil.com/x"),
            ("///evil.com", "/%2Fevil.com"),
            ("/\\evil.com/x", "/%2Fevil.com/x"),
            ("\\\\evil.com", "/%2Fevil.com"),
            ("\\evil.com", "/%2Fevil.com"),
            ("/\t/evil.com", "/%2Fevil.com"),
            (" //evil.com", "/%2Fevil.com"),
            ("/\r\n/evil.com", "/%2Fevil.com"),
            ("/a//b", "/a//b"),
            ("/", "/"),
            ("", ""),
            ("page?x=1", "page?x=1"),
            ("http://example.com//x", "http://example.com//x"),
        ] {
            assert_eq!(same_host_location(given), sent, "{given:?}");
        }
    }

    #[test]
    fn a_clean_location_is_not_copied() {
        assert!(matches!(same_host_location("/a/b?c"), Cow::Borrowed(_)));
    }
}
