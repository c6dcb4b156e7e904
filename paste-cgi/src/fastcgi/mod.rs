//! FastCGI: the record protocol ([`proto`]), shared by both sides; the
//! server that serves a Paste app to a FastCGI client such as nginx; the
//! client that forwards requests to a responder such as php-fpm; and the
//! PHP app built on the client.

pub(crate) mod proto;

mod client;
mod php;
pub(crate) mod server;

pub use client::{FastCgiAddr, FastCgiApp};
pub use php::PhpApp;
pub use server::FastCgiServer;
