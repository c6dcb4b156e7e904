//! Tempita pages (feature `tempita`): a folder of templates served as HTML,
//! through real requests, with real files and a real session.
#![cfg(feature = "tempita")]

use std::path::Path;

use paste_core::http::header::{COOKIE, SET_COOKIE};
use paste_core::{App, Body, Request, RequestExt as _};
use paste_middleware::pages::TempitaPages;
use paste_middleware::session::{MemoryStore, SessionMiddleware};

/// A folder of pages: a private layout, a home page, a page using the
/// request, a visit counter, a broken page and a non-page file.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "_layout.html",
            "<title>{{self.title()}}</title>\n{{self.body}}",
        ),
        (
            "index.html",
            "{{inherit '_layout.html'}}\n{{def title}}Home{{enddef}}\nWelcome to {{script_name}}/\n",
        ),
        (
            "hello.html",
            "{{inherit '_layout.html'}}\n{{def title}}Hi{{enddef}}\n\
             Hello {{request.params.get('name', 'you')}} ({{request.method}} {{request.path_info}})\n",
        ),
        (
            "counter.html",
            "{{py: visits = session.get('visits', 0) + 1}}\n\
             {{py: session.set('visits', visits)}}\n\
             visit {{visits}}\n",
        ),
        ("broken.html", "line one\n{{for x in }}\n"),
        ("failing.html", "ok\n{{nope + 1}}\n"),
        ("notes.txt", "plain {{1 + 1}}"),
        ("docs/index.html", "docs index"),
    ];
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn get(path: &str) -> Request {
    Request::get(path).body(Body::empty()).unwrap()
}

/// Status and body of `app`'s answer (an error becomes its response).
async fn call(app: &impl App, req: Request) -> (u16, String) {
    let res = app.call(req).await.unwrap_or_else(|e| e.into_response());
    let status = res.status().as_u16();
    let body = res.into_body().to_bytes(1 << 20).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn pages(dir: &Path) -> TempitaPages {
    TempitaPages::new(dir)
}

#[tokio::test]
async fn pages_render_with_their_layout_and_escape_what_the_client_sent() {
    let dir = site();
    let app = pages(dir.path());
    let (status, body) = call(&app, get("/hello?name=%3Cscript%3E")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        // The `def` line keeps its newline: it holds text, not only a
        // directive (Tempita's rule).
        "<title>Hi</title>\n\nHello &lt;script&gt; (GET /hello)\n"
    );

    let res = app.call(get("/hello.html")).await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let length = res.headers()["content-length"].to_str().unwrap().to_owned();
    let body = res.into_body().to_bytes(1000).await.unwrap();
    assert_eq!(length, body.len().to_string());
}

#[tokio::test]
async fn the_index_answers_for_folders_and_links_know_the_mount_point() {
    let dir = site();
    let app = pages(dir.path());
    let mut req = get("/site/");
    assert!(req.set_script_name("/site"));
    assert_eq!(req.path_info(), "/");
    let (status, body) = call(&app, req).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "<title>Home</title>\n\nWelcome to /site/\n")
    );
    assert_eq!(
        call(&app, get("/docs/")).await,
        (200, "docs index".to_owned())
    );
}

#[tokio::test]
async fn layouts_hidden_files_traversal_and_missing_pages_are_404() {
    let dir = site();
    std::fs::write(dir.path().join(".secret.html"), "secret").unwrap();
    std::fs::write(dir.path().parent().unwrap().join("outside.html"), "outside").ok();
    let app = pages(dir.path());
    for path in [
        "/_layout.html",
        "/_layout",
        "/.secret.html",
        "/../outside.html",
        "/docs/../../outside.html",
        "/missing",
        "/docs",
    ] {
        assert_eq!(call(&app, get(path)).await.0, 404, "{path}");
    }
}

#[tokio::test]
async fn methods_other_than_get_head_post_get_405_with_allow() {
    let dir = site();
    let app = pages(dir.path());
    let req = Request::put("/hello").body(Body::empty()).unwrap();
    let err = app.call(req).await.unwrap_err();
    assert_eq!(err.status(), 405);
    assert_eq!(err.headers()["allow"], "GET, HEAD, POST");

    let head = app
        .call(Request::head("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (_, get_body) = call(&app, get("/")).await;
    assert_eq!(
        head.headers()["content-length"],
        get_body.len().to_string().as_str()
    );
    assert!(head.into_body().to_bytes(100).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_posted_form_reaches_the_page() {
    let dir = site();
    let app = pages(dir.path());
    let req = Request::post("/hello")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("name=Ann+%26+Bob"))
        .unwrap();
    let (status, body) = call(&app, req).await;
    assert_eq!(status, 200);
    assert!(body.contains("Hello Ann &amp; Bob (POST /hello)"), "{body}");
}

#[tokio::test]
async fn broken_and_failing_pages_are_500s_that_say_where() {
    let dir = site();
    let app = pages(dir.path());
    let err = app.call(get("/broken")).await.unwrap_err();
    assert_eq!(err.status(), 500);
    let source = err.source().unwrap().to_string();
    assert!(source.starts_with("broken.html:2:"), "{source}");

    let err = app.call(get("/failing")).await.unwrap_err();
    assert_eq!(err.status(), 500);
    let source = err.source().unwrap().to_string();
    assert!(source.starts_with("failing.html:2:"), "{source}");
    assert!(source.contains("nope"), "{source}");
}

#[tokio::test]
async fn a_page_counts_visits_in_the_session() {
    let dir = site();
    let app = SessionMiddleware::new(pages(dir.path()), MemoryStore::new()).secure(false);

    let first = app.call(get("/counter")).await.unwrap();
    let cookie = first.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let body = first.into_body().to_bytes(100).await.unwrap();
    assert_eq!(body, "visit 1\n");

    for n in 2..=3 {
        let mut req = get("/counter");
        req.headers_mut().insert(COOKIE, cookie.parse().unwrap());
        assert_eq!(call(&app, req).await, (200, format!("visit {n}\n")));
    }
    // Another browser starts again.
    assert_eq!(
        call(&app, get("/counter")).await,
        (200, "visit 1\n".to_owned())
    );
}

#[tokio::test]
async fn without_a_session_middleware_session_is_none() {
    let dir = site();
    std::fs::write(
        dir.path().join("who.html"),
        "{{if session is None}}no session{{else}}session{{endif}}",
    )
    .unwrap();
    assert_eq!(
        call(&pages(dir.path()), get("/who")).await,
        (200, "no session".to_owned())
    );
}

#[cfg(feature = "deploy")]
#[tokio::test]
async fn the_deploy_factory_serves_a_folder_and_locates_a_missing_setting() {
    use paste_deploy::{Conf, Registry};

    let dir = site();
    std::fs::write(
        dir.path().join("site.ini"),
        "[app:main]\nuse = egg:Paste#tempita_pages\ndirectory = %(here)s\ntitle = <My> site\n\n[app:bad]\nuse = egg:Paste#tempita_pages\n",
    )
    .unwrap();
    let mut registry = Registry::new();
    registry.register(paste_middleware::deploy::register);
    let app = registry
        .load_app("config:site.ini", None, Some(dir.path()), &Conf::new())
        .unwrap();
    assert_eq!(
        call(&app, get("/docs/")).await,
        (200, "docs index".to_owned())
    );

    let err = registry
        .load_app(
            "config:site.ini",
            Some("bad"),
            Some(dir.path()),
            &Conf::new(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("site.ini:6"), "{err}");
    assert!(err.contains("directory"), "{err}");
}
