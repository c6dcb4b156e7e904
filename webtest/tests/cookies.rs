//! The cookie jar: kept across requests with the rules of RFC 6265.

mod common;

use std::time::Duration;

use paste_core::{Request, app_fn};
use paste_middleware::session::{MemoryStore, Session, SessionMiddleware};
use serde_json::Value;
use webob::Response;
use webtest::TestApp;

/// Sets the cookie given in `?set=` (a whole Set-Cookie value) and echoes
/// the Cookie header it got.
fn cookie_app() -> TestApp {
    TestApp::new(app_fn(|req: Request| async move {
        let req = webob::Request::new(req);
        let params = req.get_params()?;
        let mut res = Response::text(req.header_cookie());
        for set in params.get_all("set") {
            res.add_header("set-cookie", set)?;
        }
        Ok(res.into_inner())
    }))
}

trait CookieHeader {
    fn header_cookie(&self) -> String;
}
impl CookieHeader for webob::Request {
    fn header_cookie(&self) -> String {
        self.headers()
            .get_all("cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

#[tokio::test]
async fn cookies_come_back_on_later_requests() {
    let app = cookie_app();
    app.get("/").param("set", "a=1").await;
    app.get("/").param("set", "b=2; Path=/; HttpOnly").await;
    assert_eq!(app.get("/").await.text(), "a=1; b=2");
    assert_eq!(app.cookie("a").as_deref(), Some("1"));
    assert_eq!(app.cookies().len(), 2);
    // Replacing and deleting.
    app.get("/").param("set", "a=one").await;
    app.get("/").param("set", "b=; Max-Age=0").await;
    assert_eq!(app.get("/").await.text(), "a=one");
    app.reset();
    assert_eq!(app.get("/").await.text(), "");
    assert!(app.cookies().is_empty());
}

#[tokio::test]
async fn set_cookie_adds_one_for_the_app_host() {
    let app = cookie_app();
    app.set_cookie("spam", "eggs");
    assert_eq!(app.get("/any/path").await.text(), "spam=eggs");
    let other = cookie_app();
    other.set_host("example.org:8080");
    other.set_cookie("k", "v");
    assert_eq!(other.get("/").await.text(), "k=v");
    assert_eq!(other.get("http://www.example.org/").await.text(), "k=v");
    assert_eq!(other.get("http://elsewhere.test/").await.text(), "");
}

#[tokio::test]
async fn domain_localhost_works() {
    let app = cookie_app();
    app.get("/")
        .param("set", "spam=eggs; Domain=localhost")
        .await;
    assert_eq!(app.get("/").await.text(), "spam=eggs");
}

#[tokio::test]
async fn domains_paths_expiry_and_secure() {
    let app = cookie_app();
    app.set_host("www.example.org");
    app.get("/shop/cart").param("set", "dir=1").await; // Path defaults to /shop
    app.get("/")
        .param("set", "parent=1; Domain=.example.org")
        .await;
    app.get("/")
        .param("set", "foreign=1; Domain=other.org")
        .await;
    app.get("/")
        .param("set", "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT")
        .await;
    app.get("/").param("set", "sec=1; Secure").await; // not over http
    app.get("https://www.example.org/")
        .param("set", "sec=1; Secure")
        .await;
    app.get("/").param("set", "soon=1; Max-Age=3600").await;

    assert_eq!(
        app.get("/shop/item").await.text(),
        "dir=1; parent=1; soon=1"
    );
    assert_eq!(app.get("/shopping").await.text(), "parent=1; soon=1");
    assert_eq!(
        app.get("https://www.example.org/shop").await.text(),
        "dir=1; parent=1; sec=1; soon=1"
    );
    assert_eq!(app.get("http://example.org/").await.text(), "parent=1");
    assert_eq!(app.get("http://other.org/").await.text(), "");
    assert!(!app.cookies().contains_key("old"));
    assert!(!app.cookies().contains_key("foreign"));
}

#[tokio::test]
async fn a_response_that_fails_its_check_does_not_touch_the_jar() {
    let app = TestApp::new(app_fn(|_req| async {
        let mut res = Response::text("nope").with_status(paste_core::http::StatusCode::FORBIDDEN);
        res.add_header("set-cookie", "kept=no")?;
        Ok(res.into_inner())
    }));
    assert!(app.get("/").send().await.is_err());
    assert!(app.cookies().is_empty());
    app.get("/").status(403).await;
    assert_eq!(app.cookie("kept").as_deref(), Some("no"));
}

fn counter() -> impl paste_core::App {
    app_fn(|req: Request| async move {
        let session = Session::from_request(&req).expect("inside SessionMiddleware");
        let visits = session.get::<u32>("visits").unwrap_or(0) + 1;
        session.set("visits", &visits)?;
        Ok(Response::text(format!("visit {visits}")).into_inner())
    })
}

#[tokio::test]
async fn a_session_lives_across_requests() {
    // Session cookies are Secure: they come back over https only.
    let app = TestApp::new(SessionMiddleware::new(counter(), MemoryStore::new()));
    app.set_https(true);
    for n in 1..=3 {
        app.get("/").await.mustcontain(&[&format!("visit {n}")]);
    }
    assert!(app.cookie("paste_session").is_some());
    app.set_https(false);
    app.get("/").await.mustcontain(&["visit 1"]);
    app.set_https(true);
    app.get("/").await.mustcontain(&["visit 4"]);
    app.reset();
    app.get("/").await.mustcontain(&["visit 1"]);
}

#[tokio::test]
async fn an_insecure_session_with_max_age_works_over_http() {
    let app = TestApp::new(
        SessionMiddleware::new(counter(), MemoryStore::new())
            .secure(false)
            .max_age(Duration::from_secs(600)),
    );
    app.get("/").await;
    app.get("/").await.mustcontain(&["visit 2"]);
    let seen: Value = TestApp::new(common::echo()).get("/").await.json();
    assert_eq!(seen["headers"].get("cookie"), None, "jars are per app");
}
