//! XSS over the whole showcase (RELIABILITY.md "Security"): `paster serve`
//! runs `examples/showcase.ini` for real, and every page a client can
//! reach — static pages and their 404, the URL map's 404, Tempita pages,
//! the request echo, CGI, the error catcher's debug page, the Basic auth
//! 401, the proxy — gets markup in its path, query, headers and form
//! fields. No HTML page may show it raw.

mod common;

use std::path::Path;

use common::{Serving, http};

const ATTACKS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
];

fn showcase() -> Serving {
    let config = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/showcase.ini"
    ));
    let port = format!("http_port={}", common::free_port());
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    Serving::start(here, &[config.to_str().unwrap(), &port])
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The raw markup of an attack in an HTML answer, if any.
fn raw_markup(content_type: &str, body: &str) -> Option<&'static str> {
    if !content_type.starts_with("text/html") {
        return None;
    }
    ["<script", "<img", "<svg", "\"><img", "'><svg"]
        .into_iter()
        .find(|raw| body.contains(raw))
}

#[test]
fn xss_no_showcase_page_shows_markup_a_client_sent() {
    let server = showcase();
    let addr = server.addr();
    let mut html_pages = 0;
    for attack in ATTACKS {
        let enc = percent(attack);
        // `"`, `<` and `>` raw in a query: hyper lets them through.
        let raw_query = attack.replace(' ', "%20");
        let targets = [
            format!("/pages/greet?name={enc}"),
            format!("/pages/greet?name={raw_query}"),
            format!("/pages/{enc}"),
            format!("/request/{enc}?q={enc}"),
            format!("/request/x?q={raw_query}"),
            format!("/proxy/{enc}?q={enc}"),
            format!("/{enc}"),
            format!("/index.html?{raw_query}"),
            format!("/cgi-bin/broken.sh/{enc}?q={enc}"),
            format!("/cgi-bin/env.sh?{raw_query}"),
            format!("/cgi-bin/{enc}"),
            format!("/private/{enc}"),
            format!("/nowhere/{enc}"),
        ];
        let headers = [
            "Accept: text/html".to_owned(),
            format!("User-Agent: {attack}"),
            format!("Referer: {attack}"),
            format!("X-Attack: {attack}"),
            format!("Cookie: showcase_session={enc}; x={enc}"),
        ];
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        for target in &targets {
            let answer = http(&addr, "GET", target, &headers, b"");
            let ct = answer.header("content-type").unwrap_or("").to_owned();
            html_pages += usize::from(ct.starts_with("text/html"));
            assert_eq!(
                raw_markup(&ct, &answer.text()),
                None,
                "GET {target} ({}): {}",
                answer.status,
                answer.text()
            );
        }
        // A form field, posted.
        let body = format!("name={enc}");
        let mut post_headers = headers.clone();
        post_headers.push("Content-Type: application/x-www-form-urlencoded");
        for target in ["/pages/greet", "/request/form"] {
            let answer = http(&addr, "POST", target, &post_headers, body.as_bytes());
            let ct = answer.header("content-type").unwrap_or("").to_owned();
            assert_eq!(
                raw_markup(&ct, &answer.text()),
                None,
                "POST {target}: {}",
                answer.text()
            );
        }
    }
    // The control: most of these answers are HTML pages, so the check
    // above did look at them.
    assert!(
        html_pages >= ATTACKS.len() * 4,
        "only {html_pages} HTML pages seen"
    );
}
