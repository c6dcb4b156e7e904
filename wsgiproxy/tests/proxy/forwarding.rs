//! What the backend gets and what the client gets back: paths, headers,
//! bodies, methods.

use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;
use paste_core::{Request, Response, app_fn};
use wsgiproxy::HostProxy;

use crate::common::*;

#[tokio::test]
async fn the_request_goes_out_as_sent_minus_hop_by_hop_headers_plus_forwarding_ones() {
    let backend = start(echo());
    let front = start(HostProxy::new(&backend.url("")).unwrap());
    let request = "GET /caf%C3%A9%20x/?q=a%2Fb&r HTTP/1.1\r\n\
         Host: front.example:8000\r\n\
         Connection: keep-alive, X-Drop-Me\r\n\
         X-Drop-Me: 1\r\n\
         Keep-Alive: timeout=5\r\n\
         TE: trailers\r\n\
         Proxy-Authorization: Basic c2VjcmV0\r\n\
         Proxy-Connection: keep-alive\r\n\
         Cookie: a=1; b=2\r\n\
         Cookie: c=3\r\n\
         Authorization: Bearer token\r\n\
         X-Forwarded-For: 203.0.113.7\r\n\
         X-Custom: kept\r\n\
         Content-Length: 0\r\n\r\n";
    let response = raw_exchange(front.addr, request.as_bytes()).await;
    assert_eq!(response.status(), 200);
    let text = response.text();
    assert!(
        text.starts_with("GET /caf%C3%A9%20x/?q=a%2Fb&r\n"),
        "{text}"
    );
    let headers = echoed_headers(&text);
    let backend_authority = backend.addr.to_string();
    assert_eq!(echoed(&headers, "host"), Some(backend_authority.as_str()));
    assert_eq!(
        echoed(&headers, "x-forwarded-for"),
        Some("203.0.113.7, 127.0.0.1")
    );
    assert_eq!(
        echoed(&headers, "x-forwarded-host"),
        Some("front.example:8000")
    );
    assert_eq!(echoed(&headers, "x-forwarded-proto"), Some("http"));
    assert_eq!(echoed(&headers, "x-forwarded-prefix"), None);
    assert_eq!(echoed(&headers, "authorization"), Some("Bearer token"));
    assert_eq!(echoed(&headers, "x-custom"), Some("kept"));
    let cookies: Vec<_> = headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies, ["a=1; b=2", "c=3"]);
    for gone in [
        "x-drop-me",
        "keep-alive",
        "te",
        "proxy-authorization",
        "proxy-connection",
    ] {
        assert_eq!(echoed(&headers, gone), None, "{gone} was forwarded: {text}");
    }
    // Connection is the backend hop's own business (hyper's keep-alive).
    assert_ne!(
        echoed(&headers, "connection"),
        Some("keep-alive, X-Drop-Me")
    );
}

#[tokio::test]
async fn keep_host_and_rfc_7239_forwarded_are_options() {
    let backend = start(echo());
    let proxy = HostProxy::new(&backend.url(""))
        .unwrap()
        .keep_host(true)
        .forwarded(true)
        .x_forwarded_host(false)
        .x_forwarded_proto(false)
        .x_forwarded_for(false);
    let front = start(proxy);
    let response = raw_exchange(
        front.addr,
        b"GET / HTTP/1.1\r\nHost: front.example\r\nForwarded: for=192.0.2.1\r\n\r\n",
    )
    .await;
    let headers = echoed_headers(&response.text());
    assert_eq!(echoed(&headers, "host"), Some("front.example"));
    assert_eq!(
        echoed(&headers, "forwarded"),
        Some("for=192.0.2.1, for=127.0.0.1;host=\"front.example\";proto=http")
    );
    for off in ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"] {
        assert_eq!(echoed(&headers, off), None);
    }
}

#[tokio::test]
async fn the_script_name_is_stripped_and_sent_as_a_prefix_or_kept() {
    let backend = start(echo());
    let stripping = start(mounted(
        "/app",
        HostProxy::new(&backend.url("/base")).unwrap(),
    ));
    let (_, _, body) = get(&stripping.url("/app/page?x=1")).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with("GET /base/page?x=1\n"), "{text}");
    assert_eq!(
        echoed(&echoed_headers(&text), "x-forwarded-prefix"),
        Some("/app")
    );

    let (_, _, body) = get(&stripping.url("/app")).await;
    assert!(body.starts_with(b"GET /base\n"), "{body:?}");

    let keeping = start(mounted(
        "/app",
        HostProxy::new(&backend.url(""))
            .unwrap()
            .strip_script_name(false),
    ));
    let (_, _, body) = get(&keeping.url("/app/page")).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with("GET /app/page\n"), "{text}");
    assert_eq!(echoed(&echoed_headers(&text), "x-forwarded-prefix"), None);
}

#[tokio::test]
async fn request_bodies_pass_with_a_length_or_chunked() {
    let backend = start(echo());
    let front = start(HostProxy::new(&backend.url("")).unwrap());
    let sized = raw_exchange(
        front.addr,
        b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2",
    )
    .await;
    let text = sized.text();
    assert!(text.ends_with("\n\na=1&b=2"), "{text}");
    assert_eq!(echoed(&echoed_headers(&text), "content-length"), Some("7"));
    assert_eq!(
        echoed(&echoed_headers(&text), "content-type"),
        Some("application/x-www-form-urlencoded")
    );

    // WSGIProxy2 dropped chunked uploads silently; they must arrive.
    let chunked = raw_exchange(
        front.addr,
        b"PUT /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    .await;
    let text = chunked.text();
    assert!(text.starts_with("PUT /up\n"), "{text}");
    assert!(text.ends_with("\n\nhello world"), "{text}");
}

#[tokio::test]
async fn statuses_reasons_and_repeated_headers_come_back_as_sent() {
    let backend = raw_backend(|mut stream| async move {
        read_request_head(&mut stream).await;
        write(
            &mut stream,
            b"HTTP/1.1 799 Silly Response\r\n\
              Connection: X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\n\
              Proxy-Authenticate: Basic\r\nUpgrade: h2c\r\n\
              Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\nSet-Cookie: c=3\r\n\
              Set-Cookie: d=4, e=5\r\nSet-Cookie: f=6; Expires=Wed, 21 Oct 2037 07:28:00 GMT\r\n\
              X-Custom: one\r\nX-Custom: two\r\nContent-Length: 2\r\n\r\nok",
        )
        .await;
    })
    .await;
    let front = start(HostProxy::new(&format!("http://{backend}")).unwrap());
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status_line, "HTTP/1.1 799 Silly Response");
    assert_eq!(
        response.all("set-cookie"),
        [
            "a=1; Path=/",
            "b=2; HttpOnly",
            "c=3",
            "d=4, e=5",
            "f=6; Expires=Wed, 21 Oct 2037 07:28:00 GMT"
        ]
    );
    assert_eq!(response.all("x-custom"), ["one", "two"]);
    for gone in ["x-hop", "keep-alive", "proxy-authenticate", "upgrade"] {
        assert_eq!(
            response.header(gone),
            None,
            "{gone} came back: {response:?}"
        );
    }
    assert_eq!(response.text(), "ok");
}

#[tokio::test]
async fn gzip_bodies_pass_through_byte_for_byte() {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(&b"compressible text ".repeat(500))
        .unwrap();
    let gzipped = Bytes::from(encoder.finish().unwrap());
    let served = gzipped.clone();
    let backend = start(app_fn(move |_req: Request| {
        let body = served.clone();
        async move {
            Ok(Response::builder()
                .header("content-encoding", "gzip")
                .header("content-type", "text/plain")
                .header("vary", "Accept-Encoding")
                .body(body.into())
                .unwrap())
        }
    }));
    let front = start(HostProxy::new(&backend.url("")).unwrap());
    let response = raw_exchange(
        front.addr,
        b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
    )
    .await;
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert_eq!(
        response.header("content-length"),
        Some(gzipped.len().to_string().as_str())
    );
    assert_eq!(response.body, gzipped);
}

#[tokio::test]
async fn a_method_off_the_allow_list_gets_405_with_allow() {
    let backend = start(echo());
    let front = start(HostProxy::new(&backend.url("")).unwrap().allowed_methods([
        http::Method::GET,
        http::Method::HEAD,
        http::Method::POST,
    ]));
    let (status, headers, _) = request(
        http::Request::delete(front.url("/thing"))
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "GET, HEAD, POST");
    let (status, _, body) = request(
        http::Request::post(front.url("/thing"))
            .body(Full::new(Bytes::from_static(b"x=1")))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with(b"POST /thing\n"));
}

#[tokio::test]
async fn every_method_passes_by_default_and_head_keeps_its_length() {
    let backend = start(echo());
    let front = start(HostProxy::new(&backend.url("")).unwrap());
    for method in ["OPTIONS", "PATCH", "PROPFIND", "DELETE"] {
        let (status, _, body) = request(
            http::Request::builder()
                .method(method)
                .uri(front.url("/x"))
                .body(Full::default())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{method}");
        assert!(body.starts_with(format!("{method} /x\n").as_bytes()));
    }
    let head = raw_exchange(
        front.addr,
        b"HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(head.status(), 200);
    assert!(head.header("content-length").is_some(), "{head:?}");
    assert!(head.body.is_empty(), "{head:?}");
}

#[tokio::test]
async fn the_backend_url_and_its_errors_are_clear() {
    for (url, needle) in [
        ("ftp://example.com/", "only http:// and https://"),
        ("http://u:p@example.com/", "a user"),
        ("http://example.com/?q", "no query"),
        ("http://example.com/#f", "no fragment"),
        ("not a url", "bad backend URL"),
    ] {
        let err = HostProxy::new(url).unwrap_err();
        assert!(err.to_string().contains(needle), "{url}: {err}");
    }
    #[cfg(not(feature = "tls"))]
    assert_eq!(
        HostProxy::new("https://example.com").unwrap_err().kind(),
        wsgiproxy::ErrorKind::FeatureMissing
    );
}

#[tokio::test]
async fn a_request_built_in_process_is_forwarded_faithfully_with_its_cookies() {
    // As webtest drives a live server: no connection, a relative URI, no
    // Host; the proxy is called directly.
    use paste_core::App;
    let backend = start(echo());
    let proxy = HostProxy::new(&format!("http://{}", backend.addr)).unwrap();
    let req = http::Request::post("/login?next=%2Fhome")
        .header("cookie", "session=abc; theme=dark")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", "17")
        .body(paste_core::Body::from("user=me&pass=s3cr"))
        .unwrap();
    let response = tokio::time::timeout(PATIENCE, proxy.call(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().to_bytes(1 << 20).await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with("POST /login?next=%2Fhome\n"), "{text}");
    let headers = echoed_headers(&text);
    let authority = backend.addr.to_string();
    assert_eq!(echoed(&headers, "host"), Some(authority.as_str()));
    assert_eq!(echoed(&headers, "cookie"), Some("session=abc; theme=dark"));
    assert_eq!(echoed(&headers, "x-forwarded-for"), None);
    assert_eq!(echoed(&headers, "x-forwarded-host"), None);
    assert!(text.ends_with("\n\nuser=me&pass=s3cr"), "{text}");
}

#[tokio::test]
async fn an_http2_client_reaches_an_http1_backend() {
    use http_body_util::BodyExt;
    let backend = start(echo());
    let front = start(HostProxy::new(&backend.url("")).unwrap());
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let response = tokio::time::timeout(
        PATIENCE,
        client.request(
            http::Request::post(front.url("/h2?x=1"))
                .header("cookie", "a=1")
                .body(Full::new(Bytes::from_static(b"over h2")))
                .unwrap(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), http::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with("POST /h2?x=1\n"), "{text}");
    let headers = echoed_headers(&text);
    let front_authority = front.addr.to_string();
    assert_eq!(
        echoed(&headers, "x-forwarded-host"),
        Some(front_authority.as_str())
    );
    assert_eq!(echoed(&headers, "cookie"), Some("a=1"));
    assert!(text.ends_with("\n\nover h2"), "{text}");
}

#[tokio::test]
async fn clones_of_a_proxy_share_one_pool_of_kept_alive_connections() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use paste_core::App;
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let backend = raw_backend(move |mut stream| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            loop {
                let head = read_request_head(&mut stream).await;
                if head.is_empty() {
                    break;
                }
                write(
                    &mut stream,
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                )
                .await;
            }
        }
    })
    .await;
    let proxy = HostProxy::new(&format!("http://{backend}")).unwrap();
    for i in 0..20 {
        let clone = proxy.clone();
        let req = http::Request::get(format!("/n/{i}"))
            .body(paste_core::Body::empty())
            .unwrap();
        let response = tokio::time::timeout(PATIENCE, clone.call(req))
            .await
            .unwrap()
            .unwrap();
        let body = response.into_body().to_bytes(1024).await.unwrap();
        assert_eq!(body, "ok");
    }
    // One connection does it all, but for a race hyper's pool allows: a
    // request may start a connection while the last one is on its way
    // back to the pool. Without a shared pool it would take 20.
    let connections = accepted.load(Ordering::SeqCst);
    assert!((1..=3).contains(&connections), "{connections} connections");
}
