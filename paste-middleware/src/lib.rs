//! The middleware and small apps of Paste for Rust: each a core
//! [`App`](paste_core::App) that owns the app it wraps.
//!
//! ```
//! use paste_core::{Response, app_fn};
//! use paste_middleware::{error_catcher::ErrorCatcher, gzip::Gzip, urlmap::UrlMap};
//!
//! let hello = app_fn(|_req| async { Ok(Response::new("Hello, World!".into())) });
//! let app = ErrorCatcher::new(Gzip::new(UrlMap::new().mount("/hello", hello)));
//! # drop(app);
//! ```
//!
//! See the README for the map from Python Paste's modules to these.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod cascade;
pub mod config;
#[cfg(feature = "deploy")]
#[cfg_attr(docsrs, doc(cfg(feature = "deploy")))]
pub mod deploy;
pub mod error_catcher;
pub mod errordocument;
pub mod filter;
mod future;
pub mod grantip;
pub mod gzip;
pub mod lint;
#[cfg(feature = "tempita")]
#[cfg_attr(docsrs, doc(cfg(feature = "tempita")))]
pub mod pages;
pub mod recursive;
pub mod session;
pub mod static_files;
pub mod test_app;
mod token;
pub mod translogger;
pub mod urlmap;
pub mod waitforit;

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
