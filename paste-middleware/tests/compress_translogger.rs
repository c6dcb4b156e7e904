//! TransLogger: the combined-format line, written when the body ends, with
//! the real byte count, escaping, and the abort cases; over a real socket.

mod server_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use paste_core::http::StatusCode;
use paste_core::{App, Body, ConnectionInfo, Error, Request, RequestExt, Response, app_fn};
use paste_middleware::translogger::{LogRecord, Outcome, TransLogger, WriteSink};
use server_support::{Conn, channel_body, request, start};

type Lines = Arc<Mutex<Vec<LogRecord>>>;

fn recorder() -> (Lines, impl Fn(&LogRecord) + Send + Sync + 'static) {
    let lines: Lines = Arc::default();
    let sink = {
        let lines = lines.clone();
        move |record: &LogRecord| lines.lock().unwrap().push(record.clone())
    };
    (lines, sink)
}

fn hello() -> impl App {
    app_fn(|_req: Request| async { Ok(Response::new(Body::from("hello world"))) })
}

/// The line with the timestamp cut out.
fn without_time(line: &str) -> String {
    let open = line.find('[').unwrap();
    let close = line.find(']').unwrap();
    format!("{}[T]{}", &line[..open], &line[close + 1..])
}

/// The time of day, in seconds, of a line's `[dd/Mon/yyyy:hh:mm:ss +0000]`.
fn seconds_of_day(line: &str) -> u64 {
    let time = &line[line.find('[').unwrap() + 1..line.find(']').unwrap()];
    let clock = &time[time.find(':').unwrap() + 1..time.find(' ').unwrap()];
    clock
        .split(':')
        .map(|part| part.parse::<u64>().unwrap())
        .fold(0, |secs, part| secs * 60 + part)
}

#[tokio::test]
async fn the_time_is_when_the_request_came_in_however_late_the_line_is_written() {
    let (lines, sink) = recorder();
    let app = TransLogger::new(hello(), sink);
    let came_in = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let req = Request::get("/").body(Body::empty()).unwrap();
    let response = app.call(req).await.unwrap();
    response.into_body().to_bytes(1024).await.unwrap();
    let record = lines.lock().unwrap()[0].clone();
    let first = record.to_string();
    let off = (seconds_of_day(&first) + 86_400 - came_in % 86_400) % 86_400;
    assert!(off <= 2, "{first} for a request at {came_in}");
    // Written a second later, the line still says when the request came.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(record.to_string(), first);
}

#[tokio::test]
async fn a_line_in_combined_format_once_the_body_is_read() {
    let (lines, sink) = recorder();
    let app = TransLogger::new(hello(), sink);
    let mut req = Request::get("/a%20b/c?x=1&y")
        .header("referer", "http://example.com/")
        .header("user-agent", "test/1.0")
        .body(Body::empty())
        .unwrap();
    req.extensions_mut().insert(
        ConnectionInfo::new(paste_core::http::uri::Scheme::HTTP)
            .with_remote_addr("10.1.2.3:4567".parse().unwrap()),
    );
    req.set_remote_user("bob");
    let response = app.call(req).await.unwrap();
    assert!(lines.lock().unwrap().is_empty(), "nothing before the body");
    let body = response.into_body().to_bytes(1024).await.unwrap();
    assert_eq!(body, "hello world");
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 1);
    let record = &lines[0];
    assert_eq!(
        without_time(&record.to_string()),
        "10.1.2.3 - bob [T] \"GET /a%20b/c?x=1&y HTTP/1.1\" 200 11 \"http://example.com/\" \"test/1.0\""
    );
    assert_eq!(record.bytes(), 11);
    assert_eq!(record.outcome(), Outcome::Complete);
    // The time field has the Apache shape.
    let line = record.to_string();
    let time = &line[line.find('[').unwrap() + 1..line.find(']').unwrap()];
    assert_eq!(time.len(), "10/Oct/2000:13:55:36 +0000".len(), "{time}");
    assert!(time.ends_with(" +0000"));
}

#[tokio::test]
async fn forwarded_for_is_used_only_when_trusted() {
    for trust in [false, true] {
        let (lines, sink) = recorder();
        let app = TransLogger::new(hello(), sink).trust_forwarded_for(trust);
        let mut req = Request::get("/")
            .header("x-forwarded-for", "203.0.113.9, 10.0.0.1")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(
            ConnectionInfo::new(paste_core::http::uri::Scheme::HTTP)
                .with_remote_addr("10.0.0.1:1".parse().unwrap()),
        );
        let response = app.call(req).await.unwrap();
        drop(response.into_body().to_bytes(1024).await.unwrap());
        let line = lines.lock().unwrap()[0].to_string();
        let host = if trust { "203.0.113.9 " } else { "10.0.0.1 " };
        assert!(line.starts_with(host), "{line}");
    }
}

#[tokio::test]
async fn an_empty_forwarded_for_falls_back_to_the_peer() {
    let (lines, sink) = recorder();
    let app = TransLogger::new(hello(), sink).trust_forwarded_for(true);
    for (forwarded, host) in [
        (" , 10.0.0.1", "::1 "),
        ("  2001:db8::7 ,x", "2001:db8::7 "),
    ] {
        let mut req = Request::get("/")
            .header("x-forwarded-for", forwarded)
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(
            ConnectionInfo::new(paste_core::http::uri::Scheme::HTTP)
                .with_remote_addr("[::1]:8080".parse().unwrap()),
        );
        let response = app.call(req).await.unwrap();
        drop(response.into_body().to_bytes(1024).await.unwrap());
        let line = lines.lock().unwrap().pop().unwrap().to_string();
        assert!(line.starts_with(host), "{line}");
    }
}

#[tokio::test]
async fn requests_cannot_forge_log_lines() {
    let (lines, sink) = recorder();
    let app = TransLogger::new(hello(), sink).trust_forwarded_for(true);
    let mut req = Request::get("/x")
        .header("user-agent", "evil\" 200 5 \"-\" \"-\"\tx\\")
        .header(
            "referer",
            paste_core::http::HeaderValue::from_bytes(b"r\xe9f").unwrap(),
        )
        .header("x-forwarded-for", "1.2.3.4 - admin")
        .body(Body::empty())
        .unwrap();
    req.set_remote_user("eve\r\n127.0.0.1 - root");
    let response = app.call(req).await.unwrap();
    drop(response.into_body().to_bytes(1024).await.unwrap());
    let line = lines.lock().unwrap()[0].to_string();
    assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
    assert_eq!(
        without_time(&line),
        "1.2.3.4\\x20-\\x20admin - eve\\x0d\\x0a127.0.0.1\\x20-\\x20root [T] \"GET /x HTTP/1.1\" 200 11 \
         \"r\\xe9f\" \"evil\\\" 200 5 \\\"-\\\" \\\"-\\\"\\x09x\\\\\""
    );
    // Exactly six unescaped quotes: request line, referer, agent.
    let unescaped = line
        .char_indices()
        .filter(|&(i, c)| {
            let backslashes = line[..i].bytes().rev().take_while(|&b| b == b'\\').count();
            c == '"' && backslashes % 2 == 0
        })
        .count();
    assert_eq!(unescaped, 6, "{line}");
}

#[tokio::test]
async fn errors_drops_and_panics_are_logged_with_a_mark() {
    let (lines, sink) = recorder();
    let app = TransLogger::new(
        app_fn(|req: Request| async move {
            match req.uri().path() {
                "/missing" => Err(Error::new(StatusCode::NOT_FOUND)),
                "/panic" => panic!("boom"),
                _ => Ok(Response::new(Body::from("0123456789"))),
            }
        }),
        sink,
    );
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();

    let err = app.call(get("/missing")).await.unwrap_err();
    assert_eq!(err.status(), 404);
    // The body is dropped unread: the client went away.
    drop(app.call(get("/drop")).await.unwrap());
    let panicked = tokio::spawn({
        let app = Arc::new(app);
        async move { app.call(get("/panic")).await.map(drop) }
    })
    .await;
    assert!(panicked.is_err());

    let lines = lines.lock().unwrap();
    let got: Vec<_> = lines
        .iter()
        .map(|r| (without_time(&r.to_string()), r.outcome()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "- - - [T] \"GET /missing HTTP/1.1\" 404 - \"-\" \"-\"".to_owned(),
                Outcome::AppError
            ),
            (
                "- - - [T] \"GET /drop HTTP/1.1\" 200 - \"-\" \"-\" [aborted]".to_owned(),
                Outcome::Aborted
            ),
            (
                "- - - [T] \"GET /panic HTTP/1.1\" 500 - \"-\" \"-\" [aborted]".to_owned(),
                Outcome::Aborted
            ),
        ]
    );
}

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_write_sink_gets_newline_terminated_lines() {
    let out = Shared::default();
    let app = TransLogger::new(hello(), WriteSink::new(out.clone()));
    for _ in 0..2 {
        let response = app
            .call(Request::get("/").body(Body::empty()).unwrap())
            .await;
        drop(response.unwrap().into_body().to_bytes(64).await.unwrap());
    }
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(
        text.ends_with("\"GET / HTTP/1.1\" 200 11 \"-\" \"-\"\n"),
        "{text}"
    );
}

#[tokio::test]
async fn over_a_socket_the_line_comes_after_the_last_byte() {
    let (lines, sink) = recorder();
    let (tx, body) = channel_body();
    let body = Mutex::new(Some(body));
    let app = TransLogger::new(
        app_fn(move |_req: Request| {
            let body = body.lock().unwrap().take().unwrap_or_default();
            async move { Ok(Response::new(body)) }
        }),
        sink,
    );
    let server = start(app);
    let mut conn = Conn::open(server.addr).await;
    conn.send("GET /stream?n=2 HTTP/1.1\r\nhost: x\r\nuser-agent: raw\r\n\r\n")
        .await;
    tx.send("first,").await.unwrap();
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(conn.chunk().await.unwrap(), b"first,");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        lines.lock().unwrap().is_empty(),
        "logged before the body ended"
    );
    tx.send("second").await.unwrap();
    drop(tx);
    assert_eq!(conn.chunk().await.unwrap(), b"second");
    assert_eq!(conn.chunk().await, None);

    let record = wait_for_line(&lines).await;
    assert_eq!(
        without_time(&record.to_string()),
        "127.0.0.1 - - [T] \"GET /stream?n=2 HTTP/1.1\" 200 12 \"-\" \"raw\""
    );
    assert!(record.duration() >= Duration::from_millis(50));
    server.stop().await;
}

#[tokio::test]
async fn over_a_socket_a_fixed_body_is_counted() {
    let (lines, sink) = recorder();
    let server = start(TransLogger::new(hello(), sink));
    let (head, body) = request(
        server.addr,
        "POST /form HTTP/1.1\r\nhost: x\r\nreferer: /back\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(head.header("content-length"), Some("11"));
    assert_eq!(body, b"hello world");
    let record = wait_for_line(&lines).await;
    assert_eq!(
        without_time(&record.to_string()),
        "127.0.0.1 - - [T] \"POST /form HTTP/1.1\" 200 11 \"/back\" \"-\""
    );
}

async fn wait_for_line(lines: &Lines) -> LogRecord {
    for _ in 0..200 {
        if let Some(record) = lines.lock().unwrap().first() {
            return record.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no log line");
}

#[tokio::test]
async fn a_sink_that_panics_is_not_called_again_by_the_unwinding() {
    let calls = Arc::new(Mutex::new(0));
    let sink = {
        let calls = calls.clone();
        move |_: &LogRecord| {
            *calls.lock().unwrap() += 1;
            panic!("the sink fell over");
        }
    };
    let app = Arc::new(TransLogger::new(hello(), sink));
    let read = tokio::spawn({
        let app = app.clone();
        async move {
            let response = app
                .call(Request::get("/").body(Body::empty()).unwrap())
                .await;
            response.unwrap().into_body().to_bytes(64).await.map(drop)
        }
    })
    .await;
    assert!(read.is_err(), "the sink's panic goes through");
    assert_eq!(*calls.lock().unwrap(), 1);
    // The same when the app fails.
    let failing = TransLogger::new(
        app_fn(|_req: Request| async { Err(Error::new(StatusCode::BAD_GATEWAY)) }),
        {
            let calls = calls.clone();
            move |_: &LogRecord| {
                *calls.lock().unwrap() += 1;
                panic!("the sink fell over");
            }
        },
    );
    let failed = tokio::spawn(async move {
        failing
            .call(Request::get("/").body(Body::empty()).unwrap())
            .await
            .map(drop)
    })
    .await;
    assert!(failed.is_err());
    assert_eq!(*calls.lock().unwrap(), 2);
}
