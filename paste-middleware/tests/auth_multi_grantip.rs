//! Picking an auth method per request, and IP grants.

use std::net::SocketAddr;

use paste_core::http::uri::Scheme;
use paste_core::{App, Body, BoxApp, ConnectionInfo, Request, RequestExt, Response, app_fn};
use paste_middleware::auth::basic::BasicAuth;
use paste_middleware::auth::form::FormAuth;
use paste_middleware::auth::multi::{MultiAuth, accepts_html, has_authorization, query_argument};
use paste_middleware::auth::{AuthType, Authenticated, Tokens};
use paste_middleware::grantip::{GrantIp, IpRange};

fn whoami() -> BoxApp {
    BoxApp::new(app_fn(|req: Request| async move {
        let user = req.remote_user().unwrap_or("-").to_owned();
        let tokens = Tokens::of(&req).join(",");
        Ok(Response::new(format!("{user}|{tokens}").into()))
    }))
}

fn check(user: &str, password: &str) -> bool {
    user == "ann" && password == "pw"
}

async fn answer(app: &impl App, req: Request) -> (u16, String) {
    match app.call(req).await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.into_body().to_bytes(1 << 16).await.unwrap();
            (status, String::from_utf8(body.to_vec()).unwrap())
        }
        Err(err) => (err.status().as_u16(), String::new()),
    }
}

fn multi() -> MultiAuth {
    let inner = whoami();
    MultiAuth::new(inner.clone())
        .when(
            query_argument("*authmeth", "basic"),
            BasicAuth::new(inner.clone(), "r", check),
        )
        .when(has_authorization, BasicAuth::new(inner.clone(), "r", check))
        .when(accepts_html, FormAuth::new(inner, check))
}

#[tokio::test]
async fn the_first_matching_predicate_wins() {
    let app = multi();
    // API client with credentials: Basic.
    let req = Request::get("/")
        .header("authorization", "Basic YW5uOnB3")
        .body(Body::empty())
        .unwrap();
    assert_eq!(answer(&app, req).await, (200, "ann|".into()));
    // Bad credentials: Basic's 401, not the form.
    let req = Request::get("/")
        .header("authorization", "Basic %%")
        .body(Body::empty())
        .unwrap();
    assert_eq!(answer(&app, req).await.0, 401);
    // A browser: the form.
    let req = Request::get("/")
        .header("accept", "text/html,*/*")
        .body(Body::empty())
        .unwrap();
    let (status, page) = answer(&app, req).await;
    assert_eq!(status, 200);
    assert!(page.contains("<form"), "{page}");
    // A browser asking for Basic by query argument gets the challenge.
    let req = Request::get("/?*authmeth=basic")
        .header("accept", "text/html")
        .body(Body::empty())
        .unwrap();
    assert_eq!(answer(&app, req).await.0, 401);
    // Paste matches the substring anywhere; here the value must be exact.
    let req = Request::get("/?x=*authmeth=basicity")
        .header("accept", "text/html")
        .body(Body::empty())
        .unwrap();
    assert!(answer(&app, req).await.1.contains("<form"));
    // Neither: the default (unprotected here).
    let req = Request::get("/").body(Body::empty()).unwrap();
    assert_eq!(answer(&app, req).await, (200, "-|".into()));
    // A malformed query never panics; the predicate just doesn't hold.
    let req = Request::get("/?*authmeth=%zz").body(Body::empty()).unwrap();
    assert_eq!(answer(&app, req).await, (200, "-|".into()));
}

fn from(addr: &str) -> Request {
    let mut req = Request::get("/").body(Body::empty()).unwrap();
    req.extensions_mut().insert(
        ConnectionInfo::new(Scheme::HTTP).with_remote_addr(addr.parse::<SocketAddr>().unwrap()),
    );
    req
}

fn granting() -> GrantIp<BoxApp> {
    GrantIp::new(whoami())
        .grant("127.0.0.1", "-:system")
        .unwrap()
        .grant("192.168.0.0/24", ":editor,viewer")
        .unwrap()
        .grant("192.168.0.7", "joe:-viewer")
        .unwrap()
        .grant("10.0.0.0/8", "staff")
        .unwrap()
        .grant("2001:db8::/32", "lab:editor")
        .unwrap()
        .grant("fe80::1-fe80::ff", "-:local")
        .unwrap()
}

#[tokio::test]
async fn ranges_grant_users_and_roles() {
    let app = granting();
    for (addr, expected) in [
        ("127.0.0.1:1", "-|system"),
        ("192.168.0.3:1", "-|editor,viewer"),
        ("192.168.0.7:1", "joe|editor"),
        ("192.168.1.7:1", "-|"),
        ("10.255.0.1:1", "staff|"),
        ("[::ffff:10.1.1.1]:1", "staff|"),
        ("[2001:db8:1::5]:1", "lab|editor"),
        ("[2001:db9::5]:1", "-|"),
        ("[fe80::80]:1", "-|local"),
        ("[::1]:1", "-|"),
    ] {
        assert_eq!(
            answer(&app, from(addr)).await,
            (200, expected.to_owned()),
            "{addr}"
        );
    }
    // No address (a Unix socket): untouched.
    let req = Request::get("/").body(Body::empty()).unwrap();
    assert_eq!(answer(&app, req).await, (200, "-|".into()));
}

#[tokio::test]
async fn granted_users_are_marked_and_existing_users_kept_unless_clobbered() {
    let response = granting().call(from("10.0.0.1:1")).await.unwrap();
    assert_eq!(
        response.extensions().get::<Authenticated>(),
        Some(&Authenticated {
            user: "staff".into(),
            auth_type: AuthType::Ip
        })
    );
    let mut req = from("10.0.0.1:1");
    req.set_remote_user("carol");
    req.extensions_mut().insert(Tokens(vec!["viewer".into()]));
    assert_eq!(answer(&granting(), req).await.1, "carol|viewer");
    let mut req = from("192.168.0.7:1");
    req.set_remote_user("carol");
    req.extensions_mut()
        .insert(Tokens(vec!["viewer".into(), "x".into()]));
    assert_eq!(
        answer(&granting().clobber_username(true), req).await.1,
        "joe|x,editor"
    );
}

#[test]
fn bad_rules_are_refused_when_added() {
    assert!(GrantIp::new(whoami()).grant("10.0.0.0/40", "x").is_err());
    assert!(GrantIp::new(whoami()).grant("nonsense", "x").is_err());
    assert!(
        GrantIp::new(whoami())
            .grant("10.0.0.1", "__remove__")
            .is_err()
    );
    let range: IpRange = "10.0.0.0/8".parse().unwrap();
    assert!(range.contains("10.9.9.9".parse().unwrap()));
}

#[tokio::test]
async fn over_a_real_socket_grants_localhost() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = paste_server::Server::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false);
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let task = tokio::spawn(server.serve(granting()));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    assert!(text.ends_with("-|system"), "{text}");
    handle.shutdown();
    task.await.unwrap().unwrap();
}
