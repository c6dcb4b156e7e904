//! Byte ranges: the `Range` request header and the `Content-Range`
//! response header (RFC 9110 §14).
//!
//! ```
//! use webob::range::{ContentRange, Range};
//!
//! let range = Range::parse("bytes=0-4, -3").unwrap();
//! assert_eq!(range.satisfiable(10), vec![(0, 4), (7, 9)]);
//! assert_eq!(ContentRange::new(7, 9, 10).to_string(), "bytes 7-9/10");
//! ```

use std::fmt;
use std::str::FromStr;

use http::header::RANGE;

use crate::Request;

/// The most ranges one `Range` header may ask for; past it the header is
/// ignored and the whole representation is sent.
pub const MAX_RANGES: usize = 32;

/// One `range-spec` of a `Range: bytes=…` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRangeSpec {
    /// `a-b`: bytes `a` to `b` inclusive (`a <= b`).
    FromTo(u64, u64),
    /// `a-`: from byte `a` to the end.
    From(u64),
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

impl ByteRangeSpec {
    /// This spec resolved against a representation of `len` bytes, as
    /// `(first, last)` inclusive; `None` when no byte of it exists.
    pub fn resolve(self, len: u64) -> Option<(u64, u64)> {
        if len == 0 {
            return None;
        }
        match self {
            Self::FromTo(a, b) => (a < len).then(|| (a, b.min(len - 1))),
            Self::From(a) => (a < len).then(|| (a, len - 1)),
            Self::Suffix(0) => None,
            Self::Suffix(n) => Some((len - n.min(len), len - 1)),
        }
    }
}

impl fmt::Display for ByteRangeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FromTo(a, b) => write!(f, "{a}-{b}"),
            Self::From(a) => write!(f, "{a}-"),
            Self::Suffix(n) => write!(f, "-{n}"),
        }
    }
}

/// A `Range: bytes=…` request header: one or more byte ranges.
///
/// Anything malformed — another unit, a missing `=`, `5-3`, a sign, no
/// range at all, more than [`MAX_RANGES`] — makes the whole header
/// unparsable, and RFC 9110 §14.2 says to ignore it then (send a `200`).
///
/// ```
/// use webob::range::{ByteRangeSpec, Range};
///
/// let r = Range::parse("bytes=5-").unwrap();
/// assert_eq!(r.specs(), &[ByteRangeSpec::From(5)]);
/// assert_eq!(r.satisfiable(10), vec![(5, 9)]);
/// assert_eq!(Range::parse("bytes=-5").unwrap().satisfiable(10), vec![(5, 9)]);
/// assert_eq!(Range::parse("bytes=9999-").unwrap().satisfiable(10), vec![]);
/// assert_eq!(Range::parse("items=0-5"), None);
/// assert_eq!(Range::parse("bytes=7-3"), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    specs: Vec<ByteRangeSpec>,
}

impl Range {
    /// A range of the given specs (at least one).
    pub fn new(specs: Vec<ByteRangeSpec>) -> Option<Self> {
        (!specs.is_empty()).then_some(Self { specs })
    }

    /// Parses a `Range` header value; `None` for anything malformed.
    pub fn parse(value: &str) -> Option<Self> {
        let (unit, set) = value.split_once('=')?;
        if !unit.trim().eq_ignore_ascii_case("bytes") {
            return None;
        }
        let mut specs = Vec::new();
        // RFC 9110's list syntax allows empty elements (`bytes=0-1,,5-`).
        for part in set.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if specs.len() == MAX_RANGES {
                return None;
            }
            let (first, last) = part.split_once('-')?;
            let (first, last) = (first.trim(), last.trim());
            let spec = match (first.is_empty(), last.is_empty()) {
                (true, true) => return None,
                (true, false) => ByteRangeSpec::Suffix(number(last)?),
                (false, true) => ByteRangeSpec::From(number(first)?),
                (false, false) => {
                    let (a, b) = (number(first)?, number(last)?);
                    if a > b {
                        return None;
                    }
                    ByteRangeSpec::FromTo(a, b)
                }
            };
            specs.push(spec);
        }
        Self::new(specs)
    }

    /// The specs, in the order asked.
    pub fn specs(&self) -> &[ByteRangeSpec] {
        &self.specs
    }

    /// The ranges that exist in a representation of `len` bytes, as
    /// `(first, last)` inclusive pairs clipped to the length, in the order
    /// asked. Empty means `416 Range Not Satisfiable`.
    pub fn satisfiable(&self, len: u64) -> Vec<(u64, u64)> {
        self.specs.iter().filter_map(|s| s.resolve(len)).collect()
    }
}

/// Digits only: `u64::from_str` would take a `+`.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl FromStr for Range {
    type Err = InvalidRange;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or(InvalidRange)
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes=")?;
        for (i, spec) in self.specs.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{spec}")?;
        }
        Ok(())
    }
}

/// Why a string is not a `Range` or `Content-Range` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRange;

impl fmt::Display for InvalidRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid byte range")
    }
}

impl std::error::Error for InvalidRange {}

/// A `Content-Range` value: `bytes first-last/length`,
/// `bytes first-last/*` or, on a 416, `bytes */length`.
///
/// ```
/// use webob::range::ContentRange;
///
/// let cr: ContentRange = "bytes 0-4/10".parse().unwrap();
/// assert_eq!(cr, ContentRange::new(0, 4, 10));
/// assert_eq!(ContentRange::unsatisfied(10).to_string(), "bytes */10");
/// assert!("bytes 0-50/10".parse::<ContentRange>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentRange {
    /// `(first, last)` inclusive, or `None` for `*`.
    pub range: Option<(u64, u64)>,
    /// The complete length, or `None` for `*`.
    pub complete_length: Option<u64>,
}

impl ContentRange {
    /// `bytes first-last/length`.
    pub fn new(first: u64, last: u64, length: u64) -> Self {
        Self {
            range: Some((first, last)),
            complete_length: Some(length),
        }
    }

    /// `bytes */length`, for a `416`.
    pub fn unsatisfied(length: u64) -> Self {
        Self {
            range: None,
            complete_length: Some(length),
        }
    }

    /// Parses a value; `None` when malformed or inconsistent (`first >
    /// last`, `last >= length`, `*/*`).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let rest = value
            .get(..6)
            .filter(|u| u.eq_ignore_ascii_case("bytes "))?;
        let rest = value[rest.len()..].trim_start();
        let (range, length) = rest.split_once('/')?;
        let complete_length = match length.trim() {
            "*" => None,
            n => Some(number(n)?),
        };
        let range = match range.trim() {
            "*" => None,
            r => {
                let (a, b) = r.split_once('-')?;
                let (a, b) = (number(a.trim())?, number(b.trim())?);
                if a > b || complete_length.is_some_and(|len| b >= len) {
                    return None;
                }
                Some((a, b))
            }
        };
        if range.is_none() && complete_length.is_none() {
            return None;
        }
        Some(Self {
            range,
            complete_length,
        })
    }
}

impl FromStr for ContentRange {
    type Err = InvalidRange;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or(InvalidRange)
    }
}

impl fmt::Display for ContentRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes ")?;
        match self.range {
            Some((a, b)) => write!(f, "{a}-{b}")?,
            None => f.write_str("*")?,
        }
        match self.complete_length {
            Some(len) => write!(f, "/{len}"),
            None => f.write_str("/*"),
        }
    }
}

impl Request {
    /// The `Range` header, parsed; `None` when absent, repeated or
    /// malformed (which RFC 9110 says to ignore).
    pub fn range(&self) -> Option<Range> {
        let mut values = self.headers().get_all(RANGE).iter();
        let value = values.next()?;
        if values.next().is_some() {
            return None;
        }
        Range::parse(value.to_str().ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ByteRangeSpec::{From, FromTo, Suffix};

    #[test]
    fn parses_every_shape() {
        let r = Range::parse(" Bytes = 0-0 , 5 - 9,, -3, 7- ").unwrap();
        assert_eq!(r.specs(), &[FromTo(0, 0), FromTo(5, 9), Suffix(3), From(7)]);
        assert_eq!(r.to_string(), "bytes=0-0,5-9,-3,7-");
        assert_eq!(r.satisfiable(8), vec![(0, 0), (5, 7), (5, 7), (7, 7)]);
    }

    #[test]
    fn malformed_headers_are_ignored() {
        for bad in [
            "",
            "bytes",
            "bytes=",
            "bytes=,",
            "bytes=-",
            "bytes 0-5",
            "bytes=a-5",
            "bytes=+1-5",
            "bytes=5-3",
            "bytes=1-2-3",
            "bytes=0-5,x",
            "lines=0-5",
            "bytes=--5",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(Range::parse(bad), None, "{bad:?}");
        }
        let many = format!("bytes={}", vec!["0-0"; MAX_RANGES + 1].join(","));
        assert_eq!(Range::parse(&many), None);
        let ok = format!("bytes={}", vec!["0-0"; MAX_RANGES].join(","));
        assert!(Range::parse(&ok).is_some());
    }

    #[test]
    fn resolution_clips_and_refuses() {
        assert_eq!(Suffix(5).resolve(10), Some((5, 9)));
        assert_eq!(Suffix(50).resolve(10), Some((0, 9)));
        assert_eq!(Suffix(0).resolve(10), None);
        assert_eq!(From(5).resolve(10), Some((5, 9)));
        assert_eq!(From(10).resolve(10), None);
        assert_eq!(FromTo(8, 100).resolve(10), Some((8, 9)));
        assert_eq!(FromTo(9999, 10000).resolve(10), None);
        assert_eq!(From(0).resolve(0), None);
        assert_eq!(Suffix(3).resolve(0), None);
    }

    #[test]
    fn content_range_round_trips() {
        assert_eq!(
            ContentRange::parse("bytes 0-4/*"),
            Some(ContentRange {
                range: Some((0, 4)),
                complete_length: None
            })
        );
        assert_eq!(
            ContentRange::parse("bytes */10"),
            Some(ContentRange::unsatisfied(10))
        );
        assert_eq!(
            ContentRange::parse("BYTES 9-9/10"),
            Some(ContentRange::new(9, 9, 10))
        );
        for bad in [
            "bytes */*",
            "bytes 5-4/10",
            "bytes 0-10/10",
            "items 0-1/2",
            "bytes",
            "bytes 0-1",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad:?}");
        }
        assert_eq!(ContentRange::new(0, 4, 10).to_string(), "bytes 0-4/10");
    }

    #[test]
    fn request_range() {
        let req = Request::blank("/").with_header("range", "bytes=1-2");
        assert_eq!(req.range().unwrap().specs(), &[FromTo(1, 2)]);
        let twice = req.with_added_header("range", "bytes=3-4");
        assert_eq!(twice.range(), None);
        assert_eq!(Request::blank("/").range(), None);
    }
}
