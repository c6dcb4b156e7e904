//! Where a server listens: IPv6, a socket inherited from systemd, and one
//! on descriptor 0.

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

/// Run in a child process by the tests below, with something on
/// descriptor 0: serves on it if it is a listening socket, else says so.
#[test]
#[ignore = "the child side of the descriptor-0 tests"]
fn stdin_child() {
    let Some(bound) = paste_server::listen::Bound::from_stdin().unwrap() else {
        println!("descriptor 0: no listening socket");
        return;
    };
    println!("descriptor 0: {}", bound.listen_addr());
    let app = app_fn(|_req: Request| async { Ok(Response::new("from fd 0".into())) });
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(paste_server::Server::from_bound(bound).serve(app))
        .unwrap();
}

/// Starts this test binary as `stdin_child` with `stdin` on descriptor 0.
fn stdin_child_with(stdin: Stdio) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "listen::stdin_child", "--ignored", "--nocapture"])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// What the child says of its descriptor 0. The rest of its output is
/// read on a thread, so that its last words do not meet a closed pipe.
fn first_word_of_child(child: &mut std::process::Child) -> String {
    let mut lines = StdBufReader::new(child.stdout.take().unwrap()).lines();
    let said = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|line| line.starts_with("descriptor 0: "))
        .expect("the child says what it found");
    std::thread::spawn(move || lines.for_each(drop));
    said
}

/// Sends a request by hand and reads the whole answer.
async fn raw_get<S>(mut stream: S) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

/// SIGTERM, and the exit status once the child is gone.
fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the child stops on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tokio::test]
async fn a_tcp_socket_listening_on_descriptor_0_is_served() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut child = stdin_child_with(Stdio::from(std::os::fd::OwnedFd::from(listener)));
    assert_eq!(
        first_word_of_child(&mut child),
        format!("descriptor 0: {addr}")
    );
    let answer = raw_get(tokio::net::TcpStream::connect(addr).await.unwrap()).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nfrom fd 0"), "{answer}");
}

#[tokio::test]
async fn a_unix_socket_on_descriptor_0_is_served_and_its_file_left_in_place() {
    let dir = std::env::temp_dir().join(format!("paste-server-fd0-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fd0.sock");
    let _ = std::fs::remove_file(&path);
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let mut child = stdin_child_with(Stdio::from(std::os::fd::OwnedFd::from(listener)));
    assert_eq!(
        first_word_of_child(&mut child),
        format!("descriptor 0: unix:{}", path.display())
    );
    let answer = raw_get(tokio::net::UnixStream::connect(&path).await.unwrap()).await;
    assert!(answer.ends_with("\r\n\r\nfrom fd 0"), "{answer}");
    assert!(terminate(&mut child).success(), "a graceful shutdown");
    assert!(path.exists(), "the socket file is its maker's to remove");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn descriptor_0_that_is_no_listening_socket_is_not_taken() {
    // Nothing, a pipe, and a connected socket (inetd's "nowait" way).
    let mut child = stdin_child_with(Stdio::null());
    assert_eq!(
        first_word_of_child(&mut child),
        "descriptor 0: no listening socket"
    );
    assert!(child.wait().unwrap().success());

    let mut child = stdin_child_with(Stdio::piped());
    assert_eq!(
        first_word_of_child(&mut child),
        "descriptor 0: no listening socket"
    );
    assert!(child.wait().unwrap().success());

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let connected = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let mut child = stdin_child_with(Stdio::from(std::os::fd::OwnedFd::from(connected)));
    assert_eq!(
        first_word_of_child(&mut child),
        "descriptor 0: no listening socket"
    );
    assert!(child.wait().unwrap().success());
}

#[tokio::test]
async fn a_unix_socket_handed_over_by_systemd_is_served_and_left_in_place() {
    // Python plays systemd with a Unix socket, as a `ListenStream=/path`
    // socket unit does; the file is systemd's, which goes on listening on
    // it after the service stops, so the server must not remove it.
    let dir = std::env::temp_dir().join(format!("paste-server-sd-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("systemd.sock");
    let _ = std::fs::remove_file(&path);
    let script = r#"
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[2])
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
print("ready", flush=True)
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the pipe is read no further
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
args = [sys.argv[1], "--exact", "listen::systemd_child", "--ignored", "--nocapture"]
os.execve(sys.argv[1], args, env)
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(std::env::current_exe().unwrap())
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut ready = String::new();
    StdBufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    let answer = raw_get(tokio::net::UnixStream::connect(&path).await.unwrap()).await;
    assert!(answer.ends_with("\r\n\r\nfrom fd 3"), "{answer}");
    assert!(terminate(&mut child).success(), "a graceful shutdown");
    assert!(path.exists(), "the socket file is systemd's");
    std::fs::remove_dir_all(&dir).unwrap();
}
