//! [`ErrorDocument`]: custom pages for error statuses (Paste's
//! `errordocument`, `egg:Paste#errordocument`).

use std::fmt;
use std::ops::RangeInclusive;

use http::header::{
    CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    LAST_MODIFIED, SET_COOKIE, TRANSFER_ENCODING,
};
use http::uri::PathAndQuery;
use http::{HeaderMap, Method, StatusCode, Uri};
use paste_core::{App, Body, Request, RequestExt as _, Response, Result};
use webob::exc::HttpException;

/// The headers that describe a body: the error page's replace the
/// original's.
const BODY_HEADERS: [http::HeaderName; 8] = [
    CONTENT_TYPE,
    CONTENT_LENGTH,
    CONTENT_ENCODING,
    CONTENT_LANGUAGE,
    CONTENT_RANGE,
    TRANSFER_ENCODING,
    ETAG,
    LAST_MODIFIED,
];

/// Replaces the body of chosen error responses with a page of the same
/// application, or redirects them to another site.
///
/// - [`map`](ErrorDocument::map) a status, or
///   [`map_range`](ErrorDocument::map_range) a range of them, to a target.
///   The first mapping that holds the status wins.
/// - A target starting with `/` is an internal page: it is fetched through
///   the wrapped app as a `GET` (`HEAD` stays `HEAD`) without a body, at
///   that path under the current script name, with the request's headers.
///   The answer keeps the **original status** and headers, takes the page's
///   body and body headers (`Content-Type`, `Content-Length`…), and carries
///   the `Set-Cookie` headers of both.
/// - A target starting with `http://` or `https://` is external: the
///   answer is a `302` to it, keeping the original's `Set-Cookie` headers.
/// - An error page that fails (an `Err`, or a status that is not a
///   success) is not used: the original response is returned as it was.
///   Pages are fetched without going through this middleware again, so an
///   error page can't loop.
/// - An `Err` from the app with a mapped status is treated like a
///   response with that status.
///
/// ```
/// use paste_core::{App, Error, Request, RequestExt, Response, app_fn, http::StatusCode};
/// use paste_middleware::errordocument::ErrorDocument;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let site = app_fn(|req: Request| async move {
///     match req.path_info() {
///         "/errors/404" => Ok(Response::new("<h1>Nothing here</h1>".into())),
///         _ => Err(Error::new(StatusCode::NOT_FOUND)),
///     }
/// });
/// let app = ErrorDocument::new(site).map(404, "/errors/404");
///
/// let req = Request::get("/missing").body(().into()).unwrap();
/// let response = app.call(req).await.unwrap();
/// assert_eq!(response.status(), 404);
/// let body = response.into_body().to_bytes(100).await.unwrap();
/// assert_eq!(body, "<h1>Nothing here</h1>");
/// # }
/// ```
pub struct ErrorDocument<A> {
    app: A,
    mappings: Vec<(RangeInclusive<u16>, Target)>,
}

#[derive(Clone, Debug)]
enum Target {
    Internal(String),
    External(String),
}

/// Marks the request for an error page, which is passed through.
#[derive(Clone, Copy, Debug)]
struct ErrorPageRequest;

impl<A: App> ErrorDocument<A> {
    /// Wraps `app`, with no status mapped yet.
    pub fn new(app: A) -> Self {
        Self {
            app,
            mappings: Vec::new(),
        }
    }

    /// Shows `target` for responses with status `status`; see the type's
    /// docs for the targets. A target that is neither a path nor an
    /// `http(s)://` URL is taken as a path (a `/` is put in front).
    #[must_use]
    pub fn map(self, status: u16, target: &str) -> Self {
        self.map_range(status..=status, target)
    }

    /// Shows `target` for responses with a status in `statuses`
    /// (`500..=599`).
    #[must_use]
    pub fn map_range(mut self, statuses: RangeInclusive<u16>, target: &str) -> Self {
        let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
        let target = if lower.starts_with("http://") || lower.starts_with("https://") {
            Target::External(target.to_owned())
        } else if target.starts_with('/') {
            Target::Internal(target.to_owned())
        } else {
            Target::Internal(format!("/{target}"))
        };
        self.mappings.push((statuses, target));
        self
    }

    fn target(&self, status: StatusCode) -> Option<&Target> {
        let code = status.as_u16();
        self.mappings
            .iter()
            .find(|(range, _)| range.contains(&code))
            .map(|(_, target)| target)
    }

    async fn page(&self, original: Response, saved: Saved, path: &str) -> Response {
        let Some(page_req) = saved.page_request(path) else {
            tracing::warn!("the error page {path:?} is not a valid path");
            return original;
        };
        let page = match self.app.call(page_req).await {
            Ok(page) if page.status().is_success() => page,
            Ok(page) => {
                tracing::warn!(
                    "the error page {path:?} answered {}; keeping the original response",
                    page.status()
                );
                return original;
            }
            Err(err) => {
                tracing::warn!("the error page {path:?} failed: {err}; keeping the original");
                return original;
            }
        };
        let (mut parts, _discarded) = original.into_parts();
        let (page_parts, page_body) = page.into_parts();
        merge_headers(&mut parts.headers, &page_parts.headers);
        Response::from_parts(parts, page_body)
    }
}

/// The error page's body headers replace the original's; its `Set-Cookie`
/// headers are added; its other headers are dropped.
fn merge_headers(original: &mut HeaderMap, page: &HeaderMap) {
    for name in &BODY_HEADERS {
        original.remove(name);
    }
    for name in BODY_HEADERS.iter().chain([&SET_COOKIE]) {
        for value in page.get_all(name) {
            original.append(name, value.clone());
        }
    }
}

/// What is kept of the request to fetch an error page after it.
struct Saved {
    head: bool,
    uri: Uri,
    version: http::Version,
    headers: HeaderMap,
    extensions: http::Extensions,
    script_name: String,
}

impl Saved {
    fn of(req: &Request) -> Self {
        Self {
            head: req.method() == Method::HEAD,
            uri: req.uri().clone(),
            version: req.version(),
            headers: req.headers().clone(),
            extensions: req.extensions().clone(),
            script_name: req.script_name().to_owned(),
        }
    }

    fn page_request(self, path: &str) -> Option<Request> {
        let path_and_query: PathAndQuery = format!("{}{path}", self.script_name).parse().ok()?;
        let mut uri = self.uri.into_parts();
        uri.path_and_query = Some(path_and_query);
        let mut req = Request::new(Body::empty());
        *req.method_mut() = if self.head { Method::HEAD } else { Method::GET };
        *req.uri_mut() = Uri::from_parts(uri).ok()?;
        *req.version_mut() = self.version;
        *req.headers_mut() = self.headers;
        for name in [CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING] {
            req.headers_mut().remove(name);
        }
        *req.extensions_mut() = self.extensions;
        req.extensions_mut().insert(ErrorPageRequest);
        req.set_script_name(&self.script_name);
        Some(req)
    }
}

impl<A: App> App for ErrorDocument<A> {
    async fn call(&self, req: Request) -> Result {
        if self.mappings.is_empty() || req.extensions().get::<ErrorPageRequest>().is_some() {
            return self.app.call(req).await;
        }
        let saved = Saved::of(&req);
        let original = match self.app.call(req).await {
            Ok(response) => {
                if self.target(response.status()).is_none() {
                    return Ok(response);
                }
                response
            }
            Err(err) => {
                if self.target(err.status()).is_none() {
                    return Err(err);
                }
                err.into_response()
            }
        };
        match self.target(original.status()) {
            Some(Target::Internal(path)) => Ok(self.page(original, saved, path).await),
            Some(Target::External(url)) => {
                let mut redirect = HttpException::found(url.as_str()).into_response();
                for cookie in original.headers().get_all(SET_COOKIE) {
                    redirect.headers_mut().append(SET_COOKIE, cookie.clone());
                }
                Ok(redirect.into_inner())
            }
            None => Ok(original),
        }
    }
}

impl<A> fmt::Debug for ErrorDocument<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorDocument")
            .field("app", &std::any::type_name::<A>())
            .field("mappings", &self.mappings)
            .finish()
    }
}
