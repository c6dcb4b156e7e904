//! The FastCGI server driven by a real FastCGI client: `cgi-fcgi` from
//! the FastCGI development kit (Debian package `libfcgi-bin`). It sends
//! its whole environment as params and its stdin as STDIN, and prints the
//! CGI response.

mod common;
mod fastcgi_support;

use std::process::Stdio;

use fastcgi_support::*;
use tokio::io::AsyncWriteExt;

/// Runs `cgi-fcgi -bind -connect ADDR` with exactly `vars` as its
/// environment and `stdin`, and returns what it printed.
async fn cgi_fcgi(addr: std::net::SocketAddr, vars: &[(&str, &str)], stdin: &[u8]) -> Vec<u8> {
    let program = find_program("cgi-fcgi", "libfcgi-bin");
    let mut child = tokio::process::Command::new(program)
        .args(["-bind", "-connect", &addr.to_string()])
        .env_clear()
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("cgi-fcgi starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    assert!(
        output.status.success(),
        "cgi-fcgi failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn split(out: &[u8]) -> (String, String) {
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no CGI head in {:?}", String::from_utf8_lossy(out)));
    (
        String::from_utf8_lossy(&out[..end]).into_owned(),
        String::from_utf8_lossy(&out[end + 4..]).into_owned(),
    )
}

#[tokio::test]
async fn cgi_fcgi_gets_a_page() {
    let (app, _events) = test_app();
    let server = start(app, |s| s);
    let vars = [
        ("REQUEST_METHOD", "GET"),
        ("SCRIPT_NAME", "/app"),
        ("PATH_INFO", "/hello/world"),
        ("QUERY_STRING", "x=1&y=2"),
        ("HTTP_X_GREETING", "salut"),
        ("REMOTE_ADDR", "192.0.2.9"),
        ("REMOTE_USER", "bob"),
        ("CUSTOM_VAR", "custom value"),
        ("HTTPS", "on"),
    ];
    let (head, body) = split(&cgi_fcgi(server.addr, &vars, b"").await);
    assert!(head.starts_with("Status: 200 OK\r\n"), "{head}");
    assert_eq!(
        body,
        "method=GET script=/app info=/hello/world query=x=1&y=2 greeting=salut \
         scheme=https remote=192.0.2.9 user=bob custom=custom value body=0\n"
    );
    server.stop().await;
}

#[tokio::test]
async fn cgi_fcgi_posts_a_body() {
    let (app, _events) = test_app();
    let server = start(app, |s| s);
    let body: Vec<u8> = (0..300_000).map(pattern).collect();
    let len = body.len().to_string();
    let vars = [
        ("REQUEST_METHOD", "POST"),
        ("PATH_INFO", "/upload"),
        ("CONTENT_LENGTH", len.as_str()),
        ("CONTENT_TYPE", "application/octet-stream"),
    ];
    let (head, text) = split(&cgi_fcgi(server.addr, &vars, &body).await);
    assert!(head.starts_with("Status: 200 OK\r\n"), "{head}");
    let mut sum = 0;
    checksum(&body, 0, &mut sum);
    assert_eq!(text, format!("len=300000 sum={sum}"));
    server.stop().await;
}

#[tokio::test]
async fn cgi_fcgi_sees_errors_as_statuses() {
    let (app, _events) = test_app();
    let server = start(app, |s| s);
    let vars = [("REQUEST_METHOD", "GET"), ("PATH_INFO", "/error")];
    let (head, body) = split(&cgi_fcgi(server.addr, &vars, b"").await);
    assert!(head.starts_with("Status: 403 Forbidden\r\n"), "{head}");
    assert_eq!(body, "not for you");
    let vars = [("REQUEST_METHOD", "GET"), ("CONTENT_LENGTH", "a lot")];
    let (head, _) = split(&cgi_fcgi(server.addr, &vars, b"").await);
    assert!(head.starts_with("Status: 400 Bad Request\r\n"), "{head}");
    let (head, body) = split(&cgi_fcgi(server.addr, &[("PATH_INFO", "/x")], b"").await);
    assert!(head.starts_with("Status: 400 Bad Request\r\n"), "{head}");
    assert!(body.contains("REQUEST_METHOD"), "{body}");
    server.stop().await;
}
