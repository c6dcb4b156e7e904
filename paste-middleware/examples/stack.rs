//! The benchmark stack of the issue: `Hello, World!` behind urlmap,
//! translogger (to a sink that drops the lines), session (read only), gzip
//! (pass-through) and error_catcher, served by paste-server.
//!
//! What each layer does on every request of the benchmarks
//! (`paste-server/benches/load.sh`, `paste-middleware/benches/callgrind.sh`),
//! which send the same request to raw hyper:
//!
//! - session, read only: the request carries the cookie of a session that
//!   this example stores at start-up (`{"user": "alice"}`, as a logged-in
//!   visitor's would be). The session is loaded from the [`MemoryStore`]
//!   and put in the request; the app does not change it, so nothing is
//!   saved and no `Set-Cookie` is sent. (A request without the cookie gets
//!   an empty session, which is cheaper still.)
//! - gzip, pass-through: the client sends no `Accept-Encoding`, so the
//!   answer goes out as it is, with `Vary: Accept-Encoding` added.
//! - translogger: builds the combined-log record and hands it to a sink
//!   that drops it, once the body has been sent.
//! - urlmap: one mount at `/`, so every path matches.
//! - error_catcher: the app never fails; only the catching is paid for.
//!
//! ```text
//! cargo run --release -p paste-middleware --example stack -- 127.0.0.1:8080
//! curl -H 'Cookie: paste_session=5e551011c0ffee5e551011c0ffee5e55' http://127.0.0.1:8080/
//! CANDIDATE=paste-middleware:stack bash paste-server/benches/load.sh
//! ```

use std::time::{Duration, SystemTime};

use paste_core::http::header::{CONTENT_TYPE, HeaderValue};
use paste_core::{Response, app_fn};
use paste_middleware::error_catcher::ErrorCatcher;
use paste_middleware::gzip::Gzip;
use paste_middleware::session::{MemoryStore, SessionData, SessionId, SessionMiddleware, Store};
use paste_middleware::translogger::{LogRecord, TransLogger};
use paste_middleware::urlmap::UrlMap;

/// The id of the session the benchmarks' cookie names.
const SESSION_ID: &str = "5e551011c0ffee5e551011c0ffee5e55";

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

    // The logged-in visitor's session. It expires a day from now: long
    // enough that no benchmark run reaches the point where an active
    // session is saved again with a new expiry.
    let store = MemoryStore::new();
    let id = SessionId::parse(SESSION_ID).expect("a valid session id");
    let mut data = SessionData::new();
    data.insert("user".to_owned(), "alice".into());
    let expires = SystemTime::now() + Duration::from_secs(24 * 60 * 60);
    tokio::runtime::Builder::new_current_thread()
        .build()?
        .block_on(store.save(&id, &data, expires))
        .map_err(std::io::Error::other)?;

    // Outermost first: error_catcher(gzip(session(translogger(urlmap(hello))))).
    let app = ErrorCatcher::new(Gzip::new(SessionMiddleware::new(
        TransLogger::new(UrlMap::new().mount("/", hello), |_: &LogRecord| {}),
        store,
    )));
    paste_server::serve(app, addr)
}
