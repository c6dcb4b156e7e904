//! Registration with paste-deploy (feature `deploy`), under the entry-point
//! names of `paste.proxy` and WSGIProxy2.

use std::time::Duration;

use paste_core::BoxApp;
use paste_core::http::{HeaderName, Method};
use paste_deploy::{Conf, Description, Error, ErrorKind, Registry};

use crate::{HostProxy, TransparentProxy};

/// Registers the proxies of this crate.
///
/// | name (aliases) | settings |
/// |---|---|
/// | `proxy` (`egg:Paste#proxy`, `egg:WSGIProxy2#main`) | `address` (required; also spelt `href` or `uri`): `http://host:port/base`, `https://…` (feature `tls`) or `unix:/path.sock`; and the common settings |
/// | `transparent_proxy` (`egg:Paste#transparent_proxy`) | `allowed_hosts` (required): `host`, `host:port` or `host:*`, space-separated; `force_scheme` (`http`, or `https` with feature `tls`); and the common settings |
///
/// The common settings:
/// - `allowed_request_methods` (also `allowed_methods`): space-separated;
///   empty or unset lets every method through;
/// - `suppress_http_headers`: request header names not to forward, space
///   separated (`x_custom` and `x-custom` alike);
/// - `strip_script_name`, `keep_host` (`proxy` only), `rewrite_location`,
///   `rewrite_cookies`, `x_forwarded_for`, `x_forwarded_host`,
///   `x_forwarded_proto`, `x_forwarded_prefix`, `forwarded`: booleans;
/// - `connect_timeout`, `timeout`, `body_timeout`: durations (`30`, `500ms`, `2m`), or
///   `none`.
///
/// ```
/// use paste_deploy::{Conf, Registry};
///
/// let dir = std::env::temp_dir().join(format!("wsgiproxy-deploy-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(
///     dir.join("proxy.ini"),
///     "[app:main]\nuse = egg:Paste#proxy\naddress = http://127.0.0.1:8080/\nallowed_request_methods = GET POST\n",
/// )
/// .unwrap();
/// let mut registry = Registry::new();
/// registry.register(wsgiproxy::deploy::register);
/// let _proxy = registry.load_app("config:proxy.ini", None, Some(&dir), &Conf::new()).unwrap();
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn register(registry: &mut Registry) {
    registry
        .app("proxy", |_global, local| {
            let key = ["address", "href", "uri"]
                .into_iter()
                .find(|key| local.contains_key(key))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::MissingValue,
                        "address is required: the URL of the backend (http://host:port/base)",
                    )
                })?;
            let url = local.require(key)?;
            let proxy = HostProxy::new(url).map_err(|err| local.bad_setting(key, err))?;
            let proxy = match local.bool("keep_host")? {
                Some(keep) => proxy.keep_host(keep),
                None => proxy,
            };
            Ok(BoxApp::new(common!(proxy, local)))
        })
        .app("transparent_proxy", |_global, local| {
            let hosts = local.list("allowed_hosts");
            if hosts.is_empty() {
                return Err(Error::new(
                    ErrorKind::MissingValue,
                    "allowed_hosts is required: the hosts (host, host:port or host:*) this proxy \
                     may forward to; without it every request would be refused",
                ));
            }
            let mut proxy = TransparentProxy::new()
                .allow_hosts(&hosts)
                .map_err(|err| local.bad_setting("allowed_hosts", err))?;
            match local.get("force_scheme").map(str::trim) {
                None | Some("http") => {}
                #[cfg(feature = "tls")]
                Some("https") => proxy = proxy.https(true),
                Some(_) => {
                    return Err(local.bad_setting(
                        "force_scheme",
                        if cfg!(feature = "tls") {
                            "is neither http nor https"
                        } else {
                            "must be http (https needs the `tls` feature of wsgiproxy)"
                        },
                    ));
                }
            }
            #[cfg(not(feature = "tls"))]
            let _ = &mut proxy;
            Ok(BoxApp::new(common!(proxy, local)))
        });
    registry.alias("egg:Paste#proxy", "proxy");
    registry.alias("egg:WSGIProxy2#main", "proxy");
    registry.alias("egg:Paste#transparent_proxy", "transparent_proxy");
    describe(registry);
}

/// What `paster points` (paste-script) says of each factory registered here.
fn describe(registry: &mut Registry) {
    registry.describe(
        "proxy",
        Description::new("Forwards requests to another HTTP server (paste.proxy, WSGIProxy2).")
            .setting("address", "the backend: http://host:port/base, https://… or unix:/path.sock (required)")
            .setting("allowed_request_methods", "methods let through (default: all); others get 405")
            .setting("suppress_http_headers", "request headers not forwarded")
            .setting("keep_host", "forward the client's Host instead of the backend's")
            .setting("strip_script_name", "forward the path without the mount point (true)")
            .setting("rewrite_location, rewrite_cookies", "rewrite redirects and cookie domains/paths to the front end (true)")
            .setting("x_forwarded_for, x_forwarded_host, x_forwarded_proto, x_forwarded_prefix, forwarded", "forwarding headers to add")
            .setting("connect_timeout, timeout, body_timeout", "durations, or none (504 when exceeded)"),
    );
    registry.describe(
        "transparent_proxy",
        Description::new(
            "Forwards requests to the server their Host names, for allowed hosts only.",
        )
        .setting(
            "allowed_hosts",
            "host, host:port or host:* (required; nothing is allowed by default)",
        )
        .setting("force_scheme", "http, or https (feature tls)")
        .setting(
            "allowed_request_methods, suppress_http_headers, timeouts…",
            "as for proxy",
        ),
    );
}

/// Applies the settings both proxies share.
macro_rules! common {
    ($proxy:expr, $local:expr) => {{
        let local: &Conf = $local;
        let mut proxy = $proxy;
        if let Some(methods) = methods(local)? {
            proxy = proxy.allowed_methods(methods);
        }
        for name in headers(local)? {
            proxy = proxy.suppress_header(name);
        }
        if let Some(on) = local.bool("strip_script_name")? {
            proxy = proxy.strip_script_name(on);
        }
        if let Some(on) = local.bool("rewrite_location")? {
            proxy = proxy.rewrite_location(on);
        }
        if let Some(on) = local.bool("rewrite_cookies")? {
            proxy = proxy.rewrite_cookies(on);
        }
        if let Some(on) = local.bool("x_forwarded_for")? {
            proxy = proxy.x_forwarded_for(on);
        }
        if let Some(on) = local.bool("x_forwarded_host")? {
            proxy = proxy.x_forwarded_host(on);
        }
        if let Some(on) = local.bool("x_forwarded_proto")? {
            proxy = proxy.x_forwarded_proto(on);
        }
        if let Some(on) = local.bool("x_forwarded_prefix")? {
            proxy = proxy.x_forwarded_prefix(on);
        }
        if let Some(on) = local.bool("forwarded")? {
            proxy = proxy.forwarded(on);
        }
        if let Some(limit) = timeout(local, "connect_timeout")? {
            proxy = proxy.connect_timeout(limit);
        }
        if let Some(limit) = timeout(local, "timeout")? {
            proxy = proxy.timeout(limit);
        }
        if let Some(limit) = timeout(local, "body_timeout")? {
            proxy = proxy.body_timeout(limit);
        }
        proxy
    }};
}
use common;

/// The method allow-list: `None` when unset or empty (every method).
fn methods(local: &Conf) -> Result<Option<Vec<Method>>, Error> {
    let Some(key) = ["allowed_request_methods", "allowed_methods"]
        .into_iter()
        .find(|key| local.contains_key(key))
    else {
        return Ok(None);
    };
    let names = local.list(key);
    if names.is_empty() {
        return Ok(None);
    }
    names
        .iter()
        .map(|name| {
            Method::from_bytes(name.to_ascii_uppercase().as_bytes())
                .map_err(|_| local.bad_setting(key, format!("{name:?} is not an HTTP method")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The request headers not to forward.
fn headers(local: &Conf) -> Result<Vec<HeaderName>, Error> {
    local
        .list("suppress_http_headers")
        .iter()
        .map(|name| {
            HeaderName::from_bytes(name.replace('_', "-").as_bytes()).map_err(|_| {
                local.bad_setting(
                    "suppress_http_headers",
                    format!("{name:?} is not a header name"),
                )
            })
        })
        .collect()
}

/// A timeout setting: `None` when unset, `Some(None)` for `none`.
fn timeout(local: &Conf, key: &str) -> Result<Option<Option<Duration>>, Error> {
    match local.get(key).map(str::trim) {
        None => Ok(None),
        Some(off) if off.eq_ignore_ascii_case("none") || off.eq_ignore_ascii_case("off") => {
            Ok(Some(None))
        }
        Some(_) => Ok(Some(local.duration(key)?)),
    }
}
