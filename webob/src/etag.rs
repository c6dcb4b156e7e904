//! Entity tags (RFC 9110 §8.8.3) and the conditional request headers that
//! carry them: `If-Match`, `If-None-Match`, `If-Range`.
//!
//! ```
//! use webob::etag::{ETag, ETagMatcher};
//!
//! let strong: ETag = "\"v1\"".parse().unwrap();
//! let weak: ETag = "W/\"v1\"".parse().unwrap();
//! assert!(strong.weak_eq(&weak));
//! assert!(!strong.strong_eq(&weak));
//!
//! let matcher = ETagMatcher::parse("\"a\", W/\"v1\"");
//! assert!(matcher.matches_weak(&strong));
//! assert!(!matcher.matches_strong(&strong));
//! ```

use std::fmt;
use std::str::FromStr;
use std::task::{Context, Poll, Waker};
use std::time::SystemTime;

use base64::Engine as _;
use bytes::Bytes;
use http::HeaderValue;
use http::header::{
    ETAG, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE, LAST_MODIFIED,
};
use http_body::Body as _;
use paste_core::Body;
use sha2::{Digest, Sha256};

use crate::{Request, Response};

/// An entity tag: an opaque validator of one representation, strong
/// (`"x"`) or weak (`W/"x"`).
///
/// Parsing tolerates an unquoted value (`abc` reads as the strong tag
/// `"abc"`), as WebOb does; [`Display`](fmt::Display) always quotes.
///
/// ```
/// use webob::etag::ETag;
///
/// let tag: ETag = "W/\"42\"".parse().unwrap();
/// assert_eq!(tag, ETag::weak("42"));
/// assert_eq!(tag.to_string(), "W/\"42\"");
/// assert_eq!("abc".parse::<ETag>().unwrap(), ETag::strong("abc"));
/// assert!("\"a\"b\"".parse::<ETag>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ETag {
    /// The opaque tag, without quotes.
    pub tag: String,
    /// Whether it is a weak validator (`W/`).
    pub weak: bool,
}

/// Why a string is not an entity tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidETag;

impl fmt::Display for InvalidETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid entity tag")
    }
}

impl std::error::Error for InvalidETag {}

/// `etagc` of RFC 9110 (`!` and `#` to `~`), without obs-text, which a
/// header value can't carry here.
fn is_etagc(c: char) -> bool {
    c == '!' || ('#'..='~').contains(&c)
}

impl ETag {
    /// A strong tag. Characters an entity tag can't hold (`"`, spaces,
    /// controls) are dropped so that the header stays valid.
    pub fn strong(tag: impl Into<String>) -> Self {
        Self {
            tag: clean(tag.into()),
            weak: false,
        }
    }

    /// A weak tag (see [`strong`](ETag::strong) for the character rule).
    pub fn weak(tag: impl Into<String>) -> Self {
        Self {
            tag: clean(tag.into()),
            weak: true,
        }
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong, same tag.
    pub fn strong_eq(&self, other: &Self) -> bool {
        !self.weak && !other.weak && self.tag == other.tag
    }

    /// Weak comparison: same tag, `W/` ignored on both sides.
    pub fn weak_eq(&self, other: &Self) -> bool {
        self.tag == other.tag
    }

    /// A strong tag for `bytes`: base64url of the first 16 bytes of their
    /// SHA-256 (22 characters).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        Self::strong(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]))
    }

    /// Parses one tag, `W/"x"`, `"x"` or (tolerated) a bare `x`.
    fn parse_one(value: &str) -> Option<Self> {
        let value = value.trim();
        let (weak, rest) = match value
            .strip_prefix("W/")
            .or_else(|| value.strip_prefix("w/"))
        {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let tag = if let Some(inner) = rest.strip_prefix('"') {
            inner.strip_suffix('"')?
        } else if weak {
            return None;
        } else {
            rest
        };
        // A bare value must not be empty; `""` is a valid (empty) tag.
        if tag.chars().all(is_etagc) && (!tag.is_empty() || rest.starts_with('"')) {
            Some(Self {
                tag: tag.to_owned(),
                weak,
            })
        } else {
            None
        }
    }
}

fn clean(tag: String) -> String {
    if tag.chars().all(is_etagc) {
        tag
    } else {
        tag.chars().filter(|&c| is_etagc(c)).collect()
    }
}

impl FromStr for ETag {
    type Err = InvalidETag;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_one(s).ok_or(InvalidETag)
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.weak {
            f.write_str("W/")?;
        }
        write!(f, "\"{}\"", self.tag)
    }
}

/// The value of `If-Match` or `If-None-Match`: `*` or a list of tags.
///
/// Malformed members of the list are skipped; a header with no valid
/// member at all reads as absent.
///
/// ```
/// use webob::etag::{ETag, ETagMatcher};
///
/// assert!(ETagMatcher::parse("*").matches_strong(&ETag::weak("x")));
/// let list = ETagMatcher::parse("\"a\", bogus\"tag, W/\"b\"");
/// assert_eq!(list, ETagMatcher::Tags(vec![ETag::strong("a"), ETag::weak("b")]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ETagMatcher {
    /// `*`: any current representation.
    Any,
    /// A list of tags.
    Tags(Vec<ETag>),
}

impl ETagMatcher {
    /// Parses a header value. Commas inside quotes don't split.
    pub fn parse(value: &str) -> Self {
        if value.trim() == "*" {
            return Self::Any;
        }
        Self::Tags(split_list(value).filter_map(ETag::parse_one).collect())
    }

    /// Whether `etag` is matched with the strong comparison (`If-Match`).
    /// `*` matches any tag.
    pub fn matches_strong(&self, etag: &ETag) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|t| t.strong_eq(etag)),
        }
    }

    /// Whether `etag` is matched with the weak comparison
    /// (`If-None-Match`). `*` matches any tag.
    pub fn matches_weak(&self, etag: &ETag) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|t| t.weak_eq(etag)),
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Self::Tags(tags) if tags.is_empty())
    }
}

impl fmt::Display for ETagMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Tags(tags) => {
                for (i, tag) in tags.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{tag}")?;
                }
                Ok(())
            }
        }
    }
}

/// Splits a comma-separated list of entity tags: a quoted tag runs to its
/// closing quote (commas inside don't split); anything else runs to the
/// next comma, so a stray quote spoils only its own member.
fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = value;
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
            if rest.is_empty() {
                return None;
            }
            let quoted_from = if rest.starts_with('"') {
                Some(1)
            } else if rest.starts_with("W/\"") || rest.starts_with("w/\"") {
                Some(3)
            } else {
                None
            };
            let end = match quoted_from {
                Some(from) => match rest[from..].find('"') {
                    Some(close) => from + close + 1,
                    None => rest.len(),
                },
                None => rest.find(',').unwrap_or(rest.len()),
            };
            let (item, tail) = rest.split_at(end);
            rest = tail;
            // Junk glued after a closing quote (`"a"b`) spoils the member.
            if quoted_from.is_some() {
                let junk = rest.find(',').unwrap_or(rest.len());
                if !rest[..junk].trim().is_empty() {
                    rest = &rest[junk..];
                    continue;
                }
            }
            return Some(item.trim());
        }
    })
}

/// The value of `If-Range`: an entity tag or a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IfRange {
    /// Send the range only if the representation has this (strong) tag.
    ETag(ETag),
    /// Send the range only if the representation was last modified exactly
    /// at this date.
    Date(SystemTime),
}

impl IfRange {
    /// Parses a header value: a quoted tag or an HTTP date; anything else
    /// is `None` (and then the range must not be sent — the caller answers
    /// in full).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if value.starts_with('"') || value.starts_with("W/") {
            return ETag::parse_one(value).map(Self::ETag);
        }
        crate::headers::parse_http_date(value).map(Self::Date)
    }

    /// Whether a response with these validators may be answered with a
    /// range: a strong tag match, or a last-modified date equal to the one
    /// given (to the second).
    pub fn matches(&self, etag: Option<&ETag>, last_modified: Option<SystemTime>) -> bool {
        match self {
            Self::ETag(tag) => etag.is_some_and(|e| e.strong_eq(tag)),
            Self::Date(date) => last_modified.is_some_and(|lm| secs(lm) == secs(*date)),
        }
    }
}

/// Whole seconds since the epoch: HTTP dates have no finer resolution.
pub(crate) fn secs(time: SystemTime) -> i128 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i128::from(d.as_secs()),
        Err(e) => -i128::from(e.duration().as_secs()) - i128::from(e.duration().subsec_nanos() > 0),
    }
}

/// A date header that must hold one date; IE's `; length=…` tail is
/// dropped.
fn date_header(req: &Request, name: http::HeaderName) -> Option<SystemTime> {
    let mut values = req.headers().get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let value = value.to_str().ok()?;
    crate::headers::parse_http_date(value.split(';').next().unwrap_or(""))
}

fn matcher_header(req: &Request, name: http::HeaderName) -> Option<ETagMatcher> {
    let mut joined = String::new();
    for value in req.headers().get_all(name) {
        let Ok(value) = value.to_str() else { continue };
        if !joined.is_empty() {
            joined.push(',');
        }
        joined.push_str(value);
    }
    if joined.trim().is_empty() {
        return None;
    }
    let matcher = ETagMatcher::parse(&joined);
    (!matcher.is_empty()).then_some(matcher)
}

impl Request {
    /// The `If-Match` header (several fields are joined); `None` when
    /// absent or with no valid member.
    pub fn if_match(&self) -> Option<ETagMatcher> {
        matcher_header(self, IF_MATCH)
    }

    /// The `If-None-Match` header; `None` when absent or with no valid
    /// member.
    pub fn if_none_match(&self) -> Option<ETagMatcher> {
        matcher_header(self, IF_NONE_MATCH)
    }

    /// The `If-Modified-Since` date; `None` when absent, repeated or not a
    /// valid HTTP date (RFC 9110 §13.1.3 says to ignore it then).
    pub fn if_modified_since(&self) -> Option<SystemTime> {
        date_header(self, IF_MODIFIED_SINCE)
    }

    /// The `If-Unmodified-Since` date; `None` when absent, repeated or
    /// invalid.
    pub fn if_unmodified_since(&self) -> Option<SystemTime> {
        date_header(self, IF_UNMODIFIED_SINCE)
    }

    /// The `If-Range` header; `None` when absent or unparsable.
    pub fn if_range(&self) -> Option<IfRange> {
        IfRange::parse(self.header_str(IF_RANGE)?)
    }

    /// Whether an `If-Range` header is present at all (even an unparsable
    /// one, which must disable ranges).
    pub(crate) fn has_if_range(&self) -> bool {
        self.headers().contains_key(IF_RANGE)
    }
}

impl Response {
    /// The `ETag` header, parsed; `None` when absent or malformed.
    pub fn etag(&self) -> Option<ETag> {
        ETag::parse_one(self.headers().get(ETAG)?.to_str().ok()?)
    }

    /// Sets the `ETag` header.
    pub fn set_etag(&mut self, etag: &ETag) {
        if let Ok(value) = HeaderValue::from_str(&etag.to_string()) {
            self.headers_mut().insert(ETAG, value);
        }
    }

    /// The `Last-Modified` date; `None` when absent or invalid.
    pub fn last_modified(&self) -> Option<SystemTime> {
        let value = self.headers().get(LAST_MODIFIED)?.to_str().ok()?;
        crate::headers::parse_http_date(value)
    }

    /// Sets `Last-Modified` (to the second).
    pub fn set_last_modified(&mut self, time: SystemTime) {
        if let Ok(value) = HeaderValue::from_str(&crate::headers::fmt_http_date(time)) {
            self.headers_mut().insert(LAST_MODIFIED, value);
        }
    }

    /// Sets a strong `ETag` computed from the body (see
    /// [`ETag::from_bytes`]) and returns it, when the body is held in
    /// memory (set with [`set_body`](Response::set_body) and kin). A
    /// streamed body is left alone and `None` is returned: hashing it
    /// would mean reading it all first.
    ///
    /// ```
    /// use webob::Response;
    ///
    /// let mut response = Response::text("hello");
    /// let etag = response.set_etag_from_body().unwrap();
    /// assert_eq!(response.etag(), Some(etag));
    /// ```
    pub fn set_etag_from_body(&mut self) -> Option<ETag> {
        let bytes = self.peek_full_body()?;
        let etag = ETag::from_bytes(&bytes);
        self.set_etag(&etag);
        Some(etag)
    }

    /// The body's bytes if it is held whole in memory, without consuming
    /// it; `None` for a stream.
    pub(crate) fn peek_full_body(&mut self) -> Option<Bytes> {
        let body = self.body_mut();
        body.size_hint().exact()?;
        if body.is_end_stream() {
            return Some(Bytes::new());
        }
        let mut cx = Context::from_waker(Waker::noop());
        match std::pin::Pin::new(&mut *body).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) if body.is_end_stream() => {
                    *body = Body::from(data.clone());
                    Some(data)
                }
                Ok(data) => {
                    // A stream of known length: put the chunk back in front.
                    let rest = std::mem::take(body);
                    *body = crate::conditional::prepend(data, rest);
                    None
                }
                Err(_) => None,
            },
            // Pending consumed nothing; errors and ends can't be put back,
            // but a body whose exact size is known and is not at its end
            // does not end or fail on its first poll unless it is broken.
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        assert_eq!("\"x\"".parse::<ETag>().unwrap(), ETag::strong("x"));
        assert_eq!(" W/\"x\" ".parse::<ETag>().unwrap(), ETag::weak("x"));
        assert_eq!("\"\"".parse::<ETag>().unwrap(), ETag::strong(""));
        assert_eq!("bare".parse::<ETag>().unwrap(), ETag::strong("bare"));
        assert!("W/x".parse::<ETag>().is_err());
        assert!("\"unterminated".parse::<ETag>().is_err());
        assert!("".parse::<ETag>().is_err());
        assert!("has space".parse::<ETag>().is_err());
        assert_eq!(ETag::weak("a").to_string(), "W/\"a\"");
        assert_eq!(ETag::strong("a\"b c").to_string(), "\"abc\"");
    }

    #[test]
    fn comparisons_follow_rfc_9110_table() {
        // RFC 9110 §8.8.3.2's example table.
        let w1 = ETag::weak("1");
        let w2 = ETag::weak("2");
        let s1 = ETag::strong("1");
        assert!(!w1.strong_eq(&w1));
        assert!(w1.weak_eq(&w1));
        assert!(!w1.strong_eq(&w2));
        assert!(!w1.weak_eq(&w2));
        assert!(!w1.strong_eq(&s1));
        assert!(w1.weak_eq(&s1));
        assert!(s1.strong_eq(&s1));
    }

    #[test]
    fn matcher_lists() {
        let m = ETagMatcher::parse("\"a,b\", W/\"c\" ,, junk\"x , \"d\"");
        assert_eq!(
            m,
            ETagMatcher::Tags(vec![
                ETag::strong("a,b"),
                ETag::weak("c"),
                ETag::strong("d")
            ])
        );
        assert!(m.matches_weak(&ETag::strong("c")));
        assert!(!m.matches_strong(&ETag::strong("c")));
        assert!(m.matches_strong(&ETag::strong("d")));
        assert_eq!(m.to_string(), "\"a,b\", W/\"c\", \"d\"");
    }

    #[test]
    fn request_headers() {
        let req = Request::blank("/")
            .with_header("if-none-match", "\"a\"")
            .with_added_header("if-none-match", "\"b\"")
            .with_header("if-match", "*")
            .with_header(
                "if-modified-since",
                "Sun, 06 Nov 1994 08:49:37 GMT; length=12",
            )
            .with_header("if-unmodified-since", "garbage")
            .with_header("if-range", "W/\"x\"");
        assert_eq!(
            req.if_none_match(),
            Some(ETagMatcher::Tags(vec![
                ETag::strong("a"),
                ETag::strong("b")
            ]))
        );
        assert_eq!(req.if_match(), Some(ETagMatcher::Any));
        assert_eq!(
            req.if_modified_since(),
            Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777))
        );
        assert_eq!(req.if_unmodified_since(), None);
        let if_range = req.if_range().unwrap();
        // A weak tag never matches strongly.
        assert!(!if_range.matches(Some(&ETag::weak("x")), None));
        assert_eq!(
            Request::blank("/")
                .with_header("if-match", ", ,")
                .if_match(),
            None
        );
    }

    #[test]
    fn if_range_dates_match_exactly() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(784_111_777_500);
        let r = IfRange::parse("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert!(r.matches(None, Some(t)));
        assert!(!r.matches(None, Some(t + std::time::Duration::from_secs(1))));
        assert!(!r.matches(Some(&ETag::strong("x")), None));
        assert_eq!(IfRange::parse("nonsense"), None);
    }

    #[test]
    fn response_validators() {
        let mut r = Response::text("hello");
        assert_eq!(r.etag(), None);
        let tag = r.set_etag_from_body().unwrap();
        assert!(!tag.weak);
        assert_eq!(tag.tag.len(), 22);
        assert_eq!(r.etag(), Some(tag.clone()));
        assert_eq!(Response::text("hello").set_etag_from_body(), Some(tag));
        assert_ne!(Response::text("hellO").set_etag_from_body(), r.etag());
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        r.set_last_modified(t);
        assert_eq!(r.last_modified(), Some(t));
        assert_eq!(
            r.headers()["last-modified"],
            "Sun, 09 Sep 2001 01:46:40 GMT"
        );
    }

    #[tokio::test]
    async fn etag_from_body_leaves_streams_alone() {
        let mut r = Response::new();
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            vec![Ok(Bytes::from("ab")), Ok(Bytes::from("cd"))];
        r.set_body_stream(Body::from_stream(StreamOf(chunks.into_iter())));
        assert_eq!(r.set_etag_from_body(), None);
        assert_eq!(r.body_bytes(100).await.unwrap(), "abcd");
    }

    struct StreamOf<I>(I);
    impl<I: Iterator + Unpin> futures_core::Stream for StreamOf<I> {
        type Item = I::Item;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<I::Item>> {
            Poll::Ready(self.0.next())
        }
    }
}
