//! Where a server listens: IPv6, and a socket inherited from systemd.

use std::io::{BufRead, BufReader as StdBufReader};
use std::process::{Command, Stdio};

use crate::common::get;
use paste_core::{Request, RequestExt, Response, app_fn};

#[tokio::test]
async fn ipv6_loopback_is_served_when_the_machine_has_it() {
    let Ok(server) = paste_server::Server::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback on this machine; nothing to test");
        return;
    };
    let addr = server.local_addr().unwrap();
    assert!(addr.is_ipv6());
    assert!(server.url().starts_with("http://[::1]:"));
    let handle = server.handle();
    let app = app_fn(|req: Request| async move {
        Ok(Response::new(
            format!("{:?}", req.remote_addr().map(|a| a.ip())).into(),
        ))
    });
    let task = tokio::spawn(server.handle_signals(false).serve(app));
    let (status, _, body) = get(&format!("http://{addr}/")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "Some(::1)");
    handle.shutdown();
    task.await.unwrap().unwrap();
}

/// Run in a child process by the test below, with a socket at fd 3:
/// serves through `paste_server::serve` as a systemd-activated server would.
#[test]
#[ignore = "the child side of a_socket_handed_over_by_systemd_is_served"]
fn systemd_child() {
    let app = app_fn(|_req: Request| async { Ok(Response::new("from fd 3".into())) });
    // Port 1 is never bound: an answer can only come through fd 3.
    paste_server::serve(app, "127.0.0.1:1").unwrap();
}

#[tokio::test]
async fn a_socket_handed_over_by_systemd_is_served() {
    // Python plays systemd: it binds a socket, puts it at fd 3, says so in
    // LISTEN_FDS, prints the port, and becomes this test binary running
    // `systemd_child`.
    let script = r#"
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
print(s.getsockname()[1], flush=True)
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the pipe is read no further
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
args = [sys.argv[1], "--exact", "listen::systemd_child", "--ignored", "--nocapture"]
os.execve(sys.argv[1], args, env)
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(std::env::current_exe().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut port = String::new();
    StdBufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let url = format!("http://127.0.0.1:{}/", port.trim());
    let mut served = None;
    for _ in 0..100 {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Empty<bytes::Bytes>>();
        if let Ok(response) = client.get(url.parse().unwrap()).await {
            use http_body_util::BodyExt;
            served = Some(response.into_body().collect().await.unwrap().to_bytes());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(served.as_deref(), Some(&b"from fd 3"[..]));
}
