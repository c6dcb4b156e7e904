//! The `http` server factory for paste-deploy (feature `deploy`), under
//! Paste's entry-point name too, so `use = egg:Paste#http` works.

use http::HeaderValue;
use paste_deploy::{Conf, Description, Error, ErrorKind, Registry, Server as DeployServer};

use crate::Server;

/// The settings `[server:]` sections may give, for the error that lists
/// them when one is misspelt.
const KNOWN: &[&str] = &[
    "host",
    "port",
    "unix_socket",
    "threads",
    "threadpool_workers",
    "header_read_timeout",
    "max_header_size",
    "max_body_size",
    "keep_alive_timeout",
    "max_connections",
    "drain_timeout",
    "write_timeout",
    "body_read_timeout",
    "min_body_rate",
    "server_version",
    "tls_cert",
    "tls_key",
    "ssl_pem",
];

/// Settings of `paste.httpserver` that have no meaning here: accepted so
/// that old configs load, and ignored with a warning.
const IGNORED: &[&str] = &[
    "use_threadpool",
    "threadpool_options",
    "daemon_threads",
    "protocol_version",
    "socket_timeout",
    "request_queue_size",
    "start_loop",
    "handler",
    "ssl_context",
];

/// Registers the `http` server (aliases `egg:Paste#http`, `Paste#http`).
///
/// ```ini
/// [server:main]
/// use = egg:Paste#http
/// host = 0.0.0.0
/// port = 8080
/// threads = 4
/// max_body_size = 10485760
/// header_read_timeout = 10s
/// ```
///
/// Settings: `host` (default 127.0.0.1), `port` (8080), or `unix_socket`
/// (a path); `threads` (or Paste's `threadpool_workers`): the runtime's
/// worker threads; the limits `header_read_timeout`, `keep_alive_timeout`,
/// `drain_timeout`, `write_timeout`, `body_read_timeout` (durations like
/// `30s`), `max_header_size`, `max_body_size`, `max_connections`,
/// `min_body_rate` (integers; see the [`Server`] setter of each); `server_version` (the
/// `Server` header; empty for none); with the `tls` feature, `tls_cert` and
/// `tls_key` (PEM files), or Paste's `ssl_pem` (one PEM file holding both).
/// A misspelt setting is an error that lists these.
pub fn register(registry: &mut Registry) {
    registry.server("http", http_factory);
    registry.alias("egg:Paste#http", "http");
    registry.alias("Paste#http", "http");
    describe(registry);
}

/// What `paster points` (paste-script) says of each factory registered here.
fn describe(registry: &mut Registry) {
    registry.describe(
        "http",
        Description::new(
            "The web server: HTTP/1.1 and HTTP/2 on hyper, graceful shutdown, optional TLS.",
        )
        .setting("host", "address to listen on (default 127.0.0.1)")
        .setting("port", "port (default 8080; 0 picks a free one)")
        .setting("unix_socket", "a Unix socket path instead of host and port")
        .setting("threads", "worker threads of the runtime")
        .setting(
            "header_read_timeout",
            "time a client has to send a request head (30s)",
        )
        .setting(
            "keep_alive_timeout",
            "idle time before a kept-alive connection closes",
        )
        .setting("drain_timeout", "time requests in flight get at shutdown")
        .setting(
            "write_timeout",
            "time a write may stay blocked on a client that does not read (60s)",
        )
        .setting(
            "body_read_timeout",
            "time a request body has to arrive, +1s per min_body_rate bytes (30s)",
        )
        .setting(
            "min_body_rate",
            "bytes/s of request body that extend body_read_timeout (500; 0: none)",
        )
        .setting("max_header_size", "bytes of a request head")
        .setting("max_body_size", "bytes of a request body")
        .setting("max_connections", "open connections at once")
        .setting("server_version", "the Server header (empty for none)")
        .setting("tls_cert, tls_key", "PEM files: serve HTTPS")
        .setting("ssl_pem", "one PEM file holding both (Paste's name)"),
    );
}

fn http_factory(_global: &Conf, local: &Conf) -> Result<DeployServer, Error> {
    for key in local.keys() {
        if IGNORED.contains(&key) {
            tracing::warn!("ignoring the paste.httpserver setting {key:?}: it has no meaning here");
        } else if !KNOWN.contains(&key) {
            let mut err = Error::new(
                ErrorKind::BadValue,
                format!(
                    "unknown setting {key:?} for the http server (known: {})",
                    KNOWN.join(", ")
                ),
            );
            if let Some(at) = local.location(key) {
                err = err.at(at.clone());
            }
            return Err(err);
        }
    }
    let io = |err: std::io::Error, what: &str| {
        Error::new(ErrorKind::Factory, format!("cannot {what}: {err}")).with_source(err)
    };
    let mut server = match local.get("unix_socket") {
        Some(path) => Server::bind_unix(path).map_err(|e| io(e, &format!("bind {path}")))?,
        None => {
            let host = local.get("host").unwrap_or("127.0.0.1");
            let port: u16 = local.int("port")?.unwrap_or(8080);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            Server::bind((host, port)).map_err(|e| io(e, &format!("listen on {host}:{port}")))?
        }
    };
    if let Some(timeout) = local.duration("header_read_timeout")? {
        server = server.header_read_timeout(timeout);
    }
    if let Some(timeout) = local.duration("keep_alive_timeout")? {
        server = server.keep_alive_timeout(timeout);
    }
    if let Some(timeout) = local.duration("drain_timeout")? {
        server = server.drain_timeout(timeout);
    }
    if let Some(timeout) = local.duration("write_timeout")? {
        server = server.write_timeout(timeout);
    }
    if let Some(timeout) = local.duration("body_read_timeout")? {
        server = server.body_read_timeout(timeout);
    }
    if let Some(rate) = local.int::<u64>("min_body_rate")? {
        server = server.min_body_rate(rate);
    }
    if let Some(size) = local.int::<usize>("max_header_size")? {
        server = server.max_header_size(size);
    }
    if let Some(size) = local.int::<u64>("max_body_size")? {
        server = server.max_body_size(size);
    }
    if let Some(count) = local.int::<usize>("max_connections")? {
        server = server.max_connections(count);
    }
    if let Some(version) = local.get("server_version") {
        let value = if version.is_empty() {
            None
        } else {
            Some(HeaderValue::from_str(version).map_err(|_| {
                Error::new(
                    ErrorKind::BadValue,
                    format!("bad value for server_version: {version:?}"),
                )
            })?)
        };
        server = server.server_header(value);
    }
    server = tls(server, local)?;
    let threads = match local.int::<usize>("threads")? {
        Some(threads) => Some(threads),
        None => local.int::<usize>("threadpool_workers")?,
    };
    let url = server.url();
    let shown = url.clone();
    let deploy = DeployServer::new(move |app| {
        Box::pin(async move {
            server
                .serve(app)
                .await
                .map_err(|err| Error::new(ErrorKind::Factory, format!("serving on {url}: {err}")))
        })
    })
    .with_url(shown);
    Ok(match threads {
        Some(threads) => deploy.with_worker_threads(threads),
        None => deploy,
    })
}

#[cfg(feature = "tls")]
fn tls(server: Server, local: &Conf) -> Result<Server, Error> {
    let files = match (
        local.get("tls_cert"),
        local.get("tls_key"),
        local.get("ssl_pem"),
    ) {
        (Some(cert), Some(key), _) => Some((cert, key)),
        (None, None, Some(pem)) => Some((pem, pem)),
        (None, None, None) => None,
        _ => {
            return Err(Error::new(
                ErrorKind::BadValue,
                "tls_cert and tls_key go together (or ssl_pem alone)",
            ));
        }
    };
    match files {
        Some((cert, key)) => server
            .tls_pem_files(cert, key)
            .map_err(|err| Error::new(ErrorKind::BadValue, err.to_string())),
        None => Ok(server),
    }
}

#[cfg(not(feature = "tls"))]
fn tls(server: Server, local: &Conf) -> Result<Server, Error> {
    if ["tls_cert", "tls_key", "ssl_pem"]
        .iter()
        .any(|k| local.contains_key(k))
    {
        return Err(Error::new(
            ErrorKind::BadValue,
            "TLS settings given, but paste-server was built without its `tls` feature",
        ));
    }
    Ok(server)
}
