//! A Paste app served over FastCGI, for nginx's `fastcgi_pass`.
//!
//! ```text
//! cargo run --example fastcgi_hello -- 127.0.0.1:9000
//! cargo run --example fastcgi_hello -- unix:/run/hello/fcgi.sock
//! ```
//!
//! and in nginx:
//!
//! ```text
//! location / {
//!     include fastcgi_params;
//!     fastcgi_param SCRIPT_NAME "";   # the app is mounted at /
//!     fastcgi_param PATH_INFO $uri;
//!     fastcgi_pass 127.0.0.1:9000;    # or unix:/run/hello/fcgi.sock
//! }
//! ```
//!
//! Without nginx, `cgi-fcgi` (Debian package `libfcgi-bin`) plays the web
//! server: `REQUEST_METHOD=GET PATH_INFO=/world cgi-fcgi -bind -connect 127.0.0.1:9000`.

use paste_cgi::FastCgiServer;
use paste_core::{Request, RequestExt, Response, app_fn};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9000".to_owned());

    // The app: a greeting for whatever path nginx passed on.
    let app = app_fn(|req: Request| async move {
        let text = format!(
            "Hello from {} (mounted at {:?}), {} {}!\n",
            req.path_info(),
            req.script_name(),
            req.method(),
            req.remote_addr()
                .map_or_else(String::new, |a| a.ip().to_string()),
        );
        Ok(Response::new(text.into()))
    });

    // TCP or a Unix socket; either way, SIGINT or SIGTERM stops it
    // gracefully.
    let server = match addr.strip_prefix("unix:") {
        Some(path) => FastCgiServer::bind_unix(path)?,
        None => FastCgiServer::bind(addr.as_str())?,
    };
    eprintln!("FastCGI on {addr}; Ctrl-C to stop");
    server.serve(app).await
}
