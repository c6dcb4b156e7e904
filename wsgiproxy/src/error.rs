//! [`Error`]: why a proxy could not be built.

use std::fmt;

/// Why a proxy could not be built: a backend URL or an allowed host that
/// does not parse, or a feature the URL needs that is not compiled in.
///
/// Errors of the proxied requests themselves are not this type: they are
/// [`paste_core::Error`]s with the status the client gets (502, 504, 405…).
///
/// ```
/// use wsgiproxy::{ErrorKind, HostProxy};
///
/// let err = HostProxy::new("ftp://example.com/").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::BadUrl);
/// assert!(err.to_string().contains("ftp://example.com/"));
/// ```
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// What kind of [`Error`] it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The backend URL is not an `http://` or `https://` URL with a host,
    /// or it carries a user, a query or a fragment.
    BadUrl,
    /// An allowed host of a transparent proxy is not a host, `host:port`
    /// or `host:*`.
    BadHost,
    /// The URL needs a feature of this crate that is not enabled (`https`
    /// needs `tls`).
    FeatureMissing,
    /// The TLS configuration could not be built.
    Tls,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// What kind of error it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
