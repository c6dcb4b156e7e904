//! The FastCGI server behind a real nginx (Debian package `nginx-light`,
//! or any nginx): `fastcgi_pass` over TCP and over a Unix socket, with
//! and without `fastcgi_keep_conn`, big bodies both ways, and a client
//! that hangs up. The HTTP requests are sent over TCP by hand.

mod common;
mod fastcgi_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fastcgi_support::*;
use paste_cgi::FastCgiServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An nginx in a temporary prefix, stopped when dropped.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where nginx sends each location.
struct Upstreams {
    /// `/tcp/`: a TCP socket, one connection per request.
    tcp: SocketAddr,
    /// `/unix/`: a Unix socket.
    unix: PathBuf,
    /// `/keep/`: `fastcgi_keep_conn on` with an upstream keepalive pool.
    keep: SocketAddr,
}

/// The params a Paste app needs; the location is the script name.
const PARAMS: &str = r#"
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_param QUERY_STRING $query_string;
            fastcgi_param CONTENT_TYPE $content_type;
            fastcgi_param CONTENT_LENGTH $content_length;
            fastcgi_param SCRIPT_NAME $fastcgi_script_name;
            fastcgi_param PATH_INFO $fastcgi_path_info;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
            fastcgi_param REMOTE_ADDR $remote_addr;
            fastcgi_param REMOTE_PORT $remote_port;
            fastcgi_param SERVER_ADDR $server_addr;
            fastcgi_param SERVER_PORT $server_port;
            fastcgi_param SERVER_NAME $server_name;
            fastcgi_param CUSTOM_VAR "from nginx";"#;

impl Nginx {
    fn start(dir: &Path, upstreams: &Upstreams) -> Self {
        let program = find_program("nginx", "nginx-light");
        for name in ["logs", "body", "fastcgi", "proxy", "uwsgi", "scgi"] {
            std::fs::create_dir_all(dir.join(name)).unwrap();
        }
        // nginx cannot bind port 0 and tell: pick a free port, and pick
        // again if someone takes it first.
        for _attempt in 0..5 {
            let port = free_port();
            let conf = dir.join("nginx.conf");
            std::fs::write(&conf, config(dir, port, upstreams)).unwrap();
            let mut child = Command::new(&program)
                .arg("-p")
                .arg(dir)
                .arg("-c")
                .arg(&conf)
                .arg("-e")
                .arg(dir.join("logs/startup.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("nginx starts");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self {
                        child,
                        port,
                        dir: dir.to_owned(),
                    };
                }
                if let Some(status) = child.try_wait().unwrap() {
                    let log =
                        std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default();
                    eprintln!("nginx exited ({status}) on port {port}: {log}");
                    break;
                }
                assert!(Instant::now() < deadline, "nginx did not start listening");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("nginx did not start (see the messages above)");
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("logs/error.log")).unwrap_or_default()
    }

    /// One HTTP/1.1 request on a connection of its own.
    async fn request(&self, method: &str, target: &str, body: &[u8]) -> HttpResponse {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let mut head =
            format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if !body.is_empty() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw))
            .await
            .expect("nginx answers within 60 s")
            .unwrap();
        HttpResponse::parse(&raw, method == "HEAD")
    }
}

fn config(dir: &Path, port: u16, upstreams: &Upstreams) -> String {
    let dir = dir.display();
    format!(
        r#"
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    fastcgi_temp_path {dir}/fastcgi;
    proxy_temp_path {dir}/proxy;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 64m;

    upstream keep {{
        server {keep};
        keepalive 4;
    }}

    server {{
        listen 127.0.0.1:{port};
        server_name localhost;

        location /tcp/ {{
            fastcgi_split_path_info ^(/tcp)(/.*)$;{PARAMS}
            fastcgi_pass {tcp};
        }}
        location /unix/ {{
            fastcgi_split_path_info ^(/unix)(/.*)$;{PARAMS}
            fastcgi_pass unix:{unix};
        }}
        location /keep/ {{
            fastcgi_split_path_info ^(/keep)(/.*)$;{PARAMS}
            fastcgi_pass keep;
            fastcgi_keep_conn on;
        }}
    }}
}}
"#,
        keep = upstreams.keep,
        tcp = upstreams.tcp,
        unix = upstreams.unix.display(),
    )
}

/// One app served three ways (TCP, Unix socket, TCP behind a counting
/// proxy for the keep-conn location), and an nginx in front.
struct Setup {
    nginx: Nginx,
    tcp_proxy: CountingProxy,
    keep_proxy: CountingProxy,
    servers: Vec<Running>,
    events: tokio::sync::mpsc::UnboundedReceiver<&'static str>,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (app, events) = test_app();
        let tcp = start(app.clone(), |s| s);
        let socket = dir.path().join("app.sock");
        let unix_server = FastCgiServer::bind_unix(&socket)
            .unwrap()
            .handle_signals(false);
        let unix = Running {
            addr: "0.0.0.0:0".parse().unwrap(),
            handle: unix_server.handle(),
            task: tokio::spawn(unix_server.serve(app.clone())),
        };
        let keep = start(app, |s| s);
        let tcp_proxy = CountingProxy::start(tcp.addr).await;
        let keep_proxy = CountingProxy::start(keep.addr).await;
        let upstreams = Upstreams {
            tcp: tcp_proxy.addr,
            unix: socket,
            keep: keep_proxy.addr,
        };
        let path = dir.path().to_owned();
        let nginx = tokio::task::spawn_blocking(move || Nginx::start(&path, &upstreams))
            .await
            .unwrap();
        Self {
            nginx,
            tcp_proxy,
            keep_proxy,
            servers: vec![tcp, unix, keep],
            events,
            _dir: dir,
        }
    }

    async fn stop(self) {
        drop(self.nginx);
        for server in self.servers {
            server.stop().await;
        }
    }
}

#[tokio::test]
async fn nginx_passes_requests_over_tcp_and_unix_sockets() {
    let setup = Setup::start().await;
    for mount in ["/tcp", "/unix", "/keep"] {
        let r = setup
            .nginx
            .request("GET", &format!("{mount}/hello/w%C3%B6rld?x=1&y=2"), b"")
            .await;
        assert_eq!(r.status, 200, "{mount}: {}", r.text());
        assert_eq!(
            r.text(),
            format!(
                "method=GET script={mount} info=/hello/w%C3%B6rld query=x=1&y=2 greeting=(none) \
                 scheme=http remote=127.0.0.1 user=(none) custom=from nginx body=0\n"
            ),
        );
        let r = setup
            .nginx
            .request("POST", &format!("{mount}/form"), b"a=1&b=2")
            .await;
        assert!(r.text().ends_with(" body=7\n"), "{mount}: {}", r.text());

        let r = setup
            .nginx
            .request("GET", &format!("{mount}/error"), b"")
            .await;
        assert_eq!((r.status, r.text().as_str()), (403, "not for you"));
        let r = setup
            .nginx
            .request("GET", &format!("{mount}/panic"), b"")
            .await;
        assert_eq!(r.status, 500);
        let r = setup
            .nginx
            .request("HEAD", &format!("{mount}/page"), b"")
            .await;
        assert_eq!(r.status, 200);
        assert!(r.body.is_empty());
        assert!(r.header("content-length").is_some(), "{:?}", r.headers);
    }
    setup.stop().await;
}

#[tokio::test]
async fn twenty_mebibytes_stream_up_and_down() {
    const SIZE: usize = 20 * 1024 * 1024;
    let setup = Setup::start().await;
    let upload: Vec<u8> = (0..SIZE).map(pattern).collect();
    let mut sum = 0;
    checksum(&upload, 0, &mut sum);
    for mount in ["/tcp", "/keep", "/unix"] {
        let r = setup
            .nginx
            .request("PUT", &format!("{mount}/upload"), &upload)
            .await;
        assert_eq!(r.status, 200, "{mount}: {}", r.text());
        assert_eq!(r.text(), format!("len={SIZE} sum={sum}"), "{mount}");

        let r = setup
            .nginx
            .request("GET", &format!("{mount}/download/{SIZE}"), b"")
            .await;
        assert_eq!(r.status, 200, "{mount}");
        assert_eq!(r.body.len(), SIZE, "{mount}");
        assert!(r.body == upload, "{mount}: the downloaded bytes differ");
    }
    setup.stop().await;
}

#[tokio::test]
async fn keep_conn_reuses_one_connection_and_its_absence_opens_one_per_request() {
    let setup = Setup::start().await;
    for i in 0..5 {
        let r = setup
            .nginx
            .request("GET", &format!("/keep/n{i}"), b"")
            .await;
        assert_eq!(r.status, 200);
        let r = setup.nginx.request("GET", &format!("/tcp/n{i}"), b"").await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(
        setup.keep_proxy.accepted(),
        1,
        "with fastcgi_keep_conn, nginx reuses its connection; error log:\n{}",
        setup.nginx.error_log()
    );
    assert_eq!(
        setup.tcp_proxy.accepted(),
        5,
        "without FCGI_KEEP_CONN, the server closes each connection"
    );
    setup.stop().await;
}

#[tokio::test]
async fn a_client_hanging_up_cancels_the_app() {
    let mut setup = Setup::start().await;
    for mount in ["/tcp", "/keep"] {
        let mut stream = TcpStream::connect(("127.0.0.1", setup.nginx.port))
            .await
            .unwrap();
        let request = format!("GET {mount}/hang HTTP/1.1\r\nHost: localhost\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        assert_eq!(setup.events.recv().await, Some("hang started"));
        drop(stream);
        let dropped = tokio::time::timeout(Duration::from_secs(20), setup.events.recv()).await;
        assert_eq!(
            dropped.expect("the app's future is dropped within 20 s"),
            Some("hang dropped"),
            "{mount}"
        );
    }
    // The keep-conn pool still works afterwards.
    let r = setup.nginx.request("GET", "/keep/after", b"").await;
    assert_eq!(r.status, 200);
    setup.stop().await;
}
