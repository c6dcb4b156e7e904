//! SessionMiddleware over a FileStore: sessions on disk, and client ids
//! that try to leave the directory.

mod session_common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use paste_middleware::session::{FileStore, SessionId, SessionMiddleware, Store};
use session_common::{app, call};

const NAME: &str = "paste_session";

/// Every path under `dir`, recursively, with its contents.
fn snapshot(dir: &Path) -> BTreeSet<(String, Vec<u8>)> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.insert((path.display().to_string(), Vec::new()));
            out.extend(snapshot(&path));
        } else {
            out.insert((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[tokio::test]
async fn sessions_are_files_named_by_their_id() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    let mw = SessionMiddleware::new(app(), FileStore::new(&sessions));
    let cookie = call(&mw, "/set/a/1", None).await.cookie(NAME).unwrap();
    let id = SessionId::parse(cookie.strip_prefix("paste_session=").unwrap()).unwrap();
    let file = sessions.join(format!("{id}.json"));
    assert!(file.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(call(&mw, "/get/a", Some(&cookie)).await.body, "\"1\"");
    assert_eq!(std::fs::read_dir(&sessions).unwrap().count(), 1);
}

#[tokio::test]
async fn path_traversal_ids_never_reach_the_file_system() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    std::fs::create_dir(&sessions).unwrap();
    // A file outside the store that *is* a valid session file: if any
    // cookie reached it, the session would say "admin".
    let far = SystemTime::now() + Duration::from_secs(3600);
    let millis = far
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let bait = format!(r#"{{"expires":{millis},"data":{{"user":"admin"}}}}"#);
    std::fs::write(dir.path().join("secret.json"), &bait).unwrap();
    std::fs::write(dir.path().join("secret"), &bait).unwrap();
    let before = snapshot(dir.path());

    let mw = SessionMiddleware::new(app(), FileStore::new(&sessions));
    let evil = [
        "../secret",
        "../secret.json",
        "..%2Fsecret",
        "%2e%2e/secret",
        "../../etc/passwd",
        "/etc/passwd",
        "....//secret",
        "..\\secret",
        "\"../secret\"",
        "../aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa/..",
    ];
    for id in evil {
        let cookie = format!("paste_session={id}");
        let read = call(&mw, "/get/user", Some(&cookie)).await;
        assert_eq!(
            (read.status.as_u16(), read.body.as_str()),
            (200, "none"),
            "{id}"
        );
        assert_eq!(snapshot(dir.path()), before, "{id} touched the file system");
        let invalidate = call(&mw, "/invalidate", Some(&cookie)).await;
        assert_eq!(invalidate.status, 200);
        assert_eq!(snapshot(dir.path()), before, "{id} deleted something");
    }
    // Writing with such a cookie creates one new session file, inside the
    // store, under an id the server drew.
    let write = call(&mw, "/set/user/eve", Some("paste_session=../secret")).await;
    let new = write.cookie(NAME).unwrap();
    let id = SessionId::parse(new.strip_prefix("paste_session=").unwrap()).unwrap();
    let after = snapshot(dir.path());
    let added: Vec<_> = after.difference(&before).map(|(p, _)| p.clone()).collect();
    assert_eq!(
        added,
        [sessions.join(format!("{id}.json")).display().to_string()]
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("secret")).unwrap(),
        bait
    );
}

#[tokio::test]
async fn an_expired_file_is_not_loaded_and_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let id = SessionId::random().unwrap();
    // Written by hand: a save would start a sweep that might remove it.
    let past = SystemTime::now() - Duration::from_secs(1);
    let millis = past
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let file = dir.path().join(format!("{id}.json"));
    std::fs::write(
        &file,
        format!(r#"{{"expires":{millis},"data":{{"user":"old"}}}}"#),
    )
    .unwrap();

    let mw = SessionMiddleware::new(app(), store);
    let cookie = format!("paste_session={id}");
    assert_eq!(call(&mw, "/get/user", Some(&cookie)).await.body, "none");
    assert!(!file.exists());
}

#[tokio::test]
async fn regenerate_and_invalidate_remove_the_old_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let mw = SessionMiddleware::new(app(), store.clone());
    let before = call(&mw, "/set/cart/1", None).await.cookie(NAME).unwrap();
    let old = SessionId::parse(before.strip_prefix("paste_session=").unwrap()).unwrap();

    let after = call(&mw, "/login/alice", Some(&before))
        .await
        .cookie(NAME)
        .unwrap();
    let new = SessionId::parse(after.strip_prefix("paste_session=").unwrap()).unwrap();
    assert_ne!(old, new);
    assert!(!dir.path().join(format!("{old}.json")).exists());
    assert_eq!(store.load(&old).await.unwrap(), None);
    assert_eq!(call(&mw, "/get/cart", Some(&after)).await.body, "\"1\"");
    assert_eq!(call(&mw, "/get/user", Some(&before)).await.body, "none");

    let logout = call(&mw, "/invalidate", Some(&after)).await;
    assert!(logout.cookie_line(NAME).unwrap().contains("Max-Age=0"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn an_unwritable_store_logs_and_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    // The store's "directory" is a file: every save fails.
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let mw = SessionMiddleware::new(app(), FileStore::new(&not_a_dir));
    let answer = call(&mw, "/set/a/1", None).await;
    assert_eq!((answer.status.as_u16(), answer.body.as_str()), (200, "ok"));
    assert!(
        answer.set_cookies.is_empty(),
        "no cookie for a session not saved"
    );
    let cookie = format!("paste_session={}", SessionId::random().unwrap());
    assert_eq!(call(&mw, "/get/a", Some(&cookie)).await.body, "none");
}
