//! The showcase of the top-level README, served for real by `paster serve`
//! and clicked through over real sockets.

mod common;

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::Path;

use common::{Serving, get, http};

fn examples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples"))
}

/// The `href`s of a page that stay on the site.
fn local_links(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|link| link.starts_with('/'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_showcase_serves_from_another_folder_and_every_link_works() {
    // Served from a folder other than the config's: %(here)s makes every
    // path relative to the config file.
    let elsewhere = tempfile::tempdir().unwrap();
    let config = examples().join("showcase.ini");
    // The showcase proxies to itself, so it must know its port.
    let port = format!("http_port={}", common::free_port());
    let mut server = Serving::start(elsewhere.path(), &[config.to_str().unwrap(), &port]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let addr = server.addr();

    let home = get(&addr, "/");
    assert_eq!(home.status, 200);
    assert!(home.text().contains("Paste for Rust: the showcase"));
    assert!(
        home.text().contains("<code>demo</code>"),
        "the demo credentials are on the home page"
    );

    // Click through: every local link of every page answers.
    let mut seen = BTreeSet::new();
    let mut todo = vec!["/".to_owned()];
    while let Some(link) = todo.pop() {
        if !seen.insert(link.clone()) {
            continue;
        }
        let answer = get(&addr, &link);
        let expected = match link.as_str() {
            "/private/" => 401,
            "/cgi-bin/broken.sh" => 502,
            _ => 200,
        };
        assert_eq!(answer.status, expected, "{link}");
        if answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
        {
            todo.extend(local_links(&answer.text()));
        }
    }
    for page in [
        "/family.html",
        "/pipeline.html",
        "/cgi.html",
        "/cgi-bin/hello.sh",
        "/request",
        "/pages/",
        "/pages/counter",
        "/proxy/",
    ] {
        assert!(seen.contains(page), "{page} is linked: {seen:?}");
    }

    // The CGI scripts run.
    let hello = get(&addr, "/cgi-bin/hello.sh");
    assert!(hello.text().contains("Hello from a shell script"));
    let env = get(&addr, "/cgi-bin/env.sh/extra?x=1");
    assert!(env.text().contains("PATH_INFO=/extra"), "{}", env.text());
    assert!(env.text().contains("QUERY_STRING=x=1"));
    let echo = http(
        &addr,
        "POST",
        "/cgi-bin/echo.sh",
        &["Content-Type: application/x-www-form-urlencoded"],
        b"words=hello+there",
    );
    assert_eq!(echo.status, 200);
    assert!(echo.text().contains("words=hello+there"), "{}", echo.text());

    // The error catcher in debug mode says what went wrong.
    let broken = get(&addr, "/cgi-bin/broken.sh");
    assert!(
        broken.text().contains("Debug mode is on"),
        "{}",
        broken.text()
    );
    assert!(broken.text().contains("wrote nothing"), "{}", broken.text());

    // Basic auth with the demo credentials (demo:demo).
    let refused = get(&addr, "/private/");
    assert_eq!(
        refused.header("www-authenticate"),
        Some("Basic realm=\"Paste showcase\"")
    );
    let wrong = http(
        &addr,
        "GET",
        "/private/",
        &["Authorization: Basic ZGVtbzpub3Bl"],
        b"",
    );
    assert_eq!(wrong.status, 401);
    let private = http(
        &addr,
        "GET",
        "/private/",
        &["Authorization: Basic ZGVtbzpkZW1v"],
        b"",
    );
    assert_eq!(private.status, 200);
    assert!(private.text().contains("The private page"));

    // gzip for clients that accept it.
    let zipped = http(
        &addr,
        "GET",
        "/family.html",
        &["Accept-Encoding: gzip"],
        b"",
    );
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&zipped.body[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    assert!(unzipped.contains("The family"));

    // The request echo, directly and through the proxied mount, which adds
    // the forwarding headers.
    assert!(get(&addr, "/request?who=me").text().contains("who=me"));
    let proxied = get(&addr, "/proxy/?who=me").text();
    assert!(proxied.contains("who=me"), "{proxied}");
    assert!(proxied.contains("x-forwarded-for"), "{proxied}");
    assert!(proxied.contains("x-forwarded-prefix"), "{proxied}");

    // The access log, in combined format, on stderr.
    server.wait_stderr(|l| {
        l.contains("paste.translogger") && l.contains("\"GET /family.html HTTP/1.1\" 200")
    });
}

#[test]
fn the_readme_command_line_works_from_the_workspace_root() {
    // `paster serve examples/showcase.ini` from the root: a relative
    // config path, resolved against the current folder; here through
    // `request`, which loads the same app in-process.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = common::paster()
        .current_dir(root)
        .args(["request", "examples/showcase.ini", "/cgi-bin/hello.sh"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Hello from a shell script"));
}
