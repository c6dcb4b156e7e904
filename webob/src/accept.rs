//! Content negotiation: the `Accept`, `Accept-Language`, `Accept-Charset`
//! and `Accept-Encoding` request headers (RFC 7231 §5.3, RFC 4647).
//!
//! Each header parses leniently and never fails:
//!
//! - a **missing** header means "anything is acceptable" (RFC 7231);
//! - an **invalid** header — one with elements but none that parse — is
//!   treated as missing, like WebOb's `*InvalidHeader`;
//! - an element that does not parse (a bad media range, a bad `q` such as
//!   `q=2` or `q=0.1234`) is skipped and the rest of the header is kept;
//! - empty list elements (`a,,b`) and optional whitespace are allowed, and
//!   tokens are case-insensitive;
//! - at most [`MAX_ELEMENTS`] elements are read from one header: the rest
//!   are ignored, so a huge header costs linear parsing and bounded
//!   matching.
//!
//! Quality is RFC-correct: `q` is 0 to 1 with up to three decimals, `q=0`
//! means "not acceptable", and the *most specific* range that matches an
//! offer decides its quality (`text/html;q=0` beats `text/*`).
//!
//! ```
//! use webob::accept::Accept;
//!
//! let accept = Accept::parse("text/*;q=0.5, text/html;q=0, application/json");
//! assert_eq!(
//!     accept.acceptable_offers(&["text/html", "text/plain", "application/json"]),
//!     vec![("application/json".to_owned(), 1.0), ("text/plain".to_owned(), 0.5)]
//! );
//! assert_eq!(accept.best_match(&["text/html"], Some("text/plain")).as_deref(), Some("text/plain"));
//! ```

use http::HeaderName;
use http::header::{ACCEPT, ACCEPT_CHARSET, ACCEPT_ENCODING, ACCEPT_LANGUAGE};

use crate::headers::{is_token, parse_value, quote, split_outside_quotes};

/// The most list elements read from one header; any further elements are
/// ignored. This bounds the cost of matching `n` offers to `n × 256`.
pub const MAX_ELEMENTS: usize = 256;

/// The most parameters read from one element (`;a=1;b=2…`).
const MAX_PARAMS: usize = 32;

/// A `qvalue` (RFC 7231 §5.3.1) in thousandths: `0[.ddd]` or `1[.000]`.
fn parse_qvalue(s: &str) -> Option<u16> {
    let (int, frac) = match s.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (s, ""),
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        let digit = u16::from(b - b'0');
        thousandths += digit * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// An element's value, parameters and weight in thousandths.
type Element<'a> = (&'a str, Vec<(String, String)>, u16);

/// One list element split into its value, its parameters before `q`
/// (names lower-cased) and its weight. `None` when a parameter or the
/// weight is malformed.
fn parse_element(element: &str) -> Option<Element<'_>> {
    let mut parts = split_outside_quotes(element, b';', MAX_PARAMS + 1).into_iter();
    let value = parts.next()?;
    let mut params = Vec::new();
    let mut q = None;
    for part in parts {
        let (name, raw) = part.split_once('=')?;
        let name = name.trim();
        if !is_token(name) {
            return None;
        }
        if name.eq_ignore_ascii_case("q") {
            q = Some(parse_qvalue(raw.trim())?);
        } else {
            let value = parse_value(raw)?;
            // Parameters after the weight are accept-ext: they take no part
            // in matching.
            if q.is_none() {
                params.push((name.to_ascii_lowercase(), value));
            }
        }
    }
    Some((value, params, q.unwrap_or(1000)))
}

/// The values of `name` in the request, joined into one list.
fn header_list(req: &crate::Request, name: HeaderName) -> Option<String> {
    let mut joined: Option<String> = None;
    for value in req.headers().get_all(name) {
        // A value that is not visible ASCII makes the header invalid.
        let value = value.to_str().ok()?;
        match &mut joined {
            Some(list) => {
                list.push_str(", ");
                list.push_str(value);
            }
            None => joined = Some(value.to_owned()),
        }
    }
    joined
}

/// Parses the elements of a header with `parse`. `None` means "treat the
/// header as missing": no elements parsed although some were there, or —
/// when `empty_ok` is false — no elements at all.
fn parse_list<T>(
    header: &str,
    empty_ok: bool,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<Vec<T>> {
    let elements = split_outside_quotes(header, b',', MAX_ELEMENTS);
    if elements.is_empty() {
        return empty_ok.then(Vec::new);
    }
    let parsed: Vec<T> = elements.into_iter().filter_map(parse).collect();
    (!parsed.is_empty()).then_some(parsed)
}

/// Keeps the winning (specificity, q) of the ranges matching an offer: the
/// most specific wins; among equally specific duplicates the first wins,
/// except that an explicit `q=0` always excludes.
fn better(best: Option<(u32, u16)>, specificity: u32, q: u16) -> Option<(u32, u16)> {
    match best {
        None => Some((specificity, q)),
        Some((s, _)) if specificity > s => Some((specificity, q)),
        Some((s, _)) if specificity == s && q == 0 => Some((s, 0)),
        other => other,
    }
}

/// Offers with their quality in thousandths → the acceptable ones, best
/// first, ties in offer order.
fn rank(offers: &[&str], mut quality: impl FnMut(&str) -> u16) -> Vec<(String, f32)> {
    let mut ranked: Vec<(String, u16)> = offers
        .iter()
        .map(|offer| ((*offer).to_owned(), quality(offer)))
        .filter(|(_, q)| *q > 0)
        .collect();
    // A stable sort keeps the offer order among equal qualities.
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    ranked
        .into_iter()
        .map(|(offer, q)| (offer, to_f32(q)))
        .collect()
}

fn to_f32(q: u16) -> f32 {
    f32::from(q) / 1000.0
}

// ----- Accept -----

#[derive(Debug, Clone, PartialEq, Eq)]
struct MediaRange {
    kind: String,
    subtype: String,
    params: Vec<(String, String)>,
    q: u16,
}

/// Parameter values are compared case-sensitively, except `charset`,
/// whose values are case-insensitive (RFC 2046 §4.1.2).
fn param_eq(name: &str, a: &str, b: &str) -> bool {
    if name == "charset" {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

impl MediaRange {
    fn parse(element: &str) -> Option<Self> {
        let (value, params, q) = parse_element(element)?;
        let (kind, subtype) = value.split_once('/')?;
        let (kind, subtype) = (kind.trim(), subtype.trim());
        if !is_token(kind) || !is_token(subtype) || (kind == "*" && subtype != "*") {
            return None;
        }
        Some(Self {
            kind: kind.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params,
            q,
        })
    }

    /// How specifically this range matches `offer` (higher is more
    /// specific), or `None` when it does not match.
    fn specificity(&self, offer: &Self) -> Option<u32> {
        let tier = if self.kind == "*" {
            0
        } else if self.kind != offer.kind {
            return None;
        } else if self.subtype == "*" {
            1
        } else if self.subtype != offer.subtype {
            return None;
        } else {
            2
        };
        for (name, value) in &self.params {
            let found = offer
                .params
                .iter()
                .any(|(n, v)| n == name && param_eq(name, v, value));
            if !found {
                return None;
            }
        }
        let count = u32::try_from(self.params.len()).unwrap_or(u32::MAX / 2);
        Some(tier * 1000 + count)
    }
}

/// The `Accept` header: which media types the client wants.
///
/// ```
/// use webob::accept::Accept;
///
/// // RFC 7231 §5.3.2's example.
/// let accept = Accept::parse(
///     "text/*;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5",
/// );
/// assert_eq!(accept.quality("text/html;level=1"), 1.0);
/// assert_eq!(accept.quality("text/html"), 0.7);
/// assert_eq!(accept.quality("text/plain"), 0.3);
/// assert_eq!(accept.quality("image/jpeg"), 0.5);
/// assert_eq!(accept.quality("text/html;level=2"), 0.4);
/// assert_eq!(accept.quality("text/html;level=3"), 0.7);
///
/// // No header: anything goes.
/// assert_eq!(Accept::missing().best_match(&["image/png"], None).as_deref(), Some("image/png"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accept {
    /// `None`: missing or invalid.
    ranges: Option<Vec<MediaRange>>,
}

impl Accept {
    /// Parses a header value. An empty value is valid and accepts nothing;
    /// a value none of whose elements parse is treated as missing.
    pub fn parse(header: &str) -> Self {
        Self {
            ranges: parse_list(header, true, MediaRange::parse),
        }
    }

    /// No header: every media type is acceptable.
    pub fn missing() -> Self {
        Self { ranges: None }
    }

    /// Whether a valid header was given (false when it was missing or
    /// invalid).
    pub fn is_present(&self) -> bool {
        self.ranges.is_some()
    }

    /// The parsed ranges, tidied (`text/html;level=1`), with their
    /// quality, in header order. Empty when the header is missing.
    pub fn ranges(&self) -> Vec<(String, f32)> {
        self.ranges
            .iter()
            .flatten()
            .map(|r| {
                let mut s = format!("{}/{}", r.kind, r.subtype);
                for (name, value) in &r.params {
                    s.push(';');
                    s.push_str(name);
                    s.push('=');
                    if is_token(value) {
                        s.push_str(value);
                    } else {
                        s.push_str(&quote(value));
                    }
                }
                (s, to_f32(r.q))
            })
            .collect()
    }

    /// The quality of one offer (`type/subtype[;params]`), 0 when it is not
    /// acceptable. An offer that does not parse, or that has a wildcard,
    /// has quality 0.
    pub fn quality(&self, offer: &str) -> f32 {
        to_f32(self.quality_of(offer))
    }

    fn quality_of(&self, offer: &str) -> u16 {
        let Some(offer) = MediaRange::parse(offer) else {
            return 0;
        };
        if offer.kind == "*" || offer.subtype == "*" || offer.q != 1000 {
            return 0;
        }
        let Some(ranges) = &self.ranges else {
            return 1000;
        };
        let mut best = None;
        for range in ranges {
            if let Some(specificity) = range.specificity(&offer) {
                best = better(best, specificity, range.q);
            }
        }
        best.map_or(0, |(_, q)| q)
    }

    /// The acceptable offers with their quality, best first (ties in offer
    /// order); offers with quality 0, unparsable offers and wildcard offers
    /// are left out.
    pub fn acceptable_offers(&self, offers: &[&str]) -> Vec<(String, f32)> {
        rank(offers, |offer| self.quality_of(offer))
    }

    /// The best acceptable offer, else `default`.
    pub fn best_match(&self, offers: &[&str], default: Option<&str>) -> Option<String> {
        best(self.acceptable_offers(offers), default)
    }

    /// Whether HTML is acceptable: any of `text/html`,
    /// `application/xhtml+xml`, `application/xml` or `text/xml`.
    pub fn accepts_html(&self) -> bool {
        !self
            .acceptable_offers(&[
                "text/html",
                "application/xhtml+xml",
                "application/xml",
                "text/xml",
            ])
            .is_empty()
    }
}

fn best(ranked: Vec<(String, f32)>, default: Option<&str>) -> Option<String> {
    ranked
        .into_iter()
        .next()
        .map(|(offer, _)| offer)
        .or_else(|| default.map(str::to_owned))
}

// ----- token lists: Accept-Charset, Accept-Encoding, Accept-Language -----

#[derive(Debug, Clone, PartialEq, Eq)]
struct TokenRange {
    /// Lower-cased.
    value: String,
    q: u16,
}

fn parse_token_range(element: &str, valid: impl Fn(&str) -> bool) -> Option<TokenRange> {
    let (value, _params, q) = parse_element(element)?;
    valid(value).then(|| TokenRange {
        value: value.to_ascii_lowercase(),
        q,
    })
}

fn fmt_token_ranges(ranges: Option<&Vec<TokenRange>>) -> Vec<(String, f32)> {
    ranges
        .into_iter()
        .flatten()
        .map(|r| (r.value.clone(), to_f32(r.q)))
        .collect()
}

/// The winning (specificity, q) among exact (specificity 1) and `*`
/// (specificity 0) matches of `offer`.
fn token_decision(ranges: &[TokenRange], offer: &str) -> Option<(u32, u16)> {
    let mut best = None;
    for range in ranges {
        if range.value == "*" {
            best = better(best, 0, range.q);
        } else if range.value.eq_ignore_ascii_case(offer) {
            best = better(best, 1, range.q);
        }
    }
    best
}

/// The `Accept-Charset` header: which charsets the client reads.
///
/// There is no special case for ISO-8859-1 (RFC 7231 dropped it).
///
/// ```
/// use webob::accept::AcceptCharset;
///
/// let accept = AcceptCharset::parse("utf-8, *;q=0.1, latin1;q=0");
/// assert_eq!(
///     accept.acceptable_offers(&["latin1", "UTF-8", "koi8-r"]),
///     vec![("UTF-8".to_owned(), 1.0), ("koi8-r".to_owned(), 0.1)]
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AcceptCharset {
    ranges: Option<Vec<TokenRange>>,
}

impl AcceptCharset {
    /// Parses a header value. An empty value is invalid (the grammar needs
    /// one element) and, like any invalid value, is treated as missing.
    pub fn parse(header: &str) -> Self {
        Self {
            ranges: parse_list(header, false, |e| parse_token_range(e, is_token)),
        }
    }

    /// No header: every charset is acceptable.
    pub fn missing() -> Self {
        Self { ranges: None }
    }

    /// Whether a valid header was given.
    pub fn is_present(&self) -> bool {
        self.ranges.is_some()
    }

    /// The parsed ranges (lower-cased) with their quality, in header order.
    pub fn ranges(&self) -> Vec<(String, f32)> {
        fmt_token_ranges(self.ranges.as_ref())
    }

    /// The quality of one charset, 0 when it is not acceptable.
    pub fn quality(&self, offer: &str) -> f32 {
        to_f32(self.quality_of(offer))
    }

    fn quality_of(&self, offer: &str) -> u16 {
        match &self.ranges {
            None => 1000,
            Some(ranges) => token_decision(ranges, offer).map_or(0, |(_, q)| q),
        }
    }

    /// The acceptable offers with their quality, best first (ties in offer
    /// order), without those of quality 0.
    pub fn acceptable_offers(&self, offers: &[&str]) -> Vec<(String, f32)> {
        rank(offers, |offer| self.quality_of(offer))
    }

    /// The best acceptable offer, else `default`.
    pub fn best_match(&self, offers: &[&str], default: Option<&str>) -> Option<String> {
        best(self.acceptable_offers(offers), default)
    }
}

/// The `Accept-Encoding` header: which content codings the client decodes.
///
/// `identity` (no coding) is acceptable unless excluded by `identity;q=0`,
/// or by `*;q=0` without an `identity` entry (RFC 7231 §5.3.4). `x-gzip`
/// and `x-compress` are the same codings as `gzip` and `compress` (RFC 7230
/// §4.2).
///
/// ```
/// use webob::accept::AcceptEncoding;
///
/// let accept = AcceptEncoding::parse("gzip;q=0.5, br");
/// assert_eq!(
///     accept.acceptable_offers(&["gzip", "br", "identity", "zstd"]),
///     vec![("br".to_owned(), 1.0), ("identity".to_owned(), 1.0), ("gzip".to_owned(), 0.5)]
/// );
/// assert_eq!(AcceptEncoding::parse("").best_match(&["gzip", "identity"], None).as_deref(), Some("identity"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AcceptEncoding {
    ranges: Option<Vec<TokenRange>>,
}

fn normalise_coding(coding: &str) -> &str {
    if coding.eq_ignore_ascii_case("x-gzip") {
        "gzip"
    } else if coding.eq_ignore_ascii_case("x-compress") {
        "compress"
    } else {
        coding
    }
}

impl AcceptEncoding {
    /// Parses a header value. An empty value is valid and accepts only
    /// `identity`; a value none of whose elements parse is treated as
    /// missing.
    pub fn parse(header: &str) -> Self {
        let ranges = parse_list(header, true, |e| {
            parse_token_range(e, is_token).map(|mut range| {
                range.value = normalise_coding(&range.value).to_owned();
                range
            })
        });
        Self { ranges }
    }

    /// No header: every coding is acceptable.
    pub fn missing() -> Self {
        Self { ranges: None }
    }

    /// Whether a valid header was given.
    pub fn is_present(&self) -> bool {
        self.ranges.is_some()
    }

    /// The parsed ranges (lower-cased) with their quality, in header order.
    pub fn ranges(&self) -> Vec<(String, f32)> {
        fmt_token_ranges(self.ranges.as_ref())
    }

    /// The quality of one coding, 0 when it is not acceptable.
    pub fn quality(&self, offer: &str) -> f32 {
        to_f32(self.quality_of(offer))
    }

    fn quality_of(&self, offer: &str) -> u16 {
        let Some(ranges) = &self.ranges else {
            return 1000;
        };
        let offer = normalise_coding(offer);
        match token_decision(ranges, offer) {
            Some((1, q)) => q,
            // Only `*` matched: it can exclude identity but not weigh it.
            Some((_, q)) if offer.eq_ignore_ascii_case("identity") => {
                if q == 0 {
                    0
                } else {
                    1000
                }
            }
            Some((_, q)) => q,
            None if offer.eq_ignore_ascii_case("identity") => 1000,
            None => 0,
        }
    }

    /// The acceptable offers with their quality, best first (ties in offer
    /// order), without those of quality 0.
    pub fn acceptable_offers(&self, offers: &[&str]) -> Vec<(String, f32)> {
        rank(offers, |offer| self.quality_of(offer))
    }

    /// The best acceptable offer, else `default`.
    pub fn best_match(&self, offers: &[&str], default: Option<&str>) -> Option<String> {
        best(self.acceptable_offers(offers), default)
    }
}

/// The longest language range read; longer ones are skipped, so that
/// lookup's truncation stays cheap. (BCP 47 asks for at least 35.)
const MAX_LANGUAGE_RANGE: usize = 128;

/// A language range: `*`, or 1–8 letters followed by `-`-separated
/// subtags of 1–8 letters or digits (RFC 4647 §2.1), at most
/// [`MAX_LANGUAGE_RANGE`] characters long.
fn is_language_range(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    if s.len() > MAX_LANGUAGE_RANGE {
        return false;
    }
    let mut subtags = s.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && subtags
            .all(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Removes the last subtag of a range, and a single-character subtag
/// (an extension singleton) left in front of it (RFC 4647 §3.4).
/// `false` once nothing is left.
fn truncate_range(range: &mut String) -> bool {
    let Some(i) = range.rfind('-') else {
        range.clear();
        return false;
    };
    range.truncate(i);
    let last_start = range.rfind('-').map_or(0, |j| j + 1);
    if range.len() - last_start == 1 {
        range.truncate(last_start.saturating_sub(1));
    }
    !range.is_empty()
}

/// The `Accept-Language` header: which languages the client reads.
///
/// [`acceptable_offers`](AcceptLanguage::acceptable_offers) uses basic
/// filtering (RFC 4647 §3.3.1): a range matches a tag equal to it or
/// starting with it followed by `-`, case-insensitively, and `*` matches
/// any tag; the longest matching range decides. [`lookup`](AcceptLanguage::lookup)
/// finds the one best tag (RFC 4647 §3.4).
///
/// ```
/// use webob::accept::AcceptLanguage;
///
/// let accept = AcceptLanguage::parse("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5");
/// assert_eq!(
///     accept.acceptable_offers(&["en-US", "fr", "ja"]),
///     vec![("fr".to_owned(), 0.9), ("en-US".to_owned(), 0.8), ("ja".to_owned(), 0.5)]
/// );
/// let accept = AcceptLanguage::parse("zh-Hant-CN-x-private1");
/// assert_eq!(accept.lookup(&["zh", "zh-Hant"], Some("en")).as_deref(), Some("zh-Hant"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AcceptLanguage {
    ranges: Option<Vec<TokenRange>>,
}

impl AcceptLanguage {
    /// Parses a header value. An empty value is invalid (the grammar needs
    /// one element) and, like any invalid value, is treated as missing.
    pub fn parse(header: &str) -> Self {
        Self {
            ranges: parse_list(header, false, |e| parse_token_range(e, is_language_range)),
        }
    }

    /// No header: every language is acceptable.
    pub fn missing() -> Self {
        Self { ranges: None }
    }

    /// Whether a valid header was given.
    pub fn is_present(&self) -> bool {
        self.ranges.is_some()
    }

    /// The parsed ranges (lower-cased) with their quality, in header order.
    pub fn ranges(&self) -> Vec<(String, f32)> {
        fmt_token_ranges(self.ranges.as_ref())
    }

    /// The winning (specificity, q) of the ranges matching `tag` by basic
    /// filtering; specificity is the number of subtags, 0 for `*`.
    fn decision(ranges: &[TokenRange], tag: &str) -> Option<(u32, u16)> {
        let mut best = None;
        for range in ranges {
            let specificity = if range.value == "*" {
                0
            } else if tag.eq_ignore_ascii_case(&range.value)
                || (tag.len() > range.value.len()
                    && tag.as_bytes()[range.value.len()] == b'-'
                    && tag.as_bytes()[..range.value.len()]
                        .eq_ignore_ascii_case(range.value.as_bytes()))
            {
                u32::try_from(range.value.split('-').count()).unwrap_or(u32::MAX)
            } else {
                continue;
            };
            best = better(best, specificity, range.q);
        }
        best
    }

    /// The quality of one language tag, 0 when it is not acceptable.
    pub fn quality(&self, tag: &str) -> f32 {
        to_f32(self.quality_of(tag))
    }

    fn quality_of(&self, tag: &str) -> u16 {
        match &self.ranges {
            None => 1000,
            Some(ranges) => Self::decision(ranges, tag).map_or(0, |(_, q)| q),
        }
    }

    /// The acceptable tags with their quality, best first (ties in offer
    /// order), without those of quality 0.
    pub fn acceptable_offers(&self, offers: &[&str]) -> Vec<(String, f32)> {
        rank(offers, |offer| self.quality_of(offer))
    }

    /// The best acceptable tag by basic filtering, else `default`.
    pub fn best_match(&self, offers: &[&str], default: Option<&str>) -> Option<String> {
        best(self.acceptable_offers(offers), default)
    }

    /// RFC 4647 §3.4 lookup: the ranges are tried by descending quality
    /// (ties in header order), each one progressively truncated from the
    /// right (`de-ch-1996` → `de-ch` → `de`), against the offered tags,
    /// case-insensitively; the first tag found is returned as offered.
    /// `*` and `q=0` ranges are skipped, and a tag whose most specific
    /// matching range has `q=0` is never returned. Without a header, or
    /// when nothing is found, gives `default`.
    pub fn lookup(&self, offers: &[&str], default: Option<&str>) -> Option<String> {
        let fallback = default.map(str::to_owned);
        let Some(ranges) = &self.ranges else {
            return fallback;
        };
        let mut ordered: Vec<&TokenRange> = ranges
            .iter()
            .filter(|r| r.q > 0 && r.value != "*")
            .collect();
        ordered.sort_by_key(|r| std::cmp::Reverse(r.q));
        for range in ordered {
            let mut candidate = range.value.clone();
            loop {
                let found = offers.iter().find(|tag| {
                    tag.eq_ignore_ascii_case(&candidate)
                        && Self::decision(ranges, tag).is_none_or(|(_, q)| q > 0)
                });
                if let Some(tag) = found {
                    return Some((*tag).to_owned());
                }
                if !truncate_range(&mut candidate) {
                    break;
                }
            }
        }
        fallback
    }
}

// ----- the request side -----

impl crate::Request {
    /// The `Accept` header, parsed (see [`Accept`]); missing or invalid
    /// means "anything is acceptable".
    pub fn accept(&self) -> Accept {
        header_list(self, ACCEPT).map_or_else(Accept::missing, |v| Accept::parse(&v))
    }

    /// The `Accept-Language` header, parsed (see [`AcceptLanguage`]).
    pub fn accept_language(&self) -> AcceptLanguage {
        header_list(self, ACCEPT_LANGUAGE)
            .map_or_else(AcceptLanguage::missing, |v| AcceptLanguage::parse(&v))
    }

    /// The `Accept-Charset` header, parsed (see [`AcceptCharset`]).
    pub fn accept_charset(&self) -> AcceptCharset {
        header_list(self, ACCEPT_CHARSET)
            .map_or_else(AcceptCharset::missing, |v| AcceptCharset::parse(&v))
    }

    /// The `Accept-Encoding` header, parsed (see [`AcceptEncoding`]).
    pub fn accept_encoding(&self) -> AcceptEncoding {
        header_list(self, ACCEPT_ENCODING)
            .map_or_else(AcceptEncoding::missing, |v| AcceptEncoding::parse(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.125"), Some(125));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("1."), Some(1000));
        for bad in [
            "", ".", "1.001", "0.1234", "2", "00.5", "-0", "0.5a", "0,5", "+1", "0.٣",
        ] {
            assert_eq!(parse_qvalue(bad), None, "{bad}");
        }
    }

    #[test]
    fn splitting_minds_quotes() {
        assert_eq!(
            split_outside_quotes(r#" a ,, b="x, \"y\"" ,c,"#, b',', 10),
            vec!["a", r#"b="x, \"y\"""#, "c"]
        );
        assert_eq!(split_outside_quotes("a,b,c,d", b',', 2), vec!["a", "b"]);
        assert!(split_outside_quotes(" , ,", b',', 10).is_empty());
        // Multi-byte text is cut at ASCII separators only.
        assert_eq!(split_outside_quotes("é;ü", b';', 10), vec!["é", "ü"]);
    }

    #[test]
    fn values_and_quoting() {
        assert_eq!(parse_value("tok").as_deref(), Some("tok"));
        assert_eq!(
            parse_value(r#""a \"b\" \\""#).as_deref(),
            Some(r#"a "b" \"#)
        );
        assert_eq!(parse_value(r#""open"#), None);
        assert_eq!(parse_value(r#""a"b"#), None);
        assert_eq!(parse_value("a b"), None);
        assert_eq!(parse_value("\"\\"), None);
        assert_eq!(quote("a\"b\\c\r\nd"), r#""a\"b\\cd""#);
        assert_eq!(parse_value(&quote("x \"y\"")).as_deref(), Some("x \"y\""));
    }

    #[test]
    fn truncation() {
        let mut r = "zh-hant-cn-x-private1".to_owned();
        assert!(truncate_range(&mut r));
        assert_eq!(r, "zh-hant-cn");
        assert!(truncate_range(&mut r));
        assert_eq!(r, "zh-hant");
        assert!(truncate_range(&mut r));
        assert_eq!(r, "zh");
        assert!(!truncate_range(&mut r));
        let mut r = "x-foo".to_owned();
        assert!(!truncate_range(&mut r));
    }
}
