//! What status a test expects: [`ExpectStatus`] and the values that
//! convert into it.

use std::fmt;

use http::StatusCode;

/// Accepts every status: `app.get("/").status(AnyStatus)` (WebTest's
/// `status='*'` or `expect_errors=True`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnyStatus;

/// The statuses a request may answer with; anything else fails the test.
///
/// It converts from what [`TestRequest::status`](crate::TestRequest::status)
/// accepts:
///
/// | value | passes when |
/// |---|---|
/// | (nothing given) | 2xx or 3xx |
/// | `404`, `StatusCode::NOT_FOUND` | the code is 404 |
/// | `"404"` | the code is 404 |
/// | `"404 Not Found"` | the status line is exactly that (case-insensitive) |
/// | `"4*"`, `"*found"` | the status line (`404 Not Found`) matches the wildcard pattern, case-insensitively (`*` any run, `?` one character) |
/// | `"*"`, [`AnyStatus`] | always |
/// | `[400, 404]`, `&[..]`, `vec![..]` | the code is one of them |
///
/// ```
/// use webtest::ExpectStatus;
/// use http::StatusCode;
///
/// assert!(ExpectStatus::from("4*").matches(StatusCode::NOT_FOUND));
/// assert!(ExpectStatus::from([200, 302]).matches(StatusCode::FOUND));
/// assert!(!ExpectStatus::default().matches(StatusCode::BAD_REQUEST));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpectStatus {
    /// 2xx or 3xx: what a request expects unless told otherwise.
    #[default]
    Success,
    /// Any status at all.
    Any,
    /// This code.
    Code(u16),
    /// One of these codes.
    OneOf(Vec<u16>),
    /// A wildcard pattern or an exact status line, matched against the
    /// status line, case-insensitively.
    Pattern(String),
}

impl ExpectStatus {
    /// Whether `status` is one of the expected ones.
    pub fn matches(&self, status: StatusCode) -> bool {
        match self {
            Self::Success => status.is_success() || status.is_redirection(),
            Self::Any => true,
            Self::Code(code) => status.as_u16() == *code,
            Self::OneOf(codes) => codes.contains(&status.as_u16()),
            Self::Pattern(pattern) => {
                let line = status_line(status).to_ascii_lowercase();
                wildcard_match(pattern.to_ascii_lowercase().as_bytes(), line.as_bytes())
            }
        }
    }
}

impl fmt::Display for ExpectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Success => f.write_str("2xx or 3xx"),
            Self::Any => f.write_str("any status"),
            Self::Code(code) => write!(f, "{code}"),
            Self::OneOf(codes) => {
                f.write_str("one of ")?;
                for (i, code) in codes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{code}")?;
                }
                Ok(())
            }
            Self::Pattern(pattern) => write!(f, "{pattern:?}"),
        }
    }
}

/// `404 Not Found`: the code and its canonical reason.
pub(crate) fn status_line(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// fnmatch-style matching of `*` (any run) and `?` (one byte).
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

impl From<AnyStatus> for ExpectStatus {
    fn from(_: AnyStatus) -> Self {
        Self::Any
    }
}

impl From<u16> for ExpectStatus {
    fn from(code: u16) -> Self {
        Self::Code(code)
    }
}

impl From<StatusCode> for ExpectStatus {
    fn from(code: StatusCode) -> Self {
        Self::Code(code.as_u16())
    }
}

impl From<&str> for ExpectStatus {
    fn from(text: &str) -> Self {
        let text = text.trim();
        if text == "*" {
            Self::Any
        } else if let Ok(code) = text.parse::<u16>() {
            Self::Code(code)
        } else {
            Self::Pattern(text.to_owned())
        }
    }
}

impl From<String> for ExpectStatus {
    fn from(text: String) -> Self {
        Self::from(text.as_str())
    }
}

impl<const N: usize> From<[u16; N]> for ExpectStatus {
    fn from(codes: [u16; N]) -> Self {
        Self::OneOf(codes.to_vec())
    }
}

impl From<&[u16]> for ExpectStatus {
    fn from(codes: &[u16]) -> Self {
        Self::OneOf(codes.to_vec())
    }
}

impl From<Vec<u16>> for ExpectStatus {
    fn from(codes: Vec<u16>) -> Self {
        Self::OneOf(codes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_the_status_line() {
        let nf = StatusCode::NOT_FOUND;
        assert!(ExpectStatus::from("4*").matches(nf));
        assert!(ExpectStatus::from("4?4 not*").matches(nf));
        assert!(ExpectStatus::from("404 NOT FOUND").matches(nf));
        assert!(!ExpectStatus::from("404 Gone").matches(nf));
        assert!(!ExpectStatus::from("5*").matches(nf));
        assert!(ExpectStatus::from("*").matches(StatusCode::IM_A_TEAPOT));
        assert!(ExpectStatus::from("404").matches(nf));
        assert!(ExpectStatus::from(&[200u16, 404][..]).matches(nf));
        assert!(!ExpectStatus::from(vec![200, 500]).matches(nf));
        assert!(ExpectStatus::default().matches(StatusCode::SEE_OTHER));
        assert!(!ExpectStatus::default().matches(StatusCode::CONTINUE));
        assert_eq!(
            ExpectStatus::from([400, 500]).to_string(),
            "one of 400, 500"
        );
    }
}
