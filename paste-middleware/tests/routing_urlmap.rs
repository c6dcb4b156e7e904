//! UrlMap through real requests.

use paste_core::http::{HeaderMap, StatusCode};
use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
use paste_middleware::urlmap::UrlMap;

/// An app answering `name|script_name|path_info`.
fn named(name: &'static str) -> impl App {
    app_fn(move |req: Request| async move {
        let (script, info) = (req.script_name(), req.path_info());
        assert_eq!(
            format!("{script}{info}"),
            req.uri().path(),
            "the split holds"
        );
        Ok(Response::new(format!("{name}|{script}|{info}").into()))
    })
}

fn get(target: &str) -> Request {
    Request::get(target).body(Body::empty()).unwrap()
}

fn get_with_host(target: &str, host: &str) -> Request {
    Request::get(target)
        .header("host", host)
        .body(Body::empty())
        .unwrap()
}

async fn text(response: Response) -> String {
    let bytes = response.into_body().to_bytes(1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn call(map: &UrlMap, req: Request) -> (StatusCode, HeaderMap, String) {
    let response = match map.call(req).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, text(response).await)
}

fn paste_test_map() -> UrlMap {
    // The map of Paste's tests/test_urlmap.py::test_map.
    UrlMap::new()
        .mount("/", named("root"))
        .mount("/f", named("f"))
        .mount("/f/z", named("fz"))
        .mount("/blog/", named("blog"))
}

#[tokio::test]
async fn longest_prefix_wins_at_segment_boundaries() {
    let map = paste_test_map();
    for (path, expected) in [
        ("/", "root||/"),
        ("/f", "f|/f|"),
        ("/f/", "f|/f|/"),
        ("/f/zz", "f|/f|/zz"),
        ("/f/z", "fz|/f/z|"),
        ("/f/z/y", "fz|/f/z|/y"),
        ("/fffzzz", "root||/fffzzz"),
        ("/blog", "blog|/blog|"),
        ("/blogs", "root||/blogs"),
    ] {
        let (status, _, body) = call(&map, get(path)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, expected),
            "{path}"
        );
    }
}

#[tokio::test]
async fn doubled_slashes_and_escapes_in_the_path_still_match() {
    let map = UrlMap::new().mount("/a/b", named("ab"));
    let (_, _, body) = call(&map, get("//a//b/c")).await;
    assert_eq!(body, "ab|//a//b|/c");
    let (_, _, body) = call(&map, get("/%61/b")).await;
    assert_eq!(body, "ab|/%61/b|");
    // An encoded slash is not a segment boundary.
    let (status, _, _) = call(&map, get("/a%2Fb")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn nested_maps_keep_stacking_the_script_name() {
    let inner = UrlMap::new().mount("/posts", named("posts"));
    let map = UrlMap::new().mount("/blog", inner);
    let (_, _, body) = call(&map, get("/blog/posts/1")).await;
    assert_eq!(body, "posts|/blog/posts|/1");
}

#[tokio::test]
async fn mounting_the_same_normalised_key_replaces_the_app() {
    let mut map = UrlMap::new().mount("/blog", named("old"));
    map.insert("//blog/", named("new")).unwrap();
    assert_eq!(map.keys().count(), 1);
    let (_, _, body) = call(&map, get("/blog")).await;
    assert_eq!(body, "new|/blog|");
    assert!(map.remove("/blog/"));
    assert!(!map.remove("/blog"));
    assert_eq!(call(&map, get("/blog")).await.0, 404);
}

#[tokio::test]
async fn host_entries_match_case_insensitively_and_by_port() {
    let map = UrlMap::new()
        .mount("/", named("default"))
        .mount("http://Example.com/", named("any-port"))
        .mount("http://example.com:8080/", named("port-8080"))
        .mount("http://example.com/x", named("any-port-x"));
    for (host, path, expected) in [
        ("EXAMPLE.COM", "/", "any-port||/"),
        ("example.com:9000", "/", "any-port||/"),
        ("example.com:8080", "/", "port-8080||/"),
        // A longer path under the host beats a port-specific root
        // (Paste's lexical sort picked the port-less root here).
        ("example.com:8080", "/x/z", "any-port-x|/x|/z"),
        ("other.com", "/x", "default||/x"),
        ("example.com.evil", "/", "default||/"),
    ] {
        let (_, _, body) = call(&map, get_with_host(path, host)).await;
        assert_eq!(body, expected, "{host}{path}");
    }
    // The authority of an absolute URI (HTTP/2) works without a Host header.
    let (_, _, body) = call(&map, get("http://example.com:8080/a")).await;
    assert_eq!(body, "port-8080||/a");
    // No Host at all: only the entries without a host can match.
    let (_, _, body) = call(&map, get("/a")).await;
    assert_eq!(body, "default||/a");
}

#[tokio::test]
async fn a_port_in_the_key_is_compared_with_the_scheme_default() {
    let map = UrlMap::new().mount("http://example.com:80/", named("eighty"));
    let (_, _, body) = call(&map, get_with_host("/", "example.com")).await;
    assert_eq!(body, "eighty||/");
    let (status, _, _) = call(&map, get_with_host("/", "example.com:81")).await;
    assert_eq!(status, 404);
}

/// Paste's default not-found page crashed (AttributeError) when the
/// request had no Host header.
#[tokio::test]
async fn the_404_needs_no_host_header() {
    let map = UrlMap::new().mount("/only", named("only"));
    let req = get("/elsewhere");
    assert!(!req.headers().contains_key("host"));
    let (status, _, body) = call(&map, req).await;
    assert_eq!(status, 404);
    assert!(body.contains("/elsewhere"), "{body}");
}

/// Paste's tests/test_urlmap.py::test_404: the path must not break out of
/// the HTML comment or inject markup.
#[tokio::test]
async fn the_404_escapes_what_the_client_sent() {
    let map = UrlMap::new();
    let req = Request::get("/--%3E%0D%3Cscript%3Ealert(1)%3C/script%3E")
        .header("accept", "text/html")
        .header("host", "x\"--><script>")
        .body(Body::empty());
    // A Host with markup is not even a valid header for some clients; build
    // it if the http crate accepts it, else fall back to a plain host.
    let req = req.unwrap_or_else(|_| {
        Request::get("/--%3E%0D%3Cscript%3Ealert(1)%3C/script%3E")
            .header("accept", "text/html")
            .body(Body::empty())
            .unwrap()
    });
    let (status, headers, body) = call(&map, req).await;
    assert_eq!(status, 404);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("--><"), "{body}");
    assert!(!body.contains('\r'), "{body}");
    assert!(body.contains("&lt;script&gt;"), "{body}");
}

#[tokio::test]
async fn the_404_is_negotiated() {
    let map = UrlMap::new();
    let req = Request::get("/x")
        .header("accept", "application/json")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = call(&map, req).await;
    assert_eq!(status, 404);
    assert_eq!(headers["content-type"], "application/json");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["code"], "404 Not Found");
}

#[tokio::test]
async fn a_not_found_app_sees_the_request_unchanged() {
    let map = UrlMap::new()
        .mount("/a", named("a"))
        .not_found_app(named("fallback"));
    let (_, _, body) = call(&map, get("/b/c")).await;
    assert_eq!(body, "fallback||/b/c");
}

#[test]
fn bad_keys_are_errors_not_panics() {
    let mut map = UrlMap::new();
    for key in ["blog", "http://", "http://host:port/", "mailto:x@y"] {
        let err = map.insert(key, named("x")).unwrap_err();
        assert!(err.to_string().contains(key), "{err}");
    }
    assert_eq!(map.keys().count(), 0);
}

#[test]
#[should_panic(expected = "invalid URL map key")]
fn mount_panics_on_a_bad_key_with_a_clear_message() {
    let _ = UrlMap::new().mount("no-slash", named("x"));
}
