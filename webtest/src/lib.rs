//! The test client of Paste for Rust: drive any app like a browser would,
//! in-process, without a server (WebTest); and run command-line programs
//! in a scratch folder (ScriptTest, in [`script`]).
//!
//! ```
//! use paste_core::{Request, Response, app_fn};
//! use webtest::TestApp;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = TestApp::new(app_fn(|req: Request| async move {
//!     let mut res = Response::new(format!("<h1>Hello</h1> you asked for {}", req.uri()).into());
//!     res.headers_mut().insert("content-type", "text/html; charset=utf-8".parse().unwrap());
//!     Ok(res)
//! }));
//! let res = app.get("/hello").param("lang", "en").await;
//! assert_eq!(res.status(), 200);
//! res.mustcontain(&["Hello", "/hello?lang=en"]);
//! app.get("/").status(200).await;
//! # }
//! ```
//!
//! # A tour
//!
//! - [`TestApp`] wraps any [`App`](paste_core::App). Its request methods
//!   (`get`, `post`, `put`, `patch`, `delete`, `options`, `head`,
//!   `post_json`…, `request`) return a [`TestRequest`] to fill in (params,
//!   form fields, uploads, headers, JSON, content type, XHR, remote
//!   address and user, `https`) and await. It keeps a cookie jar across
//!   requests and an `Authorization` setting, and checks each response
//!   with [`paste_middleware::lint`].
//! - A request whose status is not the expected one ([`ExpectStatus`]:
//!   2xx or 3xx by default, or `404`, `"4*"`, `[400, 422]`, [`AnyStatus`])
//!   fails the test with the method, the URL, the status, the app's error
//!   chain and the start of the body; so does a panic of the app. Use
//!   [`TestRequest::send`] to get a [`TestError`] instead.
//! - [`TestResponse`]: status, headers, body, text, JSON, HTML (parsed by
//!   [`scraper`]), `mustcontain`, `follow`, `click` ([`Link`]), forms.
//! - [`Form`]: the fields of an HTML form, set like a user would and
//!   submitted like a browser would.
//! - [`script::TestFileEnvironment`]: run a program in a scratch folder;
//!   see its output, its status and the files it created, changed and
//!   deleted.
//!
//! With the `http` feature, [`TestApp::from_url`] drives a live server over
//! HTTP instead (through a `wsgiproxy` proxy app): the same tests then run
//! in-process or against a deployed server.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod app;
mod cookies;
mod error;
mod forms;
mod links;
mod request;
mod response;
mod status;

pub mod script;

// For the fuzz targets of fuzz/ only; not a stable API.
#[doc(hidden)]
pub mod fuzzing;

pub use app::TestApp;
pub use error::{ErrorKind, TestError};
pub use forms::Form;
pub use links::Link;
pub use request::{TestRequest, Upload};
pub use response::{MAX_REDIRECTS, TestResponse};
pub use status::{AnyStatus, ExpectStatus};
pub use webob::auth::Authorization;

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
