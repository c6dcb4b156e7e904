//! FastCgiApp against paste-cgi's own FastCgiServer (a Rust-to-Rust round
//! trip) and against responders written by hand, record by record.

mod common;
mod fastcgi_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use fastcgi_support::{
    CountingProxy, END_REQUEST, Logs, PARAMS, PATIENCE, STDERR, STDIN, STDOUT, call, call_err,
    checksum, decode_pairs, patiently, pattern, record, start, test_app, text,
};
use http_body_util::BodyExt;
use paste_cgi::{CgiVars, FastCgiApp};
use paste_core::http::StatusCode;
use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn get(target: &str) -> Request {
    Request::get(target).body(Body::empty()).unwrap()
}

/// An app that answers with every param it got, `NAME=value` per line.
fn params_app() -> impl App {
    app_fn(|req: Request| async move {
        let vars = req.extensions().get::<CgiVars>().unwrap();
        let mut out = String::new();
        for (name, value) in vars.iter() {
            out.push_str(&String::from_utf8_lossy(name));
            out.push('=');
            out.push_str(&String::from_utf8_lossy(value));
            out.push('\n');
        }
        let body = req.into_body().to_bytes(1 << 20).await?;
        out.push_str(&format!("BODY={}\n", String::from_utf8_lossy(&body)));
        Ok(Response::new(out.into()))
    })
}

fn lines(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_params_follow_the_cgi_environment_rules() {
    let server = start(params_app(), |s| s);
    let app = FastCgiApp::new(server.addr)
        .script_filename("/srv/www/index.php")
        .document_root("/srv/www")
        .env("CUSTOM_VAR", "fixed");
    let mut req = Request::post("/app/some%20where/x?a=1&b=%20")
        .header("host", "example.com:8080")
        .header("content-type", "text/plain")
        .header("x-greeting", "hello")
        .header("proxy", "http://evil.example:3128")
        .header("authorization", "Basic YWxpY2U6cHc=")
        .header("connection", "x-secret")
        .header("x-secret", "hop")
        .body(Body::from("payload"))
        .unwrap();
    req.set_script_name("/app");
    let vars = lines(&text(call(&app, req).await).await);
    let expect = [
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("REQUEST_METHOD", "POST"),
        ("SCRIPT_NAME", "/app"),
        ("PATH_INFO", "/some where/x"),
        ("PATH_TRANSLATED", "/srv/www/some where/x"),
        ("DOCUMENT_ROOT", "/srv/www"),
        ("SCRIPT_FILENAME", "/srv/www/index.php"),
        ("QUERY_STRING", "a=1&b=%20"),
        ("REQUEST_URI", "/app/some%20where/x?a=1&b=%20"),
        ("SERVER_NAME", "example.com"),
        ("SERVER_PORT", "8080"),
        ("CONTENT_TYPE", "text/plain"),
        ("CONTENT_LENGTH", "7"),
        ("HTTP_X_GREETING", "hello"),
        ("HTTP_HOST", "example.com:8080"),
        ("REDIRECT_STATUS", "200"),
        ("CUSTOM_VAR", "fixed"),
        ("BODY", "payload"),
    ];
    for (name, value) in expect {
        assert_eq!(vars.get(name).map(String::as_str), Some(value), "{name}");
    }
    for absent in [
        "HTTP_PROXY",
        "HTTP_AUTHORIZATION",
        "HTTP_CONNECTION",
        "HTTP_X_SECRET",
        "HTTP_CONTENT_TYPE",
        "HOME",
    ] {
        assert_eq!(vars.get(absent), None, "{absent}");
    }
    assert!(vars.contains_key("PATH"), "PATH is on the allow-list");

    // Without script_filename, no SCRIPT_FILENAME at all.
    let app = FastCgiApp::new(server.addr).pass_authorization(true);
    let req = Request::get("/x")
        .header("authorization", "Bearer t")
        .body(Body::empty())
        .unwrap();
    let vars = lines(&text(call(&app, req).await).await);
    assert_eq!(vars.get("SCRIPT_FILENAME"), None);
    assert_eq!(vars.get("CONTENT_LENGTH"), None);
    assert_eq!(vars.get("HTTP_AUTHORIZATION").unwrap(), "Bearer t");
    server.stop().await;
}

#[tokio::test]
async fn the_server_sees_the_request_as_sent() {
    let (test, _events) = test_app();
    let server = start(test, |s| s);
    let app = FastCgiApp::new(server.addr);
    let mut req = Request::get("/mount/a/b?q=1")
        .header("x-greeting", "hi")
        .body(Body::empty())
        .unwrap();
    req.set_script_name("/mount");
    let body = text(call(&app, req).await).await;
    assert!(
        body.starts_with("method=GET script=/mount info=/a/b query=q=1 greeting=hi"),
        "{body}"
    );
    // An error of the app comes back with its status and message.
    let response = call(&app, get("/error")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(text(response).await, "not for you");
    server.stop().await;
}

/// A body of `len` bytes of [`pattern`], in chunks of odd sizes, of
/// unknown length unless `announce`.
fn upload(len: usize, announce: bool) -> Request {
    let mut at = 0;
    let chunks = std::iter::from_fn(move || {
        if at == len {
            return None;
        }
        let end = len.min(at + 48_271);
        let chunk: Vec<u8> = (at..end).map(pattern).collect();
        at = end;
        Some(Ok::<_, std::io::Error>(Bytes::from(chunk)))
    });
    let body = Body::from_stream(Iter(chunks));
    let mut builder = Request::post("/upload");
    if announce {
        builder = builder.header("content-length", len.to_string());
    }
    builder.body(body).unwrap()
}

/// An iterator as a stream (futures-util is not a dependency).
struct Iter<I>(I);

impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
    type Item = I::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<I::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

fn expected_sum(len: usize) -> u64 {
    let bytes: Vec<u8> = (0..len).map(pattern).collect();
    let mut sum = 0;
    checksum(&bytes, 0, &mut sum);
    sum
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_mib_stream_both_ways() {
    const LEN: usize = 20 * 1024 * 1024;
    let (test, _events) = test_app();
    let server = start(test, |s| s.max_body_size(64 * 1024 * 1024));
    let app = FastCgiApp::new(server.addr);

    for announce in [true, false] {
        let body = text(call(&app, upload(LEN, announce)).await).await;
        assert_eq!(
            body,
            format!("len={LEN} sum={}", expected_sum(LEN)),
            "announced: {announce}"
        );
    }

    let response = call(&app, get(&format!("/download/{LEN}"))).await;
    let mut body = response.into_body();
    let (mut len, mut sum, mut chunks) = (0usize, 0u64, 0usize);
    while let Some(frame) = patiently("a chunk", body.frame()).await {
        let data = frame.unwrap().into_data().unwrap();
        checksum(&data, len, &mut sum);
        len += data.len();
        chunks += 1;
    }
    assert_eq!((len, sum), (LEN, expected_sum(LEN)));
    assert!(
        chunks > 100,
        "streamed record by record, not whole: {chunks} chunks"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_streams_both_ways_at_once_without_deadlock() {
    // The responder answers at once and echoes the body as it reads it: it
    // needs the client to read STDOUT while it still writes STDIN.
    const LEN: usize = 16 * 1024 * 1024;
    let echo = app_fn(|req: Request| async move { Ok(Response::new(req.into_body())) });
    let server = start(echo, |s| s.max_body_size(64 * 1024 * 1024));
    let app = FastCgiApp::new(server.addr);
    let response = call(&app, upload(LEN, true)).await;
    let mut body = response.into_body();
    let (mut len, mut sum) = (0usize, 0u64);
    while let Some(frame) = patiently("a chunk", body.frame()).await {
        let data = frame.unwrap().into_data().unwrap();
        checksum(&data, len, &mut sum);
        len += data.len();
    }
    assert_eq!((len, sum), (LEN, expected_sum(LEN)));
    server.stop().await;
}

#[tokio::test]
async fn connections_are_kept_and_reused() {
    let (test, _events) = test_app();
    let server = start(test, |s| s);
    let proxy = CountingProxy::start(server.addr).await;

    let app = FastCgiApp::new(proxy.addr);
    for i in 0..10 {
        let req = Request::post("/x")
            .body(Body::from(vec![b'x'; i * 1000]))
            .unwrap();
        let body = text(call(&app, req).await).await;
        assert!(body.ends_with(&format!("body={}\n", i * 1000)), "{body}");
    }
    assert_eq!(proxy.accepted(), 1, "one connection for ten requests");

    // Clones share the pool.
    let clone = app.clone();
    text(call(&clone, get("/y")).await).await;
    assert_eq!(proxy.accepted(), 1);

    let proxy = CountingProxy::start(server.addr).await;
    let app = FastCgiApp::new(proxy.addr).keep_conn(false);
    for _ in 0..3 {
        text(call(&app, get("/x")).await).await;
    }
    assert_eq!(proxy.accepted(), 3, "keep_conn(false): one connection each");
    server.stop().await;
}

#[tokio::test]
async fn the_pool_is_limited_and_a_busy_one_is_a_503() {
    let (test, mut events) = test_app();
    let release = test.release.clone();
    let server = start(test, |s| s);
    let proxy = CountingProxy::start(server.addr).await;
    let app = FastCgiApp::new(proxy.addr)
        .max_connections(1)
        .timeout(Duration::from_secs(1));
    let slow = tokio::spawn({
        let app = app.clone();
        async move {
            let response = app.call(get("/slow")).await.unwrap();
            text(response).await
        }
    });
    assert_eq!(
        patiently("the slow request", events.recv()).await,
        Some("slow started")
    );
    let err = call_err(&app, get("/x")).await;
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(err.headers().contains_key("retry-after"));
    release.notify_one();
    // The slow request has its head by then or gets its 504: either way
    // the pool is free again afterwards.
    let _ = slow.await;
    let app = app.timeout(Duration::from_secs(30));
    text(call(&app, get("/x")).await).await;
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_goes_away_closes_the_connection() {
    let (test, mut events) = test_app();
    let server = start(test, |s| s);
    let proxy = CountingProxy::start(server.addr).await;
    let app = FastCgiApp::new(proxy.addr);

    // Before the head: the call is dropped while it waits.
    let hang = tokio::time::timeout(Duration::from_millis(300), app.call(get("/hang"))).await;
    assert!(hang.is_err(), "the hang never answers");
    assert_eq!(
        patiently("hang started", events.recv()).await,
        Some("hang started")
    );
    assert_eq!(
        patiently("the app's future dropped", events.recv()).await,
        Some("hang dropped"),
        "the server saw the connection close"
    );

    // During the body: the response is dropped after one chunk.
    let response = call(&app, get("/download/50000000")).await;
    let mut body = response.into_body();
    let first = patiently("a chunk", body.frame()).await.unwrap().unwrap();
    assert!(first.is_data());
    drop(body);
    let before = proxy.accepted();
    let answer = text(call(&app, get("/x")).await).await;
    assert!(answer.starts_with("method=GET"), "{answer}");
    assert_eq!(
        proxy.accepted(),
        before + 1,
        "a dropped response's connection is not reused"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_local_redirect_reenters_the_app_as_a_get() {
    let app = app_fn(|req: Request| async move {
        if req.path_info() == "/old" {
            let mut response = Response::new(Body::empty());
            response
                .headers_mut()
                .insert("location", "/mnt/new?from=old".parse().unwrap());
            return Ok(response);
        }
        Ok(Response::new(
            format!("{} {} {:?}", req.method(), req.uri(), req.uri().query()).into(),
        ))
    });
    let server = start(app, |s| s);
    let app = FastCgiApp::new(server.addr);
    let mut req = Request::post("/mnt/old")
        .header("content-type", "text/plain")
        .body(Body::from("gone"))
        .unwrap();
    req.set_script_name("/mnt");
    let body = text(call(&app, req).await).await;
    assert_eq!(body, "GET /mnt/new?from=old Some(\"from=old\")");
    server.stop().await;
}

#[tokio::test]
async fn a_unix_socket_responder() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("app.sock");
    let server = paste_cgi::FastCgiServer::bind_unix(&socket)
        .unwrap()
        .handle_signals(false);
    let handle = server.handle();
    let (test, _events) = test_app();
    let task = tokio::spawn(server.serve(test));
    let app = FastCgiApp::unix(&socket);
    for _ in 0..3 {
        let body = text(call(&app, get("/over/unix")).await).await;
        assert!(
            body.starts_with("method=GET script= info=/over/unix"),
            "{body}"
        );
    }
    handle.shutdown();
    patiently("the server stops", task).await.unwrap().unwrap();
}

#[tokio::test]
async fn an_unreachable_responder_is_a_502() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    }; // nothing listens there any more
    let err = call_err(&FastCgiApp::new(port), get("/")).await;
    assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
    assert!(format!("{err:#}").contains(&port.to_string()), "{err:#}");

    let err = call_err(&FastCgiApp::unix("/nonexistent/php.sock"), get("/")).await;
    assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
    assert!(
        format!("{err:#}").contains("/nonexistent/php.sock"),
        "{err:#}"
    );
}

#[tokio::test]
async fn no_head_in_time_is_a_504() {
    let (test, _events) = test_app();
    let server = start(test, |s| s);
    let app = FastCgiApp::new(server.addr).timeout(Duration::from_millis(500));
    let err = call_err(&app, get("/hang")).await;
    assert_eq!(err.status(), StatusCode::GATEWAY_TIMEOUT);
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Responders written by hand.

/// One request as a hand-written responder read it.
#[derive(Debug)]
struct Received {
    params: Vec<(String, String)>,
    stdin: Vec<u8>,
    keep_conn: bool,
}

/// One record off `stream`: type, id, content; `None` at the end.
async fn read_record(stream: &mut TcpStream) -> Option<(u8, u16, Vec<u8>)> {
    let mut header = [0u8; 8];
    stream.read_exact(&mut header).await.ok()?;
    assert_eq!(header[0], 1, "version");
    let len = u16::from_be_bytes([header[4], header[5]]) as usize;
    let mut content = vec![0; len + header[6] as usize];
    stream.read_exact(&mut content).await.ok()?;
    content.truncate(len);
    Some((
        header[1],
        u16::from_be_bytes([header[2], header[3]]),
        content,
    ))
}

/// Reads one request (BEGIN_REQUEST to the empty STDIN); `None` when the
/// client closed the connection first.
async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let (kind, id, content) = read_record(stream).await?;
    assert_eq!(kind, fastcgi_support::BEGIN_REQUEST);
    assert_eq!(id, 1);
    let keep_conn = content[2] & 1 == 1;
    let (mut params, mut stdin) = (Vec::new(), Vec::new());
    loop {
        let (kind, _, content) = read_record(stream).await?;
        match kind {
            PARAMS => params.extend_from_slice(&content),
            STDIN if content.is_empty() => break,
            STDIN => stdin.extend_from_slice(&content),
            other => panic!("unexpected record type {other}"),
        }
    }
    Some(Received {
        params: decode_pairs(&params),
        stdin,
        keep_conn,
    })
}

/// A complete answer: the CGI head and body as STDOUT, then the ends.
fn answer(head_and_body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in head_and_body.chunks(0xFFFF) {
        out.extend(record(STDOUT, 1, chunk));
    }
    out.extend(record(STDOUT, 1, b""));
    out.extend(end_request(0, 0));
    out
}

fn end_request(app_status: u32, protocol_status: u8) -> Vec<u8> {
    let mut body = app_status.to_be_bytes().to_vec();
    body.extend_from_slice(&[protocol_status, 0, 0, 0]);
    record(END_REQUEST, 1, &body)
}

/// Serves each accepted connection with `serve(connection number, stream)`.
async fn responder<F, Fut>(serve: F) -> (std::net::SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(n, stream));
        }
    });
    (addr, accepted)
}

/// A responder that reads one request and writes `bytes` back, then
/// waits for the client to close.
async fn canned(bytes: Vec<u8>) -> std::net::SocketAddr {
    let bytes = Arc::new(bytes);
    let (addr, _) = responder(move |_, mut stream| {
        let bytes = Arc::clone(&bytes);
        async move {
            if read_request(&mut stream).await.is_some() {
                let _ = stream.write_all(&bytes).await;
                let mut sink = Vec::new();
                let _ = stream.read_to_end(&mut sink).await;
            }
        }
    })
    .await;
    addr
}

#[tokio::test]
async fn malformed_answers_are_502s() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a record of version 2", {
            let mut r = record(STDOUT, 1, b"Status: 200\r\n\r\nhi");
            r[0] = 2;
            r
        }),
        (
            "a head line without a colon",
            answer(b"this is not a header\r\n\r\nbody"),
        ),
        ("an END_REQUEST before the head's end", {
            let mut r = record(STDOUT, 1, b"Content-Type: text/plain\r\n");
            r.extend(end_request(0, 0));
            r
        }),
        ("nothing at all", end_request(255, 0)),
        ("a refused role", end_request(0, 3)),
    ];
    for (what, bytes) in cases {
        let addr = canned(bytes).await;
        let err = call_err(&FastCgiApp::new(addr), get("/")).await;
        assert_eq!(err.status(), StatusCode::BAD_GATEWAY, "{what}: {err:#}");
    }
    // A record cut short by the responder closing the connection.
    let cut = record(STDOUT, 1, b"Content-Type: text/plain\r\n\r\nabc")[..12].to_vec();
    let (addr, _) = responder(move |_, mut stream| {
        let cut = cut.clone();
        async move {
            if read_request(&mut stream).await.is_some() {
                stream.write_all(&cut).await.unwrap();
            }
        }
    })
    .await;
    let err = call_err(&FastCgiApp::new(addr), get("/")).await;
    assert_eq!(err.status(), StatusCode::BAD_GATEWAY, "{err:#}");

    let addr = canned(end_request(0, 2)).await; // FCGI_OVERLOADED
    let err = call_err(&FastCgiApp::new(addr), get("/")).await;
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn lf_heads_stderr_and_a_body_cut_short() {
    // LF-only head lines keep their last character (WPHP cut it off).
    let mut bytes = record(STDERR, 1, b"first warning\nsecond ");
    bytes.extend(record(STDERR, 1, b"half\n"));
    bytes.extend(answer(
        b"Status: 201\nX-Kind: lf\nContent-Type: text/plain\n\nbody",
    ));
    let addr = canned(bytes).await;
    let response = call(&FastCgiApp::new(addr), get("/")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["x-kind"], "lf");
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(text(response).await, "body");

    // A connection closed in the middle of the body fails the body.
    let mut bytes = record(STDOUT, 1, b"Content-Type: text/plain\r\n\r\npart");
    bytes.truncate(bytes.len()); // no END_REQUEST: the responder closes
    let (addr, _) = responder(move |_, mut stream| {
        let bytes = bytes.clone();
        async move {
            if read_request(&mut stream).await.is_some() {
                stream.write_all(&bytes).await.unwrap();
            } // dropped: closed
        }
    })
    .await;
    let response = call(&FastCgiApp::new(addr), get("/")).await;
    let err = patiently("the body", response.into_body().to_bytes(1 << 20))
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
}

/// What a responder served: (connection, method, body) per request.
type Served = Vec<(usize, String, Vec<u8>)>;

/// How connection 0 of [`fated`] treats its second request.
#[derive(Clone, Copy, Debug)]
enum Fate {
    /// Closes it with the request unread (a reset): php-cgi's child that
    /// exits after PHP_FCGI_MAX_REQUESTS just as the request comes.
    Reset,
    /// Reads all of it, then closes without a word, as a responder that
    /// died running it would.
    Close,
}

/// A responder whose connection 0 serves one request, keeps the
/// connection (the client asked for keep-conn), then meets the next one
/// with `fate`; every other request is answered `conn N got LEN`. Returns
/// the address, the accepted count, and what was served: (connection,
/// method, body).
async fn fated(fate: Fate) -> (std::net::SocketAddr, Arc<AtomicUsize>, Arc<Mutex<Served>>) {
    let seen: Arc<Mutex<Served>> = Arc::default();
    let log = Arc::clone(&seen);
    let (addr, accepted) = responder(move |n, mut stream| {
        let log = Arc::clone(&log);
        async move {
            let mut served = 0;
            loop {
                if n == 0 && served == 1 {
                    match fate {
                        // The BEGIN_REQUEST's header only: the rest stays unread.
                        Fate::Reset => {
                            let mut header = [0u8; 8];
                            let _ = stream.read_exact(&mut header).await;
                        }
                        Fate::Close => {
                            let _ = read_request(&mut stream).await;
                        }
                    }
                    return;
                }
                let Some(req) = read_request(&mut stream).await else {
                    return;
                };
                assert!(req.keep_conn);
                let method = req.params.iter().find(|(k, _)| k == "REQUEST_METHOD");
                log.lock()
                    .unwrap()
                    .push((n, method.unwrap().1.clone(), req.stdin.clone()));
                let body = format!(
                    "Content-Type: text/plain\r\n\r\nconn {n} got {}",
                    req.stdin.len()
                );
                stream.write_all(&answer(body.as_bytes())).await.unwrap();
                served += 1;
            }
        }
    })
    .await;
    (addr, accepted, seen)
}

#[tokio::test]
async fn a_reused_connection_reset_meanwhile_is_retried_with_the_body() {
    let (addr, accepted, seen) = fated(Fate::Reset).await;
    let app = FastCgiApp::new(addr);
    assert_eq!(text(call(&app, get("/")).await).await, "conn 0 got 0");
    // Connection 0 is kept, and reset when this comes: the POST goes again
    // on a new connection, body and all.
    let payload = vec![b'p'; 20_000];
    let req = Request::post("/")
        .body(Body::from(payload.clone()))
        .unwrap();
    assert_eq!(text(call(&app, req).await).await, "conn 1 got 20000");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    assert_eq!(seen.lock().unwrap()[1], (1, "POST".to_owned(), payload));

    // A body too large to keep for sending again goes on a new connection
    // from the start, though connection 1 is idle.
    let req = Request::post("/")
        .body(Body::from(vec![b'q'; 100_000]))
        .unwrap();
    assert_eq!(text(call(&app, req).await).await, "conn 2 got 100000");
    // And a small one reuses a kept connection again.
    assert_eq!(text(call(&app, get("/")).await).await, "conn 2 got 0");
}

#[tokio::test]
async fn a_reused_connection_closed_after_reading_is_retried_only_for_idempotent_methods() {
    // A GET may run twice: it goes again.
    let (addr, accepted, _) = fated(Fate::Close).await;
    let app = FastCgiApp::new(addr);
    assert_eq!(text(call(&app, get("/")).await).await, "conn 0 got 0");
    assert_eq!(text(call(&app, get("/again")).await).await, "conn 1 got 0");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);

    // A POST may have run already: a 502, not a second run.
    let (addr, accepted, seen) = fated(Fate::Close).await;
    let app = FastCgiApp::new(addr);
    assert_eq!(text(call(&app, get("/")).await).await, "conn 0 got 0");
    let req = Request::post("/").body(Body::from("pay once")).unwrap();
    let err = call_err(&app, req).await;
    assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_stalled_body_is_cut_after_the_idle_timeout() {
    let (addr, _) = responder(|_, mut stream| async move {
        if read_request(&mut stream).await.is_some() {
            let part = record(STDOUT, 1, b"Content-Type: text/plain\r\n\r\nfirst part");
            stream.write_all(&part).await.unwrap();
            tokio::time::sleep(PATIENCE).await; // then nothing
        }
    })
    .await;
    let app = FastCgiApp::new(addr).idle_timeout(Duration::from_millis(300));
    let response = call(&app, get("/")).await;
    let mut body = response.into_body();
    let first = patiently("the first part", body.frame())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.into_data().unwrap(), "first part");
    let err = patiently("the idle timeout", body.frame())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn params_larger_than_one_record_are_split() {
    let server = start(params_app(), |s| s.max_params_size(1 << 20));
    let app = FastCgiApp::new(server.addr);
    let cookie = "c".repeat(150_000);
    let req = Request::get("/")
        .header("cookie", format!("big={cookie}"))
        .body(Body::empty())
        .unwrap();
    let vars = lines(&text(call(&app, req).await).await);
    assert_eq!(vars["HTTP_COOKIE"].len(), "big=".len() + 150_000);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_requests_at_once_share_a_small_pool() {
    let (test, _events) = test_app();
    let server = start(test, |s| s);
    let proxy = CountingProxy::start(server.addr).await;
    let app = FastCgiApp::new(proxy.addr).max_connections(3);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let req = Request::post(format!("/n{i}"))
                .body(Body::from(vec![b'z'; i * 100]))
                .unwrap();
            let response = app.call(req).await.unwrap();
            text(response).await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let body = patiently("a request", task).await.unwrap();
        assert!(
            body.starts_with(&format!("method=POST script= info=/n{i} "))
                && body.ends_with(&format!("body={}\n", i * 100)),
            "{body}"
        );
    }
    // At most three at a time; some reused.
    let accepted = proxy.accepted();
    assert!(accepted < 40, "{accepted} connections for 40 requests");
    server.stop().await;
}

#[tokio::test]
async fn stderr_records_are_logged_line_by_line() {
    let (logs, _guard) = Logs::capture();
    let long = "x".repeat(10_000);
    let mut bytes = record(STDERR, 1, b"first warning\nsecond ");
    bytes.extend(record(STDERR, 1, b"half\n"));
    bytes.extend(record(STDOUT, 1, b"Content-Type: text/plain\r\n\r\nbody"));
    bytes.extend(record(
        STDERR,
        1,
        format!("{long}\nafter the head, no newline").as_bytes(),
    ));
    bytes.extend(record(STDOUT, 1, b""));
    bytes.extend(end_request(0, 0));
    let addr = canned(bytes).await;
    let app = FastCgiApp::new(addr).script_filename("/srv/logged.php");
    assert_eq!(text(call(&app, get("/")).await).await, "body");
    let logged = logs.text();
    let stderr: Vec<&str> = logged
        .lines()
        .filter(|line| line.contains("paste_cgi::stderr"))
        .collect();
    assert_eq!(stderr.len(), 4, "{logged}");
    assert!(stderr[0].contains("first warning") && stderr[0].contains("/srv/logged.php"));
    assert!(stderr[1].contains("second half"));
    assert!(
        stderr[2].contains("more bytes cut") && stderr[2].len() < 5000,
        "a long line is cut"
    );
    assert!(stderr[3].contains("after the head, no newline"));
}
