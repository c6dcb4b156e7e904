//! `paste_cgi::run` as a real CGI program: this test binary is the
//! program. Started with `GATEWAY_INTERFACE` set, as every CGI host starts
//! its programs, it serves one request with `paste_cgi::run` and exits;
//! started by `cargo test`, it runs the tests, which start it again as a
//! child — directly, with a CGI environment and stdin, and under lighttpd
//! (Debian package `lighttpd`).
//!
//! The harness is a small one of our own (`harness = false`), because
//! libtest writes to stdout, which belongs to the CGI response.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitCode, Stdio};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use paste_cgi::CgiVars;
use paste_core::http::StatusCode;
use paste_core::{App, Body, Bytes, Error, Request, RequestExt, Response, app_fn};

mod common;
use common::HttpResponse;

#[allow(dead_code, reason = "the example's main is not called here")]
#[path = "../examples/cgi_hello.rs"]
mod cgi_hello;

// ---------------------------------------------------------------------------
// The CGI program.

/// The example's app, plus a few paths under `/x/` for what the example
/// does not show.
fn child_app() -> impl App {
    let hello = std::sync::Arc::new(cgi_hello::app());
    app_fn(move |req: Request| {
        let hello = std::sync::Arc::clone(&hello);
        async move {
            let info = req.path_info().to_owned();
            let Some(rest) = info.strip_prefix("/x/") else {
                return hello.call(req).await;
            };
            match rest.split('/').collect::<Vec<_>>().as_slice() {
                ["status", code] => {
                    let mut response = Response::new(format!("status {code}\n").into());
                    *response.status_mut() = code.parse::<u16>().unwrap().try_into().unwrap();
                    Ok(response)
                }
                ["error"] => Err(Error::new(StatusCode::FORBIDDEN).with_message("not for you")),
                ["panic"] => panic!("the app fell over"),
                ["print"] => {
                    println!("a stray print that must not reach the response");
                    Ok(Response::new("clean\n".into()))
                }
                ["echo"] => Ok(Response::new(req.into_body())),
                ["big", len] => Ok(Response::new(Body::new(Repeat {
                    remaining: len.parse().unwrap(),
                }))),
                ["env"] => {
                    let vars = req.extensions().get::<CgiVars>().unwrap();
                    let text = format!(
                        "scheme={} remote={:?} user={:?} proxy_header={} gateway={:?} host={:?}\n",
                        req.url_scheme(),
                        req.remote_addr().map(|a| a.ip()),
                        req.remote_user(),
                        req.headers().contains_key("proxy"),
                        vars.get("GATEWAY_INTERFACE"),
                        req.headers().get("host"),
                    );
                    Ok(Response::new(text.into()))
                }
                _ => Err(Error::new(StatusCode::NOT_FOUND)),
            }
        }
    })
}

/// A body of `remaining` bytes of `x`, in 64 KiB chunks, of unknown length
/// (so the host has to stream it).
struct Repeat {
    remaining: usize,
}

impl http_body::Body for Repeat {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        static CHUNK: [u8; 65536] = [b'x'; 65536];
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = self.remaining.min(CHUNK.len());
        self.remaining -= n;
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(
            &CHUNK[..n],
        )))))
    }
}

// ---------------------------------------------------------------------------
// The harness.

fn main() -> ExitCode {
    if std::env::var_os("GATEWAY_INTERFACE").is_some() {
        // Started by a CGI host (or by a test playing one).
        return match paste_cgi::run(child_app()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("Error: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let tests: &[(&str, fn())] = &[
        ("direct::get_with_path_info_query_and_header", direct_get),
        ("direct::post_body_is_cut_at_content_length", direct_post),
        ("direct::head_has_no_body", direct_head),
        ("direct::errors_panics_and_statuses", direct_errors),
        ("direct::bad_variables_are_400s", direct_bad_variables),
        ("direct::non_utf8_path_info_is_encoded", direct_non_utf8),
        ("direct::stray_prints_go_to_stderr", direct_stray_print),
        ("direct::connection_facts_and_httpoxy", direct_env),
        ("lighttpd::get_post_head_statuses_and_streams", lighttpd_all),
        (
            "cgi_app::the_gateway_runs_under_paste_cgis_own_cgi_app",
            under_cgi_app,
        ),
    ];
    run_tests(tests)
}

/// Runs the tests whose names contain a filter argument (all without
/// one), one after the other, and prints libtest's summary line.
fn run_tests(tests: &[(&str, fn())]) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exact = args.iter().any(|a| a == "--exact");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let selected: Vec<_> = tests
        .iter()
        .filter(|(name, _)| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    if exact {
                        name == f
                    } else {
                        name.contains(f.as_str())
                    }
                })
        })
        .collect();
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            for (name, _) in &selected {
                println!("{name}: test");
            }
        }
        return ExitCode::SUCCESS;
    }
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, test) in &selected {
        let outcome = std::panic::catch_unwind(test);
        println!(
            "test {name} ... {}",
            if outcome.is_ok() { "ok" } else { "FAILED" }
        );
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        selected.len() - failed.len(),
        failed.len(),
        tests.len() - selected.len(),
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

// ---------------------------------------------------------------------------
// Running the program directly, as a CGI host would.

/// A CGI response, parsed.
#[derive(Debug)]
struct CgiOutput {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    stderr: String,
}

impl CgiOutput {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Runs this binary as a CGI program with exactly these variables (and
/// `GATEWAY_INTERFACE`) and this stdin.
fn run_cgi<K, V>(vars: &[(K, V)], stdin: &[u8]) -> CgiOutput
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env_clear()
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test binary starts as a CGI program");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin); // the program may stop reading early
    });
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "the CGI program failed: {stderr}");
    let mut parsed = parse_cgi(&output.stdout);
    parsed.stderr = stderr;
    parsed
}

/// Splits CGI output into status, headers and body, checking that every
/// head line ends in CRLF.
fn parse_cgi(out: &[u8]) -> CgiOutput {
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no blank line in {:?}", String::from_utf8_lossy(out)));
    let head = std::str::from_utf8(&out[..end]).unwrap();
    let mut status = None;
    let mut headers = Vec::new();
    for line in head.split("\r\n") {
        assert!(!line.contains('\n'), "a bare LF in the head: {head:?}");
        let (name, value) = line.split_once(": ").expect("a header line");
        if name == "Status" {
            status = Some(value[..3].parse().unwrap());
        } else {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    CgiOutput {
        status: status.expect("a Status line"),
        headers,
        body: out[end + 4..].to_vec(),
        stderr: String::new(),
    }
}

fn get(path_info: &str, query: &str) -> Vec<(&'static str, String)> {
    vec![
        ("REQUEST_METHOD", "GET".to_owned()),
        ("SCRIPT_NAME", "/cgi-bin/hello".to_owned()),
        ("PATH_INFO", path_info.to_owned()),
        ("QUERY_STRING", query.to_owned()),
        ("SERVER_NAME", "localhost".to_owned()),
        ("SERVER_PORT", "80".to_owned()),
        ("SERVER_PROTOCOL", "HTTP/1.1".to_owned()),
    ]
}

fn direct_get() {
    let mut vars = get("/hello/world", "x=1&y=2");
    vars.push(("HTTP_X_GREETING", "bonjour".to_owned()));
    let out = run_cgi(&vars, b"");
    assert_eq!(out.status, 200);
    assert_eq!(
        out.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        out.text(),
        "method: GET\nscript_name: /cgi-bin/hello\npath_info: /hello/world\n\
         query: x=1&y=2\nx-greeting: bonjour\nbody: 0 bytes\n"
    );
    assert_eq!(
        out.header("content-length"),
        Some(&*out.body.len().to_string())
    );
}

fn direct_post() {
    let mut vars = get("/form", "");
    vars[0].1 = "POST".to_owned();
    vars.push(("CONTENT_LENGTH", "11".to_owned()));
    vars.push(("CONTENT_TYPE", "text/plain".to_owned()));
    // More on stdin than CONTENT_LENGTH: the rest is not the body's.
    let out = run_cgi(&vars, b"hello worldAND MORE");
    assert!(out.text().ends_with("body: 11 bytes\n"), "{}", out.text());

    let mut vars = get("/x/echo", "");
    vars[0].1 = "PUT".to_owned();
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    vars.push(("CONTENT_LENGTH", payload.len().to_string()));
    let out = run_cgi(&vars, &payload);
    assert_eq!(out.status, 200);
    assert!(out.body == payload, "the echoed body differs");
}

fn direct_head() {
    let mut vars = get("/page", "");
    vars[0].1 = "HEAD".to_owned();
    let out = run_cgi(&vars, b"");
    assert_eq!(out.status, 200);
    assert!(out.body.is_empty(), "a body for HEAD: {:?}", out.text());
    let get_len = run_cgi(&get("/page", ""), b"").body.len();
    // HEAD says "method: HEAD" where GET says "method: GET": one byte more.
    assert_eq!(
        out.header("content-length"),
        Some(&*(get_len + 1).to_string())
    );
}

fn direct_errors() {
    let out = run_cgi(&get("/x/status/418", ""), b"");
    assert_eq!(out.status, 418);
    assert_eq!(out.text(), "status 418\n");
    let out = run_cgi(&get("/x/status/204", ""), b"");
    assert_eq!(out.status, 204);
    assert!(out.body.is_empty());
    let out = run_cgi(&get("/x/error", ""), b"");
    assert_eq!(out.status, 403);
    assert_eq!(out.text(), "not for you");
    let out = run_cgi(&get("/x/panic", ""), b"");
    assert_eq!(out.status, 500);
    assert_eq!(out.text(), "Internal Server Error");
    assert!(out.stderr.contains("the app fell over"), "{}", out.stderr);
    let out = run_cgi(&get("/x/nothing", ""), b"");
    assert_eq!(out.status, 404);
}

fn direct_bad_variables() {
    let out = run_cgi::<&str, &str>(&[], b"");
    assert_eq!(out.status, 400);
    assert!(out.text().contains("REQUEST_METHOD"), "{}", out.text());
    let mut vars = get("/", "");
    vars[0].1 = "POST".to_owned();
    vars.push(("CONTENT_LENGTH", "twelve".to_owned()));
    assert_eq!(run_cgi(&vars, b"").status, 400);
    let mut vars = get("/", "");
    vars[0].1 = "GE T".to_owned();
    assert_eq!(run_cgi(&vars, b"").status, 400);
    let mut vars = get("/", "");
    vars.push(("HTTP_X_BAD", "a\u{7}b".to_owned()));
    assert_eq!(run_cgi(&vars, b"").status, 400);
}

fn direct_non_utf8() {
    let vars: Vec<(&OsStr, &OsStr)> = vec![
        (OsStr::new("REQUEST_METHOD"), OsStr::new("GET")),
        (OsStr::new("SCRIPT_NAME"), OsStr::new("/app")),
        (
            OsStr::new("PATH_INFO"),
            OsStr::from_bytes(b"/caf\xe9 au lait"),
        ),
    ];
    let out = run_cgi(&vars, b"");
    assert_eq!(out.status, 200);
    assert!(
        out.text().contains("path_info: /caf%E9%20au%20lait\n"),
        "{}",
        out.text()
    );
}

fn direct_stray_print() {
    let out = run_cgi(&get("/x/print", ""), b"");
    assert_eq!(out.status, 200);
    assert_eq!(out.text(), "clean\n");
    assert!(out.stderr.contains("a stray print"), "{}", out.stderr);
}

fn direct_env() {
    let mut vars = get("/x/env", "");
    vars.retain(|(name, _)| *name != "SERVER_PORT");
    vars.extend([
        ("HTTPS", "on".to_owned()),
        ("SERVER_PORT", "8443".to_owned()),
        ("REMOTE_ADDR", "192.0.2.7".to_owned()),
        ("REMOTE_PORT", "40000".to_owned()),
        ("REMOTE_USER", "alice".to_owned()),
        ("HTTP_PROXY", "http://attacker.example:3128".to_owned()),
    ]);
    let out = run_cgi(&vars, b"");
    assert_eq!(
        out.text(),
        "scheme=https remote=Some(192.0.2.7) user=Some(\"alice\") proxy_header=false \
         gateway=Some(\"CGI/1.1\") host=Some(\"localhost:8443\")\n"
    );
}

// ---------------------------------------------------------------------------
// Under CgiApp: paste-cgi on both sides of CGI.

fn under_cgi_app() {
    use paste_cgi::CgiApp;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let app = CgiApp::new(std::env::current_exe().unwrap());
        let call = |req: Request| {
            let app = app.clone();
            async move {
                let response = app.call(req).await.unwrap_or_else(Error::into_response);
                let status = response.status().as_u16();
                let body = response.into_body().to_bytes(64 << 20).await.unwrap();
                (status, body)
            }
        };

        let req = Request::get("/hello/world?x=1")
            .header("x-greeting", "hallo")
            .body(Body::empty())
            .unwrap();
        let (status, body) = call(req).await;
        assert_eq!(status, 200);
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "method: GET\nscript_name: \npath_info: /hello/world\n\
             query: x=1\nx-greeting: hallo\nbody: 0 bytes\n"
        );

        let req = Request::post("/x/echo")
            .header("content-length", "4")
            .body(Body::from("ping"))
            .unwrap();
        assert_eq!(call(req).await, (200, Bytes::from("ping")));

        let req = Request::get("/x/status/418").body(Body::empty()).unwrap();
        assert_eq!(call(req).await.0, 418);
        let req = Request::get("/x/panic").body(Body::empty()).unwrap();
        assert_eq!(call(req).await.0, 500);

        // httpoxy on both sides: CgiApp never sets HTTP_PROXY, and the
        // gateway would not make a header of it anyway.
        let req = Request::get("/x/env")
            .header("proxy", "http://evil.example:8080")
            .body(Body::empty())
            .unwrap();
        let (status, body) = call(req).await;
        assert_eq!(status, 200);
        let text = std::str::from_utf8(&body).unwrap();
        assert!(text.contains("proxy_header=false"), "{text}");
        assert!(text.contains("gateway=Some(\"CGI/1.1\")"), "{text}");

        // 3 MB of unknown length: streamed by the gateway, then by CgiApp.
        let req = Request::get("/x/big/3000000").body(Body::empty()).unwrap();
        let (status, body) = call(req).await;
        assert_eq!((status, body.len()), (200, 3_000_000));
    });
}

// ---------------------------------------------------------------------------
// Under lighttpd.

/// A lighttpd serving this binary as `/app.cgi` on a free port of
/// 127.0.0.1, stopped when dropped.
struct Lighttpd {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Lighttpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(name: &str, package: &str) -> PathBuf {
    for dir in [
        "/usr/sbin",
        "/usr/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
        "/sbin",
        "/bin",
    ] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!(
        "`{name}` is not installed: it comes with the Debian package `{package}` (apt-get install {package})"
    );
}

impl Lighttpd {
    fn start() -> Self {
        let program = find_program("lighttpd", "lighttpd");
        let dir = tempfile::tempdir().unwrap();
        let www = dir.path().join("www");
        std::fs::create_dir(&www).unwrap();
        std::os::unix::fs::symlink(std::env::current_exe().unwrap(), www.join("app.cgi")).unwrap();
        // lighttpd cannot bind port 0 and tell: pick a free port, and pick
        // again if someone takes it first.
        for _attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let conf = dir.path().join("lighttpd.conf");
            std::fs::write(
                &conf,
                format!(
                    r#"server.document-root = "{www}"
server.bind = "127.0.0.1"
server.port = {port}
server.modules = ("mod_cgi")
server.errorlog = "{dir}/error.log"
server.upload-dirs = ("{dir}")
cgi.assign = (".cgi" => "")
"#,
                    www = www.display(),
                    dir = dir.path().display(),
                ),
            )
            .unwrap();
            let mut child = Command::new(&program)
                .arg("-D")
                .arg("-f")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("lighttpd starts");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self {
                        child,
                        port,
                        _dir: dir,
                    };
                }
                if let Some(status) = child.try_wait().unwrap() {
                    let mut stderr = String::new();
                    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
                    eprintln!("lighttpd exited ({status}) on port {port}: {stderr}");
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "lighttpd did not start listening"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("lighttpd did not start (see the messages above)");
    }

    /// One HTTP/1.1 request on a connection of its own.
    fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut head =
            format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        HttpResponse::parse(&raw, method == "HEAD")
    }
}

fn lighttpd_all() {
    let server = Lighttpd::start();

    // GET with path info, query and a header.
    let r = server.request(
        "GET",
        "/app.cgi/hello/w%C3%B6rld?x=1&y=%20",
        &[("X-Greeting", "hi")],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        "method: GET\nscript_name: /app.cgi\npath_info: /hello/w%C3%B6rld\n\
         query: x=1&y=%20\nx-greeting: hi\nbody: 0 bytes\n"
    );
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));

    // POST: the body arrives whole, and echoes back.
    let r = server.request("POST", "/app.cgi/form", &[], b"name=value&other=thing");
    assert!(r.text().contains("method: POST\n"), "{}", r.text());
    assert!(r.text().ends_with("body: 22 bytes\n"), "{}", r.text());
    let payload: Vec<u8> = (0..500_000u32).map(|i| (i % 253) as u8).collect();
    let r = server.request("POST", "/app.cgi/x/echo", &[], &payload);
    assert_eq!(r.status, 200);
    assert!(
        r.body == payload,
        "the echoed body differs ({} bytes)",
        r.body.len()
    );

    // HEAD: the head alone, with the length a GET would have.
    let r = server.request("HEAD", "/app.cgi/page", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty(), "a body for HEAD: {}", r.text());
    let get = server.request("GET", "/app.cgi/page", &[], b"");
    let get_len = get.body.len();
    assert_eq!(
        r.header("content-length"),
        Some(&*(get_len + 1).to_string())
    );

    // Status codes, errors and panics.
    assert_eq!(
        server
            .request("GET", "/app.cgi/x/status/404", &[], b"")
            .status,
        404
    );
    assert_eq!(
        server
            .request("GET", "/app.cgi/x/status/201", &[], b"")
            .status,
        201
    );
    let r = server.request("GET", "/app.cgi/x/error", &[], b"");
    assert_eq!((r.status, r.text().as_str()), (403, "not for you"));
    assert_eq!(
        server.request("GET", "/app.cgi/x/panic", &[], b"").status,
        500
    );

    // A body of unknown length, streamed through lighttpd.
    let r = server.request("GET", "/app.cgi/x/big/5000000", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 5_000_000);
    assert!(r.body.iter().all(|&b| b == b'x'));

    // What the host told about the connection; a client's Proxy header is
    // not a header.
    let r = server.request(
        "GET",
        "/app.cgi/x/env",
        &[("Proxy", "http://attacker:3128")],
        b"",
    );
    let text = r.text();
    assert!(
        text.starts_with("scheme=http remote=Some(127.0.0.1)"),
        "{text}"
    );
    assert!(text.contains("proxy_header=false"), "{text}");
    assert!(text.contains("gateway=Some(\"CGI/1.1\")"), "{text}");
}
