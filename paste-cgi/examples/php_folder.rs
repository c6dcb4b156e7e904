//! A folder of PHP scripts on an HTTP server, as WPHP served one: `.php`
//! files run by a `php-cgi` the app starts itself, the other files served
//! as they are.
//!
//! ```text
//! cargo run --example php_folder -- paste-cgi/tests/php 127.0.0.1:8080
//! curl 'http://127.0.0.1:8080/form.php?name=Guy' -d myname=Stan
//! ```
//!
//! php-cgi comes with the Debian package `php-cgi`.

use paste_cgi::PhpApp;
use paste_server::Server;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| ".".to_owned());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());

    // Logs: php-cgi's start, and what PHP writes to its error log.
    tracing_subscriber::fmt().init();

    // php-cgi starts with the first request, with two children; it is
    // killed when the server stops and the app is dropped.
    let app = PhpApp::new(&dir).max_connections(2);

    let server = Server::bind(addr.as_str())?;
    eprintln!("serving {dir} on http://{addr}/; Ctrl-C to stop");
    server.serve(app).await
}
