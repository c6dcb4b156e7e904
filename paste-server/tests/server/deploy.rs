//! The `http` server factory, loaded from a config as `paster serve` will.

use std::time::Duration;

use paste_core::BoxApp;
use paste_deploy::{Conf, ErrorKind, Registry};
use tokio::net::TcpStream;

use crate::common::{connect, echo, read_response, send};

fn write_config(name: &str, text: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("paste-server-deploy-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("server.ini"), text).unwrap();
    dir
}

fn registry() -> Registry {
    let mut registry = Registry::new();
    registry.register(paste_server::deploy::register);
    registry
}

#[tokio::test]
async fn the_http_factory_serves_with_the_settings_of_the_config() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = write_config(
        "serve",
        &format!(
            "[server:main]\nuse = egg:Paste#http\nhost = 127.0.0.1\nport = {port}\n\
             max_body_size = 10\nwrite_timeout = 5s\nbody_read_timeout = 5s\nmin_body_rate = 100\nserver_version = test/1\nthreads = 2\nuse_threadpool = true\n"
        ),
    );
    let server = registry()
        .load_server("config:server.ini", None, Some(&dir), &Conf::new())
        .unwrap();
    assert_eq!(server.worker_threads(), Some(2));
    let url = format!("http://127.0.0.1:{port}");
    assert_eq!(server.url(), Some(url.as_str()));
    let task = tokio::spawn(server.serve(BoxApp::new(echo())));
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut stream = connect(addr).await;
    send(&mut stream, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let response = read_response(&mut stream).await;
    assert_eq!(response.header("server"), Some("test/1"));
    send(
        &mut stream,
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 11\r\n\r\nhello world",
    )
    .await;
    assert_eq!(read_response(&mut stream).await.status(), 413);
    task.abort();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_misspelt_setting_is_refused_with_its_place() {
    let dir = write_config("typo", "[server:main]\nuse = egg:Paste#http\nprot = 8080\n");
    let err = registry()
        .load_server("config:server.ini", None, Some(&dir), &Conf::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadValue);
    let file = dir.join("server.ini").display().to_string();
    assert!(
        err.to_string().starts_with(&format!(
            "{file}:3 [server:main]: unknown setting \"prot\" for the http server (known: host, port,"
        )),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_port_names_its_line() {
    let dir = write_config(
        "port",
        "[server:main]\nuse = egg:Paste#http\nport = eighty\n",
    );
    let err = registry()
        .load_server("config:server.ini", None, Some(&dir), &Conf::new())
        .unwrap_err();
    let file = dir.join("server.ini").display().to_string();
    assert_eq!(
        err.to_string(),
        format!("{file}:3 [server:main]: bad value for port: \"eighty\" is not an integer")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
