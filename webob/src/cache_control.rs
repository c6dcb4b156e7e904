//! The `Cache-Control` header (RFC 7234 §5.2, RFC 5861, RFC 8246), and
//! WebOb's `cache_expires`.
//!
//! ```
//! use webob::Response;
//! use webob::cache_control::CacheControl;
//!
//! let mut cc = CacheControl::parse("public, max-age=60, x-custom=\"a b\"");
//! assert_eq!(cc.max_age(), Some(60));
//! assert!(cc.public());
//! cc.set_max_age(Some(10));
//! assert_eq!(cc.to_string(), "max-age=10, public, x-custom=\"a b\"");
//!
//! let mut response = Response::text("hi");
//! response.set_cache_control(&cc);
//! assert_eq!(response.headers()["cache-control"], "max-age=10, public, x-custom=\"a b\"");
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use http::header::{CACHE_CONTROL, EXPIRES, LAST_MODIFIED, PRAGMA};

use crate::headers::{is_tchar, is_token, parse_value, quote, split_outside_quotes};

/// The most directives read from one header; the rest are ignored.
const MAX_DIRECTIVES: usize = 256;

/// RFC 7234 §1.2.1: a delta-seconds too large to represent is read as
/// 2^31.
const DELTA_SECONDS_CAP: u64 = 1 << 31;

/// The value of `no-cache` or `private`: bare (every field) or limited to
/// some header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldList {
    /// The bare directive: it applies to the whole response.
    All,
    /// The directive with a field list (`no-cache="Set-Cookie"`): it applies
    /// to these header fields only.
    Fields(Vec<String>),
}

/// The value of the request's `max-stale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxStale {
    /// Bare `max-stale`: a stale response of any age will do.
    Any,
    /// `max-stale=N`: stale by at most N seconds.
    Seconds(u64),
}

/// A `Cache-Control` header: typed getters and setters for the standard
/// directives, and the unknown extensions kept in the order they came.
///
/// Parsing is lenient: a malformed directive (a bad name, an unterminated
/// quote, a non-numeric `max-age`) is skipped, and when a directive comes
/// twice the first one counts. [`Display`](fmt::Display) sorts the
/// directives by name, like WebOb (`max-age=10, public`), and quotes any
/// value that is not made of `[A-Za-z0-9._-]`.
///
/// One type serves requests and responses: the setters don't refuse a
/// directive meant for the other side.
///
/// ```
/// use webob::cache_control::{CacheControl, FieldList, MaxStale};
///
/// let cc = CacheControl::parse("no-cache=\"Set-Cookie, Authorization\", max-stale, bogus=\"x");
/// assert_eq!(
///     cc.no_cache(),
///     Some(FieldList::Fields(vec!["Set-Cookie".into(), "Authorization".into()]))
/// );
/// assert_eq!(cc.max_stale(), Some(MaxStale::Any));
/// assert_eq!(cc.get("bogus"), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct CacheControl {
    /// Lower-cased names, unique, in the order they came or were set.
    directives: Vec<(String, Option<String>)>,
}

impl PartialEq for CacheControl {
    /// The same directives with the same values, in any order.
    fn eq(&self, other: &Self) -> bool {
        let mut mine: Vec<_> = self.directives.iter().collect();
        let mut theirs: Vec<_> = other.directives.iter().collect();
        mine.sort();
        theirs.sort();
        mine == theirs
    }
}

impl Eq for CacheControl {}

/// The directives with a typed accessor; any other is an extension.
const KNOWN: &[&str] = &[
    "max-age",
    "s-maxage",
    "no-cache",
    "no-store",
    "no-transform",
    "must-revalidate",
    "proxy-revalidate",
    "public",
    "private",
    "immutable",
    "stale-while-revalidate",
    "stale-if-error",
    "max-stale",
    "min-fresh",
    "only-if-cached",
];

/// The directives whose value is a number of seconds.
const NUMERIC: &[&str] = &[
    "max-age",
    "s-maxage",
    "stale-while-revalidate",
    "stale-if-error",
    "max-stale",
    "min-fresh",
];

fn parse_seconds(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits: only overflow can fail, and that means "very large".
    Some(
        value
            .parse::<u64>()
            .map_or(DELTA_SECONDS_CAP, |n| n.min(DELTA_SECONDS_CAP)),
    )
}

impl CacheControl {
    /// An empty header (no directives).
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a header value leniently (see the type's documentation).
    pub fn parse(header: &str) -> Self {
        let mut cc = Self::new();
        for element in split_outside_quotes(header, b',', MAX_DIRECTIVES) {
            let (name, value) = match element.split_once('=') {
                Some((name, raw)) => match parse_value(raw) {
                    Some(value) => (name.trim(), Some(value)),
                    None => continue,
                },
                None => (element, None),
            };
            if !is_token(name) {
                continue;
            }
            let name = name.to_ascii_lowercase();
            if cc.position(&name).is_some() {
                continue;
            }
            let valid = match (NUMERIC.contains(&name.as_str()), &value) {
                (true, Some(v)) => parse_seconds(v).is_some(),
                // Only max-stale may come without its number.
                (true, None) => name == "max-stale",
                (false, _) => true,
            };
            if valid {
                cc.directives.push((name, value));
            }
        }
        cc
    }

    /// Whether there are no directives.
    pub fn is_empty(&self) -> bool {
        self.directives.is_empty()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.directives.iter().position(|(n, _)| n == name)
    }

    /// Any directive by name (case-insensitive): `None` when absent,
    /// `Some(None)` when present without a value.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        let name = name.to_ascii_lowercase();
        self.directives
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_deref())
    }

    /// Sets any directive (replacing it in place, else appending it). A
    /// name that is not an HTTP token is ignored; values are quoted and
    /// escaped on output, and control characters are dropped, so no value
    /// can split the header.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        if !is_token(name) {
            return;
        }
        let name = name.to_ascii_lowercase();
        let value = value.map(str::to_owned);
        match self.position(&name) {
            Some(i) => self.directives[i].1 = value,
            None => self.directives.push((name, value)),
        }
    }

    /// Removes a directive; whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let before = self.directives.len();
        self.directives.retain(|(n, _)| *n != name);
        self.directives.len() != before
    }

    /// The directives without a typed accessor, in the order they came.
    pub fn extensions(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.directives
            .iter()
            .filter(|(n, _)| !KNOWN.contains(&n.as_str()))
            .map(|(n, v)| (n.as_str(), v.as_deref()))
    }

    fn flag(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    fn set_flag(&mut self, name: &str, on: bool) {
        if on {
            self.set(name, None);
        } else {
            self.remove(name);
        }
    }

    fn seconds(&self, name: &str) -> Option<u64> {
        parse_seconds(self.get(name)??)
    }

    fn set_seconds(&mut self, name: &str, seconds: Option<u64>) {
        match seconds {
            Some(n) => self.set(name, Some(&n.min(DELTA_SECONDS_CAP).to_string())),
            None => {
                self.remove(name);
            }
        }
    }

    fn field_list(&self, name: &str) -> Option<FieldList> {
        match self.get(name)? {
            None => Some(FieldList::All),
            Some(list) => {
                let fields: Vec<String> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect();
                Some(if fields.is_empty() {
                    FieldList::All
                } else {
                    FieldList::Fields(fields)
                })
            }
        }
    }

    fn set_field_list(&mut self, name: &str, value: Option<FieldList>) {
        match value {
            None => {
                self.remove(name);
            }
            Some(FieldList::All) => self.set(name, None),
            Some(FieldList::Fields(fields)) => {
                let fields: Vec<&str> = fields
                    .iter()
                    .map(|f| f.trim())
                    .filter(|f| is_token(f))
                    .collect();
                if fields.is_empty() {
                    self.set(name, None);
                } else {
                    self.set(name, Some(&fields.join(", ")));
                }
            }
        }
    }
}

macro_rules! seconds_directive {
    ($get:ident, $set:ident, $name:literal, $doc:literal) => {
        impl CacheControl {
            #[doc = concat!("`", $name, "`: ", $doc, " (`None` when absent).")]
            pub fn $get(&self) -> Option<u64> {
                self.seconds($name)
            }

            #[doc = concat!(
                "Sets or (with `None`) removes `", $name,
                "`. Values past 2^31 are sent as 2^31, which caches read as infinite (RFC 7234 §1.2.1)."
            )]
            pub fn $set(&mut self, seconds: Option<u64>) {
                self.set_seconds($name, seconds);
            }
        }
    };
}

macro_rules! flag_directive {
    ($get:ident, $set:ident, $name:literal, $doc:literal) => {
        impl CacheControl {
            #[doc = concat!("Whether `", $name, "` is present: ", $doc, ".")]
            pub fn $get(&self) -> bool {
                self.flag($name)
            }

            #[doc = concat!("Adds or removes `", $name, "`.")]
            pub fn $set(&mut self, on: bool) {
                self.set_flag($name, on);
            }
        }
    };
}

seconds_directive!(
    max_age,
    set_max_age,
    "max-age",
    "the most seconds a response stays fresh"
);
seconds_directive!(
    s_maxage,
    set_s_maxage,
    "s-maxage",
    "`max-age` for shared caches"
);
seconds_directive!(
    stale_while_revalidate,
    set_stale_while_revalidate,
    "stale-while-revalidate",
    "how long a stale response may be served while it is revalidated (RFC 5861)"
);
seconds_directive!(
    stale_if_error,
    set_stale_if_error,
    "stale-if-error",
    "how long a stale response may be served when revalidation fails (RFC 5861)"
);
seconds_directive!(
    min_fresh,
    set_min_fresh,
    "min-fresh",
    "the client wants a response fresh for at least this long"
);
flag_directive!(no_store, set_no_store, "no-store", "store nothing");
flag_directive!(
    no_transform,
    set_no_transform,
    "no-transform",
    "intermediaries must not transform the body"
);
flag_directive!(
    must_revalidate,
    set_must_revalidate,
    "must-revalidate",
    "a stale response must be revalidated"
);
flag_directive!(
    proxy_revalidate,
    set_proxy_revalidate,
    "proxy-revalidate",
    "`must-revalidate` for shared caches"
);
flag_directive!(
    public,
    set_public,
    "public",
    "any cache may store the response"
);
flag_directive!(
    immutable,
    set_immutable,
    "immutable",
    "the response will not change while fresh (RFC 8246)"
);
flag_directive!(
    only_if_cached,
    set_only_if_cached,
    "only-if-cached",
    "the client wants a stored response or a 504"
);

impl CacheControl {
    /// `no-cache`, bare or with a field list (`None` when absent).
    pub fn no_cache(&self) -> Option<FieldList> {
        self.field_list("no-cache")
    }

    /// Sets or (with `None`) removes `no-cache`. Field names that are not
    /// tokens are dropped; an empty list gives the bare directive.
    pub fn set_no_cache(&mut self, value: Option<FieldList>) {
        self.set_field_list("no-cache", value);
    }

    /// `private`, bare or with a field list (`None` when absent).
    pub fn private(&self) -> Option<FieldList> {
        self.field_list("private")
    }

    /// Sets or (with `None`) removes `private`, like
    /// [`set_no_cache`](CacheControl::set_no_cache).
    pub fn set_private(&mut self, value: Option<FieldList>) {
        self.set_field_list("private", value);
    }

    /// `max-stale`, bare or with a number of seconds (`None` when absent).
    pub fn max_stale(&self) -> Option<MaxStale> {
        match self.get("max-stale")? {
            None => Some(MaxStale::Any),
            Some(v) => parse_seconds(v).map(MaxStale::Seconds),
        }
    }

    /// Sets or (with `None`) removes `max-stale`.
    pub fn set_max_stale(&mut self, value: Option<MaxStale>) {
        match value {
            None => {
                self.remove("max-stale");
            }
            Some(MaxStale::Any) => self.set("max-stale", None),
            Some(MaxStale::Seconds(n)) => self.set_seconds("max-stale", Some(n)),
        }
    }
}

/// Whether a value can go out unquoted (WebOb's rule).
fn plain(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl fmt::Display for CacheControl {
    /// The directives sorted by name, `, `-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sorted: Vec<&(String, Option<String>)> = self.directives.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (i, (name, value)) in sorted.into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            debug_assert!(name.bytes().all(is_tchar));
            f.write_str(name)?;
            match value {
                None => {}
                // Field lists go quoted, as RFC 7234 §5.2.2.2 asks.
                Some(v) if plain(v) && name != "no-cache" && name != "private" => {
                    write!(f, "={v}")?;
                }
                Some(v) => write!(f, "={}", quote(v))?,
            }
        }
        Ok(())
    }
}

/// The values of a header in `headers`, joined into one list.
fn joined(headers: &http::HeaderMap, name: http::HeaderName) -> String {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

impl crate::Request {
    /// The request's `Cache-Control` (empty when absent).
    pub fn cache_control(&self) -> CacheControl {
        CacheControl::parse(&joined(self.headers(), CACHE_CONTROL))
    }
}

impl crate::Response {
    /// The response's `Cache-Control` (empty when absent). It is a copy:
    /// write changes back with
    /// [`set_cache_control`](crate::Response::set_cache_control).
    pub fn cache_control(&self) -> CacheControl {
        CacheControl::parse(&joined(self.headers(), CACHE_CONTROL))
    }

    /// Replaces `Cache-Control` with `cc`, or removes the header when `cc`
    /// is empty.
    pub fn set_cache_control(&mut self, cc: &CacheControl) {
        if cc.is_empty() {
            self.headers_mut().remove(CACHE_CONTROL);
            return;
        }
        match HeaderValue::from_str(&cc.to_string()) {
            Ok(value) => {
                self.headers_mut().insert(CACHE_CONTROL, value);
            }
            // Unreachable in practice: names are tokens and values are
            // quoted without control characters.
            Err(_) => tracing::warn!("refusing an invalid Cache-Control {cc}"),
        }
    }

    /// WebOb's `cache_expires`:
    ///
    /// - `Some(0)`: never cache — adds `max-age=0, must-revalidate,
    ///   no-cache, no-store` to `Cache-Control`, sets `Expires` to now,
    ///   `Last-Modified` to now unless it is set, and `Pragma: no-cache`;
    /// - `Some(n)`: cache for `n` seconds — `Cache-Control` becomes
    ///   `max-age=n` alone, `Expires` now + `n`, and `Pragma` goes;
    /// - `None`: changes nothing.
    ///
    /// ```
    /// use webob::Response;
    ///
    /// let mut response = Response::new();
    /// response.cache_expires(Some(0));
    /// assert_eq!(response.headers()["cache-control"], "max-age=0, must-revalidate, no-cache, no-store");
    /// assert_eq!(response.headers()["pragma"], "no-cache");
    /// response.cache_expires(Some(3600));
    /// assert_eq!(response.headers()["cache-control"], "max-age=3600");
    /// assert!(response.headers().get("pragma").is_none());
    /// ```
    pub fn cache_expires(&mut self, seconds: Option<u64>) {
        let Some(seconds) = seconds else {
            return;
        };
        let now = SystemTime::now();
        if seconds == 0 {
            let mut cc = self.cache_control();
            cc.set_no_store(true);
            cc.set_no_cache(Some(FieldList::All));
            cc.set_must_revalidate(true);
            cc.set_max_age(Some(0));
            self.set_cache_control(&cc);
            let date = http_date(now);
            if !self.headers().contains_key(LAST_MODIFIED) {
                self.headers_mut().insert(LAST_MODIFIED, date.clone());
            }
            self.headers_mut().insert(EXPIRES, date);
            self.headers_mut()
                .insert(PRAGMA, HeaderValue::from_static("no-cache"));
        } else {
            let mut cc = CacheControl::new();
            cc.set_max_age(Some(seconds));
            self.set_cache_control(&cc);
            // Expires can't name a year past 9999; 2^31 s (68 years) is
            // as far as it needs to go.
            let ahead = Duration::from_secs(seconds.min(DELTA_SECONDS_CAP));
            let expires = now.checked_add(ahead).unwrap_or(now);
            self.headers_mut().insert(EXPIRES, http_date(expires));
            self.headers_mut().remove(PRAGMA);
        }
    }
}

fn http_date(time: SystemTime) -> HeaderValue {
    // An HTTP date is plain ASCII.
    HeaderValue::from_str(&crate::fmt_http_date(time))
        .unwrap_or_else(|_| HeaderValue::from_static("0"))
}
