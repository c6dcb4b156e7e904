//! Signed-cookie auth, the login form, and the two together.

use std::time::Duration;

use paste_core::http::uri::Scheme;
use paste_core::{App, Body, ConnectionInfo, Request, RequestExt, Response, app_fn};
use paste_middleware::auth::cookie::CookieAuth;
use paste_middleware::auth::form::FormAuth;
use paste_middleware::auth::{AuthChange, AuthType, Authenticated};
use webob::cookies::Signer;

const SECRET: &[u8] = b"a test secret of thirty-two bytes or more";

fn whoami() -> impl App + Clone {
    app_fn(|req: Request| async move {
        let user = req.remote_user().unwrap_or("-").to_owned();
        let how = req
            .extensions()
            .get::<Authenticated>()
            .map_or("none", |a| a.auth_type.as_str());
        let mut response = Response::new(format!("{user} {} {how}", req.method()).into());
        if req.uri().path() == "/logout" {
            response.extensions_mut().insert(AuthChange::Logout);
        }
        Ok(response)
    })
}

fn get(path: &str, cookie: Option<&str>) -> Request {
    let mut req = Request::get(path).body(Body::empty()).unwrap();
    if let Some(cookie) = cookie {
        req.headers_mut().insert("cookie", cookie.parse().unwrap());
    }
    req
}

fn post_login(path: &str, body: &str) -> Request {
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn text(response: Response) -> String {
    String::from_utf8(
        response
            .into_body()
            .to_bytes(1 << 16)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap()
}

fn first_pair(response: &Response) -> Option<String> {
    let header = response.headers().get("set-cookie")?.to_str().unwrap();
    Some(header.split(';').next().unwrap().to_owned())
}

// ------------------------------------------------------------------
// Cookie
// ------------------------------------------------------------------

#[tokio::test]
async fn a_signed_cookie_authenticates_and_a_forged_one_does_not() {
    let app = CookieAuth::new(whoami(), Signer::new(SECRET).unwrap());
    let pair = app.login_cookie("ann").unwrap();
    let pair = pair.to_str().unwrap().split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("PASTE_AUTH_COOKIE="));
    let response = app.call(get("/", Some(&pair))).await.unwrap();
    assert_eq!(
        response
            .extensions()
            .get::<Authenticated>()
            .map(|a| a.auth_type),
        Some(AuthType::Cookie)
    );
    assert_eq!(text(response).await, "ann GET cookie");

    // Another key, a changed value, another cookie name: nobody.
    let other = CookieAuth::new(whoami(), Signer::new(&[1; 32]).unwrap());
    assert_eq!(
        text(other.call(get("/", Some(&pair))).await.unwrap()).await,
        "- GET none"
    );
    let value = pair.split_once('=').unwrap().1;
    let (payload, mac) = value.split_once('.').unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decoded = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
    let forged = b64.encode(decoded.replace("ann", "root"));
    let cookie = format!("PASTE_AUTH_COOKIE={forged}.{mac}");
    assert_eq!(
        text(app.call(get("/", Some(&cookie))).await.unwrap()).await,
        "- GET none"
    );
    let renamed = pair.replacen("PASTE_AUTH_COOKIE", "OTHER", 1);
    assert_eq!(
        text(app.call(get("/", Some(&renamed))).await.unwrap()).await,
        "- GET none"
    );
    for junk in [
        "PASTE_AUTH_COOKIE=",
        "PASTE_AUTH_COOKIE=x.y",
        "PASTE_AUTH_COOKIE=....",
        "PASTE_AUTH_COOKIE=%ff",
    ] {
        assert_eq!(
            text(app.call(get("/", Some(junk))).await.unwrap()).await,
            "- GET none"
        );
    }
}

#[tokio::test]
async fn cookies_time_out_and_get_refreshed() {
    let app = CookieAuth::new(whoami(), Signer::new(SECRET).unwrap())
        .timeout(Some(Duration::from_secs(3)));
    let pair = app.login_cookie("ann").unwrap();
    let pair = pair.to_str().unwrap().split(';').next().unwrap().to_owned();
    let response = app.call(get("/", Some(&pair))).await.unwrap();
    assert!(
        response.headers().get("set-cookie").is_none(),
        "fresh: not re-issued"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // 2 or 3 whole seconds later, past half the timeout: re-issued.
    let response = app.call(get("/", Some(&pair))).await.unwrap();
    let refreshed = first_pair(&response).unwrap();
    assert_eq!(text(response).await, "ann GET cookie");
    // Whole seconds: the first cookie is now 4 or 5 s old, the new 2 or 3.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        text(app.call(get("/", Some(&pair))).await.unwrap()).await,
        "- GET none"
    );
    assert_eq!(
        text(app.call(get("/", Some(&refreshed))).await.unwrap()).await,
        "ann GET cookie"
    );
}

#[tokio::test]
async fn logout_clears_and_https_makes_it_secure() {
    let app = CookieAuth::new(whoami(), Signer::new(SECRET).unwrap());
    let response = app.call(get("/logout", None)).await.unwrap();
    let header = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        header.starts_with("PASTE_AUTH_COOKIE=;") && header.contains("Max-Age=0"),
        "{header}"
    );

    let login = FormAuth::new(whoami(), |u: &str, p: &str| u == "ann" && p == "pw");
    let app = CookieAuth::new(login, Signer::new(SECRET).unwrap());
    let mut req = post_login("/", "username=ann&password=pw");
    req.extensions_mut()
        .insert(ConnectionInfo::new(Scheme::HTTPS));
    let response = app.call(req).await.unwrap();
    let header = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        header.contains("Secure") && header.contains("HttpOnly"),
        "{header}"
    );
    assert!(header.contains("SameSite=Lax"), "{header}");
}

#[tokio::test]
async fn logout_expires_the_cookie_where_it_was_set() {
    let options = webob::cookies::CookieOptions::new()
        .path("/app")
        .domain("example.com")
        .http_only(true);
    let app = CookieAuth::new(whoami(), Signer::new(SECRET).unwrap()).options(options);
    let login = app.login_cookie("ann").unwrap();
    let login = login.to_str().unwrap();
    assert!(
        login.contains("Path=/app") && login.contains("Domain=example.com"),
        "{login}"
    );

    let logout = app.logout_cookie();
    let logout = logout.to_str().unwrap();
    assert!(logout.starts_with("PASTE_AUTH_COOKIE=;"), "{logout}");
    assert!(logout.contains("Max-Age=0"), "{logout}");
    assert!(
        logout.contains("Path=/app"),
        "a browser keeps a cookie of another path: {logout}"
    );
    assert!(logout.contains("Domain=example.com"), "{logout}");
}

// ------------------------------------------------------------------
// Form
// ------------------------------------------------------------------

fn form_app() -> FormAuth<impl App, impl Fn(&str, &str) -> bool + Send + Sync + 'static> {
    FormAuth::new(whoami(), |u: &str, p: &str| u == "ann" && p == "pw")
}

/// Python Paste writes the request URL into the form's action unescaped.
#[tokio::test]
async fn the_form_action_is_escaped() {
    // http::Uri refuses raw `<`, `>` and `"`; `'` and `&` get through.
    let req = Request::get("/a?'onmouseover='x'&b=1")
        .body(Body::empty())
        .unwrap();
    let response = form_app().call(req).await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let length: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let page = text(response).await;
    assert_eq!(page.len(), length);
    assert!(
        page.contains(r#"action="/a?&#x27;onmouseover=&#x27;x&#x27;&amp;b=1""#),
        "{page}"
    );
    assert!(!page.contains("'onmouseover"), "{page}");
}

#[tokio::test]
async fn a_good_login_reaches_the_app_as_a_get() {
    let response = form_app()
        .call(post_login("/", "username=ann&password=pw&authform=Log+in"))
        .await
        .unwrap();
    assert_eq!(
        response.extensions().get::<AuthChange>(),
        Some(&AuthChange::Login("ann".into()))
    );
    assert_eq!(text(response).await, "ann GET form");
}

#[tokio::test]
async fn bad_logins_show_the_form_again() {
    for body in [
        "username=ann&password=nope",
        "username=&password=",
        "username=ann",
        "password=pw",
        "",
        "username=%zz&password=pw",
    ] {
        let result = form_app().call(post_login("/", body)).await;
        match result {
            Ok(response) => {
                assert!(response.extensions().get::<AuthChange>().is_none());
                let page = text(response).await;
                assert!(page.contains("<form"), "{body}: {page}");
                if body == "username=ann&password=nope" {
                    assert!(page.contains("Invalid username or password."));
                }
            }
            // A body that isn't a form is the client's error, never a 500.
            Err(err) => assert_eq!(err.status(), 400, "{body}"),
        }
    }
    // Credentials in the query string don't count (Paste reads the body only).
    let req = Request::post("/?username=ann&password=pw")
        .body(Body::empty())
        .unwrap();
    let page = text(form_app().call(req).await.unwrap()).await;
    assert!(page.contains("<form"));
}

#[tokio::test]
async fn form_then_cookie_keeps_the_user_logged_in_over_a_real_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = CookieAuth::new(form_app(), Signer::new(SECRET).unwrap());
    let server = paste_server::Server::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false);
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let task = tokio::spawn(server.serve(app));

    let send = |raw: String| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(raw.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    };
    let page = send("GET /home HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".into()).await;
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("action=\"/home\""),
        "{page}"
    );

    let body = "username=ann&password=pw";
    let login = send(format!(
        "POST /home HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ))
    .await;
    assert!(login.ends_with("ann GET form"), "{login}");
    let cookie = login
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let again = send(format!(
        "GET /home HTTP/1.1\r\nHost: t\r\nConnection: close\r\nCookie: {cookie}\r\n\r\n"
    ))
    .await;
    assert!(again.ends_with("ann GET cookie"), "{again}");

    handle.shutdown();
    task.await.unwrap().unwrap();
}
