//! TestApp's requests: methods, params, bodies, headers, the environ.

mod common;

use std::net::SocketAddr;

use paste_core::{Error, Request, Response, app_fn, http::StatusCode};
use serde_json::{Value, json};
use webtest::{AnyStatus, Authorization, ErrorKind, TestApp, Upload};

#[tokio::test]
async fn get_with_params_appends_to_the_query_and_drops_the_fragment() {
    let app = TestApp::new(common::echo());
    let res = app
        .get("/search?x=1#results")
        .params(&[("q", "rust web"), ("é", "ü&")])
        .await;
    let seen: Value = res.json();
    assert_eq!(seen["method"], "GET");
    assert_eq!(seen["path"], "/search");
    assert_eq!(
        common::pairs(&seen["query"]),
        common::owned(&[("x", "1"), ("q", "rust web"), ("é", "ü&")])
    );
    assert_eq!(seen["headers"]["host"], "localhost");
    assert_eq!(
        res.url(),
        "http://localhost/search?x=1&q=rust+web&%C3%A9=%C3%BC%26"
    );
}

#[tokio::test]
async fn every_method_reaches_the_app() {
    let app = TestApp::new(common::echo());
    for (res, method) in [
        (app.get("/").await, "GET"),
        (app.post("/").await, "POST"),
        (app.put("/").await, "PUT"),
        (app.patch("/").await, "PATCH"),
        (app.delete("/").await, "DELETE"),
        (app.options("/").await, "OPTIONS"),
        (app.request("MKCOL".parse().unwrap(), "/").await, "MKCOL"),
    ] {
        assert_eq!(res.json::<Value>()["method"], method);
    }
    // HEAD: the app's body is dropped, as a server drops it; lint accepts it.
    let res = app.head("/").param("a", "b").await;
    assert_eq!(res.status(), 200);
    assert!(res.body().is_empty());
    let get = app.get("/").param("a", "b").await;
    // Its Content-Length stays: the echo of HEAD is one byte longer than
    // that of GET.
    let length = |r: &webtest::TestResponse| -> usize {
        r.header("content-length").unwrap().parse().unwrap()
    };
    assert_eq!(length(&res), length(&get) + 1);
    assert_eq!(res.url(), "http://localhost/?a=b");
}

#[tokio::test]
async fn post_params_make_a_urlencoded_form() {
    let app = TestApp::new(common::echo());
    let seen: Value = app
        .post("/login")
        .form(&[("user", "bob"), ("password", "x y&z")])
        .await
        .json();
    assert_eq!(seen["content_type"], "application/x-www-form-urlencoded");
    assert_eq!(
        common::pairs(&seen["fields"]),
        common::owned(&[("user", "bob"), ("password", "x y&z")])
    );
    // params() on a PUT go to the body too, and the method stays.
    let seen: Value = app.put("/x").params(&[("a", "1")]).await.json();
    assert_eq!(seen["method"], "PUT");
    assert_eq!(common::pairs(&seen["fields"]), common::owned(&[("a", "1")]));
}

#[tokio::test]
async fn uploads_make_a_multipart_form() {
    let app = TestApp::new(common::echo());
    let dir = tempfile::tempdir().unwrap();
    let on_disk = dir.path().join("notes.txt");
    std::fs::write(&on_disk, "from disk").unwrap();
    let seen: Value = app
        .post("/upload")
        .form(&[("title", "Holiday")])
        .upload(Upload::new("photo", "me.png", &b"PNGDATA"[..]))
        .upload(Upload::from_path("notes", &on_disk).unwrap())
        .upload(Upload::new("empty", "", Vec::new()).with_content_type("text/plain"))
        .await
        .json();
    assert!(
        seen["content_type"]
            .as_str()
            .unwrap()
            .starts_with("multipart/form-data")
    );
    // An empty file field sends `filename=""`, as browsers do; webob reads
    // it as an empty field, as cgi did.
    assert_eq!(
        common::pairs(&seen["fields"]),
        common::owned(&[("title", "Holiday"), ("empty", "")])
    );
    let files = seen["files"].as_array().unwrap();
    assert_eq!(files[0]["field"], "photo");
    assert_eq!(files[0]["filename"], "me.png");
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["content"], "PNGDATA");
    assert_eq!(files[1]["filename"], "notes.txt");
    assert_eq!(files[1]["content_type"], "text/plain");
    assert_eq!(files[1]["content"], "from disk");
    assert_eq!(files.len(), 2, "{files:?}");
}

#[tokio::test]
async fn json_bodies_raw_bodies_and_content_types() {
    let app = TestApp::new(common::echo());
    let seen: Value = app.post_json("/api", &json!({"a": 1})).await.json();
    assert_eq!(seen["content_type"], "application/json");
    assert_eq!(seen["body"], r#"{"a":1}"#);
    for res in [
        app.put_json("/api", &[1, 2]).await,
        app.patch_json("/api", &[1, 2]).await,
        app.delete_json("/api", &[1, 2]).await,
    ] {
        assert_eq!(res.json::<Value>()["body"], "[1,2]");
    }
    let seen: Value = app
        .post("/raw")
        .body("<doc/>")
        .content_type("application/xml")
        .await
        .json();
    assert_eq!(seen["content_type"], "application/xml");
    assert_eq!(seen["body"], "<doc/>");
    assert_eq!(seen["headers"]["content-length"], "6");
    // A form with a multipart content type is sent as multipart.
    let seen: Value = app
        .post("/m")
        .form(&[("k", "v")])
        .content_type("multipart/form-data")
        .await
        .json();
    assert!(
        seen["headers"]["content-type"]
            .as_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    assert_eq!(common::pairs(&seen["fields"]), common::owned(&[("k", "v")]));
}

#[tokio::test]
async fn headers_xhr_and_the_extra_environ() {
    let app = TestApp::new(common::echo());
    let peer: SocketAddr = "10.1.2.3:4567".parse().unwrap();
    app.set_header("accept-language", "fr")
        .set_remote_user(Some("ann"));
    let seen: Value = app
        .get("/env")
        .header("x-custom", "yes")
        .xhr()
        .remote_addr(peer)
        .https(true)
        .host("example.org:8443")
        .await
        .json();
    assert_eq!(seen["headers"]["x-custom"], "yes");
    assert_eq!(seen["headers"]["x-requested-with"], "XMLHttpRequest");
    assert_eq!(seen["headers"]["accept-language"], "fr");
    assert_eq!(seen["remote_addr"], "10.1.2.3:4567");
    assert_eq!(seen["remote_user"], "ann");
    assert_eq!(seen["scheme"], "https");
    assert_eq!(seen["url"], "https://example.org:8443/env");

    // An absolute URL sets the scheme and host; a request header wins
    // over the app's.
    let seen: Value = app
        .get("https://shop.example/cart")
        .header("accept-language", "de")
        .remote_user("bob")
        .await
        .json();
    assert_eq!(seen["url"], "https://shop.example/cart");
    assert_eq!(seen["headers"]["accept-language"], "de");
    assert_eq!(seen["remote_user"], "bob");

    // App-level settings.
    app.set_remote_user(None)
        .set_remote_addr(peer)
        .set_https(true)
        .set_host("h.test");
    let seen: Value = app.get("/").await.json();
    assert_eq!(seen["remote_user"], Value::Null);
    assert_eq!(seen["remote_addr"], "10.1.2.3:4567");
    assert_eq!(seen["url"], "https://h.test/");
}

#[tokio::test]
async fn bad_request_input_is_an_error_not_a_panic() {
    let app = TestApp::new(common::echo());
    let err = app
        .get("/")
        .header("bad header", "x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert!(err.to_string().contains("bad header name"), "{err}");
    let err = app.get("/").header("x", "a\nb").send().await.unwrap_err();
    assert!(err.to_string().contains("bad value for header x"), "{err}");
    let err = app.get("http://exa mple/").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
}

#[tokio::test]
async fn authorization_basic_and_bearer() {
    let app = TestApp::new(common::echo());
    app.set_authorization(Some(Authorization::Basic {
        username: "user".into(),
        password: "pass".into(),
    }));
    let seen: Value = app.get("/").await.json();
    assert_eq!(seen["headers"]["authorization"], "Basic dXNlcjpwYXNz");
    app.set_authorization(Some(Authorization::Bearer("abc.def".into())));
    let seen: Value = app.get("/").await.json();
    assert_eq!(seen["headers"]["authorization"], "Bearer abc.def");
    app.set_authorization(None);
    let seen: Value = app.get("/").await.json();
    assert_eq!(seen["headers"].get("authorization"), None);
}

#[tokio::test]
async fn basic_auth_middleware_lets_the_right_user_in() {
    use paste_middleware::auth::basic::BasicAuth;
    let protected = BasicAuth::new(common::echo(), "realm", |user: &str, pw: &str| {
        user == "ann" && pw == "s3cret"
    });
    let app = TestApp::new(protected);
    let res = app.get("/private").status(401).await;
    assert!(res.header("www-authenticate").unwrap().starts_with("Basic"));
    app.set_authorization(Some(Authorization::Basic {
        username: "ann".into(),
        password: "s3cret".into(),
    }));
    let seen: Value = app.get("/private").await.json();
    assert_eq!(seen["remote_user"], "ann");
}

#[tokio::test]
async fn status_expectations() {
    let app = TestApp::new(app_fn(|req: Request| async move {
        let code: u16 = req.uri().path()[1..].parse().unwrap_or(200);
        let mut res = Response::new(format!("status {code}").into());
        *res.status_mut() = StatusCode::from_u16(code).unwrap();
        res.headers_mut()
            .insert("content-type", "text/plain".parse().unwrap());
        if res.status().is_redirection() {
            res.headers_mut().insert("location", "/".parse().unwrap());
        }
        Ok(res)
    }));
    assert_eq!(app.get("/200").await.status(), 200);
    assert_eq!(app.get("/302").await.status(), 302);
    assert_eq!(app.get("/404").status(404).await.status(), 404);
    assert_eq!(
        app.get("/404").status(StatusCode::NOT_FOUND).await.status(),
        404
    );
    app.get("/404").status("4*").await;
    app.get("/404").status("404 Not Found").await;
    app.get("/503").status([500, 503]).await;
    app.get("/503").status(vec![503]).await;
    app.get("/418").status(AnyStatus).await;
    app.get("/418").status("*").await;
    app.get("/500").expect_errors().await;

    // A wrong status fails with the method, the URL, the status and the body.
    let err = app.get("/404?x=1").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadStatus);
    let message = err.to_string();
    assert!(
        message.contains("Bad response: 404 Not Found (not 2xx or 3xx)"),
        "{message}"
    );
    assert!(
        message.contains("GET http://localhost/404?x=1"),
        "{message}"
    );
    assert!(message.contains("status 404"), "{message}");
    assert_eq!(err.response().unwrap().status(), 404);
    let err = app
        .post("/200")
        .status([400, 500])
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("(not one of 400, 500)"), "{err}");
    let err = app.get("/200").status("2?1*").send().await.unwrap_err();
    assert!(err.to_string().contains("(not \"2?1*\")"), "{err}");
}

#[tokio::test]
#[should_panic(expected = "Bad response: 500 Internal Server Error")]
async fn awaiting_a_request_with_a_wrong_status_fails_the_test() {
    let app = TestApp::new(app_fn(|_req| async {
        Err(Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_message("boom"))
    }));
    app.get("/").await;
}

#[derive(Debug)]
struct DiskFull;
impl std::fmt::Display for DiskFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk full")
    }
}
impl std::error::Error for DiskFull {}

#[tokio::test]
async fn app_errors_and_panics_surface_with_their_chain() {
    let app = TestApp::new(app_fn(|req: Request| async move {
        match req.uri().path() {
            "/error" => Err(Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("saving the order")
                .with_source(DiskFull)),
            "/missing" => Err(Error::new(StatusCode::NOT_FOUND)),
            _ => panic!("the app blew up at {}", req.uri()),
        }
    }));
    let err = app.get("/error").send().await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(
            "the app's error: 500 Internal Server Error: saving the order: caused by: disk full"
        ),
        "{message}"
    );
    // An error that stands for the expected status is that response.
    let res = app.get("/missing").status(404).await;
    assert_eq!(res.app_error(), Some("404 Not Found"));

    let err = app.get("/boom").status(AnyStatus).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert!(
        err.to_string()
            .contains("the app panicked: the app blew up at /boom"),
        "{err}"
    );
    assert!(
        err.to_string().contains("GET http://localhost/boom"),
        "{err}"
    );
}

#[tokio::test]
async fn lint_fails_invalid_responses_unless_turned_off() {
    let app = TestApp::new(app_fn(|_req| async {
        let mut res = Response::new("Hello, World!".into());
        res.headers_mut().insert("content-length", 5.into());
        res.headers_mut()
            .insert("content-type", "text/plain".parse().unwrap());
        Ok(res)
    }));
    let err = app.get("/").status(AnyStatus).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Lint);
    assert!(
        err.to_string().contains("lint: Content-Length is 5"),
        "{err}"
    );

    let no_type = TestApp::new(app_fn(|_req| async { Ok(Response::new("text".into())) }));
    let err = no_type.get("/").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Lint, "{err}");
    no_type.set_lint(false);
    assert_eq!(no_type.get("/").await.text(), "text");
}

#[tokio::test]
async fn gzip_responses_are_decoded() {
    use paste_middleware::gzip::Gzip;
    let big = "hello gzip ".repeat(200);
    let body = big.clone();
    let app = TestApp::new(Gzip::new(app_fn(move |_req| {
        let body = body.clone();
        async move {
            let mut res = Response::new(body.into());
            res.headers_mut()
                .insert("content-type", "text/plain".parse().unwrap());
            Ok(res)
        }
    })));
    let res = app.get("/").header("accept-encoding", "gzip").await;
    assert_eq!(res.text(), big);
    assert_eq!(res.header("content-encoding"), None);
}
