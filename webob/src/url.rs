//! URL joining per RFC 3986 §5.2, and making `Location` safe.

/// Resolves `reference` against the absolute URL `base` (RFC 3986 §5.2).
pub(crate) fn join(base: &str, reference: &str) -> String {
    if reference.is_empty() {
        return base.to_owned();
    }
    if has_scheme(reference) {
        return remove_dot_segments_in_url(reference);
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let (authority, base_path_query) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let base_path = base_path_query.split(['?', '#']).next().unwrap_or("/");
    if let Some(network) = reference.strip_prefix("//") {
        return remove_dot_segments_in_url(&format!("{scheme}://{network}"));
    }
    let (ref_path, ref_tail) = match reference.find(['?', '#']) {
        Some(i) => (&reference[..i], &reference[i..]),
        None => (reference, ""),
    };
    let path = if ref_path.is_empty() {
        if ref_tail.starts_with('#') {
            // Only a fragment: keep the base query.
            return format!(
                "{scheme}://{authority}{}{ref_tail}",
                base_path_query.split('#').next().unwrap_or("")
            );
        }
        base_path.to_owned()
    } else if ref_path.starts_with('/') {
        remove_dot_segments(ref_path)
    } else {
        let dir = match base_path.rfind('/') {
            Some(i) => &base_path[..=i],
            None => "/",
        };
        remove_dot_segments(&format!("{dir}{ref_path}"))
    };
    format!("{scheme}://{authority}{path}{ref_tail}")
}

fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 0 => {
            let scheme = &s[..i];
            scheme.as_bytes()[0].is_ascii_alphabetic()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        _ => false,
    }
}

fn remove_dot_segments_in_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (path, query) = match tail.find(['?', '#']) {
        Some(i) => (&tail[..i], &tail[i..]),
        None => (tail, ""),
    };
    format!("{scheme}://{authority}{}{query}", remove_dot_segments(path))
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let absolute = path.starts_with('/');
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, segment) in segments.iter().enumerate() {
        if i == 0 && absolute {
            continue;
        }
        match *segment {
            "." => trailing_slash = i == last,
            ".." => {
                out.pop();
                trailing_slash = i == last;
            }
            s => {
                out.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut joined = out.join("/");
    if trailing_slash && !out.is_empty() {
        joined.push('/');
    }
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// A `Location` value made absolute against `request_url`, without ever
/// becoming an open redirect: control characters and spaces are dropped
/// first, a value with a scheme is kept, and one starting with `//` or
/// `\` (which browsers read as another host) is pinned to this host.
pub(crate) fn absolute_location(request_url: &str, location: &str) -> String {
    let cleaned = paste_core::same_host_location(location);
    if has_scheme(&cleaned) {
        return cleaned.into_owned();
    }
    join(request_url, &cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986_examples() {
        let base = "http://a/b/c/d;p?q";
        for (reference, expected) in [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            (".", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../../g", "http://a/g"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("https://other/x", "https://other/x"),
        ] {
            assert_eq!(join(base, reference), expected, "{reference}");
        }
    }

    #[test]
    fn locations_never_leave_the_host() {
        let here = "http://example.com/app/page";
        for evil in [
            " //evil.com/x",
            "//evil.com",
            "\\\\evil.com",
            "/\\evil.com",
            "\t//evil.com",
        ] {
            let made = absolute_location(here, evil);
            assert!(
                made.starts_with("http://example.com/"),
                "{evil:?} -> {made}"
            );
        }
        assert_eq!(
            absolute_location(here, "other"),
            "http://example.com/app/other"
        );
        assert_eq!(
            absolute_location(here, "https://elsewhere/x"),
            "https://elsewhere/x"
        );
    }
}
