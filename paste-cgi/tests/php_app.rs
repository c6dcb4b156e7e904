//! PhpApp with a real php-cgi (Debian package `php-cgi`) over the test
//! scripts of `tests/php/`.

mod common;
mod fastcgi_support;

use fastcgi_support::{Logs, call, call_err, patiently, text};

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use paste_cgi::{FastCgiAddr, FastCgiApp, PhpApp};
use paste_core::http::StatusCode;
use paste_core::{App, Body, Request, RequestExt};
use sha2::{Digest, Sha256};

const PATIENCE: Duration = Duration::from_secs(60);

/// php-cgi, or a failure naming the Debian package that has it.
fn php_cgi() -> PathBuf {
    fastcgi_support::find_program("php-cgi", "php-cgi")
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/php")
}

/// The app over `tests/php/`, with few children: many tests run at once.
fn app() -> PhpApp {
    PhpApp::new(scripts()).php_cgi(php_cgi()).max_connections(2)
}

async fn get_text(app: &impl App, target: &str) -> String {
    let response = call(app, get(target)).await;
    assert_eq!(response.status(), StatusCode::OK, "{target}");
    text(response).await
}

fn get(target: &str) -> Request {
    Request::get(target).body(Body::empty()).unwrap()
}

fn vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Writes an executable script `name` holding `text` into `dir`.
fn script_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn real(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[tokio::test]
async fn a_script_runs() {
    let app = app();
    let response = call(&app, get("/hello.php")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        response.headers()
    );
    assert_eq!(text(response).await, "2");
    // And again, on the same php-cgi.
    assert_eq!(get_text(&app, "/hello.php").await, "2");
}

#[tokio::test]
async fn the_script_sees_its_cgi_variables() {
    let app = app();
    let mut req = Request::get("/mnt/server.php/extra/bits%20here?x=1&y=two")
        .header("x-greeting", "hi")
        .header("proxy", "http://evil.example")
        .header("authorization", "Basic YWxpY2U6cHc=")
        .body(Body::empty())
        .unwrap();
    req.set_script_name("/mnt");
    let v = vars(&text(call(&app, req).await).await);
    let root = real(&scripts());
    let expect = [
        ("REQUEST_METHOD", "GET"),
        ("SCRIPT_NAME", "/mnt/server.php"),
        ("PATH_INFO", "/extra/bits here"),
        ("PHP_SELF", "/mnt/server.php/extra/bits here"),
        ("REQUEST_URI", "/mnt/server.php/extra/bits%20here?x=1&y=two"),
        ("QUERY_STRING", "x=1&y=two"),
        ("HTTP_X_GREETING", "hi"),
        ("HTTP_PROXY", "(unset)"),
        ("HTTP_AUTHORIZATION", "(unset)"),
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("REDIRECT_STATUS", "200"),
        ("CONTENT_TYPE", "(unset)"),
        ("HOME", "(unset)"),
        ("CARGO_MANIFEST_DIR", "(unset)"),
        ("getenv(HOME)", "(unset)"),
        ("getenv(CARGO_MANIFEST_DIR)", "(unset)"),
    ];
    for (name, value) in expect {
        assert_eq!(v.get(name).map(String::as_str), Some(value), "{name}");
    }
    assert_eq!(v["SCRIPT_FILENAME"], format!("{root}/server.php"));
    assert_eq!(v["DOCUMENT_ROOT"], root);
    assert_eq!(v["cwd"], root, "php-cgi runs a script in its folder");
    assert!(v["SERVER_SOFTWARE"].starts_with("paste-cgi/"));
    assert_ne!(v["PATH"], "(unset)", "PATH is on the allow-list");
}

#[tokio::test]
async fn get_and_post_parameters() {
    let app = app();
    // WPHP's own test: a query parameter and a form field.
    let req = Request::post("/form.php?name=Guy")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("myname=Stan"))
        .unwrap();
    let body = text(call(&app, req).await).await;
    assert_eq!(body, "Hello Guy, I am Stan\nmethod=POST");

    // A POST without a Content-Type gets none invented (WPHP made it a
    // form), so PHP leaves $_POST empty and the body in php://input.
    let req = Request::post("/server.php")
        .body(Body::from("myname=Stan"))
        .unwrap();
    let v = vars(&text(call(&app, req).await).await);
    assert_eq!(v["CONTENT_TYPE"], "(unset)");
    assert_eq!(v["CONTENT_LENGTH"], "11");
    assert_eq!(v["body"], "myname=Stan");
    let req = Request::post("/form.php")
        .body(Body::from("myname=Stan"))
        .unwrap();
    assert_eq!(
        text(call(&app, req).await).await,
        "Hello (no name), I am (no myname)\nmethod=POST"
    );
}

/// `len` bytes streamed in chunks, with their Content-Length.
fn upload(target: &str, len: usize, announce: bool) -> (Request, String) {
    let data: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
    let digest = format!("{:x}", Sha256::digest(&data));
    let data = Bytes::from(data);
    let mut at = 0;
    let chunks = std::iter::from_fn(move || {
        if at == len {
            return None;
        }
        let end = len.min(at + 100_003);
        let chunk = data.slice(at..end);
        at = end;
        Some(Ok::<_, std::io::Error>(chunk))
    });
    let mut builder = Request::post(target).header("content-type", "application/octet-stream");
    if announce {
        builder = builder.header("content-length", len.to_string());
    }
    (
        builder.body(Body::from_stream(Iter(chunks))).unwrap(),
        digest,
    )
}

struct Iter<I>(I);

impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
    type Item = I::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<I::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_five_mib_upload_through_php_input() {
    const LEN: usize = 5 * 1024 * 1024;
    let app = app();
    let (req, digest) = upload("/upload.php", LEN, true);
    let body = text(call(&app, req).await).await;
    assert_eq!(body, format!("{LEN} {digest} {LEN}"));

    // PHP reads exactly CONTENT_LENGTH bytes: a body without one is refused.
    let (req, _) = upload("/upload.php", 1000, false);
    let err = call_err(&app, req).await;
    assert_eq!(err.status(), StatusCode::LENGTH_REQUIRED);
}

#[tokio::test]
async fn headers_status_and_redirects_from_php() {
    let app = app();
    let response = call(&app, get("/status.php")).await;
    assert_eq!(response.status().as_u16(), 418);
    assert_eq!(response.headers()["x-custom"], "yes");
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(text(response).await, "I'm a teapot");

    // PHP answers a Location with a 302 of its own: a client redirect.
    let response = call(&app, get("/redirect.php")).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/hello.php?from=redirect");
}

#[tokio::test]
async fn folders_and_their_index_files() {
    let app = app();
    // SCRIPT_NAME names the index file, not a filesystem path (WPHP's bug).
    let mut req = get("/mnt/sub/?q=1");
    req.set_script_name("/mnt");
    let v = vars(&text(call(&app, req).await).await);
    assert_eq!(v["SCRIPT_NAME"], "/mnt/sub/index.php");
    assert_eq!(v["PATH_INFO"], "(unset)");
    assert_eq!(v["REQUEST_URI"], "/mnt/sub/?q=1");
    assert_eq!(v["QUERY_STRING"], "q=1");

    // Without the trailing slash: a 301, the query after the slash.
    let mut req = get("/mnt/sub?x=1&y=2");
    req.set_script_name("/mnt");
    let response = call(&app, req).await;
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(response.headers()["location"], "/mnt/sub/?x=1&y=2");
    let response = call(&app, get("/sub/deeper")).await;
    assert_eq!(response.headers()["location"], "/sub/deeper/");

    // A static index, and the root's.
    assert_eq!(
        get_text(&app, "/sub/deeper/").await,
        "<p>a static index</p>\n"
    );
    let response = call(&app, get("/")).await;
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(text(response).await, "<h1>home</h1>\n");

    // A script with path info in a subfolder.
    let v = vars(&get_text(&app, "/sub/page.php/a/b").await);
    assert_eq!(v["SCRIPT_NAME"], "/sub/page.php");
    assert_eq!(v["PATH_INFO"], "/a/b");
    assert_eq!(v["FILE"], format!("{}/sub/page.php", real(&scripts())));

    // A folder without an index is a 404.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let bare = PhpApp::new(dir.path()).php_cgi(php_cgi());
    assert_eq!(
        call_err(&bare, get("/empty/")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn static_files_beside_the_scripts() {
    let app = app();
    let response = call(&app, get("/style.css")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/css; charset=utf-8"
    );
    assert_eq!(response.headers()["content-length"], "22");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(text(response).await, "body { color: #333; }\n");

    let head = Request::head("/style.css").body(Body::empty()).unwrap();
    let response = call(&app, head).await;
    assert_eq!(response.headers()["content-length"], "22");
    assert_eq!(text(response).await, "");

    let post = Request::post("/style.css")
        .header("content-length", "1")
        .body(Body::from("x"))
        .unwrap();
    let err = call_err(&app, post).await;
    assert_eq!(err.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(err.headers()["allow"], "GET, HEAD");

    for missing in ["/style.css/more", "/nothing.css", "/nothing.php"] {
        let err = call_err(&app, get(missing)).await;
        assert_eq!(err.status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn php_source_and_settings_are_never_served() {
    let app = app();
    for hidden in [
        "/secret.inc",
        "/source.phps",
        "/config.php.bak",
        "/settings.ini",
        "/.htaccess",
        "/%2ehtaccess",
        "/SECRET.INC",
    ] {
        match patiently("the answer", app.call(get(hidden))).await {
            Ok(response) => {
                let status = response.status();
                let body = text(response).await;
                panic!("{hidden}: served with {status}: {body}");
            }
            Err(err) => {
                assert_eq!(err.status(), StatusCode::NOT_FOUND, "{hidden}");
                assert!(!format!("{err:#}").contains("hunter2"));
            }
        }
    }
}

#[tokio::test]
async fn traversal_goes_nowhere() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "hunter2-outside").unwrap();
    std::fs::write(
        outside.path().join("evil.php"),
        "<?php echo 'hunter2-evil';",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("ok.php"), "<?php echo 'ok';").unwrap();
    std::fs::write(dir.path().join("beside.txt"), "hunter2-beside").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("evil.php"), root.join("link.php")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
    std::os::unix::fs::symlink(root.join("ok.php"), root.join("inside.php")).unwrap();
    std::fs::write(root.join("secret.inc"), "<?php 'hunter2-inc';").unwrap();
    std::os::unix::fs::symlink(root.join("ok.php"), root.join("source.txt")).unwrap();
    std::os::unix::fs::symlink(root.join("secret.inc"), root.join("inc.txt")).unwrap();
    std::fs::create_dir(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/config"), "hunter2-git").unwrap();
    std::os::unix::fs::symlink(root.join(".git/config"), root.join("config.txt")).unwrap();
    std::os::unix::fs::symlink(root.join(".git"), root.join("git")).unwrap();

    let app = PhpApp::new(&root).php_cgi(php_cgi()).max_connections(1);
    assert_eq!(get_text(&app, "/ok.php").await, "ok");
    assert_eq!(
        get_text(&app, "/inside.php").await,
        "ok",
        "a symlink inside"
    );
    for attempt in [
        "/../beside.txt",
        "/%2e%2e/beside.txt",
        "/%2E%2e/beside.txt",
        "/sub/..%2f..%2fbeside.txt",
        "/..%2fbeside.txt",
        "/ok.php/../../beside.txt",
        "/.%2e/beside.txt",
        "/..%5cbeside.txt",
        "/link.txt",
        "/link.php",
        "/out/secret.txt",
        "/out/evil.php",
        "/out/",
        "/ok.php%00.txt",
        "/source.txt",
        "/inc.txt",
        "/config.txt",
        "/git/config",
        "/.git/config",
    ] {
        match patiently("the answer", app.call(get(attempt))).await {
            Ok(response) if attempt.starts_with("/ok.php/") => {
                // Path info is the script's business: ok.php runs, nothing leaks.
                assert_eq!(text(response).await, "ok", "{attempt}");
            }
            Ok(response) => {
                let status = response.status();
                panic!("{attempt}: {status}: {}", text(response).await);
            }
            Err(err) => assert!(
                matches!(err.status().as_u16(), 400 | 404),
                "{attempt}: {err:#}"
            ),
        }
    }
}

#[tokio::test]
async fn a_fatal_error_is_a_500_and_its_message_is_logged() {
    let (logs, _guard) = Logs::capture();
    let app = app().php_option("display_errors", "0");
    let response = call(&app, get("/fatal.php")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = text(response).await;
    assert!(!body.contains("this_function_does_not_exist"), "{body}");
    let logged = logs.text();
    assert!(
        logged.contains("this_function_does_not_exist") && logged.contains("paste_cgi::stderr"),
        "{logged}"
    );
    // The app goes on.
    assert_eq!(get_text(&app, "/hello.php").await, "2");
}

/// The pids of the php-cgi child that served a request and of its master.
async fn pids(app: &PhpApp) -> (u32, u32) {
    let body = get_text(app, "/pid.php").await;
    let (child, master) = body.split_once(' ').unwrap();
    (child.parse().unwrap(), master.parse().unwrap())
}

/// Whether `pid` is a live process (a zombie is not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

async fn gone(pid: u32) -> bool {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn kill(pid: u32, group: bool) {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    let signal = rustix::process::Signal::KILL;
    if group {
        rustix::process::kill_process_group(pid, signal).unwrap();
    } else {
        rustix::process::kill_process(pid, signal).unwrap();
    }
}

#[tokio::test]
async fn a_killed_php_cgi_is_started_again() {
    let app = app();
    let (child, master) = pids(&app).await;
    assert_ne!(child, master, "php-cgi runs a master and children");

    // The whole process group.
    kill(master, true);
    assert!(gone(master).await && gone(child).await);
    let (child2, master2) = pids(&app).await;
    assert_ne!(master2, master, "a new php-cgi");

    // The master alone: its orphaned children are killed with the group.
    kill(master2, false);
    assert!(gone(master2).await);
    let (_, master3) = pids(&app).await;
    assert_ne!(master3, master2);
    assert!(gone(child2).await, "the old master's child was killed");
}

#[tokio::test]
async fn dropping_the_app_kills_php_cgi() {
    let app = app();
    let clone = app.clone();
    let (child, master) = pids(&app).await;
    drop(app);
    assert!(alive(master), "a clone still uses it");
    assert_eq!(get_text(&clone, "/hello.php").await, "2");
    drop(clone);
    assert!(gone(master).await, "the master {master} was killed");
    assert!(gone(child).await, "its child {child} was killed");
}

#[tokio::test]
async fn children_replaced_after_their_max_requests_are_no_trouble() {
    // Each child serves two requests, then exits; the pool's kept
    // connection to it closes, and the next request goes again on a new
    // connection, body and all (a small body), or goes on a new
    // connection from the start (a body too large to keep for that).
    let app = PhpApp::new(scripts())
        .php_cgi(php_cgi())
        .max_connections(1)
        .php_max_requests(2);
    let mut children = std::collections::BTreeSet::new();
    for i in 0..8 {
        let (child, _) = pids(&app).await;
        children.insert(child);
        let len = if i % 2 == 0 { 1000 + i } else { 200_000 + i };
        let req = Request::post("/upload.php")
            .header("content-type", "application/octet-stream")
            .body(Body::from(vec![b'x'; len]))
            .unwrap();
        let body = text(call(&app, req).await).await;
        assert!(body.starts_with(&format!("{len} ")), "{body}");
    }
    assert!(children.len() >= 4, "children were replaced: {children:?}");
}

#[tokio::test]
async fn a_php_cgi_that_cannot_start_is_a_quick_clear_503() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();

    // No such program.
    let app = PhpApp::new(scripts()).php_cgi("/nonexistent/bin/php-cgi");
    let err = call_err(&app, get("/hello.php")).await;
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
    let why = format!("{err:#}");
    assert!(
        why.contains("/nonexistent/bin/php-cgi") && why.contains("No such file"),
        "{why}"
    );
    // The next request gets the same answer at once.
    let err = call_err(&app, get("/hello.php")).await;
    assert!(format!("{err:#}").contains("/nonexistent/bin/php-cgi"));

    let app = PhpApp::new(scripts()).php_cgi("no-such-php-cgi-anywhere");
    let why = format!("{:#}", call_err(&app, get("/hello.php")).await);
    assert!(why.contains("not found on PATH"), "{why}");

    // A program that exits at start says why.
    let broken = script_file(
        dir.path(),
        "broken-php",
        "#!/bin/sh\necho 'PHP Fatal: php.ini is broken' >&2\nexit 3\n",
    );
    let app = PhpApp::new(scripts()).php_cgi(&broken);
    let why = format!("{:#}", call_err(&app, get("/hello.php")).await);
    assert!(
        why.contains("exited at start") && why.contains("php.ini is broken") && why.contains('3'),
        "{why}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no hang: {:?}",
        started.elapsed()
    );

    // A program that never listens is killed after the start timeout,
    // with its children (php-cgi forks its own).
    let pid_file = dir.path().join("pid");
    let silent = script_file(
        dir.path(),
        "silent-php",
        &format!(
            "#!/bin/sh\nsleep 600 &\necho $! > {}\nexec sleep 600\n",
            pid_file.display()
        ),
    );
    let app = PhpApp::new(scripts())
        .php_cgi(&silent)
        .start_timeout(Duration::from_secs(1));
    let why = format!("{:#}", call_err(&app, get("/hello.php")).await);
    assert!(why.contains("did not listen"), "{why}");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(gone(pid).await, "the silent program's child was killed");

    // A start cancelled half-way (the client went away) leaves nothing
    // running either.
    std::fs::remove_file(&pid_file).unwrap();
    let app = PhpApp::new(scripts())
        .php_cgi(&silent)
        .start_timeout(PATIENCE);
    let cancelled = tokio::time::timeout(Duration::from_millis(500), app.call(get("/hello.php")));
    assert!(cancelled.await.is_err(), "still starting");
    let pid: u32 = patiently("the pid file", async {
        loop {
            if let Ok(text) = std::fs::read_to_string(&pid_file)
                && let Ok(pid) = text.trim().parse()
            {
                return pid;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(gone(pid).await, "the child of a cancelled start was killed");
}

/// A `php-cgi -b` started by the test, as an existing php-fpm would be.
struct External {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    child: std::process::Child,
}

impl External {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("php.sock");
        let child = std::process::Command::new(php_cgi())
            .arg("-b")
            .arg(&socket)
            .env_clear()
            .env("PHP_FCGI_CHILDREN", "2")
            .process_group(0)
            .spawn()
            .unwrap();
        Self {
            _dir: dir,
            socket,
            child,
        }
    }

    async fn ready(&self) {
        patiently("php-cgi listens", async {
            while tokio::net::UnixStream::connect(&self.socket).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }
}

impl Drop for External {
    fn drop(&mut self) {
        kill(self.child.id(), true);
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn an_existing_fastcgi_php() {
    let php = External::start();
    php.ready().await;

    let app = PhpApp::new(scripts())
        .fpm(FastCgiAddr::unix(&php.socket))
        .max_connections(2);
    assert_eq!(get_text(&app, "/hello.php").await, "2");
    let v = vars(&get_text(&app, "/sub/").await);
    assert_eq!(v["SCRIPT_NAME"], "/sub/index.php");
    assert_eq!(
        get_text(&app, "/style.css").await,
        "body { color: #333; }\n"
    );

    // FastCgiApp, one script for every request.
    let front = FastCgiApp::unix(&php.socket)
        .script_filename(scripts().join("server.php"))
        .document_root(scripts());
    let mut req = get("/front/any/path?z=9");
    req.set_script_name("/front");
    let v = vars(&text(call(&front, req).await).await);
    assert_eq!(v["SCRIPT_NAME"], "/front");
    assert_eq!(v["PATH_INFO"], "/any/path");
    assert_eq!(v["QUERY_STRING"], "z=9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_requests_at_once_on_two_children() {
    let app = Arc::new(app());
    let mut tasks = Vec::new();
    for i in 0..24 {
        let app = Arc::clone(&app);
        tasks.push(tokio::spawn(async move {
            let target = if i % 3 == 0 {
                "/style.css"
            } else {
                "/hello.php"
            };
            let response = app.call(get(target)).await.unwrap();
            (target, text(response).await)
        }));
    }
    for task in tasks {
        let (target, body) = patiently("a request", task).await.unwrap();
        let expected = if target == "/hello.php" {
            "2"
        } else {
            "body { color: #333; }\n"
        };
        assert_eq!(body, expected, "{target}");
    }
}
