//! The FastCGI server against records written by hand from the
//! specification: management records, keep-conn, roles, multiplexing,
//! aborts, malformed input, limits and graceful shutdown.

mod common;
mod fastcgi_support;

use std::time::Duration;

use fastcgi_support::*;

#[tokio::test]
async fn get_values_answers_what_the_specification_names() {
    let (app, _events) = test_app();
    let server = start(app, |s| s.max_connections(77));
    let mut conn = Conn::open(server.addr).await;
    let query = pairs(&[
        ("FCGI_MAX_CONNS", ""),
        ("FCGI_MAX_REQS", ""),
        ("FCGI_MPXS_CONNS", ""),
        ("SOMETHING_ELSE", ""),
    ]);
    conn.send(&record(GET_VALUES, 0, &query)).await;
    let answer = conn.read().await.unwrap();
    assert_eq!((answer.kind, answer.id), (GET_VALUES_RESULT, 0));
    let values = decode_pairs(&answer.content);
    let expected = [
        ("FCGI_MAX_CONNS", "77"),
        ("FCGI_MAX_REQS", "77"),
        ("FCGI_MPXS_CONNS", "0"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(values, expected);

    // An unknown management record type gets UNKNOWN_TYPE, naming it.
    conn.send(&record(42, 0, b"whatever")).await;
    let answer = conn.read().await.unwrap();
    assert_eq!((answer.kind, answer.id), (UNKNOWN_TYPE, 0));
    assert_eq!(answer.content, [42, 0, 0, 0, 0, 0, 0, 0]);
    server.stop().await;
}

#[tokio::test]
async fn keep_conn_keeps_the_connection_and_its_absence_closes_it() {
    let (app, _events) = test_app();
    let server = start(app, |s| s);
    let mut conn = Conn::open(server.addr).await;
    for (id, greeting) in [(1, "one"), (7, "two")] {
        let mut vars = get("/hello");
        vars.push(("HTTP_X_GREETING", greeting.to_owned()));
        vars.push(("QUERY_STRING", "a=1".to_owned()));
        conn.send(&request(id, true, &as_strs(&vars), b"")).await;
        let answer = conn.answer(id).await;
        assert_eq!((answer.app_status, answer.protocol_status), (0, 0));
        assert_eq!(answer.status(), 200);
        let text = answer.text();
        assert!(
            text.starts_with("method=GET script=/app info=/hello query=a=1"),
            "{text}"
        );
        assert!(text.contains(&format!("greeting={greeting} ")), "{text}");
    }
    // Without FCGI_KEEP_CONN the server closes after the answer.
    conn.send(&request(1, false, &as_strs(&get("/bye")), b""))
        .await;
    assert_eq!(conn.answer(1).await.status(), 200);
    assert!(
        conn.is_closed().await,
        "the connection stays open without KEEP_CONN"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_body_without_content_length_streams_to_the_end_of_stdin() {
    let (app, _events) = test_app();
    let server = start(app, |s| s);
    let mut conn = Conn::open(server.addr).await;
    let mut vars = get("/upload");
    vars[0].1 = "POST".to_owned();
    let body: Vec<u8> = (0..200_000).map(pattern).collect();
    conn.send(&request(1, true, &as_strs(&vars), &body)).await;
    let mut sum = 0;
    checksum(&body, 0, &mut sum);
    assert_eq!(conn.answer(1).await.text(), format!("len=200000 sum={sum}"));

    // With CONTENT_LENGTH the body is cut there.
    vars.push(("CONTENT_LENGTH", "1000".to_owned()));
    conn.send(&request(2, true, &as_strs(&vars), &body)).await;
    let mut sum = 0;
    checksum(&body[..1000], 0, &mut sum);
    assert_eq!(conn.answer(2).await.text(), format!("len=1000 sum={sum}"));
    server.stop().await;
}

#[tokio::test]
async fn other_roles_are_refused_with_unknown_role() {
    let (app, _events) = test_app();
    let server = start(app, |s| s);
    let mut conn = Conn::open(server.addr).await;
    conn.send(&begin(3, AUTHORIZER, true)).await;
    let answer = conn.answer(3).await;
    assert_eq!(answer.protocol_status, 3, "FCGI_UNKNOWN_ROLE");
    assert!(answer.stdout.is_empty());
    // The connection goes on (keep-conn).
    conn.send(&request(4, true, &as_strs(&get("/x")), b""))
        .await;
    assert_eq!(conn.answer(4).await.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn a_second_request_in_flight_is_refused_and_abort_drops_the_first() {
    let (app, mut events) = test_app();
    let server = start(app, |s| s);
    let mut conn = Conn::open(server.addr).await;
    let mut hang = begin(1, RESPONDER, true);
    hang.extend(record(PARAMS, 1, &pairs(&as_strs(&get("/hang")))));
    hang.extend(record(PARAMS, 1, b""));
    hang.extend(record(STDIN, 1, b""));
    conn.send(&hang).await;
    assert_eq!(events.recv().await, Some("hang started"));

    // No multiplexing: request 2 is refused at once.
    conn.send(&request(2, true, &as_strs(&get("/x")), b""))
        .await;
    let refused = conn.answer(2).await;
    assert_eq!(refused.protocol_status, 1, "FCGI_CANT_MPX_CONN");

    // Aborting request 1 drops the app's future and ends the request.
    conn.send(&record(ABORT_REQUEST, 1, b"")).await;
    let aborted = conn.answer(1).await;
    assert_eq!(aborted.protocol_status, 0, "FCGI_REQUEST_COMPLETE");
    assert_eq!(events.recv().await, Some("hang dropped"));

    // And the connection serves the next request.
    conn.send(&request(1, true, &as_strs(&get("/after")), b""))
        .await;
    assert!(conn.answer(1).await.text().contains("info=/after"));
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_its_request() {
    let (app, mut events) = test_app();
    let server = start(app, |s| s);
    let mut conn = Conn::open(server.addr).await;
    conn.send(&request(1, false, &as_strs(&get("/hang")), b""))
        .await;
    assert_eq!(events.recv().await, Some("hang started"));
    drop(conn);
    assert_eq!(events.recv().await, Some("hang dropped"));
    server.stop().await;
}

#[tokio::test]
async fn malformed_records_close_only_their_connection() {
    let (app, _events) = test_app();
    let server = start(app, |s| s);
    let mut good = Conn::open(server.addr).await;
    good.send(&request(1, true, &as_strs(&get("/first")), b""))
        .await;
    assert_eq!(good.answer(1).await.status(), 200);

    let mut bad_requests: Vec<Vec<u8>> = Vec::new();
    // A version-2 record.
    let mut v2 = record(BEGIN_REQUEST, 1, &[0, 1, 0, 0, 0, 0, 0, 0]);
    v2[0] = 2;
    bad_requests.push(v2);
    // A BEGIN_REQUEST body of 3 bytes.
    bad_requests.push(record(BEGIN_REQUEST, 1, &[0, 1, 0]));
    // Params whose pair claims more bytes than there are.
    let mut cut = begin(1, RESPONDER, false);
    cut.extend(record(PARAMS, 1, &[20, 1, b'A']));
    cut.extend(record(PARAMS, 1, b""));
    bad_requests.push(cut);
    // STDIN before the params are over.
    let mut early = begin(1, RESPONDER, false);
    early.extend(record(STDIN, 1, b"body"));
    bad_requests.push(early);
    // Garbage: an HTTP request sent to the FastCGI port.
    bad_requests.push(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec());

    for bytes in bad_requests {
        let mut bad = Conn::open(server.addr).await;
        bad.send(&bytes).await;
        assert!(bad.is_closed().await, "not closed after {bytes:?}");
    }

    good.send(&request(2, true, &as_strs(&get("/second")), b""))
        .await;
    assert!(good.answer(2).await.text().contains("info=/second"));
    server.stop().await;
}

#[tokio::test]
async fn errors_panics_and_head() {
    let (app, _events) = test_app();
    let server = start(app, |s| s);
    let mut conn = Conn::open(server.addr).await;
    conn.send(&request(1, true, &as_strs(&get("/error")), b""))
        .await;
    let answer = conn.answer(1).await;
    assert_eq!(
        (answer.status(), answer.text().as_str()),
        (403, "not for you")
    );
    conn.send(&request(1, true, &as_strs(&get("/panic")), b""))
        .await;
    assert_eq!(conn.answer(1).await.status(), 500);
    let mut head = get("/page");
    head[0].1 = "HEAD".to_owned();
    conn.send(&request(1, true, &as_strs(&head), b"")).await;
    let answer = conn.answer(1).await;
    assert_eq!(answer.status(), 200);
    assert!(answer.body().is_empty());
    let head_text = String::from_utf8(answer.stdout.clone()).unwrap();
    assert!(head_text.contains("content-length: "), "{head_text}");
    // Bad variables: a 400, and the connection goes on.
    let mut bad = get("/page");
    bad.push(("CONTENT_LENGTH", "lots".to_owned()));
    conn.send(&request(1, true, &as_strs(&bad), b"")).await;
    assert_eq!(conn.answer(1).await.status(), 400);
    conn.send(&request(1, true, &as_strs(&get("/ok")), b""))
        .await;
    assert_eq!(conn.answer(1).await.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn the_limits_answer_431_413_and_503() {
    let (app, _events) = test_app();
    let server = start(app, |s| {
        s.max_params_size(1024)
            .max_body_size(1000)
            .max_connections(2)
    });
    let mut conn = Conn::open(server.addr).await;

    // Params over the limit: 431, and the connection goes on.
    let mut vars = get("/x");
    vars.push(("HTTP_X_BIG", "y".repeat(2000)));
    conn.send(&request(1, true, &as_strs(&vars), b"")).await;
    assert_eq!(conn.answer(1).await.status(), 431);

    // A CONTENT_LENGTH over the limit: 413 before the body is read; the
    // STDIN that follows is ignored.
    let mut vars = get("/upload");
    vars[0].1 = "POST".to_owned();
    vars.push(("CONTENT_LENGTH", "5000".to_owned()));
    conn.send(&request(1, true, &as_strs(&vars), &[b'z'; 5000]))
        .await;
    assert_eq!(conn.answer(1).await.status(), 413);

    // A body without a length that grows past the limit: 413 when read.
    let mut vars = get("/");
    vars[0].1 = "POST".to_owned();
    conn.send(&request(1, true, &as_strs(&vars), &[b'z'; 5000]))
        .await;
    assert_eq!(conn.answer(1).await.status(), 413);
    conn.send(&request(1, true, &as_strs(&get("/fine")), b""))
        .await;
    assert_eq!(conn.answer(1).await.status(), 200);

    // Two connections are open (this one and the next); a third gets 503
    // with FCGI_OVERLOADED.
    let mut second = Conn::open(server.addr).await;
    second
        .send(&request(1, true, &as_strs(&get("/fine")), b""))
        .await;
    assert_eq!(second.answer(1).await.status(), 200);
    let mut third = Conn::open(server.addr).await;
    third
        .send(&request(1, false, &as_strs(&get("/x")), b""))
        .await;
    let refused = third.answer(1).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.protocol_status, 2, "FCGI_OVERLOADED");
    assert!(third.is_closed().await);
    server.stop().await;
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_read_timeout() {
    let (app, _events) = test_app();
    let server = start(app, |s| s.header_read_timeout(Duration::from_millis(200)));
    let mut silent = Conn::open(server.addr).await;
    assert!(silent.is_closed().await);
    // One that sends its BEGIN_REQUEST but never ends its params, too.
    let mut slow = Conn::open(server.addr).await;
    slow.send(&begin(1, RESPONDER, false)).await;
    assert!(slow.is_closed().await);
    server.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight_and_closes_idle_connections() {
    let (app, mut events) = test_app();
    let release = app.release.clone();
    let server = start(app, |s| s);
    let addr = server.addr;

    let mut idle = Conn::open(addr).await;
    idle.send(&request(1, true, &as_strs(&get("/warmup")), b""))
        .await;
    assert_eq!(idle.answer(1).await.status(), 200);

    let mut busy = Conn::open(addr).await;
    busy.send(&request(1, true, &as_strs(&get("/slow")), b""))
        .await;
    assert_eq!(events.recv().await, Some("slow started"));

    server.handle.shutdown();
    // The idle keep-conn connection is closed…
    assert!(idle.is_closed().await);
    // …new connections are refused once the listener is gone…
    let refused = async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), refused)
        .await
        .expect("the listener closes");
    assert!(
        !server.task.is_finished(),
        "serve returned with a request in flight"
    );

    // …and the request in flight finishes, then its connection closes.
    release.notify_one();
    let answer = busy.answer(1).await;
    assert_eq!(answer.text(), "slow done");
    assert!(busy.is_closed().await);
    tokio::time::timeout(Duration::from_secs(10), server.task)
        .await
        .expect("serve returns")
        .unwrap()
        .unwrap();
}
