//! The forwarding pipeline that every proxy shares: one request out to
//! the backend, its response back, headers cleaned and rewritten.

use std::fmt;
use std::time::Duration;

use http::header::{EXPECT, HOST, HeaderName, HeaderValue, LOCATION, SET_COOKIE, UPGRADE};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use paste_core::{Error, Request, RequestExt, Response};

use crate::client::{self, Pool};
use crate::headers::{self, Forwarding, Front};
use crate::rewrite::Mapping;

/// The settings every proxy shares; see the builder methods of
/// [`HostProxy`](crate::HostProxy).
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) keep_host: bool,
    pub(crate) strip_script_name: bool,
    pub(crate) forwarding: Forwarding,
    /// The methods let through and the `Allow` header that lists them;
    /// `None` lets every method through.
    pub(crate) allowed_methods: Option<(Vec<Method>, HeaderValue)>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) body_timeout: Option<Duration>,
    pub(crate) rewrite_location: bool,
    pub(crate) rewrite_cookies: bool,
    pub(crate) suppress: Vec<HeaderName>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            keep_host: false,
            strip_script_name: true,
            forwarding: Forwarding::default(),
            allowed_methods: None,
            timeout: Some(Duration::from_secs(60)),
            body_timeout: None,
            rewrite_location: true,
            rewrite_cookies: true,
            suppress: Vec::new(),
        }
    }
}

impl Options {
    pub(crate) fn set_allowed_methods(&mut self, methods: Vec<Method>) {
        let allow = methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let allow = HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static(""));
        self.allowed_methods = Some((methods, allow));
    }
}

/// Where one request goes.
pub(crate) struct Target<'a> {
    pub(crate) scheme: Scheme,
    pub(crate) authority: Authority,
    /// The host of the authority, for matching URLs that name it.
    pub(crate) host: &'a str,
    /// The port, explicit or by scheme.
    pub(crate) port: u16,
    /// The base path of the backend: `""` or `/base`.
    pub(crate) base: &'a str,
    /// The `Host` the backend gets, unless the proxy keeps the client's.
    pub(crate) host_header: Option<&'a HeaderValue>,
    /// Whether a cookie `Domain` naming the backend host is dropped.
    pub(crate) cookie_domain: bool,
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.base)
    }
}

/// The 405 for a method the proxy does not let through.
fn method_not_allowed(method: &Method, allow: &HeaderValue) -> Error {
    Error::new(StatusCode::METHOD_NOT_ALLOWED)
        .with_message(format!(
            "Method Not Allowed: this proxy does not forward {method} requests"
        ))
        .with_header(http::header::ALLOW, allow.clone())
}

/// Sends `req` to `target` through `pool` and gives back the backend's
/// response, cleaned and rewritten for the client.
pub(crate) async fn forward(
    pool: &Pool,
    opts: &Options,
    target: Target<'_>,
    mut req: Request,
) -> paste_core::Result {
    if let Some((methods, allow)) = &opts.allowed_methods
        && !methods.contains(req.method())
    {
        return Err(method_not_allowed(req.method(), allow));
    }

    let upgrade = headers::upgrade_request(req.headers());
    let client_upgrade = upgrade.as_ref().map(|_| hyper::upgrade::on(&mut req));

    let prefix = if opts.strip_script_name {
        req.script_name().to_owned()
    } else {
        String::new()
    };
    let uri = backend_uri(&req, &target, opts.strip_script_name)?;
    let client_ip = req.remote_addr().map(|addr| addr.ip());
    let proto = if req.url_scheme() == "https" {
        "https"
    } else {
        "http"
    };
    let front_host = match req.headers().get(HOST) {
        Some(host) => Some(host.clone()),
        None => req
            .uri()
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok()),
    };

    let (parts, body) = req.into_parts();
    let mut headers = parts.headers;
    headers::remove_hop_by_hop(&mut headers);
    headers.remove(EXPECT);
    for name in &opts.suppress {
        headers.remove(name);
    }
    opts.forwarding.apply(
        &mut headers,
        &Front {
            client_ip,
            host: front_host.as_ref(),
            proto,
            prefix: &prefix,
        },
    );
    match (opts.keep_host, target.host_header, &front_host) {
        (false, Some(host), _) => {
            headers.insert(HOST, host.clone());
        }
        (_, _, Some(front)) if !headers.contains_key(HOST) => {
            headers.insert(HOST, front.clone());
        }
        _ => {}
    }
    if let Some(protocol) = &upgrade {
        headers::set_upgrade(&mut headers, protocol.clone());
    }

    let mut out = http::Request::new(body);
    *out.method_mut() = parts.method;
    *out.uri_mut() = uri;
    *out.headers_mut() = headers;

    let sent = pool.request(out);
    let answer = match opts.timeout {
        Some(limit) => match tokio::time::timeout(limit, sent).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::warn!(backend = %target, "proxy: the backend did not answer within {limit:?}");
                return Err(client::timed_out("the backend did not answer in time"));
            }
        },
        None => sent.await,
    };
    let mut response = answer.map_err(|err| client::exchange_failed(err, &target))?;

    let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
    let mut switched_to = None;
    if switching {
        let Some(client_upgrade) = client_upgrade else {
            tracing::warn!(backend = %target, "proxy: the backend switched protocols unasked");
            return Err(Error::new(StatusCode::BAD_GATEWAY)
                .with_message("Bad Gateway: the backend server did not send a valid response"));
        };
        switched_to = response.headers().get(UPGRADE).cloned();
        let backend_upgrade = hyper::upgrade::on(&mut response);
        tokio::spawn(tunnel(client_upgrade, backend_upgrade));
    }

    let (mut parts, incoming) = response.into_parts();
    headers::remove_hop_by_hop(&mut parts.headers);
    if let Some(protocol) = switched_to {
        headers::set_upgrade(&mut parts.headers, protocol);
    }
    if opts.rewrite_location || opts.rewrite_cookies {
        let mapping = Mapping {
            scheme: target.scheme.as_str(),
            host: target.host,
            port: target.port,
            base: target.base,
            prefix: &prefix,
            cookie_domain: target.cookie_domain,
        };
        rewrite(&mut parts.headers, &mapping, opts);
    }
    Ok(Response::from_parts(
        parts,
        client::stream_body(incoming, opts.body_timeout),
    ))
}

/// The backend's URI for `req`: the target's scheme, authority and base,
/// then the path (the path info alone when the script name is stripped)
/// and the query, both as the client sent them (still percent-encoded).
fn backend_uri(req: &Request, target: &Target<'_>, strip: bool) -> Result<Uri, Error> {
    let path = if strip {
        req.path_info()
    } else {
        req.uri().path()
    };
    let query = req.uri().query();
    let mut pq = String::with_capacity(
        target.base.len() + path.len() + query.map_or(0, |q| q.len() + 1) + 1,
    );
    pq.push_str(target.base);
    if path.is_empty() {
        if target.base.is_empty() {
            pq.push('/');
        }
    } else {
        pq.push_str(path);
    }
    if let Some(query) = query {
        pq.push('?');
        pq.push_str(query);
    }
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(target.scheme.clone());
    parts.authority = Some(target.authority.clone());
    parts.path_and_query = Some(PathAndQuery::from_maybe_shared(pq).map_err(|err| {
        Error::new(StatusCode::BAD_REQUEST)
            .with_message("Bad Request: the path cannot be forwarded")
            .with_source(err)
    })?);
    Uri::from_parts(parts).map_err(|err| {
        Error::new(StatusCode::BAD_REQUEST)
            .with_message("Bad Request: the path cannot be forwarded")
            .with_source(err)
    })
}

/// Rewrites `Location` and each `Set-Cookie` from the backend's view to
/// the front end's.
fn rewrite(headers: &mut http::HeaderMap, mapping: &Mapping<'_>, opts: &Options) {
    if opts.rewrite_location
        && let Some(location) = headers.get(LOCATION).and_then(|v| v.to_str().ok())
        && let Some(rewritten) = mapping.location(location)
        && let Ok(value) = HeaderValue::from_str(&rewritten)
    {
        headers.insert(LOCATION, value);
    }
    if opts.rewrite_cookies && headers.contains_key(SET_COOKIE) {
        let cookies: Vec<HeaderValue> = headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| {
                value
                    .to_str()
                    .ok()
                    .and_then(|cookie| mapping.set_cookie(cookie))
                    .and_then(|cookie| HeaderValue::from_str(&cookie).ok())
                    .unwrap_or_else(|| value.clone())
            })
            .collect();
        headers.remove(SET_COOKIE);
        for cookie in cookies {
            headers.append(SET_COOKIE, cookie);
        }
    }
}

/// Copies bytes both ways between the client and the backend once both
/// have switched protocols, until either side closes.
async fn tunnel(client: hyper::upgrade::OnUpgrade, backend: hyper::upgrade::OnUpgrade) {
    let client = match client.await {
        Ok(upgraded) => upgraded,
        Err(err) => {
            tracing::debug!("proxy: the client's side of the upgrade failed: {err}");
            return;
        }
    };
    let backend = match backend.await {
        Ok(upgraded) => upgraded,
        Err(err) => {
            tracing::debug!("proxy: the backend's side of the upgrade failed: {err}");
            return;
        }
    };
    let (mut client, mut backend) = (TokioIo::new(client), TokioIo::new(backend));
    match tokio::io::copy_bidirectional(&mut client, &mut backend).await {
        Ok((up, down)) => {
            tracing::debug!("proxy: upgraded connection closed after {up} bytes up, {down} down");
        }
        Err(err) => tracing::debug!("proxy: upgraded connection broke off: {err}"),
    }
}
