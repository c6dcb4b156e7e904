//! HTTP exceptions: every 3xx, 4xx and 5xx status as a value that is both
//! an error (`?` turns it into a [`paste_core::Error`] with its status) and
//! a response (HTML, JSON or plain text, chosen by the request's `Accept`).
//!
//! ```
//! use webob::exc::HttpException;
//! use webob::{Request, Response};
//!
//! fn find(id: u32) -> Result<&'static str, HttpException> {
//!     if id == 1 { Ok("one") } else { Err(HttpException::not_found().with_detail(format!("no item {id}"))) }
//! }
//!
//! // As a response, negotiated against the request:
//! let req = Request::blank("/items/7").with_header("accept", "application/json");
//! let response = find(7).unwrap_err().to_response(&req);
//! assert_eq!(response.status(), 404);
//! assert_eq!(response.headers()["content-type"], "application/json");
//!
//! // As an error, with `?` in an app:
//! fn handler() -> Result<Response, paste_core::Error> {
//!     let item = find(7)?;
//!     Ok(Response::text(item))
//! }
//! assert_eq!(handler().unwrap_err().status(), 404);
//! ```

use std::fmt;

use http::header::ALLOW;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use paste_core::Error;

use crate::{Request, Response};

/// An HTTP status with an explanation, an optional detail and comment, and
/// extra headers; see the [module docs](self).
///
/// Every interpolated value is escaped in HTML; a redirect's `Location` is
/// made absolute and kept on this host when it is relative (no open
/// redirects); a header value with CR or LF is dropped, never sent.
#[derive(Clone)]
pub struct HttpException {
    status: StatusCode,
    detail: Option<String>,
    comment: Option<String>,
    location: Option<String>,
    headers: HeaderMap,
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $name:ident => $status:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name() -> Self {
            Self::new(StatusCode::$status)
        }
    )*};
}

macro_rules! redirects {
    ($($(#[$doc:meta])* $name:ident => $status:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(location: impl Into<String>) -> Self {
            Self::new(StatusCode::$status).with_location(location)
        }
    )*};
}

impl HttpException {
    /// An exception for any status (3xx, 4xx or 5xx are the useful ones).
    pub fn new(status: StatusCode) -> Self {
        Self {
            status,
            detail: None,
            comment: None,
            location: None,
            headers: HeaderMap::new(),
        }
    }

    constructors! {
        /// 304 Not Modified (no body).
        not_modified => NOT_MODIFIED;
        /// 400 Bad Request.
        bad_request => BAD_REQUEST;
        /// 401 Unauthorized (add a `WWW-Authenticate` header).
        unauthorized => UNAUTHORIZED;
        /// 403 Forbidden.
        forbidden => FORBIDDEN;
        /// 404 Not Found.
        not_found => NOT_FOUND;
        /// 406 Not Acceptable.
        not_acceptable => NOT_ACCEPTABLE;
        /// 409 Conflict.
        conflict => CONFLICT;
        /// 410 Gone.
        gone => GONE;
        /// 411 Length Required.
        length_required => LENGTH_REQUIRED;
        /// 412 Precondition Failed.
        precondition_failed => PRECONDITION_FAILED;
        /// 413 Payload Too Large.
        payload_too_large => PAYLOAD_TOO_LARGE;
        /// 415 Unsupported Media Type.
        unsupported_media_type => UNSUPPORTED_MEDIA_TYPE;
        /// 416 Range Not Satisfiable.
        range_not_satisfiable => RANGE_NOT_SATISFIABLE;
        /// 422 Unprocessable Content.
        unprocessable_entity => UNPROCESSABLE_ENTITY;
        /// 429 Too Many Requests.
        too_many_requests => TOO_MANY_REQUESTS;
        /// 500 Internal Server Error.
        internal_server_error => INTERNAL_SERVER_ERROR;
        /// 501 Not Implemented.
        not_implemented => NOT_IMPLEMENTED;
        /// 502 Bad Gateway.
        bad_gateway => BAD_GATEWAY;
        /// 503 Service Unavailable.
        service_unavailable => SERVICE_UNAVAILABLE;
        /// 504 Gateway Timeout.
        gateway_timeout => GATEWAY_TIMEOUT;
    }

    redirects! {
        /// 301 Moved Permanently to `location`.
        moved_permanently => MOVED_PERMANENTLY;
        /// 302 Found at `location`.
        found => FOUND;
        /// 303 See Other: `location`.
        see_other => SEE_OTHER;
        /// 307 Temporary Redirect to `location`.
        temporary_redirect => TEMPORARY_REDIRECT;
        /// 308 Permanent Redirect to `location`.
        permanent_redirect => PERMANENT_REDIRECT;
    }

    /// 405 Method Not Allowed, with the `Allow` header naming `allowed`.
    pub fn method_not_allowed(allowed: &[Method]) -> Self {
        let allow = allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        Self::new(StatusCode::METHOD_NOT_ALLOWED).with_header(ALLOW, &allow)
    }

    /// Adds a detail shown under the explanation.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds a comment: an HTML comment in HTML, a line in text and JSON.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Sets where a redirect points (made absolute and safe when served).
    #[must_use]
    pub fn with_location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Adds a header; a value with CR, LF or other invalid bytes is
    /// dropped (and logged), never sent.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        match HeaderValue::from_str(value) {
            Ok(value) => {
                self.headers.append(name, value);
            }
            Err(_) => tracing::warn!("dropping an invalid value for header {name}"),
        }
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The standard explanation of the status (WebOb's texts).
    pub fn explanation(&self) -> &'static str {
        explanation(self.status)
    }

    /// The response, negotiated against `req`: HTML for browsers (and
    /// `*/*`), JSON for `application/json`, plain text otherwise; no body
    /// for HEAD or for bodyless statuses.
    pub fn to_response(&self, req: &Request) -> Response {
        let format = Format::for_request(req);
        let mut response = self.render(format, req.method() == Method::HEAD);
        if let Some(location) = &self.location {
            response.set_location(req, location);
        }
        response
    }

    /// The response without a request to negotiate with: HTML, and a
    /// relative `Location` left relative, with the open-redirect shapes
    /// (`//host`, `/\\host`, control characters) closed as
    /// [`Response::set_location`] closes them.
    pub fn into_response(self) -> Response {
        let mut response = self.render(Format::Html, false);
        if let Some(location) = self.location.as_deref()
            && let Ok(value) = HeaderValue::from_str(&paste_core::same_host_location(location))
        {
            response.headers_mut().insert(http::header::LOCATION, value);
        }
        response
    }

    fn render(&self, format: Format, head: bool) -> Response {
        let mut response = Response::new();
        for (name, value) in &self.headers {
            response.headers_mut().append(name, value.clone());
        }
        response.set_status(self.status);
        if !crate::response::status_has_body(self.status) {
            return response;
        }
        let status = format!(
            "{} {}",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or("Unknown")
        );
        let explanation = self.explanation();
        let detail = self.detail.as_deref().unwrap_or("");
        let comment = self.comment.as_deref().unwrap_or("");
        match format {
            Format::Html => {
                let mut body = format!(
                    "<html>\n <head>\n  <title>{status}</title>\n </head>\n <body>\n  <h1>{status}</h1>\n  {}<br /><br />\n{}\n",
                    escape_html(explanation),
                    escape_html(detail),
                );
                if !comment.is_empty() {
                    body.push_str(&format!("<!-- {} -->\n", escape_html(comment)));
                }
                body.push_str(" </body>\n</html>");
                response.set_content_type("text/html");
                response.set_body(body);
            }
            Format::Json => {
                let mut message = explanation.to_owned();
                if !detail.is_empty() {
                    message.push_str("\n\n");
                    message.push_str(detail);
                }
                if !comment.is_empty() {
                    message.push_str("\n\n");
                    message.push_str(comment);
                }
                let title = self.status.canonical_reason().unwrap_or("Unknown");
                let json = serde_json::json!({"message": message, "code": status, "title": title});
                response.set_content_type("application/json");
                response.set_body(json.to_string());
            }
            Format::Text => {
                let mut body = format!("{status}\n\n{explanation}\n\n{detail}");
                if !comment.is_empty() {
                    body.push_str(&format!("\n\n{comment}"));
                }
                body.push('\n');
                response.set_content_type("text/plain");
                response.set_body(body);
            }
        }
        if head {
            let length = response
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .cloned();
            response.set_body_stream(paste_core::Body::empty());
            if let Some(length) = length {
                response
                    .headers_mut()
                    .insert(http::header::CONTENT_LENGTH, length);
            }
        }
        response
    }
}

/// The body format chosen by `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Html,
    Json,
    Text,
}

impl Format {
    fn for_request(req: &Request) -> Self {
        let offers = req
            .accept()
            .acceptable_offers(&["text/html", "application/json"]);
        match offers.first().map(|(offer, _)| offer.as_str()) {
            Some("text/html") if req.headers().contains_key(http::header::ACCEPT) => Self::Html,
            Some("application/json") => Self::Json,
            _ => Self::Text,
        }
    }
}

/// `text` escaped for HTML element content and quoted attribute values
/// (`&`, `<`, `>`, `"` and `'`): what every page built from request data
/// goes through.
///
/// ```
/// assert_eq!(webob::escape_html(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// WebOb's explanations of each status.
fn explanation(status: StatusCode) -> &'static str {
    match status.as_u16() {
        300 => "There are multiple options for the resource that you requested.",
        301 => "The resource has been moved to a new location.",
        302 => "The resource was found at another location.",
        303 => "The resource can be found at another location.",
        304 => "The resource has not been modified.",
        307 | 308 => "The resource has been moved to a new location.",
        400 => {
            "The server could not comply with the request since it is either malformed or otherwise incorrect."
        }
        401 => {
            "This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required."
        }
        402 => "Access was denied for financial reasons.",
        403 => "Access was denied to this resource.",
        404 => "The resource could not be found.",
        405 => "The method is not allowed for this resource.",
        406 => "The resource could not be generated that was acceptable to your browser.",
        407 => "Authentication with a local proxy is needed.",
        408 => "The server has waited too long for the request to be sent by the client.",
        409 => "There was a conflict when trying to complete your request.",
        410 => "This resource is no longer available. No forwarding address is given.",
        411 => "Content-Length header required.",
        412 => "Request precondition failed.",
        413 => "The body of your request was too large for this server.",
        414 => "The request URI was too long for this server.",
        415 => "The request media type is not supported by this server.",
        416 => "The Range requested is not available.",
        417 => "Expectation failed.",
        422 => "Unable to process the contained instructions",
        423 => "The resource is locked",
        424 => {
            "The method could not be performed because the requested action dependended on another action and that action failed"
        }
        428 => "This request is required to be conditional.",
        429 => "The client has sent too many requests in a given amount of time.",
        431 => "The request header fields were too large.",
        451 => "The resource is not available due to legal reasons.",
        500 => "The server has either erred or is incapable of performing the requested operation.",
        501 => "The request method is not implemented for this server.",
        502 => "Bad gateway.",
        503 => "The server is currently unavailable. Please try again at a later time.",
        504 => "The gateway has timed out.",
        505 => "The HTTP version is not supported.",
        507 => "There was not enough space to save the resource",
        511 => "Network authentication is necessary",
        _ => "",
    }
}

impl fmt::Debug for HttpException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpException")
            .field("status", &self.status)
            .field("detail", &self.detail)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for HttpException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

/// Carries the exception inside a core [`Error`], so that whoever renders
/// the error with the request at hand ([`wsgify`](crate::wsgify)) can
/// negotiate its body.
#[derive(Debug)]
pub(crate) struct Carried(pub(crate) HttpException);

impl fmt::Display for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Carried {}

impl From<HttpException> for Error {
    /// The core error with the exception's status, headers and detail (as
    /// the plain-text message); the exception rides along as the source.
    fn from(exc: HttpException) -> Self {
        let mut err = Self::new(exc.status);
        *err.headers_mut() = exc.headers.clone();
        if let Some(location) = exc.location.as_deref()
            && let Ok(value) = HeaderValue::from_str(&paste_core::same_host_location(location))
        {
            err.headers_mut().insert(http::header::LOCATION, value);
        }
        let message = match &exc.detail {
            Some(detail) => format!("{}\n\n{detail}", exc.explanation()),
            None => exc.explanation().to_owned(),
        };
        err.with_message(message).with_source(Carried(exc))
    }
}

impl From<HttpException> for Response {
    fn from(exc: HttpException) -> Self {
        exc.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(mut response: Response) -> String {
        response.text_body(1 << 20).await.unwrap()
    }

    #[tokio::test]
    async fn html_escapes_everything_interpolated() {
        let req = Request::blank("/").with_header("accept", "text/html");
        let exc = HttpException::not_found()
            .with_detail("<script>alert(1)</script>")
            .with_comment("--><script>");
        let response = exc.to_response(&req);
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=UTF-8"
        );
        let html = body(response).await;
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("<h1>404 Not Found</h1>"));
    }

    #[tokio::test]
    async fn negotiation_follows_webob() {
        for (accept, expected) in [
            (
                Some("application/json;q=0.5, text/html;q=0.4"),
                "application/json",
            ),
            (Some("*/*"), "text/html; charset=UTF-8"),
            (Some("text/plain"), "text/plain; charset=UTF-8"),
            (None, "text/plain; charset=UTF-8"),
        ] {
            let mut req = Request::blank("/");
            if let Some(accept) = accept {
                req = req.with_header("accept", accept);
            }
            let response = HttpException::forbidden().to_response(&req);
            assert_eq!(response.headers()["content-type"], expected, "{accept:?}");
        }
    }

    #[tokio::test]
    async fn json_has_webob_fields() {
        let req = Request::blank("/").with_header("accept", "application/json");
        let response = HttpException::conflict()
            .with_detail("taken")
            .to_response(&req);
        let json: serde_json::Value = serde_json::from_str(&body(response).await).unwrap();
        assert_eq!(json["code"], "409 Conflict");
        assert_eq!(json["title"], "Conflict");
        assert!(json["message"].as_str().unwrap().ends_with("taken"));
    }

    #[test]
    fn redirects_are_absolute_and_stay_home() {
        let req = Request::blank("/a/b").with_header("host", "example.com");
        let response = HttpException::found("//evil.example/").to_response(&req);
        assert_eq!(response.status(), 302);
        assert_eq!(
            response.headers()["location"],
            "http://example.com/%2Fevil.example/"
        );
        let response = HttpException::see_other("done").to_response(&req);
        assert_eq!(response.headers()["location"], "http://example.com/a/done");
    }

    #[test]
    fn head_and_bodyless_statuses_have_no_body() {
        let req = Request::blank("/").with_method(Method::HEAD);
        let response = HttpException::not_found().to_response(&req);
        assert_ne!(response.headers()["content-length"], "0");
        assert!(http_body::Body::is_end_stream(response.body()));
        let response = HttpException::not_modified().to_response(&Request::blank("/"));
        assert!(!response.headers().contains_key("content-length"));
    }

    #[test]
    fn as_a_core_error_it_keeps_status_and_headers() {
        let err: Error = HttpException::method_not_allowed(&[Method::GET, Method::HEAD]).into();
        assert_eq!(err.status(), 405);
        assert_eq!(err.headers()["allow"], "GET, HEAD");
        assert!(err.downcast_ref::<Carried>().is_some());
    }

    #[test]
    fn header_injection_is_dropped() {
        let exc = HttpException::bad_request().with_header(
            HeaderName::from_static("x-note"),
            "ok\r\nSet-Cookie: evil=1",
        );
        assert!(exc.into_response().headers().get("x-note").is_none());
    }
}
