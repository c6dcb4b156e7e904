//! The showcase driven end to end with webtest, like a person clicking
//! through it in a browser: `paster serve` runs it for real, and
//! `TestApp::from_url` talks to it over a socket, keeping cookies.

mod common;

use std::path::Path;

use common::Serving;
use webtest::{AnyStatus, Authorization, Link, TestApp};

fn showcase() -> (Serving, TestApp) {
    let config = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/showcase.ini"
    ));
    let port = format!("http_port={}", common::free_port());
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let server = Serving::start(here, &[config.to_str().unwrap(), &port]);
    let app = TestApp::from_url(&server.url).unwrap();
    (server, app)
}

#[tokio::test]
async fn a_visit_of_the_whole_family() {
    let (_server, app) = showcase();

    // Home, then the Tempita pages, by their links.
    let home = app.get("/").await;
    home.mustcontain(&["Paste for Rust: the showcase", "<code>demo</code>"]);
    let pages = home
        .click_link(&Link::text("^Tempita pages$").index(0))
        .await; // the menu's link
    pages.mustcontain(&["These pages are Tempita templates", "<td>wsgiproxy</td>"]);

    // The visit counter counts in the session the cookie jar keeps.
    let counter = pages.click("A visit counter").await;
    counter.mustcontain(&["You have seen this page 1 time."]);
    let again = app.get("/pages/counter").await;
    again.mustcontain(&["You have seen this page 2 times."]);

    // The greeting escapes what it is sent, from a link and from its form.
    let greeting = pages.click("A greeting").await;
    greeting.mustcontain(&["Hello, &lt;b&gt;world&lt;/b&gt;!"]);
    let form = greeting.form(0);
    form.set("name", "<i>Ann</i>");
    let greeted = form.submit().await;
    greeted.mustcontain(&["Hello, &lt;i&gt;Ann&lt;/i&gt;!"]);
    greeted.mustnotcontain(&["<i>Ann</i>"]);

    // CGI, and the error catcher's debug page for the broken script.
    let cgi = home.click_link(&Link::text("^CGI$").index(0)).await;
    let hello = cgi.click_link(&Link::href("hello.sh")).await;
    hello.mustcontain(&["Hello from a shell script"]);
    let broken = app.get("/cgi-bin/broken.sh").status(502).await;
    broken.mustcontain(&["Debug mode is on"]);

    // The private page wants the demo credentials.
    app.get("/private/").status(401).await;
    app.set_authorization(Some(Authorization::Basic {
        username: "demo".to_owned(),
        password: "demo".to_owned(),
    }));
    app.get("/private/")
        .await
        .mustcontain(&["The private page"]);
    app.set_authorization(None);

    // The proxied mount forwards to the request echo, with forwarding
    // headers.
    let proxied = home.click("A proxied mount").await;
    proxied.mustcontain(&[
        "Paste test application",
        "x-forwarded-for",
        "x-forwarded-prefix",
    ]);

    // A page that does not exist is a 404, whatever serves its folder.
    app.get("/pages/missing").status(404).await;
    app.get("/pages/_layout.html").status(404).await;
    app.get("/nowhere").status(AnyStatus).await;
}
