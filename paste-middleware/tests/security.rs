//! The security matrix of paste-middleware (RELIABILITY.md "Security"):
//! one test per class and place, over paste-server on a real socket with
//! raw HTTP where the request line matters, so that no client library
//! cleans the attack up before it arrives.

mod server_support;

use std::net::SocketAddr;
use std::time::Duration;

use paste_core::{App, Request, RequestExt, Response, app_fn};
use paste_middleware::auth::AuthChange;
use paste_middleware::auth::cookie::CookieAuth;
use paste_middleware::auth::form::FormAuth;
use paste_middleware::auth::tkt::{AuthTicket, AuthTktMiddleware, TktDigest};
use paste_middleware::session::{MemoryStore, Session, SessionMiddleware};
use paste_middleware::static_files::StaticDir;
use paste_middleware::urlmap::UrlMap;
use server_support::{raw_exchange as send, start};
use webob::cookies::Signer;

const SECRET_TEXT: &str = "TOP-SECRET-CONTENT-OUTSIDE-THE-ROOT";

async fn get_raw(addr: SocketAddr, target: &str, extra: &str) -> (u16, String, String) {
    send(
        addr,
        &format!("GET {target} HTTP/1.1\r\nhost: x\r\n{extra}connection: close\r\n\r\n"),
    )
    .await
}

/// Every traversal form of the matrix, aimed at `secret.txt` beside the
/// root (`../secret.txt`) or at absolute paths.
const TRAVERSALS: &[&str] = &[
    "/../secret.txt",
    "/a/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/%252e%252e/secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/..\\secret.txt",
    "/..%5csecret.txt",
    "/..%5Csecret.txt",
    "/.%2e/secret.txt",
    "/public.txt%00.html",
    "/public.txt%00",
    "/escape/secret.txt",
    "/escape",
    "/C:\\secret.txt",
    "/c:/secret.txt",
    "/C:%5csecret.txt",
    "//server/share/secret.txt",
    "/%2f%2fserver/share/secret.txt",
    "/%2fetc%2fpasswd",
    "//etc/passwd",
    "/.hidden",
    "/%2ehidden",
];

/// `outer/secret.txt`, and `outer/root/` holding `public.txt`, a dot-file
/// and a symlink `escape` to `outer/`.
fn layout() -> (tempfile::TempDir, std::path::PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("secret.txt"), SECRET_TEXT).unwrap();
    let root = outer.path().join("root");
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::write(root.join("public.txt"), "public").unwrap();
    std::fs::write(root.join(".hidden"), SECRET_TEXT).unwrap();
    std::os::unix::fs::symlink(outer.path(), root.join("escape")).unwrap();
    (outer, root)
}

async fn assert_no_traversal(addr: SocketAddr, what: &str) {
    for target in TRAVERSALS {
        let (status, head, body) = get_raw(addr, target, "").await;
        assert!(
            matches!(status, 400 | 404),
            "{what} {target}: {status}\n{head}\n{body}"
        );
        assert!(!body.contains(SECRET_TEXT), "{what} {target}: {body}");
        assert!(
            !body.contains("/tmp"),
            "{what} {target} leaks a path: {body}"
        );
    }
    // The control: the same server does serve the public file.
    let (status, _, body) = get_raw(addr, "/public.txt", "").await;
    assert_eq!((status, body.as_str()), (200, "public"), "{what}");
}

// ---------------------------------------------------------------------
// Path traversal
// ---------------------------------------------------------------------

#[tokio::test]
async fn traversal_static_dir_refuses_every_form() {
    let (_outer, root) = layout();
    let server = start(StaticDir::new(&root));
    assert_no_traversal(server.addr, "StaticDir").await;
}

#[tokio::test]
async fn traversal_static_dir_mounted_in_a_urlmap_refuses_every_form() {
    let (_outer, root) = layout();
    let server = start(UrlMap::new().mount("/", StaticDir::new(&root)));
    assert_no_traversal(server.addr, "UrlMap+StaticDir").await;
}

#[cfg(feature = "tempita")]
#[tokio::test]
async fn traversal_tempita_pages_refuse_every_form() {
    use paste_middleware::pages::TempitaPages;
    let (outer, root) = layout();
    // Pages are `.html` templates: give the secret that name too, and a
    // page to check the control with.
    std::fs::write(outer.path().join("secret.txt.html"), SECRET_TEXT).unwrap();
    std::fs::write(root.join("public.txt.html"), "public").unwrap();
    let server = start(TempitaPages::new(&root));
    assert_no_traversal(server.addr, "TempitaPages").await;
}

// ---------------------------------------------------------------------
// Open redirects
// ---------------------------------------------------------------------

fn form_app() -> impl App {
    FormAuth::new(
        app_fn(|req: Request| async move {
            Ok(Response::new(
                format!("hi {}", req.remote_user().unwrap_or("-")).into(),
            ))
        }),
        |user: &str, password: &str| user == "ann" && password == "pw",
    )
}

/// The form's action attribute in a login page.
fn action_of(page: &str) -> &str {
    let start = page.find("action=\"").expect("a form") + "action=\"".len();
    let end = page[start..].find('"').unwrap();
    &page[start..start + end]
}

#[tokio::test]
async fn open_redirect_login_form_never_posts_to_another_host() {
    // `https://site//evil.com/` must not show a form whose action is the
    // scheme-relative `//evil.com/`: the browser would post the password
    // there.
    let server = start(form_app());
    for target in [
        "//evil.com/",
        "//evil.com",
        "///evil.com/x",
        "/\\evil.com/",
        "//evil.com/?a=b",
    ] {
        let (status, _, body) = get_raw(server.addr, target, "").await;
        if status != 200 {
            assert!(matches!(status, 400 | 404), "{target}: {status}");
            continue;
        }
        let action = action_of(&body);
        assert!(action.starts_with('/'), "{target}: {action}");
        assert!(
            !action.starts_with("//")
                && !action.starts_with("/\\")
                && !action.starts_with("/&#x5c;"),
            "{target}: the form posts to another host: {action}"
        );
    }
}

// ---------------------------------------------------------------------
// XSS in generated pages
// ---------------------------------------------------------------------

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
];

/// The raw markup of an attack in `body`, if the page is one a browser
/// renders as HTML (no `text/plain` nor `nosniff`-protected type).
fn html_xss(head: &str, body: &str) -> Option<&'static str> {
    let head = head.to_ascii_lowercase();
    let plain = head.contains("content-type: text/plain")
        || head.contains("content-type: application/json");
    if plain { None } else { contains_raw_xss(body) }
}

fn contains_raw_xss(body: &str) -> Option<&'static str> {
    XSS.iter().copied().find(|x| body.contains(x)).or_else(|| {
        ["<script", "<img", "<svg", "\" onerror=", "\"onerror="]
            .into_iter()
            .find(|x| body.contains(x))
    })
}

#[tokio::test]
async fn xss_login_form_and_urlmap_404_escape_path_and_query() {
    let form = start(form_app());
    let map = start(UrlMap::new().mount("/app", form_app()));
    for attack in XSS {
        let encoded: String = attack
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        for (addr, target) in [
            (form.addr, format!("/p/{encoded}?q={encoded}")),
            (map.addr, format!("/nowhere/{encoded}?q={encoded}")),
        ] {
            let (_, head, body) = get_raw(
                addr,
                &target,
                &format!("accept: text/html\r\nx-attack: {encoded}\r\n"),
            )
            .await;
            assert_eq!(html_xss(&head, &body), None, "{target}: {body}");
        }
        // And raw, unencoded, in the query (hyper lets `"<>` through).
        let raw = attack.replace(' ', "%20");
        for (addr, target) in [
            (form.addr, format!("/p?q={raw}")),
            (map.addr, format!("/x?q={raw}")),
        ] {
            let (_, head, body) = get_raw(addr, &target, "accept: text/html\r\n").await;
            assert_eq!(html_xss(&head, &body), None, "{target}: {body}");
        }
    }
}

#[tokio::test]
async fn xss_a_javascript_url_in_the_path_never_becomes_a_link() {
    // The form's action is the request's own path: a `javascript:` path
    // stays a path (it starts with `/`), never a script URL.
    let server = start(form_app());
    let (_, _, body) = get_raw(server.addr, "/javascript:alert(1)", "").await;
    assert!(action_of(&body).starts_with('/'), "{body}");
}

// ---------------------------------------------------------------------
// Session fixation
// ---------------------------------------------------------------------

/// `/public` puts something in the session (so that the client holds a
/// session id before logging in); everything else is behind the login
/// form, and the page after login writes the user into the session.
fn fixation_site(store: MemoryStore) -> impl App {
    let protected = std::sync::Arc::new(FormAuth::new(
        app_fn(|req: Request| async move {
            let session = Session::from_request(&req).unwrap();
            session.set("user", req.remote_user().unwrap_or("-"))?;
            Ok(Response::new("in".into()))
        }),
        |user: &str, password: &str| user == "ann" && password == "pw",
    ));
    let router = app_fn(move |req: Request| {
        let protected = std::sync::Arc::clone(&protected);
        async move {
            if req.uri().path() == "/public" {
                Session::from_request(&req).unwrap().set("visited", &true)?;
                return Ok(Response::new("public".into()));
            }
            protected.call(req).await
        }
    });
    SessionMiddleware::new(router, store).secure(false)
}

fn session_cookie(head: &str) -> Option<String> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.trim())
        .find(|v| v.starts_with("paste_session=") && !v.starts_with("paste_session=;"))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn session_fixation_login_through_the_form_gives_a_new_session_id() {
    let store = MemoryStore::new();
    let server = start(fixation_site(store.clone()));
    let (status, head, _) = get_raw(server.addr, "/public", "").await;
    assert_eq!(status, 200);
    let before = session_cookie(&head).expect("a session before login");

    let body = "username=ann&password=pw";
    let (status, head, text) = send(
        server.addr,
        &format!(
            "POST /private HTTP/1.1\r\nhost: x\r\ncookie: {before}\r\n\
             content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert_eq!((status, text.as_str()), (200, "in"), "{head}");
    let after = session_cookie(&head).expect("the session is saved after login");
    assert_ne!(
        before, after,
        "the id planted before login is kept after it"
    );
    // The old id is worth nothing: only the new session is stored.
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn session_fixation_a_login_through_auth_change_rotates_the_session() {
    // An app that logs the user in itself (AuthChange::Login), under
    // CookieAuth and AuthTkt: the session id changes too.
    let login = || {
        app_fn(|req: Request| async move {
            Session::from_request(&req).unwrap().set("k", &1)?;
            let mut response = Response::new("ok".into());
            if req.uri().path() == "/login" {
                response
                    .extensions_mut()
                    .insert(AuthChange::Login("ann".into()));
            }
            Ok(response)
        })
    };
    let signer = Signer::new(b"a test secret of thirty-two bytes or more").unwrap();
    let apps: Vec<(&str, paste_core::BoxApp)> = vec![
        (
            "cookie",
            paste_core::BoxApp::new(
                SessionMiddleware::new(CookieAuth::new(login(), signer), MemoryStore::new())
                    .secure(false),
            ),
        ),
        (
            "tkt",
            paste_core::BoxApp::new(
                SessionMiddleware::new(
                    AuthTktMiddleware::new(login(), "secret"),
                    MemoryStore::new(),
                )
                .secure(false),
            ),
        ),
    ];
    for (name, app) in apps {
        let server = start(app);
        let (_, head, _) = get_raw(server.addr, "/before", "").await;
        let before = session_cookie(&head).unwrap();
        let (status, head, _) =
            get_raw(server.addr, "/login", &format!("cookie: {before}\r\n")).await;
        assert_eq!(status, 200, "{name}: {head}");
        let after = session_cookie(&head)
            .unwrap_or_else(|| panic!("{name}: no new session cookie: {head}"));
        assert_ne!(before, after, "{name}: the session id survives the login");
    }
}

// ---------------------------------------------------------------------
// Ticket tampering
// ---------------------------------------------------------------------

fn whoami() -> impl App {
    app_fn(|req: Request| async move {
        Ok(Response::new(
            req.remote_user().unwrap_or("-").to_owned().into(),
        ))
    })
}

#[tokio::test]
async fn tampering_auth_tkt_tickets_over_a_socket_are_anonymous() {
    let server = start(
        AuthTktMiddleware::new(whoami(), "s3cret")
            .include_ip(false)
            .digest(TktDigest::Sha256),
    );
    let now = u32::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let ticket = |secret: &str, user: &str, time: u32, digest: TktDigest| {
        AuthTicket {
            time,
            digest,
            ..AuthTicket::new(secret, user)
        }
        .cookie_value()
        .unwrap()
    };
    let good = ticket("s3cret", "ann", now, TktDigest::Sha256);
    let (_, _, body) = get_raw(server.addr, "/", &format!("cookie: auth_tkt={good}\r\n")).await;
    assert_eq!(body, "ann", "the control: a good ticket counts");

    let mut flipped = good.clone().into_bytes();
    flipped[3] = if flipped[3] == b'a' { b'b' } else { b'a' };
    let hex_len = TktDigest::Sha256.hex_len();
    let swapped = {
        // Same digest, the timestamp of another ticket.
        let other = ticket("s3cret", "ann", now - 1000, TktDigest::Sha256);
        format!("{}{}", &good[..hex_len], &other[hex_len..])
    };
    let bad = [
        String::from_utf8(flipped).unwrap(),
        good[..good.len() - 1].to_owned(),
        good[..hex_len].to_owned(),
        good.replace("ann", "bob"),
        swapped,
        ticket("another secret", "ann", now, TktDigest::Sha256),
        // Algorithm downgrade: a valid MD5 ticket where SHA-256 is set.
        ticket("s3cret", "ann", now, TktDigest::Md5),
        ticket("s3cret", "ann", now, TktDigest::Sha512),
    ];
    for value in &bad {
        let (status, _, body) =
            get_raw(server.addr, "/", &format!("cookie: auth_tkt={value}\r\n")).await;
        assert_eq!((status, body.as_str()), (200, "-"), "{value}");
    }
}

#[tokio::test]
async fn tampering_expired_auth_tkt_tickets_are_anonymous() {
    let server = start(
        AuthTktMiddleware::new(whoami(), "s3cret")
            .include_ip(false)
            .timeout(Some(Duration::from_secs(60))),
    );
    let old = AuthTicket {
        time: 1_000_000,
        ..AuthTicket::new("s3cret", "ann")
    }
    .cookie_value()
    .unwrap();
    let (_, _, body) = get_raw(server.addr, "/", &format!("cookie: auth_tkt={old}\r\n")).await;
    assert_eq!(body, "-");
}

#[tokio::test]
async fn open_redirect_static_dir_slash_redirect_stays_on_this_host() {
    // `GET //a` names the folder `a`: its slash redirect must not be the
    // scheme-relative `//a/` (the host `a`).
    let (_outer, root) = layout();
    let server = start(StaticDir::new(&root));
    // (`/\a` is a segment `\a`: refused, a 404.)
    for target in ["//a", "///a?x=1", "/a"] {
        let (status, head, _) = get_raw(server.addr, target, "").await;
        assert_eq!(status, 301, "{target}: {head}");
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("location: "))
            .unwrap_or_else(|| panic!("{target}: {head}"))
            .replace('\\', "/");
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "{target}: redirected to {location:?}"
        );
    }
}
