//! Small header helpers shared by the request and the response: media-type
//! parameters, charsets, HTTP dates.

use std::time::SystemTime;

use http::StatusCode;
use paste_core::Error;

/// The `charset` parameter of a media type (`text/html; charset="utf-8"`),
/// unquoted, with UTF-8 spellings normalised to `UTF-8`.
pub(crate) fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        if value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8") {
            Some("UTF-8".to_owned())
        } else {
            Some(value.to_owned())
        }
    })
}

/// Decodes `bytes` in `charset`: UTF-8 (strict: bad bytes are a 400),
/// ISO-8859-1 / Latin-1 / US-ASCII; any other charset is a 415.
pub(crate) fn decode_text(bytes: &[u8], charset: &str) -> Result<String, Error> {
    let cs = charset.to_ascii_lowercase();
    match cs.as_str() {
        "utf-8" | "utf8" => String::from_utf8(bytes.to_vec()).map_err(|err| {
            Error::new(StatusCode::BAD_REQUEST).with_message(format!(
                "the body is not valid UTF-8 (at byte {})",
                err.utf8_error().valid_up_to()
            ))
        }),
        "iso-8859-1" | "latin-1" | "latin1" | "us-ascii" | "ascii" => {
            Ok(bytes.iter().map(|&b| char::from(b)).collect())
        }
        _ => Err(Error::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            .with_message(format!("unsupported charset {charset:?}"))),
    }
}

/// Parses an HTTP date (IMF-fixdate, RFC 850 or asctime).
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value.trim()).ok()
}

/// Formats an HTTP date (IMF-fixdate).
pub fn fmt_http_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

// ----- list and parameter syntax (RFC 9110 §5.6), shared by the header parsers -----

/// A `tchar` of RFC 7230.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A non-empty `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Splits `s` on `sep` outside quoted strings (minding `\"` escapes), trims
/// each piece, drops empty pieces and stops after `max` pieces.
pub(crate) fn split_outside_quotes(s: &str, sep: u8, max: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut in_quotes = false;
    let mut i = 0;
    while i < bytes.len() && pieces.len() < max {
        match bytes[i] {
            b'\\' if in_quotes => i += 1,
            b'"' => in_quotes = !in_quotes,
            b if b == sep && !in_quotes => {
                // `sep` and `"` are ASCII, so these are char boundaries.
                let piece = s[start..i].trim();
                if !piece.is_empty() {
                    pieces.push(piece);
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if pieces.len() < max && start <= s.len() {
        let piece = s[start.min(s.len())..].trim();
        if !piece.is_empty() {
            pieces.push(piece);
        }
    }
    pieces
}

/// A parameter value: a token, or a quoted string with its `\x` escapes
/// undone. `None` when it is neither (an unterminated quote, a control
/// character, stray characters after the closing quote).
pub(crate) fn parse_value(s: &str) -> Option<String> {
    let s = s.trim();
    let Some(rest) = s.strip_prefix('"') else {
        return is_token(s).then(|| s.to_owned());
    };
    let mut out = String::with_capacity(rest.len());
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.as_str().is_empty().then_some(out),
            '\\' => out.push(chars.next()?),
            c if c.is_control() && c != '\t' => return None,
            c => out.push(c),
        }
    }
    None
}

/// `value` as a quoted string: `"` and `\` escaped, control characters
/// (CR, LF…) dropped so that the result can never split a header.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets_are_found_and_normalised() {
        assert_eq!(
            charset_param("text/html; charset=utf8").as_deref(),
            Some("UTF-8")
        );
        assert_eq!(
            charset_param("text/plain; format=flowed; Charset=\"ISO-8859-1\"").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(charset_param("application/json"), None);
    }

    #[test]
    fn decoding_is_strict_for_utf8() {
        assert_eq!(decode_text(b"caf\xc3\xa9", "UTF-8").unwrap(), "café");
        assert_eq!(decode_text(b"caf\xe9", "UTF-8").unwrap_err().status(), 400);
        assert_eq!(decode_text(b"caf\xe9", "latin-1").unwrap(), "café");
        assert_eq!(decode_text(b"x", "koi8-r").unwrap_err().status(), 415);
    }
}
