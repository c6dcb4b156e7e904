//! What the session tests share: an app that drives the session from its
//! path, and helpers to call it with cookies.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;

use paste_core::http::StatusCode;
use paste_core::http::header::{COOKIE, SET_COOKIE};
use paste_core::{App, Error, Request, Response, app_fn};
use paste_middleware::session::Session;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An app doing what its path says to the session:
/// `/get/K`, `/set/K/V`, `/remove/K`, `/clear`, `/invalidate`,
/// `/login/USER` (regenerate the id, then set `user`), `/id`, `/big/N`
/// (sets `big` to N bytes), `/own-cookie/K/V` (sets K=V and a cookie of
/// its own), `/fail/K/V` (sets K=V, then answers with an error),
/// `/bad-value` (tries to store what JSON can't hold).
pub fn app() -> impl App {
    app_fn(|req: Request| async move {
        let session = Session::from_request(&req).expect("a session in the extensions");
        let path = req.uri().path().to_owned();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let body = match parts.as_slice() {
            ["get", key] => session
                .get::<serde_json::Value>(key)
                .map_or_else(|| "none".to_owned(), |v| v.to_string()),
            ["set", key, value] => {
                session.set(*key, value)?;
                "ok".to_owned()
            }
            ["remove", key] => session.remove(key).to_string(),
            ["clear"] => {
                session.clear();
                "ok".to_owned()
            }
            ["invalidate"] => {
                session.invalidate();
                "ok".to_owned()
            }
            ["login", user] => {
                session.regenerate_id();
                session.set("user", user)?;
                "ok".to_owned()
            }
            ["id"] => session
                .id()
                .map_or_else(|| "none".to_owned(), |id| id.to_string()),
            ["big", n] => {
                let n: usize = n.parse().unwrap_or(0);
                session.set("big", &"x".repeat(n))?;
                "ok".to_owned()
            }
            ["own-cookie", key, value] => {
                session.set(*key, value)?;
                let mut response = Response::new("ok".into());
                response
                    .headers_mut()
                    .append(SET_COOKIE, "theme=dark; Path=/".parse().unwrap());
                return Ok(response);
            }
            ["fail", key, value] => {
                session.set(*key, value)?;
                return Err(Error::new(StatusCode::FORBIDDEN));
            }
            ["bad-value"] => {
                let mut map = HashMap::new();
                map.insert((1, 2), 3);
                match session.set("bad", &map) {
                    Ok(()) => "stored".to_owned(),
                    Err(err) => format!("refused {}", err.status().as_u16()),
                }
            }
            _ => "?".to_owned(),
        };
        Ok(Response::new(body.into()))
    })
}

/// What a call gave back.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Answer {
    /// The `name=value` of the last `Set-Cookie` for `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies
            .iter()
            .rev()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap().to_owned())
    }

    /// The whole `Set-Cookie` line for `name`.
    pub fn cookie_line(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }
}

/// Calls `app` with a GET of `path` sending `cookie` (a whole `Cookie`
/// header value) if given. Errors are turned into their responses.
pub async fn call<A: App>(app: &A, path: &str, cookie: Option<&str>) -> Answer {
    let mut builder = Request::get(path);
    if let Some(cookie) = cookie {
        builder = builder.header(COOKIE, cookie);
    }
    let req = builder.body(().into()).unwrap();
    let response = app.call(req).await.unwrap_or_else(Error::into_response);
    let status = response.status();
    let set_cookies = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = response.into_body().to_bytes(1 << 20).await.unwrap();
    Answer {
        status,
        set_cookies,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// One raw HTTP/1.1 exchange; gives the status line, Set-Cookie values
/// and the body.
pub async fn http_get(
    addr: std::net::SocketAddr,
    path: &str,
    cookie: Option<&str>,
) -> (String, Vec<String>, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{cookie}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().to_owned();
    let set_cookies = lines
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.trim().to_owned())
        .collect();
    (status, set_cookies, body.to_owned())
}
