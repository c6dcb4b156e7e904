//! HTTPS backends (feature `tls`).

use std::sync::Arc;

use wsgiproxy::HostProxy;

use crate::common::*;

#[tokio::test]
async fn an_https_backend_is_reached_with_the_roots_given() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), key.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.signing_key.serialize_pem()).unwrap();
    let server = paste_server::Server::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false)
        .tls_pem_files(dir.path().join("cert.pem"), dir.path().join("key.pem"))
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let handle = server.handle();
    tokio::spawn(server.serve(echo()));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(key.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let backend = format!("https://localhost:{port}");
    let front = start(HostProxy::new(&backend).unwrap().tls_config(config));
    let (status, _, body) = get(&front.url("/secure?x=1")).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with("GET /secure?x=1\n"), "{text}");

    // With Mozilla's roots only, the self-signed backend is not trusted:
    // a 502, not a connection that goes ahead.
    let untrusting = start(HostProxy::new(&backend).unwrap());
    let (status, _, _) = get(&untrusting.url("/")).await;
    assert_eq!(status, 502);
    handle.stop_now();
}
