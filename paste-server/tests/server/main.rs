//! paste-server over real sockets on 127.0.0.1 (ephemeral ports), one
#![allow(missing_docs)]
//! module per concern; each test starts its own server.

mod client_limits;
mod common;

#[cfg(feature = "deploy")]
mod deploy;
mod errors;
mod http1;
mod http2;
mod limits;
mod listen;
mod shutdown;
mod smuggling;
mod timeouts;
#[cfg(feature = "tls")]
mod tls;
mod tower_interop;
mod unix;
