//! The tower feature of paste-core, proven end to end through the server.

use paste_core::http::HeaderValue;
use paste_core::tower::{AppService, ServiceApp};
use paste_core::{Response, app_fn};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::common::{get, start};

#[tokio::test]
async fn an_axum_router_is_served_by_paste_server() {
    let router = axum::Router::new().route(
        "/hello/{name}",
        axum::routing::get(
            |axum::extract::Path(name): axum::extract::Path<String>| async move {
                format!("hello {name} from axum")
            },
        ),
    );
    let server = start(ServiceApp::new(router), |s| s);
    let (status, _, body) = get(&server.url("/hello/paste")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "hello paste from axum");
    assert_eq!(get(&server.url("/nowhere")).await.0, 404);
    server.stop().await;
}

#[tokio::test]
async fn a_paste_app_wrapped_in_a_tower_http_layer() {
    let app = app_fn(|_req| async { Ok(Response::new("layered".into())) });
    let service = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            paste_core::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .service(AppService::new(app));
    let server = start(ServiceApp::new(service), |s| s);
    let (status, headers, body) = get(&server.url("/")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body, "layered");
    server.stop().await;
}

#[tokio::test]
async fn a_paste_app_inside_an_axum_router() {
    let paste_app = app_fn(|req: paste_core::Request| async move {
        Ok(Response::new(
            format!("paste saw {}", req.uri().path()).into(),
        ))
    });
    let router = axum::Router::new()
        .route("/axum", axum::routing::get(|| async { "axum" }))
        .fallback_service(AppService::new(paste_app));
    let server = start(ServiceApp::new(router), |s| s);
    assert_eq!(get(&server.url("/axum")).await.2, "axum");
    assert_eq!(
        get(&server.url("/legacy/page")).await.2,
        "paste saw /legacy/page"
    );
    server.stop().await;
}
