//! [`TestResponse`]: what a request answered, with the means to look at it
//! and to go on from it (follow, click, forms).

use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderMap, Method, StatusCode};

use crate::TestApp;
use crate::forms::Form;
use crate::links::{self, Link};
use crate::request::TestRequest;
use crate::status::status_line;

/// How many redirects [`maybe_follow`](TestResponse::maybe_follow) follows
/// before it calls the chain infinite.
pub const MAX_REDIRECTS: usize = 100;

/// A response, read whole, with the request it answered.
///
/// ```
/// use paste_core::{Request, Response, app_fn, http::header};
/// use webtest::TestApp;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = TestApp::new(app_fn(|req: Request| async move {
///     let mut res = Response::new(r#"<p>Hi <a id="next" href="/page/2">next</a></p>"#.into());
///     res.headers_mut().insert(header::CONTENT_TYPE, "text/html; charset=utf-8".parse().unwrap());
///     Ok(res)
/// }));
/// let res = app.get("/page/1").await;
/// assert_eq!(res.content_type(), Some("text/html"));
/// res.mustcontain(&["Hi"]);
/// res.mustnotcontain(&["Error"]);
/// let next = res.click("next").await;
/// assert_eq!(next.url(), "http://localhost/page/2");
/// # }
/// ```
pub struct TestResponse {
    app: TestApp,
    method: Method,
    url: String,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    app_error: Option<String>,
    text: OnceLock<String>,
}

impl TestResponse {
    pub(crate) fn new(
        app: TestApp,
        method: Method,
        url: String,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        app_error: Option<String>,
    ) -> Self {
        Self {
            app,
            method,
            url,
            status,
            headers,
            body,
            app_error,
            text: OnceLock::new(),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The status line: `404 Not Found`.
    pub fn status_line(&self) -> String {
        status_line(self.status)
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header's value, when it is present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type, without parameters: `text/html`.
    pub fn content_type(&self) -> Option<&str> {
        self.header(CONTENT_TYPE.as_str())
            .map(|ct| ct.split(';').next().unwrap_or("").trim())
    }

    /// The charset parameter of the content type.
    pub fn charset(&self) -> Option<String> {
        let ct = self.header(CONTENT_TYPE.as_str())?;
        ct.split(';').skip(1).find_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
        })
    }

    /// The body (decoded from gzip or deflate when it was sent so).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text: decoded with its charset (UTF-8 unless it says
    /// Latin-1), undecodable bytes replaced by `U+FFFD`.
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| match self.charset().as_deref() {
            Some("iso-8859-1" | "latin-1" | "latin1" | "us-ascii" | "ascii") => {
                self.body.iter().map(|&b| char::from(b)).collect()
            }
            _ => String::from_utf8_lossy(&self.body).into_owned(),
        })
    }

    /// The body parsed as JSON into `T` (a [`serde_json::Value`] for any).
    ///
    /// # Panics
    ///
    /// When the content type is not JSON (`…/json` or `…+json`) or the
    /// body does not parse into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        let ct = self.content_type().unwrap_or("");
        assert!(
            ct.ends_with("/json") || ct.ends_with("+json"),
            "the response to {} {} is {ct:?}, not JSON:\n{self}",
            self.method,
            self.url
        );
        match serde_json::from_slice(&self.body) {
            Ok(value) => value,
            Err(err) => panic!(
                "the JSON of the response to {} {} does not parse: {err}\n{self}",
                self.method, self.url
            ),
        }
    }

    /// The body parsed as an HTML document, to query with CSS selectors.
    ///
    /// ```
    /// # use paste_core::{Response, app_fn};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let app = webtest::TestApp::new(app_fn(|_req| async {
    /// #     let mut res = Response::new("<ul><li>a</li><li>b</li></ul>".into());
    /// #     res.headers_mut().insert("content-type", "text/html".parse().unwrap());
    /// #     Ok(res)
    /// # }));
    /// let res = app.get("/").await;
    /// let items = scraper::Selector::parse("li").unwrap();
    /// assert_eq!(res.html().select(&items).count(), 2);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When the content type is not HTML.
    pub fn html(&self) -> scraper::Html {
        let ct = self.content_type().unwrap_or("");
        assert!(
            ct.contains("html"),
            "the response to {} {} is {ct:?}, not HTML",
            self.method,
            self.url
        );
        scraper::Html::parse_document(self.text())
    }

    /// The absolute URL this answers.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The method of the request this answers.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The app this came from.
    pub fn app(&self) -> &TestApp {
        &self.app
    }

    /// When the app answered with an `Err`: its error chain.
    pub fn app_error(&self) -> Option<&str> {
        self.app_error.as_deref()
    }

    /// Whether the body holds `needle`, as is or with its runs of
    /// whitespace collapsed to one space.
    pub fn contains(&self, needle: &str) -> bool {
        let text = self.text();
        text.contains(needle) || normalize_space(text).contains(needle)
    }

    /// Fails the test unless the body holds every one of `needles`.
    ///
    /// # Panics
    ///
    /// When one is missing; the message shows the response.
    #[track_caller]
    pub fn mustcontain(&self, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(
                self.contains(needle),
                "the response to {} {} does not contain {needle:?}:\n{self}",
                self.method,
                self.url
            );
        }
        self
    }

    /// Fails the test if the body holds any one of `needles` (WebTest's
    /// `mustcontain(no=...)`).
    ///
    /// # Panics
    ///
    /// When one is present; the message shows the response.
    #[track_caller]
    pub fn mustnotcontain(&self, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(
                !self.contains(needle),
                "the response to {} {} contains {needle:?}, which it must not:\n{self}",
                self.method,
                self.url
            );
        }
        self
    }

    /// The `Location` resolved against this response's URL.
    pub fn location(&self) -> Option<String> {
        let location = self.header(LOCATION.as_str())?;
        Some(resolve(&self.url, location))
    }

    /// A `GET` of the redirect's `Location` (resolved against this URL),
    /// to await.
    ///
    /// # Panics
    ///
    /// When this is not a redirect (3xx) with a `Location`.
    #[track_caller]
    pub fn follow(&self) -> TestRequest {
        assert!(
            self.status.is_redirection(),
            "you can only follow redirect responses, not {}:\n{self}",
            self.status_line()
        );
        let Some(location) = self.location() else {
            panic!("the redirect has no Location:\n{self}");
        };
        self.app.get(&location)
    }

    /// Follows redirects until a response is not one; at most
    /// [`MAX_REDIRECTS`].
    ///
    /// # Panics
    ///
    /// When a request fails, or the chain is longer than the limit.
    pub async fn maybe_follow(self) -> Self {
        self.maybe_follow_limit(MAX_REDIRECTS).await
    }

    /// Follows at most `limit` redirects.
    ///
    /// # Panics
    ///
    /// When a request fails, or the response after `limit` redirects is
    /// still a redirect ("the redirect chain looks infinite").
    pub async fn maybe_follow_limit(self, limit: usize) -> Self {
        let mut response = self;
        let mut followed = 0;
        while response.status.is_redirection() && response.header(LOCATION.as_str()).is_some() {
            assert!(
                followed < limit,
                "the redirect chain looks infinite: still redirected after {limit} redirects, at {}",
                response.url
            );
            response = response.follow().await;
            followed += 1;
        }
        response
    }

    /// A `GET` of `href` resolved against this URL (scheme, host and
    /// fragment dropped), with this URL as the `Referer`.
    pub fn goto(&self, href: &str) -> TestRequest {
        self.app
            .get(&same_site(&self.url, href))
            .header("referer", &self.url)
    }

    /// Follows the one link (`<a href>`) whose content matches the regular
    /// expression `text`; see [`click_link`](TestResponse::click_link).
    ///
    /// # Panics
    ///
    /// When no link or several links match.
    #[track_caller]
    pub fn click(&self, text: &str) -> TestRequest {
        self.click_link(&Link::text(text))
    }

    /// Follows the link chosen by `link` (by content, id, href, index).
    /// Links to `#…` and `javascript:` are never chosen.
    ///
    /// # Panics
    ///
    /// When no link or several links match (and no index chooses one).
    #[track_caller]
    pub fn click_link(&self, link: &Link) -> TestRequest {
        let href = links::find_link(&self.html(), link).unwrap_or_else(|e| panic!("{e}"));
        self.goto(&href)
    }

    /// Follows the one `<button>` whose content matches `text` and whose
    /// `onclick` says `location.href='…'`.
    ///
    /// # Panics
    ///
    /// When no button or several buttons match.
    #[track_caller]
    pub fn clickbutton(&self, text: &str) -> TestRequest {
        self.clickbutton_by(&Link::text(text))
    }

    /// Follows the `<button>` chosen by `button` (by content, id,
    /// `onclick` pattern, index); its target is the first group of the
    /// `onclick` pattern (by default `location\.href='(.*?)'`).
    ///
    /// # Panics
    ///
    /// When no button or several buttons match.
    #[track_caller]
    pub fn clickbutton_by(&self, button: &Link) -> TestRequest {
        let href = links::find_button(&self.html(), button).unwrap_or_else(|e| panic!("{e}"));
        self.goto(&href)
    }

    /// Every `<form>` of the page, in document order.
    pub fn forms(&self) -> Vec<Form> {
        if !self.content_type().unwrap_or("").contains("html") {
            return Vec::new();
        }
        Form::parse_all(&self.html(), &self.app, &self.url)
    }

    /// The `index`-th form of the page (from 0).
    ///
    /// # Panics
    ///
    /// When there are not that many.
    #[track_caller]
    pub fn form(&self, index: usize) -> Form {
        let mut forms = self.forms();
        let count = forms.len();
        assert!(
            index < count,
            "no form #{index}: the page at {} has {count} form(s)",
            self.url
        );
        forms.swap_remove(index)
    }

    /// The form with this `id`.
    ///
    /// # Panics
    ///
    /// When there is none.
    #[track_caller]
    pub fn form_by_id(&self, id: &str) -> Form {
        let forms = self.forms();
        let ids: Vec<String> = forms
            .iter()
            .filter_map(|f| f.id().map(str::to_owned))
            .collect();
        match forms.into_iter().find(|f| f.id() == Some(id)) {
            Some(form) => form,
            None => panic!(
                "no form with id {id:?} at {}; the ids are {ids:?}",
                self.url
            ),
        }
    }

    /// Writes the body to a `.html` file in the temporary directory that
    /// outlives the test, prints its path to stderr and returns it, to open
    /// in a browser (WebTest's `showbrowser`, without starting one).
    ///
    /// # Panics
    ///
    /// When the file can't be written.
    pub fn showbrowser(&self) -> PathBuf {
        let result = tempfile::Builder::new()
            .prefix("webtest-")
            .suffix(".html")
            .tempfile()
            .and_then(|mut file| {
                std::io::Write::write_all(&mut file, &self.body)?;
                file.keep().map_err(|e| e.error)
            });
        match result {
            Ok((_, path)) => {
                eprintln!(
                    "webtest: the response to {} {} is in {}",
                    self.method,
                    self.url,
                    path.display()
                );
                path
            }
            Err(err) => panic!("can't write the response to a temporary file: {err}"),
        }
    }
}

/// `text` with every run of whitespace made one space.
fn normalize_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `reference` resolved against `base` (RFC 3986, by webob).
pub(crate) fn resolve(base: &str, reference: &str) -> String {
    webob::Request::blank(base).relative_url(reference, false)
}

/// `href` resolved against `base`, keeping only the path and query (the
/// scheme and host stay those of the app: WebTest's `goto`).
pub(crate) fn same_site(base: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or("");
    let absolute = resolve(base, href);
    match absolute.parse::<http::Uri>() {
        Ok(uri) => {
            let origin = format!(
                "{}://{}",
                base.split("://").next().unwrap_or("http"),
                base.split("://")
                    .nth(1)
                    .and_then(|r| r.split('/').next())
                    .unwrap_or("localhost")
            );
            let pq = uri
                .path_and_query()
                .map_or("/", http::uri::PathAndQuery::as_str);
            format!("{origin}{pq}")
        }
        Err(_) => absolute,
    }
}

impl fmt::Display for TestResponse {
    /// `Response: 200 OK`, the headers (but `Content-Length`) sorted, then
    /// the non-blank lines of the body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Response: {}", self.status_line())?;
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(name, _)| *name != http::header::CONTENT_LENGTH)
            .map(|(name, value)| {
                (
                    title_case(name.as_str()),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        headers.sort();
        for (name, value) in headers {
            writeln!(f, "{name}: {value}")?;
        }
        for line in self.text().lines().filter(|l| !l.trim().is_empty()) {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

impl fmt::Debug for TestResponse {
    /// `<302 Found text/html location: http://localhost/target no body>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}", self.status_line())?;
        if let Some(ct) = self.content_type() {
            write!(f, " {ct}")?;
        }
        if let Some(location) = self.location() {
            write!(f, " location: {location}")?;
        }
        if self.body.is_empty() {
            f.write_str(" no body>")
        } else {
            let text = self.text();
            let mut end = text.len().min(40);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            write!(f, " body={:?}", &text[..end])?;
            if end < text.len() {
                f.write_str("...")?;
            }
            f.write_str(">")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_like_a_browser() {
        assert_eq!(
            resolve("http://localhost/hello/foo/", "bar"),
            "http://localhost/hello/foo/bar"
        );
        assert_eq!(resolve("http://localhost/a/b", "/c"), "http://localhost/c");
        assert_eq!(
            same_site("http://localhost:8080/a/b", "http://evil.example/x?y#z"),
            "http://localhost:8080/x?y"
        );
        assert_eq!(same_site("https://h/a/", "c?d=1#frag"), "https://h/a/c?d=1");
    }

    #[test]
    fn header_names_are_title_cased() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-a"), "X-A");
    }
}
