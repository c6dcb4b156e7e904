//! CGI and FastCGI for Paste for Rust, both ways:
//!
//! - [`CgiApp`] runs a CGI program for each request, and [`CgiDirectory`]
//!   serves a cgi-bin folder;
//! - [`run`] makes a Paste app a CGI program for any CGI host;
//! - [`FastCgiApp`] forwards requests to a FastCGI responder (php-fpm,
//!   `php-cgi -b`), and [`PhpApp`] serves a folder of PHP scripts that way;
//! - [`FastCgiServer`] serves a Paste app to a FastCGI client such as
//!   nginx's `fastcgi_pass`.
#![cfg_attr(docsrs, feature(doc_cfg))]

// Request → CGI meta-variables (RFC 3875 §4.1), for CgiApp and FastCgiApp.
mod env;
// A CGI response head → a Response (RFC 3875 §6), for CgiApp and FastCgiApp.
mod head;
// CgiApp: one program run per request.
mod app;
// CgiDirectory: a cgi-bin folder.
mod directory;
// run(app): a Paste app as a CGI program; also turns FastCGI params into a Request.
mod gateway;
// The FastCGI protocol, client, server and PHP app.
mod fastcgi;

pub use app::CgiApp;
pub use directory::CgiDirectory;
pub use fastcgi::{FastCgiAddr, FastCgiApp, FastCgiServer, Handle, PhpApp};
pub use gateway::{CgiVars, run};

#[cfg(feature = "deploy")]
#[cfg_attr(docsrs, doc(cfg(feature = "deploy")))]
pub mod deploy;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
