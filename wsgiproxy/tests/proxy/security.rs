//! The security matrix of wsgiproxy (RELIABILITY.md "Security"): no
//! request smuggled to the backend through an ambiguous request, httpoxy,
//! no open redirect made by `Location` rewriting, and backend responses
//! past the client's limits refused.

use std::sync::{Arc, Mutex};

use paste_core::{Request, RequestExt, Response, app_fn};
use wsgiproxy::HostProxy;

use crate::common::*;

/// A backend (paste-server) that records the path of every request its
/// parser sees, and their `Proxy` and body lengths.
fn recording_backend() -> (Running, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let backend = start(app_fn(move |req: Request| {
        let log = Arc::clone(&log);
        async move {
            let proxy = req
                .headers()
                .get("proxy")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let path = req.path_info().to_owned();
            let body = req.into_body().to_bytes(1 << 20).await?;
            log.lock()
                .unwrap()
                .push(format!("{path} proxy={proxy:?} body={}", body.len()));
            Ok(Response::new("backend".into()))
        }
    }));
    (backend, seen)
}

const SMUGGLED: &str = "GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n";

#[tokio::test]
async fn smuggling_an_ambiguous_request_smuggles_nothing_to_the_backend() {
    let (backend, seen) = recording_backend();
    let front = start(HostProxy::new(&backend.url("/")).unwrap());
    // Content-Length says 5, chunked says the smuggled request is body:
    // forwarded with its Content-Length and the decoded body, the backend
    // would read 5 bytes and then the smuggled request.
    let chunk = format!("hello{SMUGGLED}");
    let cases = [
        format!(
            "POST /a HTTP/1.1\r\nhost: front\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
            chunk.len()
        ),
        format!(
            "POST /b HTTP/1.1\r\nhost: front\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
            chunk.len()
        ),
        // Content-Length longer than the chunked body.
        format!(
            "POST /c HTTP/1.1\r\nhost: front\r\ncontent-length: 200\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n{SMUGGLED}"
        ),
    ];
    for raw in &cases {
        let _ = raw_exchange(front.addr, raw.as_bytes()).await;
        // A request that goes through afterwards, on the pooled
        // connection the smuggled bytes would sit in front of.
        let (status, _, _) = get(&front.url("/after")).await;
        assert_eq!(status, 200);
        let seen = seen.lock().unwrap().clone();
        assert!(
            !seen.iter().any(|line| line.starts_with("/smuggled")),
            "{raw:?} smuggled a request to the backend: {seen:?}"
        );
    }
}

#[tokio::test]
async fn httpoxy_a_proxy_header_never_reaches_the_backend() {
    let (backend, seen) = recording_backend();
    let front = start(HostProxy::new(&backend.url("/")).unwrap());
    let raw = "GET /x HTTP/1.1\r\nhost: front\r\nproxy: http://evil.example:3128\r\nconnection: close\r\n\r\n";
    let response = raw_exchange(front.addr, raw.as_bytes()).await;
    assert_eq!(response.status(), 200, "{}", response.text());
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, ["/x proxy=None body=0"], "the backend saw Proxy");
}

/// A backend that redirects to `location` (an absolute URL of its own
/// when it starts with `{own}`).
fn redirecting(own: String, location: &'static str) -> impl paste_core::App {
    app_fn(move |_req: Request| {
        let location = location.replace("{own}", &own);
        async move {
            Ok(Response::builder()
                .status(302)
                .header("location", location)
                .body(().into())
                .unwrap())
        }
    })
}

#[tokio::test]
async fn open_redirect_location_rewriting_never_makes_an_off_site_location() {
    // The backend's own absolute URL whose path starts with `//`: rewritten
    // to a front-end path, that path must not read as another host.
    for (base, location) in [
        ("/", "http://{own}//evil.com/x"),
        ("/", "http://{own}/\\evil.com/x"),
        ("/base", "http://{own}/base//evil.com/x"),
        ("/base", "//{own}/base//evil.com/x"),
        ("/base", "/base//evil.com/x"),
    ] {
        let backend = start_at(|addr| redirecting(addr.to_string(), location));
        let addr = backend.addr;
        let front = start(HostProxy::new(&format!("http://{addr}{base}")).unwrap());
        let response = raw_exchange(
            front.addr,
            b"GET /go HTTP/1.1\r\nhost: front\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(response.status(), 302);
        let sent = response.header("location").unwrap().replace('\\', "/");
        // The host a browser goes to: this one for a path, else the
        // authority (the backend's own URL may be kept as is).
        let host = sent
            .strip_prefix("//")
            .or_else(|| sent.split_once("://").map(|(_, rest)| rest))
            .map(|rest| rest.split('/').next().unwrap().to_owned());
        assert!(
            host.is_none() || host.as_deref() == Some(addr.to_string().as_str()),
            "{location:?} (base {base}) reached the client as {sent:?}"
        );
    }
}

#[tokio::test]
async fn limit_a_backend_head_with_too_many_or_too_large_headers_is_a_502() {
    for head in [
        // Far more header lines than a client keeps.
        (0..2000)
            .map(|i| format!("x-h{i}: v\r\n"))
            .collect::<String>(),
        // One header far larger than a client keeps.
        format!("x-big: {}\r\n", "a".repeat(2 << 20)),
    ] {
        let backend = raw_backend(move |mut stream| {
            let head = head.clone();
            async move {
                let _ = read_request_head(&mut stream).await;
                let answer = format!("HTTP/1.1 200 OK\r\n{head}content-length: 2\r\n\r\nok");
                write(&mut stream, answer.as_bytes()).await;
            }
        })
        .await;
        let front = start(HostProxy::new(&format!("http://{backend}/")).unwrap());
        let (status, headers, _) = get(&front.url("/")).await;
        assert_eq!(status, 502);
        assert!(headers.get("x-h1").is_none() && headers.get("x-big").is_none());
    }
}
