//! [`TestError`]: why a request of a test failed.

use std::fmt;

use crate::TestResponse;

/// What went wrong; see [`TestError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The response's status was not one the request expected.
    BadStatus,
    /// The app panicked, in `call` or while its future ran.
    Panic,
    /// `lint` found the response invalid.
    Lint,
    /// The response body failed to stream or to decode.
    Body,
    /// The request could not be built (a bad URL, header or JSON value).
    Request,
}

/// Why a request failed: what awaiting a [`TestRequest`](crate::TestRequest)
/// panics with, and what [`TestRequest::send`](crate::TestRequest::send)
/// returns. The message names the method, the URL, the status, the app's
/// error chain and the start of the body.
///
/// ```
/// use paste_core::{Error, app_fn, http::StatusCode};
/// use webtest::{ErrorKind, TestApp};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = TestApp::new(app_fn(|_req| async {
///     Err(Error::new(StatusCode::FORBIDDEN).with_message("members only"))
/// }));
/// let err = app.get("/club").send().await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::BadStatus);
/// assert!(err.to_string().contains("GET http://localhost/club"));
/// assert!(err.to_string().contains("403 Forbidden: members only"));
/// assert_eq!(err.response().unwrap().status(), 403);
/// # }
/// ```
pub struct TestError {
    kind: ErrorKind,
    message: String,
    response: Option<Box<TestResponse>>,
}

impl TestError {
    pub(crate) fn new(kind: ErrorKind, message: String) -> Self {
        Self {
            kind,
            message,
            response: None,
        }
    }

    pub(crate) fn with_response(mut self, response: TestResponse) -> Self {
        self.response = Some(Box::new(response));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The response, for a [`BadStatus`](ErrorKind::BadStatus).
    pub fn response(&self) -> Option<&TestResponse> {
        self.response.as_deref()
    }

    /// The response, for a [`BadStatus`](ErrorKind::BadStatus), by value.
    pub fn into_response(self) -> Option<TestResponse> {
        self.response.map(|r| *r)
    }
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `unwrap()` prints Debug: show the message as it is, line breaks
        // and all, so that a failing test reads well.
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for TestError {}
