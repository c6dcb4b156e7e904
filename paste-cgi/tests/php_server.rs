//! PhpApp behind a real paste-server, spoken to in raw HTTP/1.1: the
//! whole way from a socket to php-cgi and back.

mod cgi_support;
mod common;
mod fastcgi_support;

use std::path::Path;

use cgi_support::{send, serve};
use paste_cgi::PhpApp;

fn app() -> PhpApp {
    let php_cgi = fastcgi_support::find_program("php-cgi", "php-cgi");
    PhpApp::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/php"))
        .php_cgi(php_cgi)
        .max_connections(2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn php_over_http() {
    let server = serve(app());

    let answer = send(
        server.addr,
        b"GET /hello.php HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.text(), "2");
    assert!(answer.header("content-type")[0].starts_with("text/html"));

    let form = b"myname=Stan";
    let mut raw = format!(
        "POST /form.php?name=Guy HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        form.len()
    )
    .into_bytes();
    raw.extend_from_slice(form);
    let answer = send(server.addr, &raw).await;
    assert_eq!(answer.text(), "Hello Guy, I am Stan\nmethod=POST");

    // A HEAD gets the head alone.
    let answer = send(
        server.addr,
        b"HEAD /status.php HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 418);
    assert_eq!(answer.header("x-custom"), ["yes"]);
    assert!(answer.body.is_empty());

    // The folder redirect and a refused file, as a browser sees them.
    let answer = send(
        server.addr,
        b"GET /sub?a=b HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 301);
    assert_eq!(answer.header("location"), ["/sub/?a=b"]);
    let answer = send(
        server.addr,
        b"GET /secret.inc HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 404);
    assert!(!answer.text().contains("hunter2"));
    let answer = send(
        server.addr,
        b"GET /../Cargo.toml HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(matches!(answer.status, 400 | 404), "{answer:?}");
}
