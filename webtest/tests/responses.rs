//! TestResponse: reading it, following redirects, clicking links and
//! buttons.

mod common;

use paste_core::http::StatusCode;
use paste_middleware::urlmap::UrlMap;
use serde::Deserialize;
use webob::{Request, Response, wsgify};
use webtest::{Link, MAX_REDIRECTS, TestApp};

const PAGE: &str = r##"<!DOCTYPE html>
<html><body>
<h1>Index</h1>
<p>Some   text
   spread over lines</p>
<a href="/about" id="about-link">About <b>us</b></a>
<a href="/page?n=1" class="p">Page</a>
<a href="/page?n=2" class="p">Page</a>
<a href="#top">Top</a>
<a href="javascript:void(0)">Script</a>
<a href="relative/child">Child</a>
<a href="http://elsewhere.example/x?y=1#frag">Away</a>
<button onclick="location.href='/pressed'" id="go">Go</button>
<button onclick="window.open('/popup')">Pop</button>
</body></html>"##;

fn site() -> TestApp {
    TestApp::new(wsgify(|req: Request| async move {
        let path = req.path().to_owned();
        let res = match path.as_str() {
            "/" | "/dir/" => Response::html(PAGE),
            "/json" => Response::json(&serde_json::json!({"name": "ann", "tags": ["a", "b"]}))?,
            "/redirect" => Response::redirect(&req, "/", StatusCode::FOUND),
            "/hello/" => Response::redirect(&req, "foo/", StatusCode::SEE_OTHER),
            "/hello/foo/" => Response::redirect(&req, "bar", StatusCode::MOVED_PERMANENTLY),
            "/loop" => Response::redirect(&req, "/loop", StatusCode::FOUND),
            "/latin" => {
                let mut res = Response::new();
                res.set_body(&b"caf\xe9"[..]);
                res.set_content_type("text/plain; charset=iso-8859-1");
                res
            }
            _ => {
                let referer = req.referer().unwrap_or("-").to_owned();
                Response::text(format!("{} {} from {referer}", req.method(), req.url()))
            }
        };
        Ok(res)
    }))
}

#[tokio::test]
async fn status_headers_body_and_text() {
    let app = site();
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.status_line(), "200 OK");
    assert_eq!(res.content_type(), Some("text/html"));
    assert_eq!(res.charset().as_deref(), Some("utf-8"));
    assert_eq!(
        res.header("content-length").unwrap(),
        PAGE.len().to_string()
    );
    assert_eq!(res.body().len(), PAGE.len());
    assert_eq!(res.text(), PAGE);
    assert_eq!(res.method(), "GET");
    let latin = app.get("/latin").await;
    assert_eq!(latin.text(), "café");
}

#[tokio::test]
async fn mustcontain_sees_collapsed_whitespace() {
    let res = site().get("/").await;
    res.mustcontain(&["Index", "Some text spread over lines"]);
    res.mustnotcontain(&["Error", "Traceback"]);
    assert!(res.contains("About <b>us</b>"));
    assert!(!res.contains("nowhere"));
}

#[tokio::test]
#[should_panic(expected = "does not contain \"Goodbye\"")]
async fn mustcontain_fails_on_a_missing_string() {
    site().get("/").await.mustcontain(&["Index", "Goodbye"]);
}

#[tokio::test]
#[should_panic(expected = "contains \"Index\", which it must not")]
async fn mustnotcontain_fails_on_a_present_string() {
    site().get("/").await.mustnotcontain(&["Index"]);
}

#[tokio::test]
async fn json_and_html_views() {
    #[derive(Deserialize)]
    struct Person {
        name: String,
        tags: Vec<String>,
    }
    let app = site();
    let person: Person = app.get("/json").await.json();
    assert_eq!((person.name.as_str(), person.tags.len()), ("ann", 2));
    let value: serde_json::Value = app.get("/json").await.json();
    assert_eq!(value["tags"][1], "b");

    let html = app.get("/").await.html();
    let links = scraper::Selector::parse("a.p").unwrap();
    assert_eq!(html.select(&links).count(), 2);
}

#[tokio::test]
#[should_panic(expected = "not JSON")]
async fn json_of_html_fails() {
    let _: serde_json::Value = site().get("/").await.json();
}

#[tokio::test]
async fn follow_resolves_relative_locations() {
    let app = site();
    let res = app.get("/redirect").await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.location().as_deref(), Some("http://localhost/"));
    let res = res.follow().await;
    res.mustcontain(&["Index"]);

    // hello/ → foo/ → bar: http://localhost/hello/foo/bar
    let res = app.get("/hello/").await.maybe_follow().await;
    assert_eq!(res.url(), "http://localhost/hello/foo/bar");
    assert_eq!(res.text(), "GET http://localhost/hello/foo/bar from -");

    // maybe_follow on a non-redirect is the response itself.
    assert_eq!(
        app.get("/json").await.maybe_follow().await.url(),
        "http://localhost/json"
    );
}

#[tokio::test]
#[should_panic(expected = "you can only follow redirect responses")]
async fn follow_of_a_200_fails() {
    let _ = site().get("/").await.follow();
}

#[tokio::test]
#[should_panic(expected = "the redirect chain looks infinite")]
async fn an_endless_redirect_chain_fails() {
    assert_eq!(MAX_REDIRECTS, 100);
    site().get("/loop").await.maybe_follow_limit(5).await;
}

#[tokio::test]
async fn click_links_by_text_id_href_and_index() {
    let app = site();
    let res = app.get("/dir/").await;
    let about = res.click("About").await;
    assert_eq!(
        about.text(),
        "GET http://localhost/about from http://localhost/dir/"
    );
    let about = res.click_link(&Link::id("about-link")).await;
    assert_eq!(about.url(), "http://localhost/about");
    let page = res.click_link(&Link::href(r"n=2$")).await;
    assert_eq!(page.url(), "http://localhost/page?n=2");
    let page = res.click_link(&Link::text("^Page$").index(0)).await;
    assert_eq!(page.url(), "http://localhost/page?n=1");
    let child = res.click("Child").await;
    assert_eq!(child.url(), "http://localhost/dir/relative/child");
    // A link to another host stays on the app, without its fragment.
    let away = res.click("Away").await;
    assert_eq!(away.url(), "http://localhost/x?y=1");
    // Both: content and id.
    res.click_link(&Link::text("us").and_id("about")).await;
}

#[tokio::test]
#[should_panic(expected = "2 links match content ~ \"^Page$\"")]
async fn an_ambiguous_click_fails() {
    let _ = site().get("/").await.click("^Page$");
}

#[tokio::test]
#[should_panic(expected = "no link matches content ~ \"Top\"")]
async fn fragment_and_javascript_links_are_not_clicked() {
    let res = site().get("/").await;
    assert!(
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| res.click("Script"))).is_err()
    );
    let _ = res.click("Top");
}

#[tokio::test]
async fn clickbutton_follows_onclick_locations() {
    let app = site();
    let res = app.get("/").await;
    let pressed = res.clickbutton("Go").await;
    assert_eq!(
        pressed.text(),
        "GET http://localhost/pressed from http://localhost/"
    );
    let popup = res
        .clickbutton_by(&Link::text("Pop").onclick(r"window\.open\('(.*?)'\)"))
        .await;
    assert_eq!(popup.url(), "http://localhost/popup");
}

#[tokio::test]
async fn goto_keeps_the_app() {
    let res = site().get("/").await;
    assert_eq!(res.goto("/x?y").await.url(), "http://localhost/x?y");
}

#[tokio::test]
async fn display_and_debug_show_the_response() {
    let app = site();
    let res = app.get("/redirect").await;
    let shown = res.to_string();
    assert!(shown.starts_with("Response: 302 Found\n"), "{shown}");
    assert!(shown.contains("Location: http://localhost/\n"), "{shown}");
    assert!(!shown.contains("Content-Length"), "{shown}");
    assert_eq!(
        format!("{res:?}"),
        "<302 Found text/html location: http://localhost/ no body>"
    );
    let json = app.get("/json").await;
    assert!(format!("{json:?}").starts_with("<200 OK application/json body="));
}

#[tokio::test]
async fn showbrowser_writes_the_page_to_a_file() {
    let res = site().get("/").await;
    let path = res.showbrowser();
    assert_eq!(path.extension().unwrap(), "html");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), PAGE);
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn urlmap_mounts_keep_their_script_name_through_follow_and_click() {
    let app = TestApp::new(
        UrlMap::new()
            .mount("/blog", site_app())
            .mount("/", common::echo()),
    );
    let res = app.get("/blog/redirect").await;
    assert_eq!(res.location().as_deref(), Some("http://localhost/blog/"));
    let index = res.follow().await;
    index.mustcontain(&["Index"]);
    let child = index.click("Child").await;
    assert_eq!(child.url(), "http://localhost/blog/relative/child");
    app.get("/blog/nowhere-else").await;
}

fn site_app() -> impl paste_core::App {
    wsgify(|req: Request| async move {
        Ok(match req.path_info() {
            "/" => Response::html(PAGE),
            "/redirect" => Response::redirect(&req, "/blog/", StatusCode::FOUND),
            _ => Response::text(req.url()),
        })
    })
}

trait PathInfo {
    fn path_info(&self) -> &str;
}
impl PathInfo for Request {
    fn path_info(&self) -> &str {
        paste_core::RequestExt::path_info(&**self)
    }
}

#[tokio::test]
async fn a_script_name_prefixes_requests_and_stays_through_follow_and_click() {
    let app = TestApp::new(site_app());
    app.set_script_name(Some("/blog"));
    let res = app.get("/redirect").await;
    assert_eq!(res.url(), "http://localhost/blog/redirect");
    assert_eq!(res.location().as_deref(), Some("http://localhost/blog/"));
    let index = res.follow().await;
    index.mustcontain(&["Index"]);
    let child = index.click("Child").await;
    assert_eq!(child.text(), "http://localhost/blog/relative/child");
    // Already under the prefix: kept as is.
    assert_eq!(
        app.get("/blog/x?y=1").await.text(),
        "http://localhost/blog/x?y=1"
    );
    app.set_script_name(None);
    assert_eq!(app.get("/x").await.text(), "http://localhost/x");
}
