//! Tempita pages: a folder of templates served as web pages (feature
//! `tempita`).
//!
//! [`TempitaPages`] renders the [Tempita](tempita) template a request's path
//! names, with HTML escaping on, and the request and its session in the
//! template's context. It is the smallest way to put dynamic pages in a
//! deployment config, next to static files and CGI scripts.
//!
//! # What a page sees
//!
//! | name | what it is |
//! |---|---|
//! | `request.method`, `.path`, `.url`, `.script_name`, `.path_info`, `.query_string`, `.host`, `.scheme` | the request, as [`webob::Request`] reads it |
//! | `request.params` | the query string's parameters and a form body's fields (a dict; the last value of a repeated name) |
//! | `request.remote_user`, `request.remote_addr` | set by auth middleware and the server, or `None` |
//! | `script_name` | where the pages are mounted, for links: `{{script_name}}/about` |
//! | `session` | the request's session ([`session`](crate::session)), or `None` when no session middleware is in front: `session['k']`, `session.get('k', default)`, `session.set('k', v)`, `session.remove('k')`, `session.keys()`, `session.clear()` |
//!
//! plus whatever [`namespace`](TempitaPages::namespace) adds.
//!
//! # Which file answers
//!
//! `/` and paths ending in `/` answer with the folder's `index.html`;
//! `/about` with `about.html` (or exactly `about` when no such file
//! exists). A path with a segment starting with `_` or `.` is 404, so that
//! layouts such as `_layout.html` can be inherited but never served alone;
//! so is anything outside the folder (the loader refuses `..`). GET, HEAD
//! and POST are answered, other methods get 405.
//!
//! Templates are parsed once and kept; a template that fails to parse or to
//! render is a 500 whose source is the located Tempita error
//! (`name:line:column: message`), shown by
//! [`ErrorCatcher`](crate::error_catcher::ErrorCatcher) in debug mode.
//!
//! ```
//! use paste_core::{App, Body, Request};
//! use paste_middleware::pages::TempitaPages;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("_layout.html"), "<h1>{{self.title()}}</h1>{{self.body}}").unwrap();
//! std::fs::write(
//!     dir.path().join("hello.html"),
//!     "{{inherit '_layout.html'}}{{def title}}Hello{{enddef}}Hi {{request.params.get('name', 'you')}}!",
//! )
//! .unwrap();
//!
//! let pages = TempitaPages::new(dir.path());
//! let req = Request::get("/hello?name=%3Cb%3EAnn%3C/b%3E").body(Body::empty()).unwrap();
//! let res = pages.call(req).await.unwrap();
//! let html = res.into_body().to_bytes(1024).await.unwrap();
//! assert_eq!(html, "<h1>Hello</h1>Hi &lt;b&gt;Ann&lt;/b&gt;!");
//! # }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use http::{HeaderValue, Method, StatusCode, header};
use paste_core::{App, Body, Error, Request, RequestExt, Response};
use tempita::{Context, DirLoader, ErrorKind, Kwargs, Object, Value};

use crate::session::Session;

/// Serves a folder of Tempita templates as HTML pages; see the
/// [module docs](self).
#[derive(Clone)]
pub struct TempitaPages {
    loader: DirLoader,
    index: String,
}

impl TempitaPages {
    /// Serves the templates of `dir`, HTML-escaping every value a page
    /// inserts unless marked safe with `html()`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            loader: DirLoader::new(dir).html(true),
            index: "index.html".to_owned(),
        }
    }

    /// Adds names (values, functions) that every page can use.
    #[must_use]
    pub fn namespace(mut self, namespace: &Context) -> Self {
        self.loader = self.loader.namespace(namespace);
        self
    }

    /// The file that answers for `/` and a folder's path (`index.html`).
    #[must_use]
    pub fn index_file(mut self, name: &str) -> Self {
        name.clone_into(&mut self.index);
        self
    }

    /// The folder the pages come from.
    pub fn root(&self) -> &Path {
        self.loader.root()
    }

    /// The template file a path info names, or `None` when it names no
    /// page (a hidden or private segment, or no such file).
    fn template_name(&self, path_info: &str) -> Option<String> {
        let rel = path_info.trim_start_matches('/');
        if rel
            .split('/')
            .any(|segment| segment.starts_with('.') || segment.starts_with('_'))
        {
            return None;
        }
        let candidates = if rel.is_empty() || rel.ends_with('/') {
            [Some(format!("{rel}{}", self.index)), None]
        } else {
            [Some(format!("{rel}.html")), Some(rel.to_owned())]
        };
        candidates
            .into_iter()
            .flatten()
            .find(|name| self.root().join(name).is_file())
    }

    async fn render(&self, req: Request) -> Result<Response, Error> {
        let head = req.method() == Method::HEAD;
        if !matches!(*req.method(), Method::GET | Method::HEAD | Method::POST) {
            return Err(Error::new(StatusCode::METHOD_NOT_ALLOWED)
                .with_header(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST")));
        }
        let name = self
            .template_name(req.path_info())
            .ok_or_else(|| Error::new(StatusCode::NOT_FOUND))?;
        let template = self.loader.get(&name).map_err(|e| {
            // The loader refuses names that leave the folder (a symlink
            // out of it): for the client that is no page, not a failure.
            if e.kind() == tempita::ErrorKind::TemplateNotFound {
                return Error::new(StatusCode::NOT_FOUND);
            }
            Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("a page failed to load")
                .with_source(e)
        })?;

        let session = Session::from_request(&req);
        let script_name = req.script_name().to_owned();
        let request = request_value(req).await?;
        let mut context = Context::new()
            .with("request", request)
            .with("script_name", script_name);
        context.insert(
            "session",
            session.map_or(Value::from(()), |s| Value::from_object(SessionObject(s))),
        );

        let html = template.substitute(&context).map_err(|e| {
            Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("a page failed to render")
                .with_source(e)
        })?;
        let length = html.len();
        let mut res = Response::new(if head { Body::empty() } else { html.into() });
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        Ok(res)
    }
}

/// The `request` a page sees: plain data read once, before rendering.
async fn request_value(req: Request) -> Result<Value, Error> {
    let remote_user = req.remote_user().map(str::to_owned);
    let remote_addr = req.remote_addr().map(|addr| addr.ip().to_string());
    let script_name = req.script_name().to_owned();
    let path_info = req.path_info().to_owned();
    let mut req = webob::Request::new(req);
    let params = req.params().await?;
    let params = Value::dict(params.iter().map(|(k, v)| (k.to_owned(), v.clone())));
    let text = |s: &str| Value::from(s.to_owned());
    Ok(Value::dict([
        ("method", text(req.method().as_str())),
        ("path", text(req.path())),
        ("url", Value::from(req.url())),
        ("script_name", Value::from(script_name)),
        ("path_info", Value::from(path_info)),
        ("query_string", text(req.query_string())),
        ("host", Value::from(req.host())),
        ("scheme", text(req.scheme())),
        ("params", params),
        ("remote_user", Value::from(remote_user)),
        ("remote_addr", Value::from(remote_addr)),
    ]))
}

impl App for TempitaPages {
    async fn call(&self, req: Request) -> paste_core::Result {
        self.render(req).await
    }
}

impl fmt::Debug for TempitaPages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TempitaPages")
            .field("root", &self.root())
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// The request's session, as a page sees it.
#[derive(Debug)]
struct SessionObject(Session);

impl SessionObject {
    fn get(&self, key: &str) -> Option<Value> {
        let json: serde_json::Value = self.0.get(key)?;
        Value::from_serialize(&json).ok()
    }
}

fn key_of(args: &[Value], method: &str) -> tempita::Result<String> {
    args.first()
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            tempita::Error::new(
                ErrorKind::Type,
                format!("session.{method}() needs a string key"),
            )
        })
}

impl Object for SessionObject {
    fn get_item(&self, key: &Value) -> Option<Value> {
        self.get(key.as_str()?)
    }

    fn call_method(
        &self,
        name: &str,
        args: &[Value],
        kwargs: &Kwargs,
    ) -> Option<tempita::Result<Value>> {
        if let Err(e) = kwargs.check(&format!("session.{name}"), &[]) {
            return Some(Err(e));
        }
        let result = match name {
            "get" => key_of(args, name).map(|key| {
                self.get(&key)
                    .or_else(|| args.get(1).cloned())
                    .unwrap_or(Value::from(()))
            }),
            "set" => key_of(args, name).and_then(|key| {
                let value = args.get(1).cloned().unwrap_or(Value::from(()));
                let json = serde_json::to_value(&value).map_err(|e| {
                    tempita::Error::new(ErrorKind::Type, format!("session.set(): {e}"))
                })?;
                self.0.set(key, &json).map_err(|e| {
                    tempita::Error::new(ErrorKind::Type, format!("session.set(): {e}"))
                })?;
                Ok(Value::from(()))
            }),
            "remove" => key_of(args, name).map(|key| Value::from(self.0.remove(&key))),
            "keys" => Ok(Value::from(self.0.keys())),
            "clear" => {
                self.0.clear();
                Ok(Value::from(()))
            }
            _ => return None,
        };
        Some(result)
    }

    fn iterate(&self) -> Option<Vec<Value>> {
        Some(self.0.keys().into_iter().map(Value::from).collect())
    }

    fn is_true(&self) -> bool {
        !self.0.is_empty()
    }

    fn repr(&self) -> String {
        "<session>".to_owned()
    }
}
