//! SessionMiddleware over a RedisStore, against a real `redis-server`
//! started by each test on an ephemeral port (`.ci/deps` installs it).

#![cfg(feature = "redis")]

mod session_common;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use paste_middleware::session::{RedisStore, SessionData, SessionId, SessionMiddleware, Store};
use session_common::{app, call, http_get};

const NAME: &str = "paste_session";

/// A `redis-server` of the test's own, killed when dropped.
struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server on a free port; a port taken between finding it
    /// and the server binding it is retried with another.
    fn start() -> Self {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            match Self::start_on(port) {
                Ok(server) => return server,
                Err(err) => last_error = err,
            }
        }
        panic!("could not start redis-server: {last_error}");
    }

    fn start_on(port: u16) -> Result<Self, String> {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(redis_server())
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| {
                format!(
                    "redis-server could not be run ({err}); install it with `bash .ci/deps` \
                     or your package manager (Debian: redis-server)"
                )
            })?;
        let mut server = Self {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("redis-server exited at start: {status}"));
            }
            if server.ping() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("redis-server did not answer PING within 10 s".to_owned())
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// One raw RESP command, answered in one read (the answers here are
    /// small): what a test needs to look inside Redis without the store.
    fn command(&self, args: &[&str]) -> String {
        use std::io::{Read, Write};
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = vec![0; 64 * 1024];
        let n = stream.read(&mut answer).unwrap();
        String::from_utf8_lossy(&answer[..n]).into_owned()
    }

    fn ping(&self) -> bool {
        TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            && self.command(&["PING"]) == "+PONG\r\n"
    }

    /// The integer answer of a command such as `PTTL` or `DBSIZE`.
    fn integer(&self, args: &[&str]) -> i64 {
        let answer = self.command(args);
        answer
            .strip_prefix(':')
            .and_then(|n| n.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("{args:?} gave {answer:?}"))
    }

    /// A counter from `INFO stats`, such as `keyspace_hits`.
    fn stat(&self, name: &str) -> u64 {
        let info = self.command(&["INFO", "stats"]);
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map_or(0, |n| n.trim().parse().unwrap())
    }

    /// How many GET commands the server has run.
    fn gets(&self) -> u64 {
        let info = self.command(&["INFO", "commandstats"]);
        info.lines()
            .find_map(|l| l.strip_prefix("cmdstat_get:calls="))
            .and_then(|rest| rest.split(',').next())
            .map_or(0, |n| n.parse().unwrap())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn redis_server() -> PathBuf {
    std::env::var_os("REDIS_SERVER").map_or_else(|| "redis-server".into(), PathBuf::from)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn id_of(cookie: &str) -> SessionId {
    SessionId::parse(cookie.strip_prefix("paste_session=").unwrap()).unwrap()
}

#[tokio::test]
async fn a_session_lives_in_redis_with_a_ttl() {
    let redis = RedisServer::start();
    let store = RedisStore::open(&redis.url()).unwrap();
    let mw = SessionMiddleware::new(app(), store.clone()).idle_timeout(Duration::from_secs(600));

    let first = call(&mw, "/set/color/blue", None).await;
    let cookie = first.cookie(NAME).expect("a session cookie");
    let key = format!("paste_session:{}", id_of(&cookie));
    assert_eq!(redis.integer(&["DBSIZE"]), 1);
    let ttl = redis.integer(&["PTTL", &key]);
    assert!((590_000..=600_000).contains(&ttl), "PTTL {ttl}");
    assert!(redis.command(&["GET", &key]).contains(r#""color":"blue""#));

    let read = call(&mw, "/get/color", Some(&cookie)).await;
    assert_eq!(read.body, "\"blue\"");
    assert!(
        read.set_cookies.is_empty(),
        "a read writes nothing: {read:?}"
    );

    let changed = call(&mw, "/set/color/red", Some(&cookie)).await;
    assert_eq!(changed.cookie(NAME).as_deref(), Some(cookie.as_str()));
    assert_eq!(call(&mw, "/get/color", Some(&cookie)).await.body, "\"red\"");

    // Invalidating deletes the key.
    let gone = call(&mw, "/invalidate", Some(&cookie)).await;
    assert!(gone.cookie_line(NAME).unwrap().contains("Max-Age=0"));
    assert_eq!(redis.integer(&["EXISTS", &key]), 0);
    assert_eq!(call(&mw, "/get/color", Some(&cookie)).await.body, "none");
}

#[tokio::test]
async fn two_servers_share_their_sessions() {
    let redis = RedisServer::start();
    // Two middlewares with stores of their own, as in two processes.
    let one = SessionMiddleware::new(app(), RedisStore::open(&redis.url()).unwrap());
    let two = SessionMiddleware::new(app(), RedisStore::open(&redis.url()).unwrap());

    let cookie = call(&one, "/login/alice", None).await.cookie(NAME).unwrap();
    assert_eq!(
        call(&two, "/get/user", Some(&cookie)).await.body,
        "\"alice\""
    );
    call(&two, "/set/cart/3", Some(&cookie)).await;
    assert_eq!(call(&one, "/get/cart", Some(&cookie)).await.body, "\"3\"");

    // Regenerating the id on one server leaves nothing behind for the other.
    let renewed = call(&two, "/login/bob", Some(&cookie))
        .await
        .cookie(NAME)
        .unwrap();
    assert_ne!(renewed, cookie);
    assert_eq!(redis.integer(&["DBSIZE"]), 1);
    assert_eq!(call(&one, "/get/user", Some(&cookie)).await.body, "none");
    assert_eq!(
        call(&one, "/get/user", Some(&renewed)).await.body,
        "\"bob\""
    );
}

#[tokio::test]
async fn key_prefixes_keep_apps_apart() {
    let redis = RedisServer::start();
    let shop = RedisStore::open(&redis.url()).unwrap().key_prefix("shop:");
    let blog = RedisStore::open(&redis.url()).unwrap().key_prefix("blog:");
    let shop_mw = SessionMiddleware::new(app(), shop);
    let blog_mw = SessionMiddleware::new(app(), blog);

    let cookie = call(&shop_mw, "/set/a/1", None).await.cookie(NAME).unwrap();
    let id = id_of(&cookie);
    assert_eq!(redis.integer(&["EXISTS", &format!("shop:{id}")]), 1);
    assert_eq!(call(&blog_mw, "/get/a", Some(&cookie)).await.body, "none");
}

#[tokio::test]
async fn expiry_is_enforced_even_if_redis_keeps_the_key() {
    let redis = RedisServer::start();
    let store = RedisStore::open(&redis.url()).unwrap();
    let id = SessionId::random().unwrap();
    let mut data = SessionData::new();
    data.insert("user".into(), "mallory".into());

    // Saving an already expired session stores nothing.
    let past = SystemTime::now() - Duration::from_secs(1);
    store.save(&id, &data, past).await.unwrap();
    assert_eq!(redis.integer(&["DBSIZE"]), 0);

    // A record whose own expiry has passed — say, restored from an old
    // snapshot without its TTL — is not loaded.
    store
        .save(&id, &data, SystemTime::now() + Duration::from_millis(50))
        .await
        .unwrap();
    let key = store.key_of(&id);
    let value = redis.command(&["GET", &key]);
    let json = value.lines().nth(1).unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(redis.command(&["SET", &key, json]), "+OK\r\n");
    assert_eq!(redis.integer(&["EXISTS", &key]), 1);
    assert_eq!(store.load(&id).await.unwrap(), None);

    // Through the middleware: a short idle timeout really ends the session.
    let mw = SessionMiddleware::new(app(), store.clone()).idle_timeout(Duration::from_millis(200));
    let cookie = call(&mw, "/set/k/v", None).await.cookie(NAME).unwrap();
    assert_eq!(call(&mw, "/get/k", Some(&cookie)).await.body, "\"v\"");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(call(&mw, "/get/k", Some(&cookie)).await.body, "none");
}

#[tokio::test]
async fn malformed_ids_never_reach_redis_and_junk_values_are_ignored() {
    let redis = RedisServer::start();
    let store = RedisStore::open(&redis.url()).unwrap();
    let mw = SessionMiddleware::new(app(), store.clone());

    let before = redis.gets();
    for cookie in [
        "paste_session=*",
        "paste_session=../../etc/passwd",
        "paste_session=0123456789ABCDEF0123456789ABCDEF",
    ] {
        let answer = call(&mw, "/get/a", Some(cookie)).await;
        assert_eq!(answer.body, "none", "{cookie}");
    }
    assert_eq!(
        redis.gets(),
        before,
        "no GET for a cookie that is not an id"
    );

    // A key holding something else is no session, and no error page.
    let id = SessionId::random().unwrap();
    redis.command(&["SET", &store.key_of(&id), "{not json"]);
    let cookie = format!("paste_session={id}");
    let answer = call(&mw, "/get/a", Some(&cookie)).await;
    assert_eq!(
        (answer.status.as_u16(), answer.body.as_str()),
        (200, "none")
    );
    assert_eq!(redis.gets(), before + 1);
}

#[tokio::test]
async fn a_redis_that_is_down_costs_the_session_not_the_response() {
    // Nothing listens on this port yet.
    let port = free_port();
    let store = RedisStore::open(&format!("redis://127.0.0.1:{port}/0"))
        .unwrap()
        .timeout(Duration::from_millis(300));
    let mw = SessionMiddleware::new(app(), store.clone());

    let started = Instant::now();
    let answer = call(&mw, "/set/a/1", None).await;
    assert_eq!((answer.status.as_u16(), answer.body.as_str()), (200, "ok"));
    assert!(
        answer.cookie(NAME).is_none(),
        "an unsaved session sets no cookie"
    );
    let cookie = format!("paste_session={}", SessionId::random().unwrap());
    assert_eq!(call(&mw, "/get/a", Some(&cookie)).await.body, "none");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout bounds each attempt: {:?}",
        started.elapsed()
    );

    // Once Redis is up, the same store connects on its next use.
    let redis = RedisServer::start_on(port).expect("redis-server on the freed port");
    let cookie = call(&mw, "/set/a/1", None).await.cookie(NAME).unwrap();
    assert_eq!(call(&mw, "/get/a", Some(&cookie)).await.body, "\"1\"");
    assert_eq!(redis.integer(&["DBSIZE"]), 1);

    // And a Redis that goes away again is reconnected to when it is back.
    drop(redis);
    assert_eq!(call(&mw, "/get/a", Some(&cookie)).await.body, "none");
    let redis = RedisServer::start_on(port).expect("redis-server again");
    let cookie = call(&mw, "/set/b/2", None).await.cookie(NAME).unwrap();
    assert_eq!(call(&mw, "/get/b", Some(&cookie)).await.body, "\"2\"");
    drop(redis);
}

#[test]
fn the_debug_form_hides_the_password() {
    let store = RedisStore::open("redis://:hunter2@127.0.0.1:6379/0").unwrap();
    let debug = format!("{store:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("127.0.0.1:6379"), "{debug}");
    assert!(RedisStore::open("http://nope").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_real_servers_share_sessions_over_sockets() {
    let redis = RedisServer::start();
    let mut servers = Vec::new();
    for _ in 0..2 {
        let server = paste_server::Server::bind("127.0.0.1:0")
            .unwrap()
            .handle_signals(false);
        let addr = server.local_addr().unwrap();
        let handle = server.handle();
        let store = RedisStore::open(&redis.url()).unwrap();
        let running = tokio::spawn(server.serve(SessionMiddleware::new(app(), store)));
        servers.push((addr, handle, running));
    }
    let (one, two) = (servers[0].0, servers[1].0);

    let (status, set_cookies, body) = http_get(one, "/set/who/carol", None).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_eq!(body, "ok");
    let cookie = set_cookies[0].split(';').next().unwrap().to_owned();
    let (status, set_cookies, body) = http_get(two, "/get/who", Some(&cookie)).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_eq!(body, "\"carol\"");
    assert!(set_cookies.is_empty());

    for (_, handle, running) in servers {
        handle.shutdown();
        running.await.unwrap().unwrap();
    }
}

#[cfg(feature = "deploy")]
#[tokio::test]
async fn a_deploy_config_picks_the_redis_store() {
    use paste_deploy::{Conf, Registry};

    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[filter-app:main]\nuse = egg:Paste#paste_session\nstore = redis\n\
         redis_url = {}\nkey_prefix = site:\nredis_timeout = 2s\nnext = test\n\n\
         [app:test]\nuse = egg:Paste#test\n\n\
         [filter-app:broken]\nuse = egg:Paste#paste_session\nstore = redis\n\
         redis_url = http://not-redis\nnext = test\n",
        redis.url()
    );
    std::fs::write(dir.path().join("site.ini"), config).unwrap();
    let mut registry = Registry::new();
    registry.register(paste_middleware::deploy::register);
    let app = registry
        .load_app("config:site.ini", None, Some(dir.path()), &Conf::new())
        .unwrap();

    // The test app doesn't touch the session, so nothing is saved...
    let answer = call(&app, "/", None).await;
    assert_eq!(answer.status.as_u16(), 200);
    assert!(answer.set_cookies.is_empty());
    // ...but the deployed store looks a session cookie up in this Redis,
    // under the configured prefix: a hit, not a miss.
    let store = RedisStore::open(&redis.url()).unwrap().key_prefix("site:");
    let id = SessionId::random().unwrap();
    let mut data = SessionData::new();
    data.insert("user".into(), "dora".into());
    store
        .save(&id, &data, SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap();
    let hits = redis.stat("keyspace_hits");
    let answer = call(&app, "/", Some(&format!("paste_session={id}"))).await;
    assert_eq!(answer.status.as_u16(), 200);
    assert_eq!(redis.stat("keyspace_hits"), hits + 1);

    let err = registry
        .load_app(
            "config:site.ini",
            Some("broken"),
            Some(dir.path()),
            &Conf::new(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("site.ini:15"), "{err}");
    assert!(err.contains("redis_url"), "{err}");
}
