//! Recursive forwards and includes through real requests.

use paste_core::http::StatusCode;
use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
use paste_middleware::recursive::{Forwarder, MAX_DEPTH, Recursive, forward, include};
use paste_middleware::urlmap::UrlMap;

async fn text(response: Response) -> String {
    let bytes = response.into_body().to_bytes(1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn get(path: &str) -> Request {
    Request::get(path).body(Body::empty()).unwrap()
}

/// An app with a few pages that forward and include each other.
fn pages() -> impl App {
    app_fn(|req: Request| async move {
        let path = req.path_info().to_owned();
        match path.as_str() {
            "/old" => forward(req, "/new?via=old").await,
            "/post" => forward(req, "/echo").await,
            "/echo" => {
                let method = req.method().clone();
                let script = req.script_name().to_owned();
                let query = req.uri().query().unwrap_or("").to_owned();
                let body = req.into_body().to_bytes(1024).await?;
                let body = String::from_utf8_lossy(&body).into_owned();
                Ok(Response::new(
                    format!("{method} {script} {query} {body}").into(),
                ))
            }
            "/layout" => {
                let header = include(&req, "/header").await?;
                let header = header.into_body().to_bytes(1024).await?;
                let footer = include(&req, "/header").await?; // twice is no loop
                let footer = footer.into_body().to_bytes(1024).await?;
                let body = req.into_body().to_bytes(1024).await?;
                Ok(Response::new(
                    format!(
                        "{}|{}|{}",
                        String::from_utf8_lossy(&header),
                        String::from_utf8_lossy(&body),
                        String::from_utf8_lossy(&footer)
                    )
                    .into(),
                ))
            }
            "/header" => {
                let chain = req
                    .extensions()
                    .get::<Forwarder>()
                    .unwrap()
                    .chain()
                    .join(",");
                Ok(Response::new(format!("{} [{chain}]", req.method()).into()))
            }
            "/a" => forward(req, "/b").await,
            "/b" => forward(req, "/a").await,
            "/self" => include(&req, "/self").await,
            "/relative" => forward(req, "no-slash").await,
            p if p.starts_with("/deep/") => {
                let n: usize = p["/deep/".len()..].parse().unwrap_or(0);
                forward(req, &format!("/deep/{}", n + 1)).await
            }
            other => Ok(Response::new(format!("page {other}").into())),
        }
    })
}

#[tokio::test]
async fn forward_answers_with_another_page_and_its_query() {
    let app = Recursive::new(pages());
    let response = app.call(get("/old")).await.unwrap();
    assert_eq!(text(response).await, "page /new");
}

#[tokio::test]
async fn forward_keeps_method_body_and_mount_point() {
    let map = UrlMap::new().mount("/site", Recursive::new(pages()));
    let req = Request::post("/site/post?q=1")
        .body(Body::from("payload"))
        .unwrap();
    let response = map.call(req).await.unwrap();
    // The forwarded URL's query replaces the original's, as in Paste.
    assert_eq!(text(response).await, "POST /site  payload");
}

#[tokio::test]
async fn include_fetches_pages_as_get_and_leaves_the_request_usable() {
    let app = Recursive::new(pages());
    let req = Request::post("/layout").body(Body::from("main")).unwrap();
    let response = app.call(req).await.unwrap();
    assert_eq!(
        text(response).await,
        "GET [/layout,/header]|main|GET [/layout,/header]"
    );
}

#[tokio::test]
async fn a_forward_loop_is_a_500_naming_the_chain() {
    let app = Recursive::new(pages());
    let err = app.call(get("/a")).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(format!("{err:#}").contains("/a -> /b -> /a"), "{err:#}");
    let err = app.call(get("/self")).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn a_chain_deeper_than_the_limit_is_a_500_not_a_stack_overflow() {
    let app = Recursive::new(pages());
    let err = app.call(get("/deep/0")).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let message = format!("{err:#}");
    assert!(message.contains("too deep"), "{message}");
    assert!(
        message.contains(&format!("/deep/{}", MAX_DEPTH + 1)),
        "{message}"
    );
}

#[tokio::test]
async fn bad_targets_and_a_missing_middleware_are_errors() {
    let app = Recursive::new(pages());
    let err = app.call(get("/relative")).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(format!("{err:#}").contains("starting with /"));

    // Without Recursive above, forward has nowhere to go.
    let err = pages().call(get("/old")).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(format!("{err:#}").contains("Recursive middleware"));
}
