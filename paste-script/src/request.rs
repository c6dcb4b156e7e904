//! `paster request` and `paster post`: one request through the config's
//! app, in this process, and the response on stdout.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr};

use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use http::{Method, Uri};
use paste_core::{Body, ConnectionInfo, Request};
use paste_deploy::Registry;

use crate::config;
use crate::error::Error;
use crate::paster::RequestArgs;

/// The largest request body `post` reads from stdin, and response body it
/// prints.
const MAX_BODY: usize = 256 << 20;

pub(crate) fn run(registry: &Registry, args: &RequestArgs, post: bool) -> Result<u8, Error> {
    let vars = config::vars(&args.vars)?;
    let uri = config::uri(&args.config);
    let target = target(&args.url)?;
    let body = if post {
        let mut body = Vec::new();
        std::io::stdin()
            .take(MAX_BODY as u64)
            .read_to_end(&mut body)
            .map_err(|err| Error::new(1, format!("cannot read the body from stdin: {err}")))?;
        body
    } else {
        Vec::new()
    };
    let host = target
        .authority()
        .map_or_else(|| "localhost".to_owned(), ToString::to_string);
    let mut req = Request::builder()
        .method(if post { Method::POST } else { Method::GET })
        .uri(target)
        .header(HOST, host)
        .header(ACCEPT, "text/plain;q=1.0, */*;q=0.1");
    if post {
        req = req
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(CONTENT_LENGTH, body.len());
    }
    let mut req = req
        .body(Body::from(body))
        .map_err(|err| Error::usage(format!("bad request: {err}")))?;
    for header in &args.headers {
        let (name, value) = header.split_once(':').ok_or_else(|| {
            Error::usage(format!("bad header {header:?}: expected `Name: value`"))
        })?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| Error::usage(format!("bad header name in {header:?}")))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| Error::usage(format!("bad header value in {header:?}")))?;
        req.headers_mut().insert(name, value);
    }
    let local = SocketAddr::from((Ipv4Addr::LOCALHOST, 80));
    req.extensions_mut().insert(
        ConnectionInfo::new(http::uri::Scheme::HTTP)
            .with_local_addr(local)
            .with_remote_addr(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::new(1, format!("cannot start the runtime: {err}")))?;
    let cwd = std::env::current_dir()
        .map_err(|err| Error::usage(format!("cannot read the current folder: {err}")))?;
    let app = {
        let _runtime = runtime.enter();
        registry.load_app(&uri, args.app_name.as_deref(), Some(&cwd), &vars)?
    };
    let (parts, body) = runtime
        .block_on(async {
            let response = paste_server::call_app(&app, req).await;
            let (parts, body) = response.into_parts();
            body.to_bytes(MAX_BODY as u64).await.map(|b| (parts, b))
        })
        .map_err(|err| Error::new(1, format!("cannot read the response body: {err}")))?;
    let mut out = std::io::stdout().lock();
    let mut write = || -> std::io::Result<()> {
        if args.display_headers {
            writeln!(out, "{:?} {}", parts.version, parts.status)?;
            for (name, value) in &parts.headers {
                writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))?;
            }
            writeln!(out)?;
        }
        out.write_all(&body)?;
        out.flush()
    };
    write().map_err(|err| Error::new(1, format!("cannot write the response: {err}")))?;
    let status = parts.status;
    Ok(if status.is_success() || status.is_redirection() {
        0
    } else {
        1
    })
}

/// `/path?q` or `http://host/path?q` as the request target; a relative
/// path is taken from the root.
fn target(url: &str) -> Result<Uri, Error> {
    let url = if url.contains("://") || url.starts_with('/') {
        url.to_owned()
    } else {
        format!("/{url}")
    };
    url.parse::<Uri>()
        .map_err(|err| Error::usage(format!("bad URL {url:?}: {err}")))
}
