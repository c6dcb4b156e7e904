//! Paste Deploy for Rust: load and compose apps, filters and servers from
//! INI files, with PasteDeploy 3.1's semantics.
//!
//! Rust has no eggs or entry points, so factories are registered by name in
//! a [`Registry`]; a config then says which to use and with what settings:
//!
//! ```ini
//! [DEFAULT]
//! debug = false
//!
//! [pipeline:main]
//! pipeline = gzip app
//!
//! [filter:gzip]
//! use = egg:Paste#gzip
//!
//! [app:app]
//! use = egg:MyApp#main
//! greeting = Hello
//!
//! [server:main]
//! use = egg:Paste#http
//! port = 8080
//! ```
//!
//! # A tour
//!
//! - [`Registry`]: app, composite, filter, filter-app, server and
//!   server-runner factories by name, with aliases; and the entry points
//!   [`load_app`](Registry::load_app), [`load_filter`](Registry::load_filter),
//!   [`load_server`](Registry::load_server), [`app_config`](Registry::app_config).
//! - [`Conf`]: the global and local configuration a factory receives, with
//!   typed getters (`bool`, `int`, `list`, `duration`) whose errors say
//!   where the value was written.
//! - [`Filter`] and [`Server`]: what filter and server factories build.
//! - [`Loader`]: what a composite factory uses to load the apps it names.
//! - [`ini`]: the INI reader and writer, usable on its own.
//! - [`Error`]: every error names the file, line and section.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod conf;
mod error;
pub mod ini;
mod load;
mod loader;
mod registry;

pub use conf::Conf;
pub use error::{Error, ErrorKind, Location};
pub use load::AppConfig;
pub use loader::Loader;
pub use registry::{Description, FactoryInfo, FactoryKind, Filter, Registry, ServeFuture, Server};

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
