//! SessionMiddleware over a MemoryStore: the session's life through real
//! requests, and once over a real socket.

mod session_common;

use std::time::{Duration, SystemTime};

use paste_core::{Request, Response, app_fn};
use paste_middleware::session::{
    MemoryStore, SameSite, Session, SessionData, SessionId, SessionMiddleware, Store,
};
use session_common::{app, call, http_get};

const NAME: &str = "paste_session";

fn id_of(cookie: &str) -> SessionId {
    SessionId::parse(cookie.strip_prefix("paste_session=").unwrap()).unwrap()
}

#[tokio::test]
async fn an_untouched_or_empty_new_session_writes_nothing() {
    let store = MemoryStore::new();
    let mw = SessionMiddleware::new(app(), store.clone());
    for path in ["/get/a", "/id", "/remove/a", "/clear", "/login-nobody"] {
        let answer = call(&mw, path, None).await;
        assert!(answer.set_cookies.is_empty(), "{path}: {answer:?}");
    }
    assert_eq!(call(&mw, "/id", None).await.body, "none");
    assert!(store.is_empty());
}

#[tokio::test]
async fn a_session_round_trips_and_a_read_writes_nothing() {
    let store = MemoryStore::new();
    let mw = SessionMiddleware::new(app(), store.clone());
    let first = call(&mw, "/set/color/blue", None).await;
    let cookie = first.cookie(NAME).expect("a session cookie");
    assert_eq!(store.len(), 1);

    let read = call(&mw, "/get/color", Some(&cookie)).await;
    assert_eq!(read.body, "\"blue\"");
    assert!(read.set_cookies.is_empty(), "{read:?}");
    assert_eq!(
        call(&mw, "/id", Some(&cookie)).await.body,
        id_of(&cookie).as_str()
    );

    // Setting the same value again is no change.
    let same = call(&mw, "/set/color/blue", Some(&cookie)).await;
    assert!(same.set_cookies.is_empty());
    // A change saves under the same id.
    let changed = call(&mw, "/set/color/red", Some(&cookie)).await;
    assert_eq!(changed.cookie(NAME).as_deref(), Some(cookie.as_str()));
    assert_eq!(call(&mw, "/get/color", Some(&cookie)).await.body, "\"red\"");
    // Among other cookies, in any position.
    let mixed = format!("a=1; {cookie}; b=2");
    assert_eq!(call(&mw, "/get/color", Some(&mixed)).await.body, "\"red\"");
}

#[tokio::test]
async fn the_cookie_is_secure_by_default_and_configurable() {
    let mw = SessionMiddleware::new(app(), MemoryStore::new());
    let answer = call(&mw, "/set/a/1", None).await;
    let line = answer.cookie_line(NAME).unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(line.contains(attribute), "{line}");
    }
    assert!(
        !line.contains("Max-Age") && !line.contains("Domain"),
        "{line}"
    );
    let value = answer.cookie(NAME).unwrap();
    assert!(SessionId::parse(value.strip_prefix("paste_session=").unwrap()).is_some());

    let mw = SessionMiddleware::new(app(), MemoryStore::new())
        .cookie_name("sid")
        .unwrap()
        .secure(false)
        .http_only(false)
        .same_site(SameSite::Strict)
        .domain("example.com")
        .unwrap()
        .path("/app")
        .unwrap()
        .max_age(Duration::from_secs(600));
    let answer = call(&mw, "/set/a/1", None).await;
    let line = answer.cookie_line("sid").unwrap();
    assert!(line.starts_with("sid="), "{line}");
    for attribute in [
        "SameSite=Strict",
        "Path=/app",
        "Domain=example.com",
        "Max-Age=600",
    ] {
        assert!(line.contains(attribute), "{line}");
    }
    assert!(
        !line.contains("Secure") && !line.contains("HttpOnly"),
        "{line}"
    );

    // SameSite=None forces Secure, as browsers require.
    let mw = SessionMiddleware::new(app(), MemoryStore::new())
        .secure(false)
        .same_site(SameSite::None);
    let answer = call(&mw, "/set/a/1", None).await;
    assert!(answer.cookie_line(NAME).unwrap().contains("Secure"));
}

#[test]
fn bad_cookie_options_are_refused_up_front() {
    let mw = || SessionMiddleware::new(app(), MemoryStore::new());
    assert!(mw().cookie_name("bad name").is_err());
    assert!(mw().cookie_name("path").is_err());
    assert!(mw().cookie_name("").is_err());
    assert!(mw().domain("evil.com; Secure").is_err());
    assert!(mw().path("/a;b").is_err());
}

#[tokio::test]
async fn bad_or_unknown_ids_give_a_fresh_session_never_the_clients_id() {
    let store = MemoryStore::new();
    let mw = SessionMiddleware::new(app(), store.clone());
    let unknown = SessionId::random().unwrap();
    let long = "a".repeat(10_000);
    let cookies = [
        format!("paste_session={unknown}"),
        "paste_session=../../etc/passwd".to_owned(),
        "paste_session=".to_owned(),
        "paste_session=\"\\303\\251\"".to_owned(),
        "paste_session=%00%ff".to_owned(),
        format!("paste_session={long}"),
        format!("paste_session={}", unknown.as_str().to_uppercase()),
        "paste_session; =; ;;".to_owned(),
    ];
    for cookie in &cookies {
        let read = call(&mw, "/get/a", Some(cookie)).await;
        assert_eq!(
            (read.status.as_u16(), read.body.as_str()),
            (200, "none"),
            "{cookie}"
        );
        assert!(read.set_cookies.is_empty(), "{cookie}: {read:?}");
        let write = call(&mw, "/set/a/1", Some(cookie)).await;
        assert_eq!(write.status, 200, "{cookie}");
        let new = write.cookie(NAME).unwrap();
        assert_ne!(id_of(&new), unknown, "a client can't choose its id");
    }
    assert_eq!(store.len(), cookies.len());
}

#[tokio::test]
async fn a_forged_cookie_before_the_real_one_does_not_hide_it() {
    let mw = SessionMiddleware::new(app(), MemoryStore::new());
    let cookie = call(&mw, "/set/a/1", None).await.cookie(NAME).unwrap();
    let both = format!("paste_session=forged; {cookie}");
    assert_eq!(call(&mw, "/get/a", Some(&both)).await.body, "\"1\"");
}

#[tokio::test]
async fn regenerate_id_moves_the_data_and_deletes_the_old_entry() {
    let store = MemoryStore::new();
    let mw = SessionMiddleware::new(app(), store.clone());
    let before = call(&mw, "/set/cart/3", None).await.cookie(NAME).unwrap();
    let old_id = id_of(&before);

    let login = call(&mw, "/login/alice", Some(&before)).await;
    let after = login.cookie(NAME).unwrap();
    let new_id = id_of(&after);
    assert_ne!(new_id, old_id);
    assert_eq!(store.load(&old_id).await.unwrap(), None);
    assert_eq!(store.len(), 1);

    assert_eq!(call(&mw, "/get/user", Some(&after)).await.body, "\"alice\"");
    assert_eq!(call(&mw, "/get/cart", Some(&after)).await.body, "\"3\"");
    // The pre-login id, if an attacker planted or saw it, is now worthless.
    assert_eq!(call(&mw, "/get/user", Some(&before)).await.body, "none");
}

#[tokio::test]
async fn invalidate_deletes_the_session_and_expires_the_cookie() {
    let store = MemoryStore::new();
    let mw = SessionMiddleware::new(app(), store.clone());
    let cookie = call(&mw, "/set/user/bob", None).await.cookie(NAME).unwrap();
    let logout = call(&mw, "/invalidate", Some(&cookie)).await;
    let line = logout.cookie_line(NAME).unwrap();
    assert!(
        line.starts_with("paste_session=;") && line.contains("Max-Age=0"),
        "{line}"
    );
    assert!(store.is_empty());
    assert_eq!(call(&mw, "/get/user", Some(&cookie)).await.body, "none");
}

#[tokio::test]
async fn clearing_or_removing_the_last_key_deletes_the_session() {
    let store = MemoryStore::new();
    let mw = SessionMiddleware::new(app(), store.clone());
    let cookie = call(&mw, "/set/a/1", None).await.cookie(NAME).unwrap();
    assert_eq!(call(&mw, "/remove/nope", Some(&cookie)).await.body, "false");
    let removed = call(&mw, "/remove/a", Some(&cookie)).await;
    assert_eq!(removed.body, "true");
    assert!(removed.cookie_line(NAME).unwrap().contains("Max-Age=0"));
    assert!(store.is_empty());

    let cookie = call(&mw, "/set/a/1", None).await.cookie(NAME).unwrap();
    let cleared = call(&mw, "/clear", Some(&cookie)).await;
    assert!(cleared.cookie_line(NAME).unwrap().contains("Max-Age=0"));
    assert!(store.is_empty());
}

#[tokio::test]
async fn an_expired_session_is_not_loaded() {
    let store = MemoryStore::new();
    let mw = SessionMiddleware::new(app(), store.clone());
    let id = SessionId::random().unwrap();
    let mut data = SessionData::new();
    data.insert("user".into(), "mallory".into());
    let past = SystemTime::now() - Duration::from_secs(1);
    store.save(&id, &data, past).await.unwrap();
    let cookie = format!("paste_session={id}");
    assert_eq!(call(&mw, "/get/user", Some(&cookie)).await.body, "none");

    // And through the idle timeout itself.
    let mw = SessionMiddleware::new(app(), store.clone()).idle_timeout(Duration::from_millis(50));
    let cookie = call(&mw, "/set/user/ann", None).await.cookie(NAME).unwrap();
    assert_eq!(call(&mw, "/get/user", Some(&cookie)).await.body, "\"ann\"");
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(call(&mw, "/get/user", Some(&cookie)).await.body, "none");
}

#[tokio::test]
async fn a_session_used_late_in_its_window_is_extended() {
    let store = MemoryStore::new();
    let timeout = Duration::from_secs(600);
    let mw = SessionMiddleware::new(app(), store.clone()).idle_timeout(timeout);
    let id = SessionId::random().unwrap();
    let mut data = SessionData::new();
    data.insert("user".into(), "ann".into());
    let soon = SystemTime::now() + Duration::from_secs(60);
    store.save(&id, &data, soon).await.unwrap();

    let cookie = format!("paste_session={id}");
    let read = call(&mw, "/get/user", Some(&cookie)).await;
    assert_eq!(read.body, "\"ann\"");
    assert_eq!(read.cookie(NAME).as_deref(), Some(cookie.as_str()));
    let record = store.load(&id).await.unwrap().unwrap();
    assert!(record.expires > SystemTime::now() + timeout - Duration::from_secs(10));
    assert_eq!(record.data, data);
    // Freshly extended: the next read writes nothing.
    assert!(
        call(&mw, "/get/user", Some(&cookie))
            .await
            .set_cookies
            .is_empty()
    );
}

#[tokio::test]
async fn the_apps_cookies_are_kept_and_errors_carry_the_session_cookie() {
    let mw = SessionMiddleware::new(app(), MemoryStore::new());
    let answer = call(&mw, "/own-cookie/a/1", None).await;
    assert_eq!(answer.set_cookies.len(), 2, "{answer:?}");
    assert_eq!(answer.cookie("theme").as_deref(), Some("theme=dark"));
    assert!(answer.cookie(NAME).is_some());

    let failed = call(&mw, "/fail/a/1", None).await;
    assert_eq!(failed.status, 403);
    let cookie = failed.cookie(NAME).unwrap();
    assert_eq!(call(&mw, "/get/a", Some(&cookie)).await.body, "\"1\"");
}

#[tokio::test]
async fn values_json_cannot_hold_are_refused_not_panicked_on() {
    let mw = SessionMiddleware::new(app(), MemoryStore::new());
    let answer = call(&mw, "/bad-value", None).await;
    assert_eq!(answer.body, "refused 500");
    assert!(answer.set_cookies.is_empty());
}

#[tokio::test]
async fn typed_values_and_the_handle_outside_the_middleware() {
    let bare = Request::new(().into());
    assert!(Session::from_request(&bare).is_none());

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Cart {
        items: Vec<u32>,
    }
    let inner = app_fn(|req: Request| async move {
        let session = Session::from_request(&req).unwrap();
        let mut cart = session
            .get::<Cart>("cart")
            .unwrap_or(Cart { items: vec![] });
        cart.items.push(u32::try_from(cart.items.len()).unwrap());
        session.set("cart", &cart)?;
        assert!(session.contains("cart") && !session.is_empty());
        assert_eq!(session.keys(), ["cart"]);
        Ok(Response::new(
            format!("{:?} new={}", cart.items, session.is_new()).into(),
        ))
    });
    let mw = SessionMiddleware::new(inner, MemoryStore::new());
    let first = call(&mw, "/", None).await;
    assert_eq!(first.body, "[0] new=true");
    let cookie = first.cookie(NAME).unwrap();
    assert_eq!(call(&mw, "/", Some(&cookie)).await.body, "[0, 1] new=false");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_work_over_a_real_socket() {
    let server = paste_server::Server::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false);
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let store = MemoryStore::new();
    let running = tokio::spawn(server.serve(SessionMiddleware::new(app(), store.clone())));

    let (status, set_cookies, body) = http_get(addr, "/set/who/carol", None).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_eq!(body, "ok");
    let cookie = set_cookies[0].split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("paste_session="));

    let (_, set_cookies, body) = http_get(addr, "/get/who", Some(&cookie)).await;
    assert_eq!(body, "\"carol\"");
    assert!(set_cookies.is_empty());
    let (status, _, body) =
        http_get(addr, "/get/who", Some("paste_session=../../etc/passwd")).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_eq!(body, "none");

    handle.shutdown();
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_change_copies_the_shared_data_and_leaves_the_stored_one_until_saved() {
    // A read shares the store's data; a change must copy it, not write
    // through to the store before the session is saved.
    let store = MemoryStore::new();
    let id = SessionId::random().unwrap();
    let mut data = SessionData::new();
    data.insert("color".into(), "blue".into());
    let expires = SystemTime::now() + Duration::from_secs(600);
    store.save(&id, &data, expires).await.unwrap();

    let seen = store.clone();
    let app = app_fn(move |req: Request| {
        let seen = seen.clone();
        async move {
            let session = Session::from_request(&req).unwrap();
            assert_eq!(session.get::<String>("color").as_deref(), Some("blue"));
            session.set("color", "red").unwrap();
            assert_eq!(session.get::<String>("color").as_deref(), Some("red"));
            let id = session.id().unwrap();
            let stored = seen.load(&id).await.unwrap().unwrap();
            let before: Option<String> = stored
                .data
                .get("color")
                .map(|v| v.as_str().unwrap().to_owned());
            Ok(Response::new(before.unwrap_or_default().into()))
        }
    });
    let mw = SessionMiddleware::new(app, store.clone());
    let cookie = format!("{NAME}={}", id.as_str());
    let answer = call(&mw, "/", Some(&cookie)).await;
    assert_eq!(
        answer.body, "blue",
        "the store saw the change before the save"
    );
    let saved = store.load(&id).await.unwrap().unwrap();
    assert_eq!(saved.data["color"], "red");

    // Shared loads hand out the same data until it is replaced.
    let (_, one, _) = store
        .load_cookie_shared(NAME, id.as_str())
        .await
        .unwrap()
        .unwrap();
    let (_, two, _) = store
        .load_cookie_shared(NAME, id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&one, &two));
    assert_eq!(one["color"], "red");
    assert!(
        store
            .load_cookie_shared(NAME, "../etc/passwd")
            .await
            .unwrap()
            .is_none()
    );
    store
        .save(&id, &data, SystemTime::now() - Duration::from_secs(1))
        .await
        .unwrap();
    assert!(
        store
            .load_cookie_shared(NAME, id.as_str())
            .await
            .unwrap()
            .is_none()
    );
}
