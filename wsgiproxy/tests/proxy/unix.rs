//! A backend on a Unix socket.

use wsgiproxy::HostProxy;

use crate::common::*;

#[tokio::test]
async fn a_unix_socket_backend_is_reached() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("backend.sock");
    let server = paste_server::Server::bind_unix(&socket)
        .unwrap()
        .handle_signals(false);
    let handle = server.handle();
    tokio::spawn(server.serve(echo()));

    let front = start(HostProxy::new(&format!("unix:{}", socket.display())).unwrap());
    let (status, _, body) = get(&front.url("/over/unix?x=1")).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with("GET /over/unix?x=1\n"), "{text}");
    assert_eq!(echoed(&echoed_headers(&text), "host"), Some("localhost"));
    handle.stop_now();

    let dead = start(HostProxy::unix(dir.path().join("nobody.sock")));
    let (status, _, _) = get(&dead.url("/")).await;
    assert_eq!(status, 502);
}
