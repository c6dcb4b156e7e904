//! WebOb for Rust: request and response objects over
//! [`paste-core`](paste_core).
//!
//! ```
//! use webob::{Request, Response};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
//! let req = Request::blank("/greet?name=World");
//! let name = req.get_params()?.get("name").cloned().unwrap_or_default();
//! let response = Response::text(format!("Hello, {name}!"));
//! assert_eq!(response.headers()["content-length"], "13");
//! # Ok(()) }
//! ```
//!
//! # A tour
//!
//! - [`Request`] wraps a core request: URL pieces, the body read once under
//!   a limit (bytes, text, JSON), and — through the modules below — query
//!   and form parameters, uploads, cookies and typed headers.
//! - [`MultiDict`]: the ordered, multi-valued dictionary parameters come in.
//! - [`Form`] and [`multipart`]: form bodies, file uploads spooled to disk
//!   past a threshold, and the [`FormLimits`] that bound them.
//! - [`Response`] wraps a core response: status, headers, body, content type
//!   and charset, `Location` made safe; [`cookies`] adds cookies and signed
//!   cookies, [`cache_control`] caching headers, [`etag`] validators.
//! - Conditional and range responses: [`Response::conditional`] answers
//!   304, 412, 206 and 416 as RFC 9110 says; [`range`] parses `Range`.
//! - [`accept`]: content negotiation; [`auth`]: `Authorization` and
//!   `WWW-Authenticate`.
//! - [`exc`]: every HTTP status as an error and a response.
//! - [`static_files`]: [`FileApp`] and [`DirectoryApp`].
//! - [`wsgify`]: write `async fn(Request) -> Result<Response, Error>`, get a
//!   core [`App`](paste_core::App).
//!
//! Client errors are [`paste_core::Error`]s with a 4xx status (a bad
//! percent-escape is a 400, an oversized body a 413), never a panic or a
//! 500. Where this crate differs from WebOb 1.8.11 on purpose, its
//! COMPATIBILITY.md says so.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod conditional;
mod encoding;
mod forms;
mod headers;
mod multidict;
mod request;
mod response;
mod url;
mod wsgify;

pub mod accept;
pub mod auth;
pub mod cache_control;
pub mod cookies;
pub mod etag;
pub mod exc;
pub mod multipart;
pub mod range;
pub mod static_files;

pub use exc::escape_html;
pub use forms::Form;
pub use headers::{fmt_http_date, parse_http_date};
pub use multidict::MultiDict;
pub use multipart::{FormLimits, Upload};
pub use request::{DEFAULT_BODY_LIMIT, Request};
pub use response::Response;
pub use static_files::{DirectoryApp, FileApp};
pub use wsgify::{Wsgify, wsgify};

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
