//! A reverse proxy in a dozen lines: everything that reaches LISTEN goes
//! to BACKEND.
//!
//! ```text
//! cargo run --release -p paste-server --example hello -- 127.0.0.1:8080
//! cargo run --release -p wsgiproxy --example proxy -- 127.0.0.1:8000 http://127.0.0.1:8080
//! curl http://127.0.0.1:8000/anything
//! ```

use wsgiproxy::HostProxy;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Logs go to stderr; `RUST_LOG=debug` shows more (each refused or
    // failed exchange with the backend is logged at `warn`).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8000".to_owned());
    let backend = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());

    // The proxy is an app like any other: its clones share one pool of
    // keep-alive connections to the backend.
    let proxy = HostProxy::new(&backend)?;
    paste_server::serve(proxy, listen)?;
    Ok(())
}
