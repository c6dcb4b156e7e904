//! ErrorDocument through real requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use paste_core::http::{HeaderValue, Method, StatusCode};
use paste_core::{App, Body, Error, Request, RequestExt, Response, app_fn};
use paste_middleware::errordocument::ErrorDocument;

fn response(status: u16, body: &'static str, headers: &[(&'static str, &'static str)]) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    for (name, value) in headers {
        response
            .headers_mut()
            .append(*name, HeaderValue::from_static(value));
    }
    response
}

/// A site whose pages answer what their path says, and whose error pages
/// live under /errors/.
fn site() -> impl App {
    app_fn(|req: Request| async move {
        Ok(match req.path_info() {
            "/ok" => response(200, "fine", &[]),
            "/secret" => response(
                401,
                "original 401 body",
                &[
                    ("www-authenticate", "Basic realm=\"site\""),
                    ("content-type", "text/plain"),
                    ("content-length", "17"),
                    ("set-cookie", "session=expired"),
                ],
            ),
            "/boom" => return Err(Error::new(StatusCode::INTERNAL_SERVER_ERROR)),
            "/teapot" => response(418, "short and stout", &[]),
            "/errors/401" => response(
                200,
                "<h1>Please log in</h1>",
                &[
                    ("content-type", "text/html"),
                    ("set-cookie", "visited-error=1"),
                    ("x-page-only", "dropped"),
                ],
            ),
            "/errors/5xx" => {
                let note = format!("{} {}", req.method(), req.script_name());
                Response::new(note.into())
            }
            "/errors/broken" => response(500, "the error page itself failed", &[]),
            _ => response(404, "original 404", &[("content-type", "text/plain")]),
        })
    })
}

async fn text(response: Response) -> String {
    let bytes = response.into_body().to_bytes(1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn get(path: &str) -> Request {
    Request::get(path).body(Body::empty()).unwrap()
}

/// Paste's tests/test_errordocument.py::test_auth_docs_app, plus the
/// cookies: Paste kept the error page's Set-Cookie and the original's only
/// through its header merge; both must survive.
#[tokio::test]
async fn the_page_keeps_the_original_status_headers_and_both_cookies() {
    let app = ErrorDocument::new(site()).map(401, "/errors/401");
    let response = app.call(get("/secret")).await.unwrap();
    assert_eq!(response.status(), 401);
    let headers = response.headers().clone();
    assert_eq!(headers["www-authenticate"], "Basic realm=\"site\"");
    assert_eq!(headers["content-type"], "text/html");
    // The original's length described its body, not the page's.
    assert!(!headers.contains_key("content-length"));
    let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["session=expired", "visited-error=1"]);
    assert!(!headers.contains_key("x-page-only"));
    assert_eq!(text(response).await, "<h1>Please log in</h1>");
}

#[tokio::test]
async fn unmapped_statuses_pass_untouched() {
    let app = ErrorDocument::new(site()).map(401, "/errors/401");
    let response = app.call(get("/ok")).await.unwrap();
    assert_eq!(text(response).await, "fine");
    let response = app.call(get("/nothing")).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(text(response).await, "original 404");
    assert_eq!(app.call(get("/boom")).await.unwrap_err().status(), 500);
}

#[tokio::test]
async fn ranges_map_errors_too_and_the_page_is_fetched_as_get_under_the_script_name() {
    let app = ErrorDocument::new(site())
        .map(404, "/errors/404-is-missing")
        .map_range(500..=599, "errors/5xx");
    let mut req = Request::post("/mnt/boom")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("a=1"))
        .unwrap();
    assert!(req.set_script_name("/mnt"));
    let response = app.call(req).await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(text(response).await, "GET /mnt");
}

#[tokio::test]
async fn a_failing_error_page_gives_the_original_response() {
    // The page for 404 is itself a 404, and the page for 418 a 500: no
    // loop, no 500 of our own, the original answer.
    let app = ErrorDocument::new(site())
        .map(404, "/errors/missing")
        .map(418, "/errors/broken");
    let response = app.call(get("/nothing")).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(text(response).await, "original 404");
    let response = app.call(get("/teapot")).await.unwrap();
    assert_eq!(response.status(), 418);
    assert_eq!(text(response).await, "short and stout");
}

#[tokio::test]
async fn an_error_page_of_a_nested_error_document_is_not_remapped() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = {
        let calls = Arc::clone(&calls);
        app_fn(move |req: Request| {
            calls.fetch_add(1, Ordering::SeqCst);
            let path = req.path_info().to_owned();
            async move {
                Ok(if path == "/page" {
                    response(404, "page for 404 is a 404", &[])
                } else {
                    response(404, "original", &[])
                })
            }
        })
    };
    // Both layers map 404 to a page that is itself a 404.
    let app = ErrorDocument::new(ErrorDocument::new(counted).map(404, "/page")).map(404, "/page");
    let response = app.call(get("/x")).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(text(response).await, "original");
    // The request, the inner layer's page, the outer layer's page (which
    // the inner layer passes through): three calls, not a cascade.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn an_external_target_is_a_redirect_keeping_the_cookies() {
    let app = ErrorDocument::new(site()).map(401, "https://login.example.com/?next=1");
    let response = app.call(get("/secret")).await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "https://login.example.com/?next=1"
    );
    assert_eq!(response.headers()["set-cookie"], "session=expired");
}

#[tokio::test]
async fn head_requests_get_a_head_page() {
    let app = ErrorDocument::new(site()).map_range(500..=599, "/errors/5xx");
    let req = Request::head("/boom").body(Body::empty()).unwrap();
    let response = app.call(req).await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(text(response).await, Method::HEAD.to_string() + " ");
}

#[tokio::test]
async fn a_target_that_is_not_a_valid_path_keeps_the_original() {
    let app = ErrorDocument::new(site()).map(404, "/bad path with spaces");
    let response = app.call(get("/nothing")).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(text(response).await, "original 404");
}
