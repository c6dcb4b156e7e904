//! Entry points into private parsers, for the fuzz targets of the
//! workspace's `fuzz/` crate only: not a stable API, hidden from the docs,
//! and free to change with any release.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::cookies::CookieJar;

/// Stores each `Set-Cookie` value in a fresh cookie jar, as answers to
/// requests to `host` and `path` (over `https` or not) at `now`, then
/// returns the `Cookie` header the jar sends to `host` and `path` and the
/// live cookies by name.
pub fn cookie_jar(
    set_cookies: &[&str],
    host: &str,
    path: &str,
    https: bool,
    now: SystemTime,
) -> (Option<String>, BTreeMap<String, String>) {
    let mut jar = CookieJar::default();
    for header in set_cookies {
        jar.store(header, host, path, https, now);
    }
    (jar.header_for(host, path, https, now), jar.values(now))
}
