//! Gzip: negotiation, the responses it leaves alone, the headers it fixes,
//! and streaming over a real socket.

mod server_support;

use std::io::Write;
use std::sync::Mutex;

use paste_core::http::{HeaderValue, StatusCode, header};
use paste_core::{App, Body, Request, Response, app_fn};
use paste_middleware::gzip::Gzip;
use server_support::{Conn, channel_body, gunzip, request, start};

const TEXT: &str = "Hello, compressible world! ";

fn text_app(content_type: &'static str, body: String) -> impl App {
    let body = Mutex::new(Some(body));
    app_fn(move |_req: Request| {
        let body = body.lock().unwrap().clone().unwrap_or_default();
        async move {
            let mut response = Response::new(Body::from(body));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            Ok(response)
        }
    })
}

fn get(accept: Option<&str>) -> Request {
    let mut builder = Request::get("/page");
    if let Some(accept) = accept {
        builder = builder.header("accept-encoding", accept);
    }
    builder.body(Body::empty()).unwrap()
}

async fn call(app: &impl App, req: Request) -> (Response, Vec<u8>) {
    let response = app.call(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.to_bytes(1 << 24).await.unwrap().to_vec();
    (Response::from_parts(parts, Body::empty()), bytes)
}

#[tokio::test]
async fn compresses_when_gzip_is_accepted_and_round_trips() {
    let original = TEXT.repeat(200);
    let app = Gzip::new(text_app("text/html; charset=utf-8", original.clone()));
    let (response, body) = call(&app, get(Some("deflate, gzip;q=0.8, br"))).await;
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert!(response.headers().get("content-length").is_none());
    assert_eq!(response.headers()["vary"], "Accept-Encoding");
    assert!(body.len() < original.len() / 10);
    assert_eq!(gunzip(&body), original.as_bytes());
}

#[tokio::test]
async fn x_gzip_and_star_count_as_gzip() {
    let app = Gzip::new(text_app("text/plain", TEXT.repeat(50)));
    for accept in ["x-gzip", "*", "GZIP"] {
        let (response, _) = call(&app, get(Some(accept))).await;
        assert_eq!(response.headers()["content-encoding"], "gzip", "{accept}");
    }
}

#[tokio::test]
async fn refusals_of_gzip_are_honoured() {
    let original = TEXT.repeat(50);
    let app = Gzip::new(text_app("text/plain", original.clone()));
    for accept in [
        None,
        Some(""),
        Some("gzip;q=0"),
        Some("identity"),
        Some("br, *;q=0"),
        Some("gzip;q=0.5, identity"),
        Some("x-gzip;q=0, *"),
        Some("@@@"),
    ] {
        let (response, body) = call(&app, get(accept)).await;
        assert!(
            response.headers().get("content-encoding").is_none(),
            "{accept:?}"
        );
        assert_eq!(body, original.as_bytes(), "{accept:?}");
        // The response still varies on the header.
        assert_eq!(response.headers()["vary"], "Accept-Encoding");
    }
}

#[tokio::test]
async fn small_and_incompressible_responses_pass_through() {
    let small = Gzip::new(text_app("text/plain", "tiny".to_owned()));
    let (response, body) = call(&small, get(Some("gzip"))).await;
    assert!(response.headers().get("content-encoding").is_none());
    assert_eq!(body, b"tiny");

    let forced = Gzip::new(text_app("text/plain", "tiny".to_owned())).min_size(0);
    let (response, body) = call(&forced, get(Some("gzip"))).await;
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(gunzip(&body), b"tiny");

    for content_type in [
        "image/png",
        "video/mp4",
        "application/zip",
        "application/gzip",
    ] {
        let app = Gzip::new(text_app(content_type, TEXT.repeat(50)));
        let (response, _) = call(&app, get(Some("gzip"))).await;
        assert!(
            response.headers().get("content-encoding").is_none(),
            "{content_type}"
        );
        assert!(response.headers().get("vary").is_none(), "{content_type}");
    }
    let svg = Gzip::new(text_app("image/svg+xml", TEXT.repeat(50)));
    let (response, _) = call(&svg, get(Some("gzip"))).await;
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn head_bodyless_statuses_and_encoded_responses_are_skipped() {
    let app = Gzip::new(app_fn(|req: Request| async move {
        let status: u16 = req.uri().path()[1..].parse().unwrap();
        let mut response = Response::new(Body::from(TEXT.repeat(50)));
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        if req.headers().contains_key("x-encoded") {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        }
        if req.headers().contains_key("x-no-transform") {
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, no-transform"),
            );
        }
        Ok(response)
    }));
    for status in ["204", "206", "304"] {
        let req = Request::get(format!("/{status}"))
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap();
        let (response, _) = call(&app, req).await;
        assert!(
            response.headers().get("content-encoding").is_none(),
            "{status}"
        );
    }
    let head = Request::head("/200")
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let (response, _) = call(&app, head).await;
    assert!(response.headers().get("content-encoding").is_none());
    assert_eq!(response.headers()["vary"], "Accept-Encoding");

    let encoded = Request::get("/200")
        .header("accept-encoding", "gzip")
        .header("x-encoded", "1")
        .body(Body::empty())
        .unwrap();
    let (response, body) = call(&app, encoded).await;
    assert_eq!(response.headers()["content-encoding"], "br");
    assert_eq!(body, TEXT.repeat(50).as_bytes());

    let no_transform = Request::get("/200")
        .header("accept-encoding", "gzip")
        .header("x-no-transform", "1")
        .body(Body::empty())
        .unwrap();
    let (response, _) = call(&app, no_transform).await;
    assert!(response.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn headers_are_fixed_for_the_compressed_representation() {
    let app = Gzip::new(app_fn(|_req: Request| async {
        let mut response = Response::new(Body::from(TEXT.repeat(50)));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(TEXT.len() * 50));
        headers.insert(header::ETAG, HeaderValue::from_static("\"v1\""));
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.append(header::VARY, HeaderValue::from_static("Cookie"));
        Ok(response)
    }));
    let (response, body) = call(&app, get(Some("gzip"))).await;
    let headers = response.headers();
    assert_eq!(headers["content-encoding"], "gzip");
    assert!(headers.get("content-length").is_none());
    assert!(headers.get("accept-ranges").is_none());
    assert_eq!(headers["etag"], "W/\"v1\"");
    let vary: Vec<_> = headers.get_all("vary").iter().collect();
    assert_eq!(vary, ["Cookie", "Accept-Encoding"]);
    assert_eq!(gunzip(&body), TEXT.repeat(50).as_bytes());
}

#[tokio::test]
async fn errors_pass_through_untouched() {
    let app = Gzip::new(app_fn(|_req: Request| async {
        Err(paste_core::Error::new(StatusCode::NOT_FOUND))
    }));
    let err = app.call(get(Some("gzip"))).await.unwrap_err();
    assert_eq!(err.status(), 404);
}

#[tokio::test]
async fn over_a_socket_the_body_decompresses_to_the_original() {
    let original = TEXT.repeat(1000);
    let server = start(Gzip::new(text_app("text/plain", original.clone())));
    let (head, body) = request(
        server.addr,
        "GET / HTTP/1.1\r\nhost: x\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-encoding"), Some("gzip"));
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    assert_eq!(gunzip(&body), original.as_bytes());

    let (head, body) = request(
        server.addr,
        "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(head.header("content-encoding"), None);
    assert_eq!(body, original.as_bytes());
    server.stop().await;
}

#[tokio::test]
async fn a_streamed_response_is_compressed_chunk_by_chunk() {
    let (tx, body) = channel_body();
    let body = Mutex::new(Some(body));
    let app = Gzip::new(app_fn(move |_req: Request| {
        let body = body.lock().unwrap().take().unwrap_or_default();
        async move {
            let mut response = Response::new(body);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            Ok(response)
        }
    }));
    let server = start(app);
    let mut conn = Conn::open(server.addr).await;
    conn.send("GET /events HTTP/1.1\r\nhost: x\r\naccept-encoding: gzip\r\n\r\n")
        .await;
    tx.send("data: first\n\n").await.unwrap();
    let head = conn.head().await;
    assert_eq!(head.header("content-encoding"), Some("gzip"));

    // The first event decodes before the second one is even produced.
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    while decoder.get_ref().len() < "data: first\n\n".len() {
        let chunk = conn.chunk().await.expect("more chunks");
        decoder.write_all(&chunk).unwrap();
        decoder.flush().unwrap();
    }
    assert_eq!(decoder.get_ref(), b"data: first\n\n");

    tx.send("data: second\n\n").await.unwrap();
    drop(tx);
    while let Some(chunk) = conn.chunk().await {
        decoder.write_all(&chunk).unwrap();
    }
    let all = decoder.finish().unwrap();
    assert_eq!(all, b"data: first\n\ndata: second\n\n");
    server.stop().await;
}
