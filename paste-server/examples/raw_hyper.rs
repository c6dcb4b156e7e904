//! The baseline of the load benchmark (`benches/load.sh`): the same
//! `Hello, World!` server written directly on hyper, with the same runtime,
//! the same protocol detection, the same hyper settings, the same socket
//! options and the same bytes on the wire as `hello`, so that the ratio between the two is what
//! Paste's layers cost.
//!
//! ```text
//! cargo run --release -p paste-server --example raw_hyper -- 127.0.0.1:8081
//! ```

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"Hello, World!")));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // The same bytes on the wire as paste-server's default answer.
    response
        .headers_mut()
        .insert(SERVER, HeaderValue::from_static("paste-server"));
    Ok(response)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("raw hyper serving on http://{}", listener.local_addr()?);
    // hyper configured as paste-server configures it by default: a timer
    // for the head timeout (slowloris protection), the head size limit.
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .max_buf_size(64 * 1024);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let builder = Arc::clone(&builder);
        tokio::spawn(async move {
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}
