//! FastCGI: the record protocol ([`proto`]), shared by both sides, and the
//! server that serves a Paste app to a FastCGI client such as nginx.

// The client half of the record layer (BEGIN_REQUEST out, END_REQUEST in)
// waits for FastCgiApp.
#[allow(dead_code, reason = "the client side of the protocol is not used yet")]
pub(crate) mod proto;

mod listen;
mod server;

pub use server::{FastCgiServer, Handle};
