//! Graceful shutdown: in-flight requests finish, new connections are refused.

use std::time::Duration;

use paste_core::{Request, Response, app_fn};
use tokio::net::TcpStream;

use crate::common::{closed_within, connect, read_response, send, start};

fn slow(delay: Duration) -> impl paste_core::App {
    app_fn(move |_req: Request| async move {
        tokio::time::sleep(delay).await;
        Ok(Response::new("done".into()))
    })
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_and_refuses_new_connections() {
    let server = start(slow(Duration::from_millis(600)), |s| s);
    let mut stream = connect(server.addr).await;
    send(&mut stream, b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(100)).await; // the request is in flight

    server.handle.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "new connections are refused once shutdown starts"
    );

    let response = read_response(&mut stream).await;
    assert_eq!((response.status(), response.text().as_str()), (200, "done"));
    assert!(closed_within(&mut stream, Duration::from_secs(2)).await);
    tokio::time::timeout(Duration::from_secs(2), server.task)
        .await
        .expect("serve returns once drained")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_drain_timeout_cuts_requests_that_take_too_long() {
    let server = start(slow(Duration::from_secs(60)), |s| {
        s.drain_timeout(Duration::from_millis(200))
    });
    let mut stream = connect(server.addr).await;
    send(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    server.handle.shutdown();
    tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("serve returns after the drain timeout")
        .unwrap()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(closed_within(&mut stream, Duration::from_secs(1)).await);
}

#[tokio::test]
async fn a_request_that_arrived_before_the_shutdown_is_served() {
    // On this single-threaded runtime the server's tasks run only when the
    // test waits: the second request is in the connection's socket when
    // the connection learns of the shutdown. It is read and answered, then
    // the connection closes; it is not dropped with the connection as if it were idle.
    let server = start(slow(Duration::ZERO), |s| s);
    let mut stream = connect(server.addr).await;
    send(&mut stream, b"GET /1 HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(read_response(&mut stream).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(50)).await; // idle again
    send(&mut stream, b"GET /2 HTTP/1.1\r\nhost: x\r\n\r\n").await;
    std::thread::sleep(Duration::from_millis(50)); // the bytes arrive
    server.handle.shutdown();
    let response = read_response(&mut stream).await;
    assert_eq!((response.status(), response.text().as_str()), (200, "done"));
    assert!(closed_within(&mut stream, Duration::from_secs(2)).await);
    tokio::time::timeout(Duration::from_secs(2), server.task)
        .await
        .expect("serve returns once drained")
        .unwrap()
        .unwrap();
}
