//! A whole routing stack served by paste-server on a real socket, talked
//! to with raw HTTP so that nothing normalises the request on the way.

mod server_support;

use std::net::SocketAddr;

use paste_core::http::StatusCode;
use paste_core::{App, BoxApp, Error, Request, RequestExt, Response, app_fn};
use paste_middleware::cascade::Cascade;
use paste_middleware::errordocument::ErrorDocument;
use paste_middleware::recursive::{Recursive, forward};
use paste_middleware::static_files::StaticDir;
use paste_middleware::test_app::TestApp;
use paste_middleware::urlmap::UrlMap;
use server_support::{raw_exchange, start};

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Vec<&str> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect()
    }
}

/// Sends `raw` as is and reads the answer to the end of the connection.
async fn send(addr: SocketAddr, raw: &str) -> Answer {
    let (status, head, body) = raw_exchange(addr, raw).await;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked { dechunk(&body) } else { body };
    Answer { status, head, body }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    out
}

async fn get(addr: SocketAddr, target: &str) -> Answer {
    send(
        addr,
        &format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
    )
    .await
}

/// The site: static files, a cascade over a body-reading app, files and a
/// form handler, the test app, an old URL forwarded to a new one, and a
/// custom 404 page.
fn site(root: &std::path::Path) -> impl App {
    let reads_body_then_404 = app_fn(|req: Request| async move {
        let body = req.into_body().to_bytes(1024).await?;
        Err::<Response, _>(
            Error::new(StatusCode::NOT_FOUND)
                .with_message(format!("read {} bytes, not mine", body.len())),
        )
    });
    let form_handler = app_fn(|req: Request| async move {
        let method = req.method().clone();
        let body = req.into_body().to_bytes(1024).await?;
        Ok(Response::new(
            format!("{method} got {}", String::from_utf8_lossy(&body)).into(),
        ))
    });
    let moved = app_fn(|req: Request| async move {
        match req.path_info() {
            "/old" => forward(req, "/test/new-home").await,
            _ => Err(Error::new(StatusCode::NOT_FOUND)),
        }
    });
    let error_pages = app_fn(|req: Request| async move {
        let page = format!("<p>custom page for {}</p>", req.path_info());
        let mut response = Response::new(page.into());
        response.headers_mut().insert(
            "content-type",
            paste_core::http::HeaderValue::from_static("text/html"),
        );
        response.headers_mut().insert(
            "set-cookie",
            paste_core::http::HeaderValue::from_static("from-page=1"),
        );
        Ok(response)
    });
    let map = UrlMap::new()
        .mount("/static", StaticDir::new(root))
        .mount(
            "/app",
            Cascade::new(vec![
                BoxApp::new(reads_body_then_404),
                BoxApp::new(StaticDir::new(root)),
                BoxApp::new(form_handler),
            ])
            .catch([StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED]),
        )
        .mount("/test", TestApp::new())
        .mount("/moved", moved)
        .mount("/errors", error_pages);
    ErrorDocument::new(Recursive::new(map)).map(404, "/errors/404")
}

fn files() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "SECRET").unwrap();
    let root = dir.path().join("public");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("hello.txt"), "Hello from disk").unwrap();
    (dir, root)
}

#[tokio::test]
async fn the_stack_routes_serves_and_replays_over_a_socket() {
    let (_dir, root) = files();
    let server = start(site(&root));
    let addr = server.addr;

    let answer = get(addr, "/static/hello.txt").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "Hello from disk")
    );

    let answer = get(addr, "/test/some/where?q=%3Cx%3E").await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("<td>/test</td>"), "{}", answer.body);
    assert!(answer.body.contains("<td>/some/where</td>"));
    assert!(answer.body.contains("<td>127.0.0.1:"), "the peer address");

    // GET through the cascade: the body reader passes, the file is found.
    let answer = get(addr, "/app/hello.txt").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "Hello from disk")
    );

    // POST through the cascade: the first app reads the body and passes,
    // the files refuse POST (405, caught), the form handler still gets
    // the whole body.
    let answer = send(
        addr,
        "POST /app/submit HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nname=paste!",
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "POST got name=paste!")
    );

    // The same with a chunked body.
    let answer = send(
        addr,
        "POST /app/submit HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Transfer-Encoding: chunked\r\n\r\n5\r\nname=\r\n6\r\nchunky\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "POST got name=chunky")
    );

    // An internal forward.
    let answer = get(addr, "/moved/old").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains("<td>/new-home</td>"),
        "{}",
        answer.body
    );

    // Not found anywhere: the custom page, status kept, its cookie added.
    let answer = get(addr, "/nowhere").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body, "<p>custom page for /404</p>");
    assert_eq!(answer.header("content-type"), ["text/html"]);
    assert_eq!(answer.header("set-cookie"), ["from-page=1"]);
}

#[tokio::test]
async fn traversal_over_the_socket_never_leaves_the_root() {
    let (_dir, root) = files();
    let server = start(site(&root));
    for target in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/..%5csecret.txt",
        "/static/.%2e/secret.txt",
        "/static//../secret.txt",
        "/app/../secret.txt",
        "/app/%2e%2e/secret.txt",
    ] {
        // Under /app the form handler answers whatever the files refused;
        // what matters is that the secret never comes back.
        let answer = get(server.addr, target).await;
        if target.starts_with("/static") {
            assert!(
                answer.status == 404 || answer.status == 400,
                "{target}: {}",
                answer.status
            );
        }
        assert!(!answer.body.contains("SECRET"), "{target}: {}", answer.body);
        assert!(
            !answer.body.contains(root.to_str().unwrap()),
            "{target}: {}",
            answer.body
        );
    }
}

/// Paste's urlmap crashed on a request without a Host header that reached
/// its 404 page; over a socket, with HTTP/1.0 and no Host, the answer must
/// be a plain 404.
#[tokio::test]
async fn a_request_without_host_gets_the_urlmap_404() {
    let map = UrlMap::new()
        .mount("http://example.com/", TestApp::new())
        .mount("/only", TestApp::new());
    let server = start(map);
    let answer = send(
        server.addr,
        "GET /--%3E%3Cscript%3E HTTP/1.0\r\nAccept: text/html\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 404);
    assert!(answer.body.contains("404 Not Found"), "{}", answer.body);
    assert!(!answer.body.contains("<script"), "{}", answer.body);
    // With the host, the host entry answers.
    let answer = send(
        server.addr,
        "GET /x HTTP/1.0\r\nHost: EXAMPLE.com:1234\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("<td>/x</td>"), "{}", answer.body);
}
