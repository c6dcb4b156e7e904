//! mod_auth_tkt tickets: the known vectors, tampering, IP binding,
//! timeouts, and the middleware through real requests.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use paste_core::http::uri::Scheme;
use paste_core::{App, Body, ConnectionInfo, Request, RequestExt, Response, app_fn};
use paste_middleware::auth::tkt::{
    AuthTicket, AuthTktMiddleware, TicketError, TktDigest, parse_ticket,
};
use paste_middleware::auth::{AuthChange, Tokens};

const SECRET: &str = "shared_secret";
const T: u32 = 1_579_782_607;

fn vector_ticket(digest: TktDigest) -> AuthTicket {
    AuthTicket {
        tokens: vec!["admin".into()],
        time: T,
        digest,
        ..AuthTicket::new(SECRET, "username")
    }
}

/// Paste's test_auth_ticket_digest_and_cookie_value (md5) and the same
/// ticket with SHA-256 and SHA-512, as mod_auth_tkt computes them.
#[test]
fn known_vectors() {
    let md5 = vector_ticket(TktDigest::Md5);
    assert_eq!(md5.digest_hex(), "731274bec45f6983c1f33bac8e8baf43");
    assert_eq!(
        md5.cookie_value().unwrap(),
        "731274bec45f6983c1f33bac8e8baf435e2991cfusername!admin!"
    );
    let sha256 = vector_ticket(TktDigest::Sha256);
    assert_eq!(
        sha256.digest_hex(),
        "83df960e1a893a59046db3d527caa188da946dd54e3084beb245652154db0fcf"
    );
    let sha512 = vector_ticket(TktDigest::Sha512);
    assert_eq!(
        sha512.digest_hex(),
        "09e72a63c57ca4cfeca5fa578646deb2b27f7a461d91ad9aa32b85c93ef6fa77\
         44ac006eb3d9a71a36375b5ab50cbae072bb3042e2a59198b7f314900cba4423"
    );
    // With an address, two tokens and user data.
    let full = AuthTicket {
        ip: Some(Ipv4Addr::new(192, 168, 1, 10)),
        tokens: vec!["admin".into(), "editor".into()],
        user_data: "some_data".into(),
        ..vector_ticket(TktDigest::Md5)
    };
    let value = full.cookie_value().unwrap();
    assert!(
        value.ends_with("5e2991cfusername!admin,editor!some_data"),
        "{value}"
    );
    let parsed = parse_ticket(SECRET, &value, full.ip, TktDigest::Md5).unwrap();
    assert_eq!(parsed.tokens, ["admin", "editor"]);
    assert_eq!(parsed.user_data, "some_data");
}

#[test]
fn round_trips_for_every_digest_and_odd_userids() {
    for digest in [TktDigest::Md5, TktDigest::Sha256, TktDigest::Sha512] {
        for userid in ["ann", "ann smith", "ann!x", "caf\u{e9}@example.com", ""] {
            let ticket = AuthTicket {
                user_data: "d".into(),
                digest,
                ..AuthTicket::new(SECRET, userid)
            };
            let value = ticket.cookie_value().unwrap();
            let parsed = parse_ticket(SECRET, &value, None, digest).unwrap();
            assert_eq!(parsed.userid, userid);
            assert!(parsed.tokens.is_empty());
            assert_eq!(parsed.user_data, "d");
            // Quoted, as some clients send it.
            let quoted = format!("\"{value}\"");
            assert!(parse_ticket(SECRET, &quoted, None, digest).is_ok());
        }
    }
}

/// Python Paste trusts the timestamp but checks the digest; these check
/// every part of the ticket is covered by the digest.
#[test]
fn tampered_tickets_are_refused() {
    let good = vector_ticket(TktDigest::Md5).cookie_value().unwrap();
    assert!(parse_ticket(SECRET, &good, None, TktDigest::Md5).is_ok());
    let tampered = [
        good.replace("username", "usernamf"),
        good.replace("!admin!", "!root!"),
        good.replace("!admin!", "!admin!extra"),
        good.replace("5e2991cf", "5e2991d0"),
        good.replacen('7', "8", 1),
        good[..good.len() - 1].to_owned(),
    ];
    for value in &tampered {
        assert_eq!(
            parse_ticket(SECRET, value, None, TktDigest::Md5),
            Err(TicketError::BadDigest),
            "{value}"
        );
    }
    // Another secret, another digest type, another address.
    assert!(parse_ticket("other", &good, None, TktDigest::Md5).is_err());
    assert!(parse_ticket(SECRET, &good, None, TktDigest::Sha256).is_err());
    assert!(parse_ticket(SECRET, &good, Some(Ipv4Addr::LOCALHOST), TktDigest::Md5).is_err());
}

#[test]
fn malformed_tickets_never_panic() {
    for value in [
        "",
        "\"",
        "abc",
        "731274bec45f6983c1f33bac8e8baf43",
        "731274bec45f6983c1f33bac8e8baf43zzzzzzzzusername!",
        "731274bec45f6983c1f33bac8e8baf435e2991cfusername",
        "731274bec45f6983c1f33bac8e8baf435e2991cf%zz!",
        "731274bec45f6983c1f33bac8e8baf435e2991cf%ff!",
        "é31274bec45f6983c1f33bac8e8baf435e2991cfusername!",
        "731274bec45f6983c1f33bac8e8baf43é5e2991cfusername!",
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        "====",
    ] {
        assert!(
            parse_ticket(SECRET, value, None, TktDigest::Md5).is_err(),
            "{value:?}"
        );
    }
}

#[test]
fn fields_that_would_parse_differently_are_refused() {
    for ticket in [
        AuthTicket {
            tokens: vec!["a,b".into()],
            ..AuthTicket::new(SECRET, "u")
        },
        AuthTicket {
            tokens: vec!["a!".into()],
            ..AuthTicket::new(SECRET, "u")
        },
        AuthTicket {
            tokens: vec![String::new()],
            ..AuthTicket::new(SECRET, "u")
        },
        AuthTicket {
            user_data: "x!y".into(),
            ..AuthTicket::new(SECRET, "u")
        },
        AuthTicket {
            user_data: "a;b".into(),
            ..AuthTicket::new(SECRET, "u")
        },
    ] {
        assert!(matches!(
            ticket.cookie_value(),
            Err(TicketError::BadField(_))
        ));
    }
}

#[test]
fn expiry_is_a_matter_of_timeout() {
    let data = parse_ticket(
        SECRET,
        &vector_ticket(TktDigest::Md5).cookie_value().unwrap(),
        None,
        TktDigest::Md5,
    )
    .unwrap();
    let hour = Duration::from_secs(3600);
    assert!(!data.is_expired_at(hour, u64::from(T) + 3600));
    assert!(data.is_expired_at(hour, u64::from(T) + 3601));
    assert!(!data.is_expired_at(hour, u64::from(T) - 100));
}

// ------------------------------------------------------------------
// The middleware
// ------------------------------------------------------------------

fn whoami() -> impl App {
    app_fn(|req: Request| async move {
        let user = req.remote_user().unwrap_or("-").to_owned();
        let tokens = Tokens::of(&req).join(",");
        let mut response = Response::new(format!("{user}|{tokens}").into());
        match req.uri().path() {
            "/login" => {
                response
                    .extensions_mut()
                    .insert(AuthChange::Login("ann".into()));
            }
            "/bye" => {
                response.extensions_mut().insert(AuthChange::Logout);
            }
            _ => {}
        }
        Ok(response)
    })
}

fn from(addr: &str, path: &str, cookie: Option<&str>) -> Request {
    let mut req = Request::get(path).body(Body::empty()).unwrap();
    req.extensions_mut().insert(
        ConnectionInfo::new(Scheme::HTTP).with_remote_addr(addr.parse::<SocketAddr>().unwrap()),
    );
    if let Some(cookie) = cookie {
        req.headers_mut().insert("cookie", cookie.parse().unwrap());
    }
    req
}

async fn body(app: &impl App, req: Request) -> String {
    let response = app.call(req).await.unwrap();
    String::from_utf8(response.into_body().to_bytes(1024).await.unwrap().to_vec()).unwrap()
}

fn ticket_for(ip: Ipv4Addr, time: u32, tokens: &[&str]) -> String {
    AuthTicket {
        ip: Some(ip),
        time,
        tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
        ..AuthTicket::new(SECRET, "bob")
    }
    .cookie_value()
    .unwrap()
}

fn now() -> u32 {
    u32::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_valid_ticket_sets_user_and_tokens() {
    let app = AuthTktMiddleware::new(whoami(), SECRET);
    let ip = Ipv4Addr::new(10, 0, 0, 7);
    let cookie = format!("auth_tkt={}", ticket_for(ip, now(), &["admin", "dev"]));
    assert_eq!(
        body(&app, from("10.0.0.7:1", "/", Some(&cookie))).await,
        "bob|admin,dev"
    );
    // From another address the ticket is worthless.
    assert_eq!(
        body(&app, from("10.0.0.8:1", "/", Some(&cookie))).await,
        "-|"
    );
    // An IPv4-mapped IPv6 peer is its IPv4 address.
    assert_eq!(
        body(&app, from("[::ffff:10.0.0.7]:1", "/", Some(&cookie))).await,
        "bob|admin,dev"
    );
    // A pure IPv6 peer can't use an address-bound ticket.
    assert_eq!(
        body(&app, from("[2001:db8::1]:1", "/", Some(&cookie))).await,
        "-|"
    );
}

/// Python Paste never looks at the timestamp: a ticket stolen years ago
/// still works there.
#[tokio::test]
async fn old_tickets_are_refused() {
    let app = AuthTktMiddleware::new(whoami(), SECRET).include_ip(false);
    let any = Ipv4Addr::UNSPECIFIED;
    let fresh = format!("auth_tkt={}", ticket_for(any, now() - 60, &[]));
    assert_eq!(
        body(&app, from("10.0.0.7:1", "/", Some(&fresh))).await,
        "bob|"
    );
    let stale = format!("auth_tkt={}", ticket_for(any, now() - 3 * 3600, &[]));
    assert_eq!(
        body(&app, from("10.0.0.7:1", "/", Some(&stale))).await,
        "-|"
    );
    let vector = format!(
        "auth_tkt={}",
        vector_ticket(TktDigest::Md5).cookie_value().unwrap()
    );
    assert_eq!(
        body(&app, from("10.0.0.7:1", "/", Some(&vector))).await,
        "-|"
    );
    // Without a timeout, as in Paste, the 2020 vector is accepted.
    let forever = AuthTktMiddleware::new(whoami(), SECRET)
        .include_ip(false)
        .timeout(None);
    assert_eq!(
        body(&forever, from("10.0.0.7:1", "/", Some(&vector))).await,
        "username|admin"
    );
}

#[tokio::test]
async fn a_tampered_cookie_is_ignored_but_a_good_one_beside_it_counts() {
    let app = AuthTktMiddleware::new(whoami(), SECRET);
    let ip = Ipv4Addr::new(10, 0, 0, 7);
    let good = ticket_for(ip, now(), &["user"]);
    let forged = good.replace("!user!", "!admin!");
    let cookie = format!("auth_tkt={forged}");
    assert_eq!(
        body(&app, from("10.0.0.7:1", "/", Some(&cookie))).await,
        "-|"
    );
    let cookie = format!("auth_tkt={forged}; auth_tkt={good}");
    assert_eq!(
        body(&app, from("10.0.0.7:1", "/", Some(&cookie))).await,
        "bob|user"
    );
}

#[tokio::test]
async fn login_and_logout_through_the_response() {
    let app = AuthTktMiddleware::new(whoami(), SECRET)
        .digest(TktDigest::Sha512)
        .secure(true)
        .logout_path("/logout");
    let response = app.call(from("192.0.2.1:9", "/login", None)).await.unwrap();
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.starts_with("auth_tkt="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
    let pair = set_cookie.split(';').next().unwrap();
    let value = pair.strip_prefix("auth_tkt=").unwrap();
    assert_eq!(value.len(), 128 + 8 + "ann!".len());
    // The ticket is bound to the SHA-512 digest and the address.
    let data = parse_ticket(
        SECRET,
        value,
        Some(Ipv4Addr::new(192, 0, 2, 1)),
        TktDigest::Sha512,
    )
    .unwrap();
    assert_eq!(data.userid, "ann");
    assert_eq!(
        body(&app, from("192.0.2.1:9", "/", Some(pair))).await,
        "ann|"
    );

    for path in ["/bye", "/logout"] {
        let response = app
            .call(from("192.0.2.1:9", path, Some(pair)))
            .await
            .unwrap();
        let cleared = response.headers()["set-cookie"].to_str().unwrap();
        assert!(cleared.starts_with("auth_tkt=;"), "{cleared}");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
    }
    // The logout path itself is served anonymously.
    assert_eq!(
        body(&app, from("192.0.2.1:9", "/logout", Some(pair))).await,
        "-|"
    );
}

#[tokio::test]
async fn login_cookie_helper_and_ipv6_clients() {
    let app = AuthTktMiddleware::new(whoami(), SECRET);
    let req = from("192.0.2.1:9", "/", None);
    let header = app.login_cookie(&req, "carl", &["a", "b"], "x").unwrap();
    let pair = header
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        body(&app, from("192.0.2.1:9", "/", Some(&pair))).await,
        "carl|a,b"
    );
    let v6 = from("[2001:db8::1]:9", "/", None);
    assert!(app.login_cookie(&v6, "carl", &[], "").is_err());
    assert_eq!(
        app.call(from("[2001:db8::1]:9", "/login", None))
            .await
            .unwrap_err()
            .status(),
        500
    );
    let unbound = AuthTktMiddleware::new(whoami(), SECRET).include_ip(false);
    assert!(unbound.login_cookie(&v6, "carl", &[], "").is_ok());
}

#[tokio::test]
async fn over_a_real_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = paste_server::Server::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false);
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let task = tokio::spawn(server.serve(AuthTktMiddleware::new(whoami(), SECRET)));

    let ask = |cookie: String| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request =
            format!("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nCookie: {cookie}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    };
    let ticket = ticket_for(Ipv4Addr::LOCALHOST, now(), &["t"]);
    let answer = ask(format!("auth_tkt={ticket}")).await;
    assert!(answer.ends_with("bob|t"), "{answer}");
    let answer = ask(format!("auth_tkt={}", ticket.replace("bob", "eve"))).await;
    assert!(answer.ends_with("-|"), "{answer}");

    handle.shutdown();
    task.await.unwrap().unwrap();
}
