//! The session cookie's values as the request sent them, found without
//! an allocation in the usual case.
//!
//! [`webob::cookies::Cookies`] is the parser of record: it copies every
//! cookie of the request into owned strings, which costs more than the
//! rest of the session's work on a request that only reads its session.
//! [`sent_values`] walks the `Cookie` headers the way that parser does and
//! borrows the values instead, as long as nothing in them needs more than
//! a plain walk (no quoted value, nothing that may be an old-style
//! `Expires` date, no more pairs than the parser keeps); otherwise it
//! hands the job to webob. The tests hold the two to the same answers.

use paste_core::http::HeaderMap;
use paste_core::http::header::COOKIE;
use webob::cookies::{Cookies, MAX_COOKIES};

/// The values of the cookies called `name`, at most `N` of them, in the
/// order sent — what `Cookies::from_headers(headers).get_all(name).take(N)`
/// gives. `name_kept` says whether webob keeps a cookie of that name at
/// all (see [`keeps_name`]).
pub(super) fn sent_values<'a, const N: usize>(
    headers: &'a HeaderMap,
    name: &str,
    name_kept: bool,
) -> SentValues<'a, N> {
    if !name_kept {
        return SentValues::Scanned {
            values: [""; N],
            len: 0,
        };
    }
    match scan(headers, name.as_bytes()) {
        Some((values, len)) => SentValues::Scanned { values, len },
        None => {
            let cookies = Cookies::from_headers(headers);
            let values = cookies.get_all(name).take(N).map(str::to_owned).collect();
            SentValues::Parsed(values)
        }
    }
}

/// Whether webob keeps a cookie called `name` (a token, not an attribute
/// name such as `Path`): asked of webob itself, once per middleware.
pub(super) fn keeps_name(name: &str) -> bool {
    Cookies::parse(&format!("{name}=x")).contains(name)
}

/// What [`sent_values`] found.
pub(super) enum SentValues<'a, const N: usize> {
    /// Borrowed from the headers.
    Scanned { values: [&'a str; N], len: usize },
    /// Parsed by webob, for the unusual headers.
    Parsed(Vec<String>),
}

impl<const N: usize> SentValues<'_, N> {
    /// The values, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
        let (scanned, parsed): (&[&str], &[String]) = match self {
            Self::Scanned { values, len } => (&values[..*len], &[]),
            Self::Parsed(values) => (&[], values),
        };
        scanned
            .iter()
            .copied()
            .chain(parsed.iter().map(String::as_str))
    }
}

/// What a byte is to the walk, looked up rather than tested: the walk is
/// on the path of every request with a cookie.
const WS: u8 = 1;
const SEMI: u8 = 2;
const COMMA: u8 = 4;
const EQ: u8 = 8;
const VALUE: u8 = 16;
const SEP: u8 = WS | SEMI | COMMA;

const CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        class[b] = match b as u8 {
            b' ' | b'\t' | b'\r' | b'\n' => WS,
            b';' => SEMI,
            b',' => COMMA,
            // `=` may be part of a value, never of a name.
            b'=' => EQ | VALUE,
            b'"' => 0,
            0..0x20 | 0x7f => 0,
            _ => VALUE,
        };
        b += 1;
    }
    class
};

fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

/// Where the first byte of `input[from..]` that is not of `classes` is
/// (or the end).
fn skip(input: &[u8], from: usize, classes: u8) -> usize {
    input[from..]
        .iter()
        .position(|&b| class(b) & classes == 0)
        .map_or(input.len(), |p| from + p)
}

/// Where the value starting at `from` ends. Sixteen bytes at a time
/// while they are all value bytes (a session id or a signed value is long),
/// without a branch per byte; then one at a time.
fn value_end(input: &[u8], from: usize) -> usize {
    let is_value = |b: u8| (b > b' ') & (b != 0x7f) & (b != b'"') & (b != b';') & (b != b',');
    let mut i = from;
    for chunk in input[from..].chunks_exact(16) {
        if !chunk.iter().fold(true, |all, &b| all & is_value(b)) {
            break;
        }
        i += 16;
    }
    skip(input, i, VALUE)
}

/// The plain walk: webob's, step by step; `None` where webob reads
/// differently from a plain walk — a quoted value, or what may be an
/// old-style `Expires` date, whose comma does not end it.
fn scan<'a, const N: usize>(headers: &'a HeaderMap, name: &[u8]) -> Option<([&'a str; N], usize)> {
    let mut values = [""; N];
    let mut len = 0;
    // Pairs seen, kept or not: while they are no more than webob keeps,
    // webob's cap can't have cut any of them off.
    let mut pairs = 0;
    for header in headers.get_all(COOKIE) {
        let input = header.as_bytes();
        let n = input.len();
        let mut i = 0;
        while i < n {
            let start = skip(input, i, SEP);
            // The name runs to a separator or `=`.
            i = input[start..]
                .iter()
                .position(|&b| class(b) & (SEP | EQ) != 0)
                .map_or(n, |p| start + p);
            let key = &input[start..i];
            let j = skip(input, i, WS);
            if j >= n || input[j] != b'=' {
                continue; // a flag or junk without a value
            }
            let value_start = skip(input, j + 1, WS);
            // `"` opens a quoted value; `Www,` may open a date.
            if input.get(value_start) == Some(&b'"') || input.get(value_start + 3) == Some(&b',') {
                return None;
            }
            i = value_end(input, value_start);
            pairs += 1;
            if pairs > MAX_COOKIES {
                return None;
            }
            if key == name
                && len < N
                && let Ok(value) = std::str::from_utf8(&input[value_start..i])
            {
                values[len] = value;
                len += 1;
            }
        }
    }
    Some((values, len))
}

#[cfg(test)]
mod tests {
    use paste_core::http::HeaderValue;

    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(COOKIE, HeaderValue::from_bytes(value).unwrap());
        }
        headers
    }

    fn webob_answer(headers: &HeaderMap, name: &str) -> Vec<String> {
        Cookies::from_headers(headers)
            .get_all(name)
            .take(4)
            .map(str::to_owned)
            .collect()
    }

    fn ours(headers: &HeaderMap, name: &str) -> Vec<String> {
        sent_values::<4>(headers, name, keeps_name(name))
            .iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_walk_gives_what_webob_gives() {
        let many: String = (0..300).map(|i| format!("c{i}=v; ")).collect::<String>() + "s=last";
        let cases: Vec<Vec<&[u8]>> = vec![
            vec![],
            vec![b"s=abc"],
            vec![b"a=1; s=abc; b=2"],
            vec![b"s=one; s=two", b"s=three; x=y; s=four; s=five"],
            vec![b"s = spaced ;s=\tx"],
            vec![b"s=a b=c"],
            vec![b"Secure; s; s=; s=ok"],
            vec![b"S=upper; s=lower"],
            vec![b"s=\"quoted\"; s=plain"],
            vec![b"s=a,b; s=c"],
            vec![b"s=Wed, 09-Jun-2021 10:18:14 GMT"],
            vec![b"s=caf\xc3\xa9; s=\xff\xfe; s=after"],
            vec![b"s=x\ty; s=\tz"],
            vec![b";;; ==; =s; s==="],
            vec![b"$s=1; s=2"],
            vec![b"s=ab\"cd; s=abcd, s=x; s=ab,c; s=Wed,x"],
            vec![b"s=0123456789abcdef0123456789abcdef; t=0123456789abcdef01;23456789abcdef0"],
            vec![b"s=0123456789abcdef0123 56789abcdef; s=\xc3\xa90123456789abcdef0123456789\xc3"],
            vec![b"s=0123456789abcdef0123456789abcd\"f; s=0123456789abcdef012345678\t9abcdef"],
            vec![many.as_bytes()],
        ];
        for case in &cases {
            let headers = headers(case);
            for name in ["s", "S", "b", "path", "$s"] {
                assert_eq!(
                    ours(&headers, name),
                    webob_answer(&headers, name),
                    "{name:?} in {case:?}"
                );
            }
        }
    }

    #[test]
    fn plain_headers_are_walked_without_webob() {
        let headers = headers(&[b"a=1; s=abc; s=def"]);
        let found = sent_values::<4>(&headers, "s", true);
        assert!(matches!(found, SentValues::Scanned { len: 2, .. }));
        let quoted = super::tests::headers(&[b"s=\"abc\""]);
        assert!(matches!(
            sent_values::<4>(&quoted, "s", true),
            SentValues::Parsed(_)
        ));
    }

    #[test]
    fn attribute_names_are_not_kept() {
        assert!(keeps_name("paste_session"));
        assert!(!keeps_name("Path"));
        assert!(!keeps_name("$x"));
    }
}
