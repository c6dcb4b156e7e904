//! `request`, `post`, `points`, `help`, `--version` and the errors of
//! `serve`, by running the real binary.

mod common;

use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Output, Stdio};

use common::paster;

fn run(dir: &Path, args: &[&str]) -> Output {
    paster()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("paster runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pages")).unwrap();
    std::fs::write(dir.path().join("pages/index.html"), "<p>the index page</p>").unwrap();
    std::fs::write(
        dir.path().join("site.ini"),
        "[composite:main]\nuse = egg:Paste#urlmap\n/ = pages\n/echo = echo\n\n\
         [app:pages]\nuse = egg:Paste#static\ndocument_root = %(here)s/pages\n\n\
         [app:echo]\nuse = egg:Paste#test\n",
    )
    .unwrap();
    dir
}

#[test]
fn request_prints_the_response_and_exits_by_its_status() {
    let dir = site();
    let ok = run(dir.path(), &["request", "site.ini", "/index.html"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout), "<p>the index page</p>");

    let missing = run(dir.path(), &["request", "site.ini", "/nothing.html"]);
    assert_eq!(missing.status.code(), Some(1));

    let headers = run(
        dir.path(),
        &[
            "request",
            "site.ini",
            "/echo/x?y=1",
            "--display-headers",
            "--header",
            "X-Note: hi there",
        ],
    );
    assert_eq!(headers.status.code(), Some(0));
    let out = text(&headers.stdout);
    assert!(out.starts_with("HTTP/1.1 200 OK\n"), "{out}");
    assert!(out.contains("content-type: text/html"), "{out}");
    assert!(out.contains("<td>hi there</td>"), "{out}");
    assert!(out.contains("<td>y=1</td>"), "{out}");

    let absolute = run(
        dir.path(),
        &["request", "site.ini", "http://example.org:8080/echo/"],
    );
    assert_eq!(absolute.status.code(), Some(0));
    assert!(
        text(&absolute.stdout).contains("<td>example.org:8080</td>"),
        "{}",
        text(&absolute.stdout)
    );

    let bad_header = run(
        dir.path(),
        &["request", "site.ini", "/", "--header", "nocolon"],
    );
    assert_eq!(bad_header.status.code(), Some(2));
    assert!(text(&bad_header.stderr).contains("bad header \"nocolon\""));
}

#[test]
fn post_sends_stdin_as_the_body() {
    let dir = site();
    let mut child = paster()
        .current_dir(dir.path())
        .args(["post", "site.ini", "/echo/form"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a=1&b=2").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(page.contains("<td>POST</td>"), "{page}");
    assert!(page.contains("<td>7</td>"), "the content length: {page}");
}

#[test]
fn points_lists_factories_with_aliases_descriptions_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let all = run(dir.path(), &["points"]);
    assert_eq!(all.status.code(), Some(0));
    let out = text(&all.stdout);
    for line in [
        "server     http (Paste#http, egg:Paste#http)",
        "composite  urlmap (egg:Paste#urlmap)",
        "app        cgi_directory",
        "filter-app gzip (egg:Paste#gzip)",
    ] {
        assert!(out.contains(line), "{line:?} in\n{out}");
    }
    assert!(out.contains("    Compresses responses"), "{out}");
    assert!(out.contains("      compress_level: "), "{out}");

    let one = run(dir.path(), &["points", "AUTH_B"]);
    assert_eq!(one.status.code(), Some(0));
    assert!(text(&one.stdout).starts_with("filter-app auth_basic (egg:Paste#auth_basic)\n"));
    assert_eq!(text(&one.stdout).matches("filter-app").count(), 1);

    let none = run(dir.path(), &["points", "nothing-like-this"]);
    assert_eq!(none.status.code(), Some(1));
}

#[test]
fn help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let version = run(dir.path(), &["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        text(&version.stdout).trim(),
        format!("paster {}", env!("CARGO_PKG_VERSION"))
    );
    let help = run(dir.path(), &["help"]);
    assert_eq!(help.status.code(), Some(0));
    for command in ["serve", "create", "request", "post", "points", "help"] {
        assert!(text(&help.stdout).contains(command), "{command}");
    }
    let serve = run(dir.path(), &["help", "serve"]);
    assert_eq!(serve.status.code(), Some(0));
    assert!(text(&serve.stdout).contains("--reload"));
    assert!(text(&serve.stdout).contains("restart"));
    let unknown = run(dir.path(), &["frobnicate"]);
    assert_eq!(unknown.status.code(), Some(2));
}

/// Runs `paster serve` on a config that must fail, and returns stderr.
fn serve_error(config: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.ini"), config).unwrap();
    let out = run(dir.path(), &["serve", "bad.ini"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(stderr.starts_with("paster: error: "), "{stderr}");
    let file = dir.path().join("bad.ini");
    // The message names the file (the temp dir is gone after this).
    assert!(stderr.contains(file.to_str().unwrap()), "{stderr}");
    stderr.replace(file.to_str().unwrap(), "bad.ini")
}

const SERVER: &str = "[server:main]\nuse = egg:Paste#http\nport = 0\n";

#[test]
fn a_syntax_error_is_one_line_with_file_and_line() {
    let err = serve_error(&format!("{SERVER}\n[app:main\nuse = egg:Paste#test\n"));
    assert!(err.contains("bad.ini:5"), "{err}");
    assert!(err.contains("expected `]`"), "{err}");
}

#[test]
fn an_unknown_factory_says_where_and_what_is_close() {
    let err = serve_error(&format!("{SERVER}\n[app:main]\nuse = egg:Paste#statik\n"));
    assert!(err.contains("bad.ini:6 [app:main]"), "{err}");
    assert!(err.contains("no app factory \"egg:Paste#statik\""), "{err}");
    assert!(err.contains("did you mean"), "{err}");
}

#[test]
fn a_port_in_use_is_reported_at_the_server_section() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = serve_error(&format!(
        "[server:main]\nuse = egg:Paste#http\nport = {port}\n\n[app:main]\nuse = egg:Paste#test\n"
    ));
    assert!(err.contains("bad.ini:1 [server:main]"), "{err}");
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
    assert_eq!(err.matches("in use").count(), 1, "the cause once: {err}");
}

#[test]
fn a_bad_tls_file_is_named() {
    let err = serve_error(
        "[server:main]\nuse = egg:Paste#http\nport = 0\ntls_cert = /no/cert.pem\ntls_key = /no/key.pem\n\n\
         [app:main]\nuse = egg:Paste#test\n",
    );
    assert!(err.contains("[server:main]"), "{err}");
    assert!(err.contains("/no/cert.pem"), "{err}");
}

#[test]
fn a_missing_config_and_a_bad_variable() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run(dir.path(), &["serve", "nowhere.ini"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("nowhere.ini: cannot read the file"));
    std::fs::write(
        dir.path().join("ok.ini"),
        format!("{SERVER}[app:main]\nuse = egg:Paste#test\n"),
    )
    .unwrap();
    let bad_var = run(dir.path(), &["serve", "ok.ini", "oops"]);
    assert_eq!(bad_var.status.code(), Some(2));
    assert!(text(&bad_var.stderr).contains("variable assignment \"oops\" invalid"));
    let both = run(dir.path(), &["serve", "ok.ini", "--daemon", "--reload"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(text(&both.stderr).contains("may not be used together"));
}

#[test]
fn variables_override_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("site.ini"),
        "[DEFAULT]\ntitle = Default title\n\n[app:main]\nuse = egg:Paste#test\n\n\
         [app:titled]\nuse = egg:Paste#static\ndocument_root = %(here)s/%(title)s\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("other")).unwrap();
    std::fs::write(dir.path().join("other/x.txt"), "from other").unwrap();
    let out = run(
        dir.path(),
        &[
            "request",
            "site.ini",
            "/x.txt",
            "-n",
            "titled",
            "title=other",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "from other");
}
