//! CGI through a real paste-server on 127.0.0.1, talked to with raw HTTP:
//! the connection's facts in the environment, headers exactly as a client
//! sends them, chunked and 50 MiB uploads, a 50 MiB download, and a client
//! that hangs up.

mod cgi_support;
mod common;

use std::time::Duration;

use cgi_support::{alive, bin, bin_dir, gone, parse_answer, patiently, pids, send, serve, vars};
use paste_cgi::{CgiApp, CgiDirectory};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_and_raw_headers_reach_the_program_as_cgi_variables() {
    let server = serve(CgiDirectory::new(bin_dir()));
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let client_port = stream.local_addr().unwrap().port();
    stream
        .write_all(
            b"GET /env.py/more?x=1 HTTP/1.1\r\n\
              Host: localhost\r\n\
              Proxy: http://evil.example:3128\r\n\
              X_Forwarded_For: 6.6.6.6\r\n\
              X-Forwarded-For: 10.0.0.1\r\n\
              X-Custom: a\r\n\
              X-Custom: b\r\n\
              Connection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut raw = Vec::new();
    patiently("the answer", stream.read_to_end(&mut raw))
        .await
        .unwrap();
    let answer = parse_answer(&raw);
    assert_eq!(answer.status, 200, "{}", answer.head);
    let env = vars(&answer.text());
    let port = server.addr.port().to_string();
    let client_port = client_port.to_string();
    for (var, value) in [
        ("REMOTE_ADDR", "127.0.0.1"),
        ("REMOTE_PORT", client_port.as_str()),
        ("SERVER_ADDR", "127.0.0.1"),
        ("SERVER_PORT", port.as_str()),
        ("SERVER_NAME", "localhost"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("SCRIPT_NAME", "/env.py"),
        ("PATH_INFO", "/more"),
        ("QUERY_STRING", "x=1"),
        ("HTTP_X_FORWARDED_FOR", "10.0.0.1"),
        ("HTTP_X_CUSTOM", "a, b"),
    ] {
        assert_eq!(env.get(var).map(String::as_str), Some(value), "{var}");
    }
    assert_eq!(env.get("HTTP_PROXY"), None, "httpoxy");
    assert_eq!(env.get("HTTP_CONNECTION"), None, "hop-by-hop");
    assert!(
        !env.values().any(|v| v.contains("6.6.6.6")),
        "X_Forwarded_For posed as X-Forwarded-For"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_upload_arrives_whole_without_content_length() {
    let server = serve(CgiApp::new(bin("env.py")));
    let answer = send(
        server.addr,
        b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
          5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.head);
    let env = vars(&answer.text());
    assert_eq!(env["BODY_BYTES"], "11");
    assert_eq!(env.get("CONTENT_LENGTH"), None);
    assert_eq!(env.get("HTTP_TRANSFER_ENCODING"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_upload_through_the_server_streams() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("first-mib-read");
    let server = serve(CgiApp::new(bin("upload.py")).env("UPLOAD_MARKER", marker.as_os_str()));
    let total = 50 * MIB;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let piece = vec![b'z'; MIB];
    stream.write_all(&piece).await.unwrap();
    stream.write_all(&piece).await.unwrap();
    // The rest only once the program has read a MiB of it.
    patiently("the program reading the first MiB", async {
        while !marker.exists() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    for _ in 2..50 {
        stream.write_all(&piece).await.unwrap();
    }
    let mut raw = Vec::new();
    patiently("the answer", stream.read_to_end(&mut raw))
        .await
        .unwrap();
    let answer = parse_answer(&raw);
    assert_eq!(answer.status, 200, "{}", answer.head);
    let body = answer.text();
    assert!(
        body.starts_with(&format!("bytes={total} sha256=")),
        "{body}"
    );
    assert!(
        body.ends_with(&format!("content_length={total}\n")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_download_through_the_server_streams() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done");
    let server = serve(CgiApp::new(bin("download.sh")).env("DONE_FILE", done.as_os_str()));
    let total = 50 * MIB;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = format!("GET /?{total} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();

    // Read the head and the first body bytes before the program is done.
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .is_none_or(|at| raw.len() < at + 5 + 1024)
    {
        let n = patiently("the first bytes", stream.read(&mut buf))
            .await
            .unwrap();
        assert!(n > 0, "the connection ended early");
        raw.extend_from_slice(&buf[..n]);
    }
    assert!(
        !done.exists(),
        "the first bytes arrived while the program still writes"
    );
    patiently("the rest", stream.read_to_end(&mut raw))
        .await
        .unwrap();
    let answer = parse_answer(&raw);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body.len(), total);
    assert!(answer.body.iter().all(|b| *b == 0));
    assert!(done.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_takes_the_program_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let server = serve(CgiApp::new(bin("stream.sh")).env("PID_FILE", pid_file.as_os_str()));
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let mut raw = Vec::new();
    while !String::from_utf8_lossy(&raw).contains("tick") {
        let n = patiently("the first tick", stream.read(&mut buf))
            .await
            .unwrap();
        assert!(n > 0);
        raw.extend_from_slice(&buf[..n]);
    }
    let (program, grandchild) = pids(&pid_file).await;
    assert!(alive(program) && alive(grandchild));
    drop(stream);
    assert!(
        gone(program).await,
        "the program {program} outlived its client"
    );
    assert!(
        gone(grandchild).await,
        "the grandchild {grandchild} outlived the client"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_reach_the_client_as_statuses() {
    let server = serve(CgiDirectory::new(bin_dir()));
    for (target, status) in [
        ("/malformed.py", 502),
        ("/fail.sh", 502),
        ("/status.sh", 404),
        ("/../Cargo.toml", 404),
        ("/%2e%2e/cgi_env.rs", 404),
    ] {
        let request =
            format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        let answer = send(server.addr, request.as_bytes()).await;
        assert_eq!(answer.status, status, "{target}");
        assert!(
            !answer.text().contains("line 1"),
            "no details for the client"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_request_gets_the_head_and_the_program_is_not_left_running() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let server = serve(CgiApp::new(bin("stream.sh")).env("PID_FILE", pid_file.as_os_str()));
    let answer = send(
        server.addr,
        b"HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), ["text/plain"]);
    assert!(answer.body.is_empty());
    let (program, grandchild) = pids(&pid_file).await;
    assert!(gone(program).await && gone(grandchild).await);
}
