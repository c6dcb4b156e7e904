//! Server errors and panics turned into error pages (Paste's
//! `paste.exceptions.errormiddleware`).
//!
//! [`ErrorCatcher`] answers for an app that failed: an `Err` with a 5xx
//! status, or a panic while the app was computing its response, becomes an
//! HTML page with that status (500 for a panic), and the failure is logged
//! through `tracing`. A panic while the response body streams, when the
//! status has been sent, is logged and cuts the response short. With [`debug`](ErrorCatcher::debug) on, the page shows
//! the error chain and a summary of the request; off, it shows nothing an
//! attacker could use. Nothing in it is ever executed: unlike Paste's
//! `evalexception`, there is no interactive debugger.
//!
//! ```
//! use paste_core::{App, Error, Request, app_fn};
//! use paste_middleware::error_catcher::ErrorCatcher;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = ErrorCatcher::new(app_fn(|_req: Request| async {
//!     let config = std::fs::read_to_string("/no/such/config")?;
//!     Ok(paste_core::Response::new(config.into()))
//! }))
//! .debug(true);
//!
//! let response = app.call(Request::get("/").body(().into()).unwrap()).await.unwrap();
//! assert_eq!(response.status(), 500);
//! assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
//! let page = response.into_body().to_bytes(1 << 16).await.unwrap();
//! assert!(String::from_utf8_lossy(&page).contains("No such file"));
//! # }
//! ```

use std::fmt::{self, Write as _};

use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::uri::PathAndQuery;
use http::{Method, StatusCode};
use paste_core::{App, Body, Error, Request, Response, Result, catch_call};
use webob::escape_html;

/// The request headers shown on a debug page. Cookies and credentials are
/// never shown.
const SHOWN_HEADERS: [&str; 8] = [
    "host",
    "user-agent",
    "referer",
    "accept",
    "accept-language",
    "content-type",
    "content-length",
    "x-forwarded-for",
];

/// Middleware that turns server errors and panics into error pages; see the
/// [module docs](self).
///
/// - `Ok` responses pass through untouched, except that a panic in a
///   streamed body, once the head has gone and the status can no longer
///   change, is logged like the others and ends the body with an error:
///   the server then cuts the response short, so the client sees it
///   incomplete rather than cleanly ended. (A body known in full cannot
///   panic and is not wrapped; see [`Body::catch_panic`].)
/// - An `Err` with a status below 500 (a 404, a 401 with its
///   `WWW-Authenticate`…) passes through as it is: it is the app's answer,
///   not a failure.
/// - An `Err` with a 5xx status becomes an HTML page with the same status
///   and the error's headers (a 503 keeps its `Retry-After`); a panic
///   becomes a 500 page. Both are logged at ERROR with target
///   `paste.error_catcher`, with the full error chain.
///
/// ```
/// use paste_core::{Request, Response, app_fn};
/// use paste_middleware::error_catcher::ErrorCatcher;
///
/// let app = app_fn(|_req: Request| async { Ok(Response::new("fine".into())) });
/// let production = ErrorCatcher::new(app);
/// assert!(!production.is_debug());
/// ```
#[derive(Clone)]
pub struct ErrorCatcher<A> {
    app: A,
    debug: bool,
}

impl<A> ErrorCatcher<A> {
    /// Wraps `app`, with debug pages off.
    pub fn new(app: A) -> Self {
        Self { app, debug: false }
    }

    /// Shows the error chain and a request summary on the page. For
    /// development only: error messages may name files, queries or hosts.
    #[must_use]
    pub fn debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// Whether debug pages are on.
    pub fn is_debug(&self) -> bool {
        self.debug
    }
}

impl<A> fmt::Debug for ErrorCatcher<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorCatcher")
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}

impl<A: App> App for ErrorCatcher<A> {
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn keeps a second copy of its request argument in its future"
    )]
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send {
        async move {
            // For the log: clones that share the request's buffer, no String.
            let method = req.method().clone();
            let target = req.uri().path_and_query().cloned();
            let summary = self.debug.then(|| summarise(&req));
            let outcome = catch_call(&self.app, req).await;
            let (status, mut headers, detail) = match outcome {
                Ok(Ok(response)) => {
                    let status = response.status();
                    return Ok(response.map(|body| {
                        // A streamed body may still panic, after the head
                        // has gone: then the response can only be cut
                        // short. (Bytes known in full are not wrapped.)
                        body.catch_panic(move |panic| {
                            let message = panic.message();
                            let target = target_str(target.as_ref());
                            tracing::error!(
                                target: "paste.error_catcher",
                                status = status.as_u16(),
                                "{method} {target}: the response body panicked: {message}"
                            );
                            Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                                .with_message("the response body panicked")
                        })
                    }));
                }
                Ok(Err(err)) if !err.status().is_server_error() => return Err(err),
                Ok(Err(mut err)) => {
                    let target = target_str(target.as_ref());
                    tracing::error!(
                        target: "paste.error_catcher",
                        status = err.status().as_u16(),
                        "{method} {target}: {err:#}"
                    );
                    let headers = std::mem::take(err.headers_mut());
                    (err.status(), headers, format!("{err:#}"))
                }
                Err(panic) => {
                    let message = panic.message();
                    let target = target_str(target.as_ref());
                    tracing::error!(
                        target: "paste.error_catcher",
                        status = 500,
                        "{method} {target}: the app panicked: {message}"
                    );
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        http::HeaderMap::new(),
                        format!("the app panicked: {message}"),
                    )
                }
            };
            let page = match &summary {
                Some(summary) => debug_page(status, &detail, summary),
                None => plain_page(status),
            };
            headers.remove(CONTENT_LENGTH);
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            let body = if method == Method::HEAD {
                Body::empty()
            } else {
                Body::from(page)
            };
            let mut response = Response::new(body);
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            Ok(response)
        }
    }
}

/// The request target as received: path and query (none, and an empty
/// path, only in the authority form of `CONNECT`).
fn target_str(target: Option<&PathAndQuery>) -> &str {
    target.map_or("", PathAndQuery::as_str)
}

/// The method, target and version, then the shown headers, one per line.
fn summarise(req: &Request) -> String {
    let mut out = format!("{} {} {:?}\n", req.method(), req.uri(), req.version());
    for name in SHOWN_HEADERS {
        for value in req.headers().get_all(name) {
            let _ = writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()));
        }
    }
    out
}

fn title(status: StatusCode) -> String {
    format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Server Error")
    )
}

/// A page that says nothing about the failure.
fn plain_page(status: StatusCode) -> String {
    let title = title(status);
    format!(
        "<!DOCTYPE html>\n<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n\
         <p>An error occurred. See the error logs for more information.</p>\n</body>\n</html>\n"
    )
}

/// A page with the error chain and the request summary, all escaped.
fn debug_page(status: StatusCode, detail: &str, summary: &str) -> String {
    let title = title(status);
    format!(
        "<!DOCTYPE html>\n<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n\
         <h2>Error</h2>\n<pre>{}</pre>\n<h2>Request</h2>\n<pre>{}</pre>\n\
         <p>Debug mode is on: turn it off in production.</p>\n</body>\n</html>\n",
        escape_html(detail),
        escape_html(summary),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }
}
