//! StaticDir and TestApp through in-process requests.

use paste_core::{App, Body, Request, RequestExt, Response};
use paste_middleware::static_files::{StaticDir, static_app};
use paste_middleware::test_app::TestApp;

async fn text(response: Response) -> String {
    let bytes = response.into_body().to_bytes(1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn get(path: &str) -> Request {
    Request::get(path).body(Body::empty()).unwrap()
}

/// A root with a file, a folder with an index, a hidden file, and a secret
/// next to (not under) the root.
fn layout() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "SECRET").unwrap();
    let root = dir.path().join("public");
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("hello.txt"), "Hello!").unwrap();
    std::fs::write(root.join("docs/index.html"), "<h1>Docs</h1>").unwrap();
    std::fs::write(root.join(".env"), "PASSWORD=x").unwrap();
    std::fs::write(root.join("with space.txt"), "spaced").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
    (dir, root)
}

#[tokio::test]
async fn files_folders_and_the_slash_redirect() {
    let (_dir, root) = layout();
    let app = static_app(&root);
    let response = app.call(get("/hello.txt")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(text(response).await, "Hello!");
    let response = app.call(get("/with%20space.txt")).await.unwrap();
    assert_eq!(text(response).await, "spaced");
    let response = app.call(get("/docs")).await.unwrap();
    assert_eq!(response.status(), 301);
    assert_eq!(response.headers()["location"], "/docs/");
    let response = app.call(get("/docs/")).await.unwrap();
    assert_eq!(text(response).await, "<h1>Docs</h1>");
    let response = app.call(get("/hello.txt/extra")).await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(!app.document_root().as_os_str().is_empty());
}

#[tokio::test]
async fn traversal_attempts_are_404s_that_leak_nothing() {
    let (_dir, root) = layout();
    let app = StaticDir::new(&root);
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/docs/../../secret.txt",
        "/docs/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/..%5csecret.txt",
        "/%00secret.txt",
        "/.env",
        "/%2eenv",
        "/link.txt",
    ] {
        let response = app.call(get(path)).await.unwrap();
        let status = response.status();
        let body = text(response).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            !body.contains("SECRET") && !body.contains("PASSWORD"),
            "{path}"
        );
        assert!(!body.contains(root.to_str().unwrap()), "{path}: {body}");
    }
}

#[tokio::test]
async fn mounted_under_a_prefix_it_serves_the_path_info() {
    let (_dir, root) = layout();
    let app = StaticDir::new(&root);
    let mut req = get("/static/hello.txt");
    assert!(req.set_script_name("/static"));
    assert_eq!(text(app.call(req).await.unwrap()).await, "Hello!");
}

#[tokio::test]
async fn cache_max_age_sets_cache_control_and_expires() {
    let (_dir, root) = layout();
    let app = StaticDir::new(&root).cache_max_age(60);
    let response = app.call(get("/hello.txt")).await.unwrap();
    assert_eq!(response.headers()["cache-control"], "public, max-age=60");
    let expires = response.headers()["expires"].to_str().unwrap();
    let when = webob::parse_http_date(expires).unwrap();
    let ahead = when
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    assert!(ahead.as_secs() > 50 && ahead.as_secs() <= 60, "{expires}");
    // Errors are not cached.
    let response = app.call(get("/missing")).await.unwrap();
    assert!(!response.headers().contains_key("expires"));
}

#[tokio::test]
async fn only_get_and_head() {
    let (_dir, root) = layout();
    let app = StaticDir::new(&root);
    let req = Request::post("/hello.txt").body(Body::empty()).unwrap();
    assert_eq!(app.call(req).await.unwrap().status(), 405);
}

#[tokio::test]
async fn a_missing_root_is_a_404_not_a_panic() {
    let app = StaticDir::new("/no/such/folder/anywhere");
    assert_eq!(app.call(get("/x")).await.unwrap().status(), 404);
}

#[tokio::test]
async fn index_file_is_configurable() {
    let (_dir, root) = layout();
    std::fs::write(root.join("docs/main.html"), "main").unwrap();
    let app = StaticDir::new(&root).index_file("main.html");
    assert_eq!(text(app.call(get("/docs/")).await.unwrap()).await, "main");
    let app = StaticDir::new(&root).index_file("../secret.txt");
    assert_eq!(app.call(get("/docs/")).await.unwrap().status(), 404);
}

#[tokio::test]
async fn the_test_app_describes_the_request_escaped() {
    let mut req = Request::put("/mnt/a%3Cb?x=%3C1%3E&y='z'")
        .header("x-evil", "<script>alert('x')</script>")
        .body(Body::from("ignored"))
        .unwrap();
    req.set_script_name("/mnt");
    req.set_remote_user("<admin>");
    let app = TestApp::new().title("<T>");
    let response = app.call(req).await.unwrap();
    assert_eq!(response.status(), 200);
    let page = text(response).await;
    assert!(page.contains("<title>&lt;T&gt;</title>"), "{page}");
    assert!(page.contains("<td>PUT</td>"));
    assert!(page.contains("<td>/mnt</td>"));
    assert!(page.contains("<td>/a%3Cb</td>"));
    assert!(
        page.contains("<td>x=%3C1%3E&amp;y=&#x27;z&#x27;</td>"),
        "{page}"
    );
    assert!(page.contains("<td>&lt;admin&gt;</td>"));
    assert!(
        page.contains("<th>x-evil</th><td>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</td>")
    );
    assert!(!page.contains("<script"));
}
