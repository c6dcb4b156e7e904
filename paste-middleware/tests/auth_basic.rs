//! HTTP Basic authentication, through real requests.

use paste_core::http::StatusCode;
use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
use paste_middleware::auth::basic::{BasicAuth, UserTable};
use paste_middleware::auth::{AuthType, Authenticated};

fn whoami() -> impl App {
    app_fn(|req: Request| async move {
        let user = req.remote_user().unwrap_or("-").to_owned();
        Ok(Response::new(user.into()))
    })
}

fn protected() -> impl App {
    BasicAuth::new(
        whoami(),
        r#"Staff "only""#,
        UserTable::new()
            .with_user("Aladdin", "open sesame")
            .with_user("ann", "pass:with:colons")
            .into_check(),
    )
}

fn with_auth(value: &str) -> Request {
    Request::get("/")
        .header("authorization", value)
        .body(Body::empty())
        .unwrap()
}

async fn status_of(app: &impl App, req: Request) -> (StatusCode, Option<String>) {
    match app.call(req).await {
        Ok(response) => (response.status(), None),
        Err(err) => (
            err.status(),
            err.headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned()),
        ),
    }
}

#[tokio::test]
async fn good_credentials_set_the_remote_user() {
    let app = protected();
    let response = app
        .call(with_auth("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="))
        .await
        .unwrap();
    assert_eq!(
        response.extensions().get::<Authenticated>(),
        Some(&Authenticated {
            user: "Aladdin".into(),
            auth_type: AuthType::Basic
        })
    );
    assert_eq!(response.into_body().to_bytes(64).await.unwrap(), "Aladdin");
    // The password may hold colons; the scheme is case-insensitive.
    let response = app
        .call(with_auth("basic YW5uOnBhc3M6d2l0aDpjb2xvbnM="))
        .await
        .unwrap();
    assert_eq!(response.into_body().to_bytes(64).await.unwrap(), "ann");
}

#[tokio::test]
async fn no_credentials_is_a_challenge_with_an_escaped_realm() {
    let req = Request::get("/").body(Body::empty()).unwrap();
    let (status, challenge) = status_of(&protected(), req).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Basic realm="Staff \"only\"""#)
    );
}

/// Python Paste answers each of these with a 500 (ValueError or
/// UnicodeDecodeError escaping the middleware).
#[tokio::test]
async fn malformed_credentials_are_401_not_500() {
    let app = protected();
    for bad in [
        "Basic",
        "Basic ",
        "Basic !!!!",
        "Basic bm9jb2xvbg==", // "nocolon"
        "Basic /w==",         // a lone 0xFF byte
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==extra",
        "Basic a b c",
        "Bearer abc",
        "Digest username=\"Aladdin\"",
        "",
        "\u{1}",
    ] {
        let mut req = Request::get("/").body(Body::empty()).unwrap();
        if let Ok(value) = bad.parse() {
            req.headers_mut().insert("authorization", value);
        }
        let (status, challenge) = status_of(&app, req).await;
        assert_eq!(status, 401, "{bad:?}");
        assert!(challenge.unwrap().starts_with("Basic realm="), "{bad:?}");
    }
    // Non-UTF-8 header bytes.
    let mut req = Request::get("/").body(Body::empty()).unwrap();
    req.headers_mut().insert(
        "authorization",
        paste_core::http::HeaderValue::from_bytes(b"Basic \xff\xfe").unwrap(),
    );
    assert_eq!(status_of(&app, req).await.0, 401);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_are_refused() {
    let app = protected();
    for (user, password) in [
        ("Aladdin", "open sesam"),
        ("Aladdin", "open sesame "),
        ("aladdin", "open sesame"),
        ("nobody", ""),
        ("", ""),
    ] {
        let value = webob::auth::Authorization::Basic {
            username: user.into(),
            password: password.into(),
        }
        .to_string();
        assert_eq!(
            status_of(&app, with_auth(&value)).await.0,
            401,
            "{user}:{password}"
        );
    }
}

#[tokio::test]
async fn an_authenticated_request_passes_through() {
    let app = BasicAuth::new(whoami(), "r", |_: &str, _: &str| false);
    let mut req = Request::get("/").body(Body::empty()).unwrap();
    req.set_remote_user("upstream");
    let response = app.call(req).await.unwrap();
    assert_eq!(response.into_body().to_bytes(64).await.unwrap(), "upstream");
}

#[tokio::test]
async fn over_a_real_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = paste_server::Server::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false);
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let task = tokio::spawn(server.serve(protected()));

    let ask = |auth: Option<&'static str>| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut request = "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n".to_owned();
        if let Some(auth) = auth {
            request.push_str(&format!("Authorization: {auth}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    };
    let ok = ask(Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")).await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.ends_with("Aladdin"), "{ok}");
    let bad = ask(Some("Basic %%%")).await;
    assert!(bad.starts_with("HTTP/1.1 401"), "{bad}");
    assert!(
        bad.to_ascii_lowercase()
            .contains("www-authenticate: basic realm=\"staff \\\"only\\\"\""),
        "{bad}"
    );

    handle.shutdown();
    task.await.unwrap().unwrap();
}
