//! The one error type of the core: an HTTP status with an optional message,
//! headers and source.

use std::borrow::Cow;
use std::fmt;

use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};

use crate::{Body, Response};

/// A boxed, thread-safe standard error: what [`Error`] keeps as its source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An error that knows the HTTP status it stands for.
///
/// An [`App`](crate::App) returns `Err(Error)` for a 404 and for a 500 alike;
/// whoever serves the app turns it into a response with
/// [`into_response`](Error::into_response). Any [`std::error::Error`] converts
/// into an `Error` with status 500 and is kept as the source, so `?` works on
/// I/O errors, parse errors and the like:
///
/// ```
/// use paste_core::{Error, http::StatusCode};
///
/// fn read_config() -> Result<String, Error> {
///     let text = std::fs::read_to_string("/no/such/file")?; // a 500
///     Ok(text)
/// }
/// assert_eq!(read_config().unwrap_err().status(), StatusCode::INTERNAL_SERVER_ERROR);
///
/// let not_found = Error::new(StatusCode::NOT_FOUND).with_message("no page at /x");
/// let response = not_found.into_response();
/// assert_eq!(response.status(), 404);
/// ```
///
/// The response body is the message when one was given and the status's
/// reason phrase otherwise; the source is never shown to the client (it may
/// hold paths or secrets), only logged by the server.
///
/// Like `anyhow::Error`, this type does not itself implement
/// [`std::error::Error`] (that is what lets every standard error convert into
/// it); [`into_boxed`](Error::into_boxed) gives a [`BoxError`] when one is
/// needed, and [`from_boxed`](Error::from_boxed) gets the original back.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    status: StatusCode,
    message: Option<Cow<'static, str>>,
    headers: HeaderMap,
    source: Option<BoxError>,
}

impl Error {
    /// An error standing for `status`, with no message.
    pub fn new(status: StatusCode) -> Self {
        Self {
            inner: Box::new(Inner {
                status,
                message: None,
                headers: HeaderMap::new(),
                source: None,
            }),
        }
    }

    /// The 413 Payload Too Large that [`Body::to_bytes`](crate::Body::to_bytes)
    /// and [`Body::limited`](crate::Body::limited) fail with past `limit`
    /// bytes; for servers and middleware that refuse a body before reading
    /// it, so that the client sees one message whoever refused.
    pub fn payload_too_large(limit: u64) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE).with_message(format!(
            "the request body is larger than the limit of {limit} bytes"
        ))
    }

    /// Sets the message shown to the client as the response body.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.inner.message = Some(message.into());
        self
    }

    /// Adds a header to the response this error becomes (`Allow` on a 405,
    /// `WWW-Authenticate` on a 401, `Retry-After` on a 503…).
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.inner.headers.append(name, value);
        self
    }

    /// Keeps `source` as the cause of this error (logged, never sent).
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Turns a boxed error back into an `Error`: an `Error` that went through
    /// [`into_boxed`](Error::into_boxed) comes back whole, with its status;
    /// anything else becomes a 500 with `err` as its source.
    pub fn from_boxed(err: BoxError) -> Self {
        match err.downcast::<Boxed>() {
            Ok(boxed) => boxed.0,
            Err(other) => Self::new(StatusCode::INTERNAL_SERVER_ERROR).with_source(other),
        }
    }

    /// Boxes this error as a [`std::error::Error`], keeping everything so
    /// that [`from_boxed`](Error::from_boxed) can restore it.
    pub fn into_boxed(self) -> BoxError {
        Box::new(Boxed(self))
    }

    /// The HTTP status this error stands for.
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// The message for the client, if one was set.
    pub fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// The headers the response will carry.
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// The headers the response will carry, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.inner.headers
    }

    /// The underlying cause, if any.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.inner.source.as_deref()
    }

    /// The first error of type `E` in the source chain.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        let mut next = self
            .source()
            .map(|s| s as &(dyn std::error::Error + 'static));
        while let Some(err) = next {
            if let Some(found) = err.downcast_ref::<E>() {
                return Some(found);
            }
            next = err.source();
        }
        None
    }

    /// The response this error stands for: its status, its headers and a
    /// `text/plain` body holding the message (or the reason phrase).
    pub fn into_response(self) -> Response {
        let Inner {
            status,
            message,
            mut headers,
            ..
        } = *self.inner;
        let body = match message {
            Some(message) => Body::from(message),
            None => Body::from(status.canonical_reason().unwrap_or("Error")),
        };
        headers
            .entry(CONTENT_TYPE)
            .or_insert(HeaderValue::from_static("text/plain; charset=utf-8"));
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }
}

impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    /// Any standard error becomes a 500 with the error as its source.
    fn from(err: E) -> Self {
        Self::from_boxed(Box::new(err))
    }
}

impl fmt::Display for Error {
    /// `404 Not Found: message`; the alternate form `{:#}` adds the source
    /// chain, one `caused by` per link.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner.status)?;
        if let Some(message) = &self.inner.message {
            write!(f, ": {message}")?;
        }
        if f.alternate() {
            let mut next = self
                .source()
                .map(|s| s as &(dyn std::error::Error + 'static));
            while let Some(err) = next {
                write!(f, ": caused by: {err}")?;
                next = err.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.inner.status)
            .field("message", &self.inner.message)
            .field("headers", &self.inner.headers)
            .field("source", &self.inner.source)
            .finish()
    }
}

/// An [`Error`] dressed as a [`std::error::Error`].
struct Boxed(Error);

impl fmt::Display for Boxed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Boxed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for Boxed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<Error> for BoxError {
    fn from(err: Error) -> Self {
        err.into_boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn std_errors_become_500_and_keep_their_source() {
        let io = std::io::Error::other("disk on fire");
        let err = Error::from(io);
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(err.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(
            format!("{err:#}"),
            "500 Internal Server Error: caused by: disk on fire"
        );
    }

    #[test]
    fn boxing_round_trips_the_status() {
        let err = Error::new(StatusCode::PAYLOAD_TOO_LARGE).with_message("too big");
        let back = Error::from_boxed(err.into_boxed());
        assert_eq!(back.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(back.message(), Some("too big"));
    }

    #[tokio::test]
    async fn the_response_hides_the_source() {
        let err = Error::from(std::io::Error::other("/etc/secret"))
            .with_header(http::header::RETRY_AFTER, HeaderValue::from_static("5"));
        let response = err.into_response();
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()["retry-after"], "5");
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, "Internal Server Error");
    }
}
