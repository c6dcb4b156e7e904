//! The thin shared core of Paste for Rust: what every crate of the family
//! agrees on, and nothing more.
//!
//! Python Paste was built on one tiny interface, WSGI. This crate is that
//! interface on the [`http`] crate: an [`App`] takes a [`Request`] and
//! returns a [`Response`] or an [`Error`] that knows its HTTP status.
//!
//! ```
//! use paste_core::{App, Request, RequestExt, Response, app_fn};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let hello = app_fn(|req: Request| async move {
//!     Ok(Response::new(format!("Hello from {}!", req.path_info()).into()))
//! });
//!
//! let req = Request::get("/world").body(().into()).unwrap();
//! let response = hello.call(req).await.unwrap();
//! assert_eq!(response.into_body().to_bytes(1024).await.unwrap(), "Hello from /world!");
//! # }
//! ```
//!
//! # A tour
//!
//! - [`Body`]: one streaming body type for requests and responses, cheap to
//!   build from strings and bytes, read whole only under a size limit.
//! - [`Request`] and [`Response`]: the [`http`] types with a [`Body`].
//! - [`Error`] and [`Result`]: an error carries the status it stands for; any
//!   standard error converts into a 500.
//! - [`App`]: the trait of applications and middleware; [`app_fn`] makes one
//!   of a closure, [`BoxApp`] erases its type for run-time composition.
//! - [`RequestExt`] and [`ConnectionInfo`]: what the WSGI environ carried
//!   beyond the request — script name and path info, addresses, scheme,
//!   remote user.
//! - [`catch_call`] and [`catch_panic`]: a panic of an app (in `call` or
//!   in its future) as a value, for servers and error pages.
//! - [`tower`] (feature `tower`): apps as tower services and back, so axum
//!   routers and tower-http layers mix with Paste apps.
//!
//! Serving an app is [`paste-server`](https://docs.rs/paste-server)'s job.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod app;
mod body;
mod error;
mod ext;
mod headers;
mod panic;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

pub use app::{App, AppFn, BoxApp, app_fn};
pub use body::{Body, BodyEnd, OnEnd};
pub use error::{BoxError, Error};
pub use ext::{ConnectionInfo, RequestExt};
pub use headers::{connection_tokens, same_host_location};
pub use panic::{CatchCall, CatchPanic, Panic, catch_call, catch_panic};

pub use bytes::Bytes;
pub use http;

/// An HTTP request with a [`Body`]: what an [`App`] receives.
pub type Request<B = Body> = http::Request<B>;

/// An HTTP response with a [`Body`]: what an [`App`] answers.
pub type Response<B = Body> = http::Response<B>;

/// What an [`App`] returns: a [`Response`], or an [`Error`] standing for one.
pub type Result<T = Response, E = Error> = std::result::Result<T, E>;

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
