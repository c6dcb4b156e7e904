//! The paste-deploy factories (feature `deploy`).

use paste_deploy::{Conf, Registry};

use crate::common::*;

fn load(ini: &str) -> Result<paste_core::BoxApp, paste_deploy::Error> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.ini"), ini).unwrap();
    let mut registry = Registry::new();
    registry.register(wsgiproxy::deploy::register);
    registry.load_app("config:site.ini", None, Some(dir.path()), &Conf::new())
}

#[tokio::test]
async fn egg_paste_proxy_and_wsgiproxy2_main_build_a_host_proxy() {
    let backend = start(echo());
    for egg in ["egg:Paste#proxy", "egg:WSGIProxy2#main"] {
        let app = load(&format!(
            "[app:main]\nuse = {egg}\naddress = {}\nallowed_request_methods = get POST\n\
             suppress_http_headers = x_secret\ntimeout = 30s\nconnect_timeout = none\n",
            backend.url("/base/")
        ))
        .unwrap();
        let front = start(app);
        let response = raw_exchange(
            front.addr,
            b"GET /x HTTP/1.1\r\nHost: f\r\nX-Secret: 1\r\nX-Other: 2\r\n\r\n",
        )
        .await;
        assert_eq!(response.status(), 200, "{egg}");
        let text = response.text();
        assert!(text.starts_with("GET /base/x\n"), "{text}");
        let headers = echoed_headers(&text);
        assert_eq!(echoed(&headers, "x-secret"), None);
        assert_eq!(echoed(&headers, "x-other"), Some("2"));
        let refused = raw_exchange(front.addr, b"DELETE /x HTTP/1.1\r\nHost: f\r\n\r\n").await;
        assert_eq!(refused.status(), 405);
        assert_eq!(refused.header("allow"), Some("GET, POST"));
    }
}

#[tokio::test]
async fn transparent_proxy_needs_and_honours_its_allowed_hosts() {
    let backend = start(echo());
    let front = start(
        load(&format!(
            "[app:main]\nuse = egg:Paste#transparent_proxy\nallowed_hosts = example.invalid {}\n",
            backend.addr
        ))
        .unwrap(),
    );
    let request = format!("GET /t HTTP/1.1\r\nHost: {}\r\n\r\n", backend.addr);
    assert_eq!(
        raw_exchange(front.addr, request.as_bytes()).await.status(),
        200
    );
    let refused = raw_exchange(
        front.addr,
        b"GET /t HTTP/1.1\r\nHost: elsewhere.invalid\r\n\r\n",
    )
    .await;
    assert_eq!(refused.status(), 403);

    let err = load("[app:main]\nuse = egg:Paste#transparent_proxy\n").unwrap_err();
    assert!(
        err.to_string().contains("allowed_hosts is required"),
        "{err}"
    );
}

#[test]
fn bad_settings_name_their_file_and_line() {
    for (setting, needle) in [
        ("address = ftp://example.com/", "only http:// and https://"),
        (
            "address = http://x/\nallowed_request_methods = GET BAD@METHOD",
            "not an HTTP method",
        ),
        ("address = http://x/\ntimeout = soon", "timeout"),
        ("address = http://x/\nkeep_host = maybe", "keep_host"),
        (
            "address = http://x/\nsuppress_http_headers = bad:name",
            "not a header name",
        ),
    ] {
        let err = load(&format!("[app:main]\nuse = egg:Paste#proxy\n{setting}\n")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("site.ini:"), "{setting}: {text}");
        assert!(text.contains(needle), "{setting}: {text}");
    }
    let err = load("[app:main]\nuse = egg:Paste#proxy\n").unwrap_err();
    assert!(err.to_string().contains("address is required"), "{err}");
}
