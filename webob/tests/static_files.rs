//! `FileApp` and `DirectoryApp` over real files in temporary folders.

use bytes::Bytes;
use paste_core::RequestExt as _;
use paste_core::http::{Method, StatusCode};
use webob::static_files::{DirectoryApp, FileApp};
use webob::{Request, Response};

async fn body(mut r: Response) -> Bytes {
    r.body_bytes(64 << 20).await.unwrap()
}

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("ten.txt"), "0123456789").unwrap();
    std::fs::write(root.join("page.html"), "<p>hi</p>").unwrap();
    std::fs::write(root.join("data.bin"), [0u8, 1, 2]).unwrap();
    std::fs::write(root.join("sub/index.html"), "index").unwrap();
    std::fs::write(root.join("with space.txt"), "spaced").unwrap();
    std::fs::write(root.join(".env"), "SECRET=1").unwrap();
    std::fs::write(dir.path().join("secret"), "outside").unwrap();
    dir
}

fn app(dir: &tempfile::TempDir) -> DirectoryApp {
    DirectoryApp::new(dir.path().join("root"))
}

async fn fetch(app: &DirectoryApp, target: &str) -> Response {
    Request::blank(target).get_response(app).await
}

#[tokio::test]
async fn serves_a_file_with_validators() {
    let dir = site();
    let r = fetch(&app(&dir), "/ten.txt").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain; charset=UTF-8");
    assert_eq!(r.headers()["content-length"], "10");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    assert!(r.headers().contains_key("last-modified"));
    assert_eq!(body(r).await, "0123456789");

    let r = fetch(&app(&dir), "/data.bin").await;
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    let r = fetch(&app(&dir), "/page.html").await;
    assert_eq!(r.headers()["content-type"], "text/html; charset=UTF-8");
    let r = fetch(&app(&dir), "/with%20space.txt").await;
    assert_eq!(body(r).await, "spaced");
}

#[tokio::test]
async fn conditional_requests_on_files() {
    let dir = site();
    let app = app(&dir);
    let first = fetch(&app, "/ten.txt").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let lm = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();

    let r = Request::blank("/ten.txt")
        .with_header("if-none-match", &etag)
        .get_response(&app)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()["etag"], etag.as_str());
    assert!(body(r).await.is_empty());

    let r = Request::blank("/ten.txt")
        .with_header("if-modified-since", &lm)
        .get_response(&app)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    let r = Request::blank("/ten.txt")
        .with_header("if-match", "\"stale\"")
        .get_response(&app)
        .await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);

    // If-Range with a stale tag: the whole file.
    let r = Request::blank("/ten.txt")
        .with_header("range", "bytes=0-1")
        .with_header("if-range", "\"stale\"")
        .get_response(&app)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await, "0123456789");
    let r = Request::blank("/ten.txt")
        .with_header("range", "bytes=0-1")
        .with_header("if-range", &etag)
        .get_response(&app)
        .await;
    assert_eq!(r.status(), 206);
    assert_eq!(body(r).await, "01");
}

async fn range(app: &DirectoryApp, path: &str, range: &str) -> Response {
    Request::blank(path)
        .with_header("range", range)
        .get_response(app)
        .await
}

#[tokio::test]
async fn ranges_on_files() {
    let dir = site();
    let app = app(&dir);
    let r = range(&app, "/ten.txt", "bytes=-5").await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 5-9/10");
    assert_eq!(r.headers()["content-length"], "5");
    assert_eq!(body(r).await, "56789");

    let r = range(&app, "/ten.txt", "bytes=5-").await;
    assert_eq!(body(r).await, "56789");

    let r = range(&app, "/ten.txt", "bytes=7-500").await;
    assert_eq!(r.headers()["content-range"], "bytes 7-9/10");
    assert_eq!(body(r).await, "789");

    let r = range(&app, "/ten.txt", "bytes=9999-").await;
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.headers()["content-range"], "bytes */10");

    let r = range(&app, "/ten.txt", "bytes=8-9,0-0,3-4").await;
    assert_eq!(r.status(), 206);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    let b = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap()
        .to_owned();
    let declared: usize = r.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = body(r).await;
    assert_eq!(bytes.len(), declared);
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let expected = format!(
        "--{b}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Range: bytes 0-0/10\r\n\r\n0\
         \r\n--{b}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Range: bytes 3-4/10\r\n\r\n34\
         \r\n--{b}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Range: bytes 8-9/10\r\n\r\n89\
         \r\n--{b}--\r\n"
    );
    assert_eq!(text, expected);

    // Overlapping ranges aren't worth serving: the whole file.
    let r = range(&app, "/ten.txt", "bytes=0-5,3-8").await;
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await, "0123456789");
}

#[tokio::test]
async fn a_large_file_streams_and_seeks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let data: Vec<u8> = (0..8u32 * 1024 * 1024)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&path, &data).unwrap();
    let app = FileApp::new(&path);

    let r = Request::blank("/")
        .with_header("range", "bytes=-100000")
        .get_response(&app)
        .await;
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!(
            "bytes {}-{}/{}",
            data.len() - 100_000,
            data.len() - 1,
            data.len()
        )
    );
    assert_eq!(&body(r).await[..], &data[data.len() - 100_000..]);

    // The full body arrives in bounded chunks.
    let mut r = Request::blank("/").get_response(&app).await;
    let mut got = Vec::new();
    let mut largest = 0;
    while let Some(frame) = http_body_util::BodyExt::frame(r.body_mut()).await {
        let chunk = frame.unwrap().into_data().unwrap();
        largest = largest.max(chunk.len());
        got.extend_from_slice(&chunk);
    }
    assert!(largest <= 64 * 1024, "{largest}");
    assert!(got == data);

    let r = Request::blank("/")
        .with_header("range", "bytes=1000000-1000009, 7000000-7000001")
        .get_response(&app)
        .await;
    let bytes = body(r).await;
    let needle = &data[1_000_000..1_000_010];
    assert!(bytes.windows(10).any(|w| w == needle));
}

#[tokio::test]
async fn head_and_methods() {
    let dir = site();
    let app = app(&dir);
    let r = Request::blank("/ten.txt")
        .with_method(Method::HEAD)
        .get_response(&app)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "10");
    assert!(body(r).await.is_empty());

    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let r = Request::blank("/ten.txt")
            .with_method(method)
            .get_response(&app)
            .await;
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers()["allow"], "GET, HEAD");
    }
    let file = FileApp::new(dir.path().join("root/ten.txt"));
    let r = Request::blank("/")
        .with_method(Method::POST)
        .get_response(&file)
        .await;
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn traversal_is_refused() {
    let dir = site();
    let app = app(&dir);
    for evil in [
        "/../secret",
        "/%2e%2e/secret",
        "/%2E%2E/secret",
        "/sub/../../secret",
        "/sub/%2e%2e/%2e%2e/secret",
        "/a%2fb",
        "/sub%2Findex.html",
        "/a%5cb",
        "/..%5csecret",
        "/ten.txt%00",
        "/ten%00.txt",
        "/%0aten.txt",
        "/.env",
        "/%2eenv",
        "/./ten.txt",
        "/ten.txt/",
        "/missing.txt",
        "/%ff",
    ] {
        let r = fetch(&app, evil).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{evil}");
        let text = body(r).await;
        let root = dir.path().to_string_lossy().into_owned();
        assert!(!String::from_utf8_lossy(&text).contains(&root), "{evil}");
    }
    // A raw backslash can't be put in a URI by `Request::blank`, but a
    // path_info can carry it encoded; and the hidden file is there with
    // the option.
    let hidden = app.clone().allow_hidden(true);
    assert_eq!(body(fetch(&hidden, "/.env").await).await, "SECRET=1");
    assert_eq!(fetch(&hidden, "/../secret").await.status(), 404);
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_may_not_leave_the_root() {
    let dir = site();
    let root = dir.path().join("root");
    std::os::unix::fs::symlink(dir.path().join("secret"), root.join("escape")).unwrap();
    std::os::unix::fs::symlink(dir.path(), root.join("updir")).unwrap();
    std::os::unix::fs::symlink(root.join("ten.txt"), root.join("alias.txt")).unwrap();
    let app = app(&dir);
    assert_eq!(fetch(&app, "/escape").await.status(), 404);
    assert_eq!(fetch(&app, "/updir/secret").await.status(), 404);
    assert_eq!(body(fetch(&app, "/alias.txt").await).await, "0123456789");
    let open = app.follow_symlinks_outside_root(true);
    assert_eq!(body(fetch(&open, "/escape").await).await, "outside");
}

#[cfg(unix)]
#[tokio::test]
async fn unreadable_files_are_403_without_paths() {
    use std::os::unix::fs::PermissionsExt;
    let dir = site();
    let path = dir.path().join("root/locked.txt");
    std::fs::write(&path, "x").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        return; // running as root: permissions don't bite
    }
    let r = fetch(&app(&dir), "/locked.txt").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(r).await, "Forbidden\n");
}

#[tokio::test]
async fn folders_redirect_then_serve_their_index() {
    let dir = site();
    let app = app(&dir);
    let r = fetch(&app, "/sub?x=1").await;
    assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(r.headers()["location"], "/sub/?x=1");
    assert_eq!(body(fetch(&app, "/sub/").await).await, "index");
    // The root itself.
    assert_eq!(fetch(&app, "/").await.status(), 404);
    // Double slashes can't turn the redirect into another host.
    let r = fetch(&app, "//sub").await;
    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], "/sub/");
    // Other index names, or none.
    let custom = app.clone().index_file("ten.txt");
    assert_eq!(body(fetch(&custom, "/").await).await, "0123456789");
    let none = app.clone().no_index_file();
    assert_eq!(fetch(&none, "/sub/").await.status(), 404);
    let bad = app.clone().index_file("../secret");
    assert_eq!(fetch(&bad, "/").await.status(), 404);
}

#[tokio::test]
async fn mounted_under_a_prefix() {
    let dir = site();
    let app = app(&dir);
    let mut req = Request::blank("/static/sub");
    assert!(req.set_script_name("/static"));
    let r = req.get_response(&app).await;
    assert_eq!(r.headers()["location"], "/static/sub/");
    let mut req = Request::blank("/static");
    assert!(req.set_script_name("/static"));
    let r = req.get_response(&app).await;
    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], "/static/");
    let mut req = Request::blank("/static/ten.txt");
    assert!(req.set_script_name("/static"));
    assert_eq!(body(req.get_response(&app).await).await, "0123456789");
}

#[tokio::test]
async fn file_app_missing_and_options() {
    let dir = site();
    let missing = FileApp::new(dir.path().join("nope.txt"));
    let r = Request::blank("/").get_response(&missing).await;
    assert_eq!(r.status(), 404);
    assert!(!String::from_utf8_lossy(&body(r).await).contains("nope"));
    let folder = FileApp::new(dir.path());
    assert_eq!(
        Request::blank("/").get_response(&folder).await.status(),
        404
    );

    let file = FileApp::new(dir.path().join("root/data.bin"))
        .content_type("image/png")
        .weak_etag(true)
        .cache_control("public, max-age=60");
    let r = Request::blank("/").get_response(&file).await;
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["cache-control"], "public, max-age=60");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    // A weak tag still gives a 304, never a range under If-Range.
    let r = Request::blank("/")
        .with_header("if-none-match", &etag)
        .get_response(&file)
        .await;
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["cache-control"], "public, max-age=60");
    let r = Request::blank("/")
        .with_header("range", "bytes=0-0")
        .with_header("if-range", &etag)
        .get_response(&file)
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.txt");
    std::fs::write(&path, "").unwrap();
    let app = FileApp::new(&path);
    let r = Request::blank("/").get_response(&app).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "0");
    let r = Request::blank("/")
        .with_header("range", "bytes=0-")
        .get_response(&app)
        .await;
    assert_eq!(r.status(), 416);
    assert_eq!(r.headers()["content-range"], "bytes */0");
}
