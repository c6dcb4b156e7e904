//! Redirects and cookies of the backend, as the front end shows them.

use paste_core::{Request, Response, app_fn};
use wsgiproxy::HostProxy;

use crate::common::*;

/// A backend that redirects to `/base/next` as an absolute URL of its own
/// and sets cookies scoped to its host and base.
fn redirecting(own: String) -> impl paste_core::App {
    app_fn(move |req: Request| {
        let own = own.clone();
        async move {
            let location = match req.uri().path() {
                "/base/absolute" => format!("http://{own}/base/next?x=1"),
                "/base/path" => "/base/next".to_owned(),
                "/base/outside" => format!("http://{own}/elsewhere"),
                "/base/foreign" => "https://example.com/base/next".to_owned(),
                _ => "next".to_owned(),
            };
            Ok(Response::builder()
                .status(302)
                .header("location", location)
                .header("set-cookie", "sid=1; Path=/base; HttpOnly")
                .header("set-cookie", "pref=2; Path=/base/admin; Domain=127.0.0.1")
                .header("set-cookie", "other=3; Path=/elsewhere")
                .body(().into())
                .unwrap())
        }
    })
}

/// A backend whose redirects name its own address.
fn start_redirecting() -> Running {
    start_at(|addr| redirecting(addr.to_string()))
}

#[tokio::test]
async fn redirects_to_the_backend_come_back_as_front_end_paths() {
    let backend = start_redirecting();
    let front = start(mounted(
        "/app",
        HostProxy::new(&backend.url("/base")).unwrap(),
    ));
    for (path, expected) in [
        ("/app/absolute", "/app/next?x=1".to_owned()),
        ("/app/path", "/app/next".to_owned()),
        ("/app/relative", "next".to_owned()),
        ("/app/foreign", "https://example.com/base/next".to_owned()),
        // Outside the base the front end has nothing to show: kept.
        ("/app/outside", format!("http://{}/elsewhere", backend.addr)),
    ] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: front\r\n\r\n");
        let response = raw_exchange(front.addr, request.as_bytes()).await;
        assert_eq!(response.status(), 302, "{path}");
        assert_eq!(
            response.header("location"),
            Some(expected.as_str()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn cookies_of_the_backend_are_scoped_to_the_front_end() {
    let backend = start_redirecting();
    let front = start(mounted(
        "/app",
        HostProxy::new(&backend.url("/base")).unwrap(),
    ));
    let response = raw_exchange(front.addr, b"GET /app/x HTTP/1.1\r\nHost: front\r\n\r\n").await;
    assert_eq!(
        response.all("set-cookie"),
        [
            "sid=1; Path=/app; HttpOnly",
            "pref=2; Path=/app/admin",
            "other=3; Path=/elsewhere"
        ]
    );
}

#[tokio::test]
async fn rewriting_can_be_turned_off() {
    let backend = start_redirecting();
    let proxy = HostProxy::new(&backend.url("/base"))
        .unwrap()
        .rewrite_location(false)
        .rewrite_cookies(false);
    let front = start(mounted("/app", proxy));
    let response = raw_exchange(front.addr, b"GET /app/path HTTP/1.1\r\nHost: front\r\n\r\n").await;
    assert_eq!(response.header("location"), Some("/base/next"));
    assert_eq!(response.all("set-cookie")[0], "sid=1; Path=/base; HttpOnly");
}
