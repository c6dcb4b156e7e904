//! A Paste-style config using Paste's entry-point names loads and serves.
#![cfg(feature = "deploy")]
#![allow(missing_docs)]

use paste_core::http;
use paste_core::{App, Body, Request};
use paste_deploy::{Conf, Registry};

async fn get(app: &paste_core::BoxApp, path: &str) -> (u16, String) {
    let req = Request::get(path).body(Body::empty()).unwrap();
    let response = app.call(req).await.unwrap_or_else(|e| e.into_response());
    let status = response.status().as_u16();
    let bytes = response.into_body().to_bytes(1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn a_paste_config_loads_unchanged() {
    let dir = std::env::temp_dir().join(format!("paste-mw-deploy-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("htdocs")).unwrap();
    std::fs::write(dir.join("htdocs/hello.txt"), "static hello").unwrap();
    std::fs::write(
        dir.join("site.ini"),
        "[composite:main]\nuse = egg:Paste#urlmap\n/ = home\n/files = files\ndomain other.example /x = home\n\n\
         [pipeline:home]\npipeline = egg:Paste#recursive config test\n\n\
         [filter:config]\nuse = egg:PasteDeploy#config\nsite = demo\n\n\
         [app:test]\nuse = egg:Paste#test\n\n\
         [app:files]\nuse = egg:Paste#static\ndocument_root = %(here)s/htdocs\n",
    )
    .unwrap();
    let mut registry = Registry::new();
    registry.register(paste_middleware::deploy::register);
    let app = registry
        .load_app("config:site.ini", None, Some(&dir), &Conf::new())
        .unwrap();
    let (status, page) = get(&app, "/some/where?q=1").await;
    assert_eq!(status, 200);
    assert!(page.contains("/some/where"), "{page}");
    assert_eq!(
        get(&app, "/files/hello.txt").await,
        (200, "static hello".to_owned())
    );
    assert_eq!(get(&app, "/files/../site.ini").await.0, 404);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_urlmap_key_names_its_line() {
    let dir = std::env::temp_dir().join(format!("paste-mw-deploy-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("site.ini"), "[composite:main]\nuse = egg:Paste#urlmap\nblog = test\n\n[app:test]\nuse = egg:Paste#test\n").unwrap();
    let mut registry = Registry::new();
    registry.register(paste_middleware::deploy::register);
    let err = registry
        .load_app("config:site.ini", None, Some(&dir), &Conf::new())
        .unwrap_err();
    let file = dir.join("site.ini").display().to_string();
    assert_eq!(
        err.to_string(),
        format!(
            "{file}:3 [composite:main]: bad setting blog = \"test\": is not a path, a domain entry or a URL"
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------------------------
// auth_digest, auth_cookie, auth_form from real INI files
// ------------------------------------------------------------------

/// Writes `ini` as `site.ini` in a fresh directory (with `files` beside
/// it) and loads the app `name` from it.
fn load_ini(
    ini: &str,
    name: &str,
    files: &[(&str, &str)],
) -> (
    tempfile::TempDir,
    Result<paste_core::BoxApp, paste_deploy::Error>,
) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.ini"), ini).unwrap();
    for (file, text) in files {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    let mut registry = Registry::new();
    registry.register(paste_middleware::deploy::register);
    let app = registry.load_app(
        "config:site.ini",
        Some(name),
        Some(dir.path()),
        &Conf::new(),
    );
    (dir, app)
}

/// Calls `app`; an error becomes its response.
async fn call(app: &paste_core::BoxApp, req: Request) -> (u16, http::HeaderMap, String) {
    let response = app.call(req).await.unwrap_or_else(|e| e.into_response());
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().to_bytes(1 << 20).await.unwrap();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// The `egg:Paste#test` page's remote user row for `user`.
fn remote_user_row(user: &str) -> String {
    format!("<tr><th>Remote user</th><td>{user}</td></tr>")
}

fn md5_hex(text: &str) -> String {
    use md5::Digest as _;
    md5::Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `Authorization` a client sends for `GET uri` after the challenge
/// `nonce` in `realm`, with MD5 (RFC 7616 §3.4.1).
fn digest_md5(realm: &str, user: &str, password: &str, uri: &str, nonce: &str) -> String {
    let (nc, cnonce) = ("00000001", "f2/wE4q74E6zIJEtWaHKaf5wv");
    let ha1 = md5_hex(&format!("{user}:{realm}:{password}"));
    let ha2 = md5_hex(&format!("GET:{uri}"));
    let response = md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
    webob::auth::Authorization::Digest(vec![
        ("username".into(), user.into()),
        ("realm".into(), realm.into()),
        ("nonce".into(), nonce.into()),
        ("uri".into(), uri.into()),
        ("algorithm".into(), "MD5".into()),
        ("response".into(), response),
        ("qop".into(), "auth".into()),
        ("nc".into(), nc.into()),
        ("cnonce".into(), cnonce.into()),
    ])
    .to_string()
}

fn get_with(path: &str, header: &str, value: &str) -> Request {
    Request::get(path)
        .header(header, value)
        .body(Body::empty())
        .unwrap()
}

const DIGEST_INI: &str = "\
[pipeline:main]
pipeline = auth test

[filter:auth]
use = egg:Paste#auth_digest
realm = Staff & \"friends\"
users = ann:open-sesame bob:hunter2
secret = a nonce secret of thirty-two bytes or more
algorithms = MD5
nonce_ttl = 5m

[app:test]
use = egg:Paste#test
";

#[tokio::test]
async fn auth_digest_challenges_then_admits_a_computed_md5_response() {
    let realm = "Staff & \"friends\"";
    let (_dir, app) = load_ini(DIGEST_INI, "main", &[]);
    let app = app.unwrap();
    let uri = "/private/page?x=1";

    let (status, headers, _) = call(&app, Request::get(uri).body(Body::empty()).unwrap()).await;
    assert_eq!(status, 401);
    // `algorithms = MD5`: one challenge, MD5 only.
    let challenges: Vec<&str> = headers
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(challenges.len(), 1, "{challenges:?}");
    let challenge = webob::auth::Authorization::parse(challenges[0]).unwrap();
    assert_eq!(challenge.param("realm"), Some(realm));
    assert_eq!(challenge.param("algorithm"), Some("MD5"));
    assert_eq!(challenge.param("qop"), Some("auth"));
    let nonce = challenge.param("nonce").unwrap().to_owned();

    let wrong = digest_md5(realm, "ann", "open sesame?", uri, &nonce);
    assert_eq!(
        call(&app, get_with(uri, "authorization", &wrong)).await.0,
        401
    );
    let right = digest_md5(realm, "ann", "open-sesame", uri, &nonce);
    let (status, _, page) = call(&app, get_with(uri, "authorization", &right)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&remote_user_row("ann")), "{page}");

    // With `secret` set, the same config loaded again (another server,
    // or after a restart) accepts the nonce: the second user signs in
    // with it.
    let (_dir2, again) = load_ini(DIGEST_INI, "main", &[]);
    let bob = digest_md5(realm, "bob", "hunter2", uri, &nonce);
    let (status, _, page) = call(&again.unwrap(), get_with(uri, "authorization", &bob)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&remote_user_row("bob")), "{page}");
}

const COOKIE_FORM_INI: &str = "\
[DEFAULT]
secret = the global secret, thirty-two bytes or more

[pipeline:main]
pipeline = cookie form test

[pipeline:open]
pipeline = cookie test

[filter:cookie]
use = egg:Paste#auth_cookie
cookie_name = who
timeout = 30
samesite = strict

[filter:form]
use = egg:Paste#auth_form
realm = unused, as in Paste
users = ann:open-sesame

[app:test]
use = egg:Paste#test
";

fn login(path: &str, body: &str) -> Request {
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn auth_cookie_lets_anonymous_requests_through_and_remembers_a_form_login() {
    let (_dir, main) = load_ini(COOKIE_FORM_INI, "main", &[]);
    let main = main.unwrap();
    let (_dir2, open) = load_ini(COOKIE_FORM_INI, "open", &[]);
    let open = open.unwrap();

    // No cookie: the app runs, without a user, and no cookie is set.
    let (status, headers, page) = call(&open, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(status, 200);
    assert!(page.contains(&remote_user_row("")), "{page}");
    assert!(headers.get("set-cookie").is_none());

    // No login: the form, its action escaped.
    let (status, headers, page) = call(
        &main,
        Request::get("/app?a=1&b='x'").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(
        page.contains(r#"<form action="/app?a=1&amp;b=&#x27;x&#x27;" method="post">"#),
        "{page}"
    );
    assert!(!page.contains("Remote user"), "{page}");

    // A wrong password: the form again, and no cookie.
    let (status, headers, page) = call(&main, login("/app", "username=ann&password=nope")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Invalid username or password."), "{page}");
    assert!(headers.get("set-cookie").is_none());

    // The right one: the app runs as ann (as a GET), and the cookie
    // middleware sets its signed cookie with the configured name and
    // attributes.
    let (status, headers, page) =
        call(&main, login("/app", "username=ann&password=open-sesame")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&remote_user_row("ann")), "{page}");
    assert!(
        page.contains("<tr><th>Method</th><td>GET</td></tr>"),
        "{page}"
    );
    let set_cookie = headers["set-cookie"].to_str().unwrap();
    assert!(set_cookie.starts_with("who="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let pair = set_cookie.split(';').next().unwrap().to_owned();

    // The cookie round-trips: no form, the user is ann; and the other
    // pipeline, loaded on its own, takes it too (the [DEFAULT] secret).
    for app in [&main, &open] {
        let (status, _, page) = call(app, get_with("/app", "cookie", &pair)).await;
        assert_eq!(status, 200);
        assert!(page.contains(&remote_user_row("ann")), "{page}");
    }

    // A tampered cookie is no login.
    let tampered = format!("{pair}x");
    let (_, _, page) = call(&open, get_with("/", "cookie", &tampered)).await;
    assert!(page.contains(&remote_user_row("")), "{page}");
    let (_, _, page) = call(&main, get_with("/", "cookie", &tampered)).await;
    assert!(page.contains("Please log in"), "{page}");
}

/// Paste's `timeout` is in minutes: a bare number still is; with a unit
/// it is that duration; `none` is no limit. The cookies are made here,
/// with the configured secret, as issued some time ago.
#[tokio::test]
async fn auth_cookie_timeout_is_minutes_when_bare_as_in_paste() {
    const SECRET: &str = "thirty-two bytes of secret, or more";
    let ini = format!(
        "[DEFAULT]\nsecret = {SECRET}\n\n\
         [pipeline:minutes]\npipeline = minutes test\n\n\
         [pipeline:seconds]\npipeline = seconds test\n\n\
         [pipeline:forever]\npipeline = forever test\n\n\
         [filter:minutes]\nuse = egg:Paste#auth_cookie\ntimeout = 30\n\n\
         [filter:seconds]\nuse = egg:Paste#auth_cookie\ntimeout = 90s\n\n\
         [filter:forever]\nuse = egg:Paste#auth_cookie\ntimeout = none\n\n\
         [app:test]\nuse = egg:Paste#test\n"
    );
    let signer = webob::cookies::Signer::new(SECRET.as_bytes()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let issued_ago = |age: u64| {
        let name = "PASTE_AUTH_COOKIE";
        let value = signer.sign(name, &format!("{}:ann", now - age));
        get_with("/", "cookie", &format!("{name}={value}"))
    };
    for (name, age, user) in [
        ("minutes", 120, "ann"),
        ("minutes", 29 * 60, "ann"),
        ("minutes", 31 * 60, ""),
        ("seconds", 60, "ann"),
        ("seconds", 120, ""),
        ("forever", 400 * 24 * 3600, "ann"),
    ] {
        let (_dir, app) = load_ini(&ini, name, &[]);
        let (status, _, page) = call(&app.unwrap(), issued_ago(age)).await;
        assert_eq!(status, 200);
        assert!(
            page.contains(&remote_user_row(user)),
            "{name}, {age}s old: {page}"
        );
    }
}

#[tokio::test]
async fn auth_form_takes_pastes_template_or_a_template_file() {
    // Paste's `%s`, and `%%` for a `%` (each `%` doubled once more in the
    // INI, for its interpolation, as in Paste's).
    let ini = "\
[pipeline:main]
pipeline = form test

[pipeline:from-file]
pipeline = filed test

[filter:form]
use = egg:Paste#auth_form
users = ann:pw
template = <p>Who goes there? 100%%%%</p><form action=\"%%s\" method=\"post\"></form>

[filter:filed]
use = egg:Paste#auth_form
users = ann:pw
template_file = %(here)s/login.html

[app:test]
use = egg:Paste#test
";
    let (_dir, app) = load_ini(ini, "main", &[]);
    let (status, _, page) = call(
        &app.unwrap(),
        Request::get("/x?a=1&b=2").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        page,
        r#"<p>Who goes there? 100%</p><form action="/x?a=1&amp;b=2" method="post"></form>"#
    );

    let file = "<form action=\"{action}\">{message}</form>";
    let (_dir, app) = load_ini(ini, "from-file", &[("login.html", file)]);
    let app = app.unwrap();
    let (_, _, page) = call(&app, Request::get("/y").body(Body::empty()).unwrap()).await;
    assert_eq!(page, r#"<form action="/y"></form>"#);
    let (_, _, page) = call(&app, login("/y", "username=ann&password=no")).await;
    assert_eq!(
        page,
        "<form action=\"/y\"><p class=\"error\">Invalid username or password.</p>\n</form>"
    );
    let (_, _, page) = call(&app, login("/y", "username=ann&password=pw")).await;
    assert!(page.contains(&remote_user_row("ann")), "{page}");
}

/// Each bad configuration is refused when loading, saying which key and
/// where; a secret is never repeated in the message.
#[test]
fn bad_auth_settings_name_their_key_and_line() {
    let wrap = |factory: &str, settings: &str| {
        format!(
            "[pipeline:main]\npipeline = auth test\n\n[filter:auth]\nuse = egg:Paste#{factory}\n{settings}\n\n[app:test]\nuse = egg:Paste#test\n"
        )
    };
    let cases: Vec<(String, &str)> = vec![
        // auth_digest
        (
            wrap("auth_digest", "users = ann:pw"),
            "4 [filter:auth]: realm is required",
        ),
        (
            wrap("auth_digest", "realm = r\nsecret = too-short-secret"),
            "7 [filter:auth]: bad setting secret: a digest nonce secret needs at least 32 bytes",
        ),
        (
            format!(
                "[DEFAULT]\nsecret = short global\n\n{}",
                wrap("auth_digest", "realm = r")
            ),
            "2 [DEFAULT]: bad setting secret: a digest nonce secret needs at least 32 bytes",
        ),
        (
            wrap("auth_digest", "realm = r\nalgorithms = SHA-256 SHA-1"),
            "7 [filter:auth]: bad setting algorithms = \"SHA-256 SHA-1\": is not a list of SHA-256 and MD5",
        ),
        (
            wrap("auth_digest", "realm = r\nusers = ann:pw bob"),
            "7 [filter:auth]: bad setting users = \"ann:pw bob\": is not a list of user:password pairs",
        ),
        (
            wrap("auth_digest", "realm = r\nmax_nonces = 0"),
            "7 [filter:auth]: bad setting max_nonces = \"0\": must be at least 1",
        ),
        // auth_cookie
        (
            wrap("auth_cookie", "cookie_name = who"),
            "4 [filter:auth]: secret is required (here or in [DEFAULT])",
        ),
        (
            wrap("auth_cookie", "secret = too-short-secret"),
            "6 [filter:auth]: bad setting secret: a cookie-signing secret needs at least 32 bytes, got 16",
        ),
        (
            format!(
                "[DEFAULT]\nsecret = short global\n\n{}",
                wrap("auth_cookie", "cookie_name = who")
            ),
            "2 [DEFAULT]: bad setting secret: a cookie-signing secret needs at least 32 bytes, got 12",
        ),
        (
            wrap(
                "auth_cookie",
                "secret = thirty-two bytes of secret, or more\ncookie_name = who am i",
            ),
            "7 [filter:auth]: bad setting cookie_name = \"who am i\": ",
        ),
        (
            wrap(
                "auth_cookie",
                "secret = thirty-two bytes of secret, or more\ntimeout = soon",
            ),
            "7 [filter:auth]: bad value for timeout: \"soon\" is not a duration (like 30s, 5m, 250ms)",
        ),
        (
            wrap(
                "auth_cookie",
                "secret = thirty-two bytes of secret, or more\nsamesite = none",
            ),
            "7 [filter:auth]: bad setting samesite = \"none\": needs secure = true",
        ),
        // auth_form
        (
            wrap("auth_form", "users = ann"),
            "6 [filter:auth]: bad setting users = \"ann\": is not a list of user:password pairs",
        ),
        (
            wrap("auth_form", "template = <form method=post></form>"),
            "6 [filter:auth]: bad setting template = \"<form method=post></form>\": has no {action} (or Paste's %s) for the form's action",
        ),
        (
            wrap("auth_form", "template_file = %(here)s/missing.html"),
            "6 [filter:auth]: bad setting template_file = ",
        ),
    ];
    for (ini, expected) in cases {
        let (dir, app) = load_ini(&ini, "main", &[]);
        let err = match app {
            Ok(_) => panic!("loaded:\n{ini}"),
            Err(err) => err.to_string(),
        };
        let file = dir.path().join("site.ini").display().to_string();
        assert!(
            err.starts_with(&format!("{file}:{expected}")),
            "{err}\n  expected {file}:{expected}…\n{ini}"
        );
        assert!(!err.contains("short"), "a secret in {err}");
    }
}

#[test]
fn bad_session_settings_name_their_key_and_line() {
    let wrap = |settings: &str| {
        format!(
            "[filter-app:main]\nuse = egg:Paste#paste_session\nnext = test\n{settings}\n\n[app:test]\nuse = egg:Paste#test\n"
        )
    };
    let mut cases = vec![
        (
            "cookie_name = who am i",
            "4 [filter-app:main]: bad setting cookie_name = \"who am i\": ",
        ),
        (
            "domain = bad;domain",
            "4 [filter-app:main]: bad setting domain = \"bad;domain\": ",
        ),
        (
            "store = nowhere",
            "4 [filter-app:main]: bad setting store = \"nowhere\": is not memory, file, cookie or redis",
        ),
    ];
    if cfg!(feature = "redis") {
        cases.push((
            "store = redis\nredis_url = http://:hunter2@example",
            "5 [filter-app:main]: bad setting redis_url: not a Redis URL",
        ));
    }
    for (settings, expected) in cases {
        let (_dir, app) = load_ini(&wrap(settings), "main", &[]);
        let err = app.expect_err(settings).to_string();
        assert!(
            err.contains(&format!("site.ini:{expected}")),
            "{settings}: {err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}

#[tokio::test]
async fn auth_tkt_takes_pastes_cookie_settings_and_refuses_a_blank_secret() {
    use paste_middleware::auth::tkt::AuthTicket;

    let secret = "a mod_auth_tkt secret shared with Apache";
    let ini = format!(
        "[pipeline:main]\npipeline = tkt test\n\n[filter:tkt]\nuse = egg:Paste#auth_tkt\n\
         secret = {secret}\ninclude_ip = false\ncookie_name = ticket\nsecure = true\n\
         logout_path = /bye\n\n[app:test]\nuse = egg:Paste#test\n"
    );
    let (_dir, app) = load_ini(&ini, "main", &[]);
    let app = app.unwrap();
    let value = AuthTicket::new(secret, "tess").cookie_value().unwrap();

    // Under the configured cookie name, the ticket logs the user in...
    let (_, _, page) = call(&app, get_with("/", "cookie", &format!("ticket={value}"))).await;
    assert!(page.contains(&remote_user_row("tess")), "{page}");
    // ...under the default name it is not looked at.
    let (_, _, page) = call(&app, get_with("/", "cookie", &format!("auth_tkt={value}"))).await;
    assert!(!page.contains(&remote_user_row("tess")), "{page}");
    // The logout path expires the configured cookie, marked Secure.
    let (_, headers, _) = call(&app, get_with("/bye", "cookie", &format!("ticket={value}"))).await;
    let expired: Vec<_> = headers.get_all("set-cookie").iter().collect();
    assert!(
        expired
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("ticket=")
                && c.to_str().unwrap().contains("Secure")),
        "{expired:?}"
    );

    let blank = "[filter-app:main]\nuse = egg:Paste#auth_tkt\nsecret =  \nnext = test\n\n[app:test]\nuse = egg:Paste#test\n";
    let (_dir, app) = load_ini(blank, "main", &[]);
    let err = app.err().unwrap().to_string();
    assert!(
        err.contains("site.ini:3 [filter-app:main]: bad setting secret: is empty"),
        "{err}"
    );
}

#[tokio::test]
async fn auth_cookie_domain_and_path_apply_to_the_login_cookie() {
    let ini = "[pipeline:main]\npipeline = auth form test\n\n[filter:auth]\nuse = egg:Paste#auth_cookie\n\
               secret = thirty-two bytes of secret, or more\ndomain = example.com\npath = /app\n\n\
               [filter:form]\nuse = egg:Paste#auth_form\nusers = ann:pw\n\n\
               [app:test]\nuse = egg:Paste#test\n";
    let (_dir, app) = load_ini(ini, "main", &[]);
    let app = app.unwrap();
    let (status, headers, _) = call(&app, login("/app", "username=ann&password=pw")).await;
    assert_eq!(status, 200);
    let set_cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        set_cookie.contains("Domain=example.com") && set_cookie.contains("Path=/app"),
        "{set_cookie}"
    );

    let bad = ini.replace("domain = example.com", "domain = bad;domain");
    let (_dir, app) = load_ini(&bad, "main", &[]);
    let err = app.expect_err("a domain with ';'").to_string();
    assert!(
        err.contains("site.ini:7 [filter:auth]: bad setting domain = \"bad;domain\""),
        "{err}"
    );
}
