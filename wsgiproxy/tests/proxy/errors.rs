//! A backend that is down, slow, broken or cut off: 502, 504, and
//! responses that are seen to be incomplete.

use std::time::Duration;

use wsgiproxy::HostProxy;

use crate::common::*;

/// A port with nothing listening on it (bound, then let go).
pub(crate) async fn dead_port() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn a_backend_that_is_down_gives_502_without_details() {
    let dead = dead_port().await;
    let front = start(HostProxy::new(&format!("http://{dead}")).unwrap());
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status(), 502);
    let text = response.text();
    assert!(text.contains("could not be reached"), "{text}");
    assert!(
        !text.contains(&dead.port().to_string()),
        "the address leaked: {text}"
    );
    assert!(
        !text.to_lowercase().contains("refused"),
        "the cause leaked: {text}"
    );
}

#[tokio::test]
async fn a_backend_too_slow_to_answer_gives_504() {
    let backend = raw_backend(|mut stream| async move {
        read_request_head(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let proxy = HostProxy::new(&format!("http://{backend}"))
        .unwrap()
        .timeout(Some(Duration::from_millis(300)));
    let front = start(proxy);
    let started = std::time::Instant::now();
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status(), 504);
    assert!(response.text().contains("did not answer in time"));
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn a_response_that_is_not_http_gives_502() {
    let backend = raw_backend(|mut stream| async move {
        read_request_head(&mut stream).await;
        write(&mut stream, b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
    })
    .await;
    let front = start(HostProxy::new(&format!("http://{backend}")).unwrap());
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status(), 502);
    assert!(response.text().contains("did not send a valid response"));
}

#[tokio::test]
async fn a_backend_closing_before_answering_gives_502() {
    let backend = raw_backend(|mut stream| async move {
        read_request_head(&mut stream).await;
        drop(stream);
    })
    .await;
    let front = start(HostProxy::new(&format!("http://{backend}")).unwrap());
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status(), 502);
}

#[tokio::test]
async fn a_sized_body_cut_by_the_backend_is_cut_for_the_client() {
    let backend = raw_backend(|mut stream| async move {
        read_request_head(&mut stream).await;
        write(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this much",
        )
        .await;
        drop(stream);
    })
    .await;
    let front = start(HostProxy::new(&format!("http://{backend}")).unwrap());
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-length"), Some("1000"));
    assert!(
        !response.complete,
        "the cut body looks complete: {response:?}"
    );
    assert_eq!(response.text(), "only this much");
}

#[tokio::test]
async fn a_chunked_body_cut_by_the_backend_ends_without_its_last_chunk() {
    let backend = raw_backend(|mut stream| async move {
        read_request_head(&mut stream).await;
        write(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        )
        .await;
        drop(stream);
    })
    .await;
    let front = start(HostProxy::new(&format!("http://{backend}")).unwrap());
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert!(
        !response.complete,
        "the cut body looks complete: {response:?}"
    );
    assert_eq!(response.text(), "hello");
}

#[tokio::test]
async fn a_backend_that_stalls_mid_body_is_cut_off_after_the_body_timeout() {
    let backend = raw_backend(|mut stream| async move {
        read_request_head(&mut stream).await;
        write(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst",
        )
        .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let proxy = HostProxy::new(&format!("http://{backend}"))
        .unwrap()
        .body_timeout(Some(Duration::from_millis(300)));
    let front = start(proxy);
    let started = std::time::Instant::now();
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "first");
    assert!(!response.complete);
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn a_connection_that_hangs_gives_504_after_the_connect_timeout() {
    // A listener that never accepts, its backlog full: further connection
    // attempts get no answer at all.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut held = Vec::new();
    let mut full = false;
    for _ in 0..64 {
        match tokio::time::timeout(
            Duration::from_millis(300),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(stream)) => held.push(stream),
            Ok(Err(err)) => panic!("connecting failed outright: {err}"),
            Err(_) => {
                full = true;
                break;
            }
        }
    }
    assert!(full, "the backlog never filled up");

    let proxy = HostProxy::new(&format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Some(Duration::from_millis(300)));
    let front = start(proxy);
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status(), 504);
    drop(held);
}
