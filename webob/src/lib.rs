//! WebOb for Rust: request and response objects over
//! [`paste-core`](paste_core).
//!
//! ```
//! use webob::{Request, Response};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
//! let mut req = Request::blank("/greet?name=World");
//! let name = req.get_params()?.get("name").cloned().unwrap_or_default();
//! let response = Response::text(format!("Hello, {name}!"));
//! assert_eq!(response.headers()["content-length"], "13");
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod forms;
mod headers;
mod multidict;
mod request;
mod response;
mod url;

pub mod accept;
pub mod auth;
pub mod cache_control;
mod conditional;
pub mod cookies;
mod encoding;
pub mod etag;
pub mod exc;
pub mod multipart;
pub mod range;
pub mod static_files;
mod wsgify;

pub use wsgify::{Wsgify, wsgify};

pub use forms::Form;
pub use headers::{fmt_http_date, parse_http_date};
pub use multidict::MultiDict;
pub use request::{DEFAULT_BODY_LIMIT, Request};
pub use response::Response;

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
