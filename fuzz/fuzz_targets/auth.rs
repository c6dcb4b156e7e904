//! Credentials as the auth middleware of paste-middleware check them:
//!
//! - `Authorization: Basic …` through `BasicAuth` (base64, `user:password`);
//! - `Authorization: Digest …` through `DigestAuth`. `NONCE` in the input
//!   becomes a nonce the middleware issued and `RESPONSE` the right
//!   response for the other fields, so that the fuzzer gets past the MAC
//!   and the hash to the uri check, the algorithms and the nonce counts;
//! - the `Cookie` header through `AuthTktMiddleware` (mod_auth_tkt
//!   tickets) and `CookieAuth` (signed cookies); the input as a ticket for
//!   `parse_ticket` with each digest, and as a signed session cookie for
//!   the session `CookieStore`;
//! - round trip: a ticket for a userid taken from the input parses back to
//!   that userid.
//!
//! Checked: no panic; a request is let in only with the right
//! credentials; a refusal is a 401 (or a 400 for a digest whose uri is not
//! the request's).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use md5::{Digest as _, Md5};
use paste_core::http::header::{AUTHORIZATION, COOKIE, WWW_AUTHENTICATE};
use paste_core::http::{HeaderValue, Method};
use paste_core::{App, Body, BoxApp, Request, RequestExt, Response, app_fn};
use paste_middleware::auth::basic::{BasicAuth, UserTable};
use paste_middleware::auth::cookie::CookieAuth;
use paste_middleware::auth::digest::{DigestAlgorithm, DigestAuth, digest_password};
use paste_middleware::auth::tkt::{AuthTicket, AuthTktMiddleware, TktDigest, parse_ticket};
use paste_middleware::session::{CookieStore, Store as _};
use sha2::Sha256;
use webob::auth::Authorization;
use webob::cookies::Signer;

const REALM: &str = "fuzz";
const SECRET: &str = "a ticket secret";

struct Apps {
    basic: BoxApp,
    digest: BoxApp,
    nonce: String,
    tkt: BoxApp,
    cookie: BoxApp,
    store: CookieStore,
}

fn inner() -> BoxApp {
    BoxApp::new(app_fn(|req: Request| async move {
        let user = req.remote_user().unwrap_or("-").to_owned();
        Ok(Response::new(user.into()))
    }))
}

fn signer() -> Signer {
    Signer::new(&[9; 32]).expect("a 32-byte secret")
}

fn apps() -> &'static Apps {
    static APPS: OnceLock<Apps> = OnceLock::new();
    APPS.get_or_init(|| {
        let users = UserTable::new().with_user("alice", "secret");
        let basic = BoxApp::new(BasicAuth::new(inner(), REALM, users.into_check()));
        let digest = BoxApp::new(DigestAuth::new(inner(), REALM, |user, algorithm| {
            (user == "alice").then(|| digest_password(user, REALM, "secret", algorithm))
        }));
        let challenge =
            paste_fuzz::block_on(digest.call(get("/", None, None))).expect_err("a challenge");
        let header = challenge.headers()[WWW_AUTHENTICATE].to_str().unwrap();
        let nonce = header
            .split("nonce=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a nonce in the challenge")
            .to_owned();
        let tkt = BoxApp::new(
            AuthTktMiddleware::new(inner(), SECRET)
                .include_ip(false)
                .timeout(None),
        );
        let cookie = BoxApp::new(CookieAuth::new(inner(), signer()));
        let store = CookieStore::new(signer());
        Apps {
            basic,
            digest,
            nonce,
            tkt,
            cookie,
            store,
        }
    })
}

fn get(target: &str, authorization: Option<HeaderValue>, cookie: Option<HeaderValue>) -> Request {
    let mut req = Request::builder().method(Method::GET).uri(target);
    if let Some(value) = authorization {
        req = req.header(AUTHORIZATION, value);
    }
    if let Some(value) = cookie {
        req = req.header(COOKIE, value);
    }
    req.body(Body::empty()).expect("a request")
}

fuzz_target!(|data: &[u8]| {
    paste_fuzz::init_runtime();
    let apps = apps();
    paste_fuzz::guarded(data, || paste_fuzz::block_on(run(data, apps)));
});

/// The response a client would compute for these digest params.
fn digest_response(params: &[(String, String)], method: &str) -> Option<String> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let algorithm = match param("algorithm") {
        None => DigestAlgorithm::Md5,
        Some(name) => DigestAlgorithm::from_name(name)?,
    };
    let hex = |text: &str| match algorithm {
        DigestAlgorithm::Md5 => hex(&Md5::digest(text.as_bytes())),
        _ => hex(&Sha256::digest(text.as_bytes())),
    };
    let ha1 = digest_password(param("username")?, REALM, "secret", algorithm);
    let ha2 = hex(&format!("{method}:{}", param("uri")?));
    Some(hex(&format!(
        "{ha1}:{}:{}:{}:{}:{ha2}",
        param("nonce")?,
        param("nc")?,
        param("cnonce")?,
        param("qop")?
    )))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn run(data: &[u8], apps: &Apps) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.replace("NONCE", &apps.nonce);

    // Basic: in only as alice with her password.
    if let Ok(value) = HeaderValue::from_str(&text) {
        let parsed = Authorization::parse(&text);
        let right = matches!(&parsed, Some(Authorization::Basic { username, password })
            if username == "alice" && password == "secret");
        match apps.basic.call(get("/", Some(value), None)).await {
            Ok(response) => assert!(right, "Basic let {parsed:?} in: {response:?}"),
            Err(err) => {
                assert!(!right, "Basic refused alice");
                assert_eq!(err.status(), 401);
            }
        }
    }

    // Digest, with the response computed where the input says RESPONSE.
    let mut digest_text = text.clone();
    if digest_text.contains("RESPONSE")
        && let Some(Authorization::Digest(params)) = Authorization::parse(&digest_text)
        && let Some(response) = digest_response(&params, "GET")
    {
        digest_text = digest_text.replace("RESPONSE", &response);
    }
    if let Ok(value) = HeaderValue::from_str(&digest_text) {
        let target = match Authorization::parse(&digest_text) {
            Some(Authorization::Digest(params)) => params
                .iter()
                .find(|(n, _)| n == "uri")
                .map(|(_, v)| v.clone())
                .filter(|uri| uri.starts_with('/') && uri.parse::<paste_core::http::Uri>().is_ok())
                .unwrap_or_else(|| "/".to_owned()),
            _ => "/".to_owned(),
        };
        match apps.digest.call(get(&target, Some(value), None)).await {
            Ok(response) => {
                assert!(
                    matches!(
                        Authorization::parse(&digest_text),
                        Some(Authorization::Digest(_))
                    ),
                    "Digest let {digest_text:?} in: {response:?}"
                );
            }
            Err(err) => assert!(
                matches!(err.status().as_u16(), 400 | 401),
                "Digest answered {}",
                err.status()
            ),
        }
    }

    // Tickets and signed cookies: a bad one is no user, never an error.
    if let Ok(value) = HeaderValue::from_str(&text) {
        for app in [&apps.tkt, &apps.cookie] {
            let response = app
                .call(get("/", None, Some(value.clone())))
                .await
                .expect("a bad cookie is no user, not an error");
            let _ = response;
        }
    }
    for digest in [TktDigest::Md5, TktDigest::Sha256, TktDigest::Sha512] {
        assert!(
            parse_ticket(SECRET, &text, None, digest).is_err() || text.len() >= digest.hex_len(),
            "a short ticket parsed"
        );
    }
    let _ = apps.store.load_cookie("paste_session", &text).await;

    // A ticket made for a userid from the input reads back to it.
    let userid: String = text.chars().take(64).collect();
    let ticket = AuthTicket {
        digest: TktDigest::Sha256,
        ..AuthTicket::new(SECRET, &userid)
    };
    if let Ok(value) = ticket.cookie_value() {
        let data = parse_ticket(SECRET, &value, None, TktDigest::Sha256)
            .unwrap_or_else(|err| panic!("ticket {value:?} for {userid:?}: {err}"));
        assert_eq!(data.userid, userid);
        assert!(parse_ticket("another secret", &value, None, TktDigest::Sha256).is_err());
    }
}
