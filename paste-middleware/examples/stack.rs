//! The benchmark stack of the issue: `Hello, World!` behind urlmap,
//! translogger (to a sink that drops the lines), session (read only: no
//! cookie comes, none is set), gzip (pass-through: wrk asks for no
//! encoding) and error_catcher, served by paste-server.
//!
//! ```text
//! cargo run --release -p paste-middleware --example stack -- 127.0.0.1:8080
//! CANDIDATE=paste-middleware:stack bash paste-server/benches/load.sh
//! ```

use paste_core::http::header::{CONTENT_TYPE, HeaderValue};
use paste_core::{Response, app_fn};
use paste_middleware::error_catcher::ErrorCatcher;
use paste_middleware::gzip::Gzip;
use paste_middleware::session::{MemoryStore, SessionMiddleware};
use paste_middleware::translogger::{LogRecord, TransLogger};
use paste_middleware::urlmap::UrlMap;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let hello = app_fn(|_req| async {
        let mut response = Response::new("Hello, World!".into());
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        Ok(response)
    });
    // Outermost first: error_catcher(gzip(session(translogger(urlmap(hello))))).
    let app = ErrorCatcher::new(Gzip::new(SessionMiddleware::new(
        TransLogger::new(UrlMap::new().mount("/", hello), |_: &LogRecord| {}),
        MemoryStore::new(),
    )));
    paste_server::serve(app, addr)
}
