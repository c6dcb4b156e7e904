//! The proxies over real sockets on 127.0.0.1 (ephemeral ports): each
//! test starts its backend (a paste-server app, a raw hyper server or a
//! raw TCP listener that misbehaves on purpose) and a paste-server front
//! end serving the proxy.
#![allow(missing_docs)]

mod common;

#[cfg(feature = "deploy")]
mod deploy;
mod errors;
mod forwarding;
mod rewriting;
mod security;
mod streaming;
#[cfg(feature = "tls")]
mod tls;
mod transparent;
mod unix;
mod upgrade;
