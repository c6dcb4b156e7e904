//! The security matrix of paste-cgi (RELIABILITY.md "Security"), through
//! a real paste-server with raw HTTP: script lookup refuses every
//! traversal form, a program's head can't inject headers or send the
//! client off-site through a local redirect, httpoxy, and the body's
//! length the program sees is the one the server read.

mod cgi_support;
mod common;

use std::path::PathBuf;

use cgi_support::{script, send, serve, vars};
use paste_cgi::{CgiApp, CgiDirectory};

/// A cgi-bin folder, a program beside it that leaves a mark if it ever
/// runs, and symlinks out of the folder.
struct Site {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    mark: PathBuf,
}

const ECHO: &str = "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nenv\n";

fn site() -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("cgi-bin");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let mark = tmp.path().join("evil-ran");
    let evil = format!(
        "#!/bin/sh\n: > '{}'\nprintf 'Content-Type: text/plain\\n\\nEVIL'\n",
        mark.display()
    );
    script(&outside, "evil.sh", &evil);
    // Names a Windows-minded lookup would take for a drive or a share.
    script(&root, "hello.sh", ECHO);
    script(&root, ".hidden.sh", &evil);
    std::os::unix::fs::symlink(outside.join("evil.sh"), root.join("escape.sh")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
    Site {
        _tmp: tmp,
        root,
        mark,
    }
}

async fn get(addr: std::net::SocketAddr, target: &str, extra: &str) -> cgi_support::Answer {
    send(
        addr,
        format!("GET {target} HTTP/1.1\r\nhost: x\r\n{extra}connection: close\r\n\r\n").as_bytes(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_cgi_directory_over_a_socket_runs_nothing_outside() {
    let site = site();
    let server = serve(CgiDirectory::new(&site.root));
    let attempts = [
        "/../outside/evil.sh",
        "/%2e%2e/outside/evil.sh",
        "/%252e%252e/outside/evil.sh",
        "/..%2foutside%2fevil.sh",
        "/..%2Foutside/evil.sh",
        "/..\\outside\\evil.sh",
        "/..%5coutside%5cevil.sh",
        "/sub/..%2f..%2foutside/evil.sh",
        "/.%2e/outside/evil.sh",
        "/escape.sh",
        "/out/evil.sh",
        "/hello.sh%00.txt",
        "/%00/evil.sh",
        "/C:\\outside\\evil.sh",
        "/c:/outside/evil.sh",
        "//server/share/evil.sh",
        "/%2f%2fserver%2fshare/evil.sh",
        "/.hidden.sh",
        "/%2ehidden.sh",
    ];
    for target in attempts {
        let answer = get(server.addr, target, "").await;
        assert!(
            matches!(answer.status, 400 | 404),
            "{target}: {} {}",
            answer.status,
            answer.text()
        );
        assert!(!answer.text().contains("EVIL"), "{target}");
    }
    assert!(!site.mark.exists(), "a program outside the folder ran");
    // The control: the program inside does run.
    assert_eq!(get(server.addr, "/hello.sh", "").await.status, 200);
}

/// A one-program app whose head is `head` (each line ends in `\n`).
fn program(dir: &std::path::Path, head: &str) -> CgiApp {
    let body = format!("#!/bin/sh\nprintf '{head}\\n'\nprintf 'body'\n");
    CgiApp::new(script(dir, "p.sh", &body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_injection_a_bare_cr_or_nul_in_a_program_header_is_never_sent() {
    let dir = tempfile::tempdir().unwrap();
    for head in [
        "Content-Type: text/plain\\nX-A: a\\rSet-Cookie: evil=1\\n",
        "Content-Type: text/plain\\nX-A: a\\000Set-Cookie: evil=1\\n",
        "Content-Type: text/plain\\rSet-Cookie: evil=1\\n",
    ] {
        let server = serve(program(dir.path(), head));
        let answer = get(server.addr, "/", "").await;
        assert!(
            answer.header("set-cookie").is_empty(),
            "{head:?}: {:?}",
            answer.head
        );
        assert!(!answer.head.contains("evil"), "{head:?}: {:?}", answer.head);
        assert!(
            matches!(answer.status, 200 | 502),
            "{head:?}: {}",
            answer.status
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_redirect_a_scheme_relative_local_location_is_not_sent_off_site() {
    // A program that builds `Location` from user input, without a
    // Status: a `//host` or `/\host` value must not reach the client as
    // is (it would leave the site), whatever else happens to it.
    let dir = tempfile::tempdir().unwrap();
    for location in ["//evil.com/x", "/\\\\evil.com/x", "/\\t/evil.com"] {
        let head = format!("Location: {location}\\n");
        let server = serve(program(dir.path(), &head));
        let answer = get(server.addr, "/", "").await;
        for sent in answer.header("location") {
            let cleaned: String = sent.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let cleaned = cleaned.replace('\\', "/");
            assert!(
                !cleaned.starts_with("//") && !cleaned.contains("://evil.com"),
                "{location:?} reached the client as {sent:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn httpoxy_and_body_length_over_a_socket() {
    let site = site();
    let server = serve(CgiDirectory::new(&site.root));
    // httpoxy: `Proxy:` (and spellings of it) never becomes HTTP_PROXY.
    let answer = get(
        server.addr,
        "/hello.sh",
        "Proxy: http://evil.example:3128\r\nproxy: http://evil.example:3128\r\n",
    )
    .await;
    assert_eq!(answer.status, 200);
    let env = vars(&answer.text());
    assert!(!env.contains_key("HTTP_PROXY"), "{env:?}");
    assert!(!answer.text().contains("evil.example"), "{}", answer.text());

    // The CONTENT_LENGTH the program sees is what the server read, not a
    // second value the client slipped in.
    let raw = b"POST /hello.sh HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ncontent-length: 50\r\nconnection: close\r\n\r\nhello";
    let answer = send(server.addr, raw).await;
    assert_eq!(answer.status, 400, "two lengths: {}", answer.text());
    let raw = b"POST /hello.sh HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello";
    let answer = send(server.addr, raw).await;
    assert_eq!(
        vars(&answer.text())
            .get("CONTENT_LENGTH")
            .map(String::as_str),
        Some("5")
    );
    assert!(!site.mark.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_redirect_php_app_folder_slash_redirect_stays_on_this_host() {
    // `GET //evil.com` names the folder `evil.com` (empty segments are
    // skipped); its slash redirect must not be `//evil.com/`. No script
    // runs, so no php-cgi is needed.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("evil.com")).unwrap();
    let server = serve(paste_cgi::PhpApp::new(dir.path()));
    for target in ["//evil.com", "///evil.com?x=1", "/evil.com"] {
        let answer = get(server.addr, target, "").await;
        assert_eq!(answer.status, 301, "{target}: {}", answer.text());
        let location = answer.header("location")[0].replace('\\', "/");
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "{target}: redirected to {location:?}"
        );
    }
}
