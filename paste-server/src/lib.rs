//! The simple web server of Paste for Rust: serves any
//! [`paste_core::App`] over HTTP/1.1 and HTTP/2, on hyper and tokio.
//!
//! The one-liner, like `paste.httpserver.serve(app)`:
//!
//! ```no_run
//! use paste_core::{Response, app_fn};
//!
//! fn main() -> std::io::Result<()> {
//!     let app = app_fn(|_req| async { Ok(Response::new("Hello, World!".into())) });
//!     paste_server::serve(app, "127.0.0.1:8080")
//! }
//! ```
//!
//! # A tour
//!
//! - [`serve`]: bind, build a multi-thread runtime, serve until SIGINT or
//!   SIGTERM.
//! - [`Server`]: the builder, for everything else: limits (head timeout,
//!   head and body size, keep-alive, connections), the `Server` header,
//!   Unix sockets, systemd socket activation, TLS (feature `tls`).
//! - [`Handle`]: shuts a running server down gracefully from elsewhere.
//! - [`ListenAddr`]: where a server listens, for people.
//!
//! For a server of another protocol (paste-cgi's FastCGI server is one),
//! the parts `Server` is made of:
//! - [`listen`]: bound sockets (TCP, Unix, systemd's, descriptor 0's), the
//!   accepting listener and its streams;
//! - [`Handle::new`] and its [`shutting_down`](Handle::shutting_down) and
//!   [`stopping`](Handle::stopping) futures, and
//!   [`shutdown_on_signals`](Handle::shutdown_on_signals);
//! - [`call_app`]: calls an app with errors and panics turned into
//!   responses, and logged, as `Server` does.
//!
//! What the server guarantees to the app and its clients:
//! - every request carries a [`ConnectionInfo`](paste_core::ConnectionInfo)
//!   and an empty script name;
//! - an `Err` from the app becomes a response with its status, a panic a
//!   500 for that request alone; 5xx errors and panics are logged with
//!   [`tracing`], their details never sent;
//! - a HEAD response has no body, over HTTP/1 and HTTP/2 alike;
//! - a graceful shutdown stops accepting at once and lets requests in
//!   flight finish, up to the drain timeout.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod conn;
#[cfg(feature = "deploy")]
#[cfg_attr(docsrs, doc(cfg(feature = "deploy")))]
pub mod deploy;
pub mod listen;
mod server;
mod shutdown;
mod supervise;
mod timeouts;
#[cfg(feature = "tls")]
mod tls;

pub use conn::call_app;
pub use listen::ListenAddr;
pub use server::Server;
pub use shutdown::Handle;

pub(crate) use server::Limits;

use std::net::ToSocketAddrs;

use paste_core::App;

/// Serves `app` on `addr` until SIGINT or SIGTERM, on a multi-thread tokio
/// runtime of its own; the blocking counterpart of
/// [`Server::bind`]`(addr)?.`[`serve`](Server::serve)`(app)`.
///
/// A process started by systemd socket activation (`LISTEN_FDS` set) serves
/// on the socket it was handed instead, and `addr` is not bound.
pub fn serve<A: App>(app: A, addr: impl ToSocketAddrs) -> std::io::Result<()> {
    let server = match Server::from_env()? {
        Some(inherited) => inherited,
        None => Server::bind(addr)?,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(server.serve(app))
}

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
