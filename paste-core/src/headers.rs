//! Header helpers every gateway needs.

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
