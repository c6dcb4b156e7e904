//! The transparent proxy goes only where it is allowed to.

use wsgiproxy::TransparentProxy;

use crate::common::*;

#[tokio::test]
async fn allowed_hosts_are_reached_with_their_host_header() {
    let backend = start(echo());
    let proxy = TransparentProxy::new()
        .allow_host(&backend.addr.to_string())
        .unwrap();
    let front = start(proxy);
    let request = format!("GET /p?q=1 HTTP/1.1\r\nHost: {}\r\n\r\n", backend.addr);
    let response = raw_exchange(front.addr, request.as_bytes()).await;
    assert_eq!(response.status(), 200);
    let text = response.text();
    assert!(text.starts_with("GET /p?q=1\n"), "{text}");
    let host = backend.addr.to_string();
    assert_eq!(echoed(&echoed_headers(&text), "host"), Some(host.as_str()));

    // A forward proxy's absolute request target works the same way.
    let request = format!(
        "GET http://{0}/abs HTTP/1.1\r\nHost: {0}\r\n\r\n",
        backend.addr
    );
    let response = raw_exchange(front.addr, request.as_bytes()).await;
    assert!(
        response.text().starts_with("GET /abs\n"),
        "{}",
        response.text()
    );
}

#[tokio::test]
async fn other_hosts_and_ports_are_refused_with_403() {
    let backend = start(echo());
    let other = start(echo());
    let proxy = TransparentProxy::new()
        .allow_host(&backend.addr.to_string())
        .unwrap();
    let front = start(proxy);
    for host in [
        other.addr.to_string(),
        "169.254.169.254".to_owned(),
        format!("localhost:{}", backend.addr.port()),
    ] {
        let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let response = raw_exchange(front.addr, request.as_bytes()).await;
        assert_eq!(response.status(), 403, "{host}");
        assert!(
            response
                .text()
                .contains("does not forward requests to that host")
        );
    }
}

#[tokio::test]
async fn with_no_allowed_host_everything_is_refused() {
    let backend = start(echo());
    let front = start(TransparentProxy::new());
    let request = format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", backend.addr);
    assert_eq!(
        raw_exchange(front.addr, request.as_bytes()).await.status(),
        403
    );
    let response = raw_exchange(front.addr, b"GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn bad_allowed_hosts_are_errors() {
    for bad in [
        "",
        "example.com:port",
        "http://example.com",
        "user@example.com",
        "a:70000",
    ] {
        let err = TransparentProxy::new().allow_host(bad).unwrap_err();
        assert_eq!(err.kind(), wsgiproxy::ErrorKind::BadHost, "{bad}");
    }
}

#[tokio::test]
async fn an_absolute_target_wins_over_a_differing_host_header() {
    let backend = start(echo());
    let proxy = TransparentProxy::new()
        .allow_host(&backend.addr.to_string())
        .unwrap();
    let front = start(proxy);
    let request = format!(
        "GET http://{}/abs HTTP/1.1\r\nHost: not-allowed.example\r\n\r\n",
        backend.addr
    );
    let response = raw_exchange(front.addr, request.as_bytes()).await;
    assert_eq!(response.status(), 200);
    let host = backend.addr.to_string();
    assert_eq!(
        echoed(&echoed_headers(&response.text()), "host"),
        Some(host.as_str())
    );
}
