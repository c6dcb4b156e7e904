//! SessionMiddleware over a CookieStore: the session travels signed in
//! the cookie.

mod session_common;

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paste_middleware::session::{CookieStore, SessionData, SessionId, SessionMiddleware, Store};
use session_common::{app, call};
use webob::cookies::Signer;

const NAME: &str = "paste_session";
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const OTHER: &[u8] = b"fedcba9876543210fedcba9876543210";

fn store(secret: &[u8]) -> CookieStore {
    CookieStore::new(Signer::new(secret).unwrap())
}

#[tokio::test]
async fn the_session_round_trips_in_the_cookie() {
    let mw = SessionMiddleware::new(app(), store(SECRET));
    let cookie = call(&mw, "/set/user/alice", None)
        .await
        .cookie(NAME)
        .unwrap();
    assert_eq!(
        call(&mw, "/get/user", Some(&cookie)).await.body,
        "\"alice\""
    );
    // A second middleware with the same secret (another process) reads it.
    let elsewhere = SessionMiddleware::new(app(), store(SECRET));
    assert_eq!(
        call(&elsewhere, "/get/user", Some(&cookie)).await.body,
        "\"alice\""
    );
    // Changes travel in a new cookie.
    let changed = call(&mw, "/set/user/bob", Some(&cookie))
        .await
        .cookie(NAME)
        .unwrap();
    assert_ne!(changed, cookie);
    assert_eq!(call(&mw, "/get/user", Some(&changed)).await.body, "\"bob\"");
}

#[tokio::test]
async fn a_tampered_cookie_is_an_empty_session() {
    let mw = SessionMiddleware::new(app(), store(SECRET));
    let cookie = call(&mw, "/set/role/user", None)
        .await
        .cookie(NAME)
        .unwrap();
    let value = cookie.strip_prefix("paste_session=").unwrap();
    let (payload, tag) = value.rsplit_once('.').unwrap();

    // The data, readable, rewritten to say admin, with the old MAC.
    let json = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(json.contains("\"role\":\"user\""), "{json}");
    let forged_json = json.replace("\"user\"", "\"admin\"");
    let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(forged_json));

    // One character of the MAC changed.
    let mut flipped = tag.as_bytes().to_vec();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = format!("{payload}.{}", String::from_utf8(flipped).unwrap());

    // Signed with another key, or for another cookie name.
    let other_key = store(OTHER);
    let id = SessionId::random().unwrap();
    let mut admin = SessionData::new();
    admin.insert("role".into(), "admin".into());
    let later = SystemTime::now() + Duration::from_secs(600);
    let wrong_key = other_key.cookie_value(NAME, &id, &admin, later).unwrap();
    let wrong_name = store(SECRET)
        .cookie_value("other", &id, &admin, later)
        .unwrap();

    for value in [
        forged.as_str(),
        flipped.as_str(),
        wrong_key.as_str(),
        wrong_name.as_str(),
        payload,
        "",
        ".",
        "not base64!.x",
    ] {
        let cookie = format!("paste_session={value}");
        let answer = call(&mw, "/get/role", Some(&cookie)).await;
        assert_eq!(
            (answer.status.as_u16(), answer.body.as_str()),
            (200, "none"),
            "{value}"
        );
    }
}

#[tokio::test]
async fn an_expired_cookie_is_not_loaded() {
    let store = store(SECRET);
    let id = SessionId::random().unwrap();
    let mut data = SessionData::new();
    data.insert("user".into(), "old".into());
    let past = SystemTime::now() - Duration::from_secs(1);
    let value = store.cookie_value(NAME, &id, &data, past).unwrap();
    let mw = SessionMiddleware::new(app(), store);
    let cookie = format!("paste_session={value}");
    assert_eq!(call(&mw, "/get/user", Some(&cookie)).await.body, "none");
}

#[tokio::test]
async fn a_session_too_big_for_a_cookie_is_refused_not_truncated() {
    let mw = SessionMiddleware::new(app(), store(SECRET));
    let small = call(&mw, "/big/100", None).await.cookie(NAME).unwrap();
    let big = call(&mw, "/big/5000", Some(&small)).await;
    assert_eq!((big.status.as_u16(), big.body.as_str()), (200, "ok"));
    assert!(big.set_cookies.is_empty(), "{:?}", big.set_cookies);
    // The client keeps its previous, intact session.
    let read = call(&mw, "/get/big", Some(&small)).await;
    assert_eq!(read.body.len(), 102);
}

#[tokio::test]
async fn rotated_keys_still_read_old_cookies() {
    let old = SessionMiddleware::new(app(), store(OTHER));
    let cookie = call(&old, "/set/a/1", None).await.cookie(NAME).unwrap();
    let rotated = CookieStore::new(Signer::new(SECRET).unwrap().with_old_secret(OTHER).unwrap());
    let mw = SessionMiddleware::new(app(), rotated);
    assert_eq!(call(&mw, "/get/a", Some(&cookie)).await.body, "\"1\"");
    // A change is re-signed with the new key, which the old-only store rejects.
    let resigned = call(&mw, "/set/a/2", Some(&cookie))
        .await
        .cookie(NAME)
        .unwrap();
    assert_eq!(call(&old, "/get/a", Some(&resigned)).await.body, "none");
}

#[tokio::test]
async fn regenerate_and_invalidate_with_cookies() {
    let mw = SessionMiddleware::new(app(), store(SECRET));
    let before = call(&mw, "/set/cart/1", None).await.cookie(NAME).unwrap();
    let old_id = call(&mw, "/id", Some(&before)).await.body;
    let after = call(&mw, "/login/alice", Some(&before))
        .await
        .cookie(NAME)
        .unwrap();
    let new_id = call(&mw, "/id", Some(&after)).await.body;
    assert_ne!(old_id, new_id);
    assert!(SessionId::parse(&new_id).is_some());
    assert_eq!(call(&mw, "/get/cart", Some(&after)).await.body, "\"1\"");

    let logout = call(&mw, "/invalidate", Some(&after)).await;
    let line = logout.cookie_line(NAME).unwrap();
    assert!(
        line.starts_with("paste_session=;") && line.contains("Max-Age=0"),
        "{line}"
    );
}
