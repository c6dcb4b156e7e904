//! [`TestApp`]: an app that describes the request it got (Paste's
//! `egg:Paste#test`), for examples, smoke tests and benchmarks.

use std::fmt::Write as _;

use http::HeaderValue;
use http::header::CONTENT_TYPE;
use paste_core::{App, Request, RequestExt as _, Response, Result};
use webob::escape_html as escape;

/// Answers every request with an HTML page listing its method, script
/// name, path info, query string, remote address and user, and headers.
/// Every value is HTML-escaped, so the page is safe to show whatever the
/// client sent. The body is never read.
///
/// ```
/// use paste_core::{App, Request};
/// use paste_middleware::test_app::TestApp;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let req = Request::get("/hello?name=x")
///     .header("x-note", "<script>")
///     .body(().into())
///     .unwrap();
/// let response = TestApp::new().call(req).await.unwrap();
/// assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
/// let page = response.into_body().to_bytes(1 << 16).await.unwrap();
/// let page = std::str::from_utf8(&page).unwrap();
/// assert!(page.contains("<td>/hello</td>"));
/// assert!(page.contains("<td>name=x</td>"));
/// assert!(page.contains("<td>&lt;script&gt;</td>"));
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct TestApp {
    title: Option<String>,
}

impl TestApp {
    /// The app, titled "Paste test application".
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the page's title (and heading), to tell apps apart.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    fn page(&self, req: &Request) -> String {
        let title = escape(self.title.as_deref().unwrap_or("Paste test application"));
        let mut page = String::with_capacity(1024);
        let _ = write!(
            page,
            "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<table>\n"
        );
        let remote = req.remote_addr().map(|a| a.to_string()).unwrap_or_default();
        let rows = [
            ("Method", req.method().as_str()),
            ("Script name", req.script_name()),
            ("Path info", req.path_info()),
            ("Query string", req.uri().query().unwrap_or("")),
            ("Remote address", remote.as_str()),
            ("Remote user", req.remote_user().unwrap_or("")),
            ("URL scheme", req.url_scheme()),
        ];
        for (name, value) in rows {
            let _ = writeln!(page, "<tr><th>{name}</th><td>{}</td></tr>", escape(value));
        }
        page.push_str("</table>\n<h2>Headers</h2>\n<table>\n");
        for (name, value) in req.headers() {
            let _ = writeln!(
                page,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(name.as_str()),
                escape(&String::from_utf8_lossy(value.as_bytes()))
            );
        }
        page.push_str("</table>\n</body>\n</html>\n");
        page
    }
}

impl App for TestApp {
    async fn call(&self, req: Request) -> Result {
        let mut response = Response::new(self.page(&req).into());
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        Ok(response)
    }
}
