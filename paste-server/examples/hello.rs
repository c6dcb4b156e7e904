//! The smallest Paste server: `Hello, World!` as text/plain on every path.
//!
//! ```text
//! cargo run --release -p paste-server --example hello -- 127.0.0.1:8080
//! curl http://127.0.0.1:8080/anything
//! ```

use paste_core::http::header::{CONTENT_TYPE, HeaderValue};
use paste_core::{Response, app_fn};

fn main() -> std::io::Result<()> {
    // Logs go to stderr; `RUST_LOG=debug` shows more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());

    // An app is anything that turns a request into a response; a closure
    // will do. The body is a `&'static str`: no copy, no allocation.
    let app = app_fn(|_req| async {
        let mut response = Response::new("Hello, World!".into());
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        Ok(response)
    });

    // Binds, logs where it listens, and serves until Ctrl-C.
    paste_server::serve(app, addr)
}
