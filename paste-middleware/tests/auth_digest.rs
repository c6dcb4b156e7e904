//! HTTP Digest authentication, with a client computing real responses.

use std::time::Duration;

use md5::{Digest as _, Md5};
use paste_core::http::{Method, StatusCode};
use paste_core::{App, Body, Error, Request, RequestExt, Response, app_fn};
use paste_middleware::auth::digest::{DigestAlgorithm, DigestAuth, digest_password};
use sha2::Sha256;
use webob::auth::Authorization;

const REALM: &str = "test realm";

fn whoami() -> impl App {
    app_fn(|req: Request| async move {
        Ok(Response::new(
            req.remote_user().unwrap_or("-").to_owned().into(),
        ))
    })
}

fn lookup(user: &str, algorithm: DigestAlgorithm) -> Option<String> {
    (user == "Mufasa").then(|| digest_password("Mufasa", REALM, "Circle of Life", algorithm))
}

fn protected() -> DigestAuth<impl App, fn(&str, DigestAlgorithm) -> Option<String>> {
    DigestAuth::new(
        whoami(),
        REALM,
        lookup as fn(&str, DigestAlgorithm) -> Option<String>,
    )
}

fn hex_of(algorithm: DigestAlgorithm, text: &str) -> String {
    let bytes = match algorithm {
        DigestAlgorithm::Md5 => Md5::digest(text.as_bytes()).to_vec(),
        DigestAlgorithm::Sha256 => Sha256::digest(text.as_bytes()).to_vec(),
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A client: what it sends for `method uri` with `nonce` and count `nc`.
struct Client<'a> {
    user: &'a str,
    password: &'a str,
    algorithm: DigestAlgorithm,
}

impl Client<'_> {
    fn header(&self, method: &str, uri: &str, nonce: &str, nc: u32) -> String {
        let nc = format!("{nc:08x}");
        let cnonce = "0a4f113b";
        let ha1 = hex_of(
            self.algorithm,
            &format!("{}:{REALM}:{}", self.user, self.password),
        );
        let ha2 = hex_of(self.algorithm, &format!("{method}:{uri}"));
        let response = hex_of(
            self.algorithm,
            &format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"),
        );
        Authorization::Digest(vec![
            ("username".into(), self.user.into()),
            ("realm".into(), REALM.into()),
            ("nonce".into(), nonce.into()),
            ("uri".into(), uri.into()),
            ("algorithm".into(), self.algorithm.name().into()),
            ("response".into(), response),
            ("qop".into(), "auth".into()),
            ("nc".into(), nc),
            ("cnonce".into(), cnonce.into()),
        ])
        .to_string()
    }
}

const MUFASA: Client<'static> = Client {
    user: "Mufasa",
    password: "Circle of Life",
    algorithm: DigestAlgorithm::Sha256,
};

fn request(method: Method, target: &str, auth: Option<&str>) -> Request {
    let mut req = Request::builder()
        .method(method)
        .uri(target)
        .body(Body::empty())
        .unwrap();
    if let Some(auth) = auth {
        req.headers_mut()
            .insert("authorization", auth.parse().unwrap());
    }
    req
}

/// The challenges of a 401, as (algorithm, nonce, stale).
fn challenges(err: &Error) -> Vec<(String, String, bool)> {
    assert_eq!(err.status(), 401, "{err}");
    err.headers()
        .get_all("www-authenticate")
        .iter()
        .map(|value| {
            let text = value.to_str().unwrap();
            // A challenge has the syntax of credentials with params.
            let parsed = Authorization::parse(text).unwrap();
            assert_eq!(parsed.param("realm"), Some(REALM));
            assert_eq!(parsed.param("qop"), Some("auth"));
            (
                parsed.param("algorithm").unwrap().to_owned(),
                parsed.param("nonce").unwrap().to_owned(),
                parsed.param("stale") == Some("true"),
            )
        })
        .collect()
}

async fn fresh_nonce(app: &impl App) -> String {
    let err = app.call(request(Method::GET, "/", None)).await.unwrap_err();
    challenges(&err)[0].1.clone()
}

async fn outcome(app: &impl App, req: Request) -> Result<String, Error> {
    let response = app.call(req).await?;
    Ok(String::from_utf8(response.into_body().to_bytes(64).await.unwrap().to_vec()).unwrap())
}

#[tokio::test]
async fn offers_sha256_then_md5_with_one_nonce() {
    let err = protected()
        .call(request(Method::GET, "/", None))
        .await
        .unwrap_err();
    let list = challenges(&err);
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].0.as_str(), list[1].0.as_str()), ("SHA-256", "MD5"));
    assert_eq!(list[0].1, list[1].1);
    assert!(!list[0].2);
}

#[tokio::test]
async fn both_algorithms_authenticate_and_counts_advance() {
    let app = protected();
    for algorithm in [DigestAlgorithm::Sha256, DigestAlgorithm::Md5] {
        let client = Client {
            algorithm,
            ..MUFASA
        };
        let nonce = fresh_nonce(&app).await;
        for nc in 1..=3 {
            let auth = client.header("GET", "/dir/index.html?x=1", &nonce, nc);
            let req = request(Method::GET, "/dir/index.html?x=1", Some(&auth));
            assert_eq!(outcome(&app, req).await.unwrap(), "Mufasa");
        }
        // POST with its own method in HA2.
        let auth = client.header("POST", "/form", &nonce, 10);
        let req = request(Method::POST, "/form", Some(&auth));
        assert_eq!(outcome(&app, req).await.unwrap(), "Mufasa");
    }
}

/// Python Paste drops the nonce after the first replay and then accepts
/// the same request again, the count starting over from 00000000.
#[tokio::test]
async fn replaying_a_count_is_refused_every_time() {
    let app = protected();
    let nonce = fresh_nonce(&app).await;
    let auth = MUFASA.header("GET", "/", &nonce, 1);
    assert!(
        outcome(&app, request(Method::GET, "/", Some(&auth)))
            .await
            .is_ok()
    );
    for _ in 0..3 {
        let err = outcome(&app, request(Method::GET, "/", Some(&auth)))
            .await
            .unwrap_err();
        assert!(challenges(&err)[0].2, "a replay is answered stale=true");
    }
    // A lower count is a replay too; a higher one goes on.
    let auth = MUFASA.header("GET", "/", &nonce, 5);
    assert!(
        outcome(&app, request(Method::GET, "/", Some(&auth)))
            .await
            .is_ok()
    );
    let auth = MUFASA.header("GET", "/", &nonce, 4);
    assert!(
        outcome(&app, request(Method::GET, "/", Some(&auth)))
            .await
            .is_err()
    );
}

/// Python Paste accepts any uri that is a substring of the path.
#[tokio::test]
async fn the_uri_must_be_the_request_target() {
    let app = protected();
    let nonce = fresh_nonce(&app).await;
    for (signed_for, asked) in [
        ("/public", "/secret"),
        ("/", "/admin/"),
        ("/admin", "/admin/delete?all=1"),
        ("/a?x=1", "/a?x=2"),
    ] {
        let auth = MUFASA.header("GET", signed_for, &nonce, 1);
        let err = outcome(&app, request(Method::GET, asked, Some(&auth)))
            .await
            .unwrap_err();
        assert_eq!(
            err.status(),
            StatusCode::BAD_REQUEST,
            "{signed_for} for {asked}"
        );
    }
}

/// Python Paste never expires a nonce.
#[tokio::test]
async fn an_expired_nonce_is_stale_and_a_fresh_one_works() {
    let app = protected().nonce_ttl(Duration::from_millis(50));
    let nonce = fresh_nonce(&app).await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    let auth = MUFASA.header("GET", "/", &nonce, 1);
    let err = outcome(&app, request(Method::GET, "/", Some(&auth)))
        .await
        .unwrap_err();
    let list = challenges(&err);
    assert!(list.iter().all(|c| c.2), "stale=true on every challenge");
    assert_ne!(list[0].1, nonce);
    // The client retries with the new nonce, without asking the user.
    let auth = MUFASA.header("GET", "/", &list[0].1, 1);
    assert!(
        outcome(&app, request(Method::GET, "/", Some(&auth)))
            .await
            .is_ok()
    );
    // An expired nonce with a wrong password is not "stale", just wrong.
    tokio::time::sleep(Duration::from_millis(120)).await;
    let wrong = Client {
        password: "nope",
        ..MUFASA
    };
    let auth = wrong.header("GET", "/", &list[0].1, 2);
    let err = outcome(&app, request(Method::GET, "/", Some(&auth)))
        .await
        .unwrap_err();
    assert!(!challenges(&err)[0].2);
}

/// Python Paste accepts nonces it never issued.
#[tokio::test]
async fn forged_and_foreign_nonces_are_refused() {
    let app = protected();
    let other = protected();
    let foreign = fresh_nonce(&other).await;
    let good = fresh_nonce(&app).await;
    let mut flipped = good.clone().into_bytes();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for nonce in [
        "d41d8cd98f00b204e9800998ecf8427e",
        foreign.as_str(),
        flipped.as_str(),
        "",
        "%%%",
    ] {
        let auth = MUFASA.header("GET", "/", nonce, 1);
        let err = outcome(&app, request(Method::GET, "/", Some(&auth)))
            .await
            .unwrap_err();
        assert!(!challenges(&err)[0].2, "{nonce}");
    }
    // Shared secrets make nonces portable.
    let secret = [9; 32];
    let a = protected().with_secret(&secret).unwrap();
    let b = protected().with_secret(&secret).unwrap();
    let nonce = fresh_nonce(&a).await;
    let auth = MUFASA.header("GET", "/", &nonce, 1);
    assert!(
        outcome(&b, request(Method::GET, "/", Some(&auth)))
            .await
            .is_ok()
    );
    assert!(protected().with_secret(b"short").is_err());
}

#[tokio::test]
async fn wrong_or_incomplete_credentials_never_panic() {
    let app = protected();
    let nonce = fresh_nonce(&app).await;
    let good = MUFASA.header("GET", "/", &nonce, 1);
    let wrong_password = Client {
        password: "x",
        ..MUFASA
    }
    .header("GET", "/", &nonce, 1);
    let unknown = Client {
        user: "Scar",
        ..MUFASA
    }
    .header("GET", "/", &nonce, 1);
    let cases = [
        wrong_password,
        unknown,
        good.replace("qop=auth", "qop=auth-int"),
        good.replace("algorithm=SHA-256", "algorithm=MD5-sess"),
        good.replace("algorithm=SHA-256", "algorithm=MD5"),
        good.replace(REALM, "other realm"),
        good.replace("nc=00000001", "nc=1"),
        good.replace("nc=00000001", "nc=0000000g"),
        good.replace(", cnonce=\"0a4f113b\"", ""),
        good.replace("Digest", "Digest userhash=true,"),
        "Digest".to_owned(),
        "Digest username=\"Mufasa\"".to_owned(),
        "Digest username=\"unterminated".to_owned(),
        "Basic TXVmYXNhOkNpcmNsZSBvZiBMaWZl".to_owned(),
    ];
    for auth in &cases {
        let err = outcome(&app, request(Method::GET, "/", Some(auth)))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 401, "{auth}");
    }
    // None of them used up the count.
    assert!(
        outcome(&app, request(Method::GET, "/", Some(&good)))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn md5_only_servers_refuse_sha256() {
    let app = protected().algorithms(&[DigestAlgorithm::Md5]);
    let err = app.call(request(Method::GET, "/", None)).await.unwrap_err();
    let list = challenges(&err);
    assert_eq!(list.len(), 1);
    let nonce = &list[0].1;
    let auth = MUFASA.header("GET", "/", nonce, 1);
    assert!(
        outcome(&app, request(Method::GET, "/", Some(&auth)))
            .await
            .is_err()
    );
    let md5 = Client {
        algorithm: DigestAlgorithm::Md5,
        ..MUFASA
    };
    let auth = md5.header("GET", "/", nonce, 1);
    assert!(
        outcome(&app, request(Method::GET, "/", Some(&auth)))
            .await
            .is_ok()
    );
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

    let ask = |auth: Option<String>| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut request = "GET /p?q=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n".to_owned();
        if let Some(auth) = auth {
            request.push_str(&format!("Authorization: {auth}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    };
    let challenge = ask(None).await;
    assert!(challenge.starts_with("HTTP/1.1 401"), "{challenge}");
    let nonce = challenge
        .split("nonce=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let auth = MUFASA.header("GET", "/p?q=1", &nonce, 1);
    let ok = ask(Some(auth.clone())).await;
    assert!(
        ok.starts_with("HTTP/1.1 200") && ok.ends_with("Mufasa"),
        "{ok}"
    );
    let replay = ask(Some(auth)).await;
    assert!(replay.starts_with("HTTP/1.1 401"), "{replay}");
    assert!(replay.contains("stale=true"), "{replay}");

    handle.shutdown();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_authenticated_request_passes_through() {
    let mut req = request(Method::GET, "/", None);
    req.set_remote_user("upstream");
    assert_eq!(outcome(&protected(), req).await.unwrap(), "upstream");
}
