//! HTTPS with rustls: HTTP/2 and HTTP/1.1 negotiated by ALPN.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use paste_core::http::{Request, Version};
use paste_server::Server;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::common::echo;

struct Fixture {
    dir: std::path::PathBuf,
    cert: CertificateDer<'static>,
}

fn self_signed(name: &str) -> Fixture {
    let dir = std::env::temp_dir().join(format!("paste-server-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), key.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.signing_key.serialize_pem()).unwrap();
    Fixture {
        dir,
        cert: key.cert.der().clone(),
    }
}

async fn connect(
    addr: std::net::SocketAddr,
    cert: &CertificateDer<'static>,
    alpn: &[u8],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let tcp = TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

#[tokio::test]
async fn https_negotiates_http2_or_http1_by_alpn() {
    let fixture = self_signed("alpn");
    let server = Server::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false)
        .tls_pem_files(fixture.dir.join("cert.pem"), fixture.dir.join("key.pem"))
        .unwrap();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let task = tokio::spawn(server.serve(echo()));

    let stream = connect(addr, &fixture.cert, b"h2").await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut h2, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let response = h2
        .send_request(
            Request::get("https://localhost/secure")
                .body(Empty::<Bytes>::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        text.starts_with("GET /secure ") && text.contains("scheme=https"),
        "{text}"
    );

    let stream = connect(addr, &fixture.cert, b"http/1.1").await;
    let (mut h1, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let response = h1
        .send_request(
            Request::get("/one")
                .header("host", "localhost")
                .body(Empty::<Bytes>::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.status(), 200);

    handle.shutdown();
    task.await.unwrap().unwrap();
    std::fs::remove_dir_all(&fixture.dir).unwrap();
}

#[test]
fn bad_pem_files_are_errors_that_name_the_file() {
    let fixture = self_signed("bad");
    let garbage = fixture.dir.join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let err = Server::bind("127.0.0.1:0")
        .unwrap()
        .tls_pem_files(&garbage, fixture.dir.join("key.pem"))
        .unwrap_err();
    assert!(err.to_string().contains("garbage.pem"), "{err}");
    let err = Server::bind("127.0.0.1:0")
        .unwrap()
        .tls_pem_files(
            fixture.dir.join("cert.pem"),
            fixture.dir.join("missing.pem"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("missing.pem"), "{err}");
    std::fs::remove_dir_all(&fixture.dir).unwrap();
}
