//! Paste Script for Rust: the `paster` command.
//!
//! `paster serve site.ini` loads the server and the app a deployment
//! config describes (through [`paste_deploy`]) and serves them;
//! `paster create` makes a project from a template; `paster request` and
//! `paster post` run one request in-process; `paster points` lists the
//! factories a config can use.
//!
//! The shipped `paster` knows every factory of the workspace
//! ([`builtins::register`]). A project with factories of its own gets its
//! own `paster` with the same commands in three lines:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     paste_script::Paster::new()
//!         .register(paste_script::builtins::register)
//!         // .register(my_app::register)
//!         .run()
//! }
//! ```
//!
//! # A tour
//!
//! - [`Paster`]: the command line, with its registry and templates.
//! - [`builtins::register`]: every built-in factory, described.
//! - [`SwapApp`]: the app `serve --reload` swaps without dropping a
//!   connection.
//! - [`Error`]: a command's failure and its exit status.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod builtins;
mod config;
mod create;
mod daemon;
mod error;
mod logging;
mod paster;
mod points;
mod reload;
mod request;
mod serve;
mod swap;
mod template;
mod templates;

pub use error::Error;
pub use paster::Paster;
pub use swap::SwapApp;

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
