//! Apps that forward requests to another HTTP server: Paste for Rust's
//! WSGIProxy2 and `paste.proxy`.
//!
//! A proxy is an [`App`](paste_core::App): mount it in a URL map, wrap it
//! in middleware, serve it with paste-server. Requests and responses
//! stream through in constant memory over a pooled hyper client.
//!
//! ```no_run
//! use wsgiproxy::HostProxy;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Everything on :8000 goes to the app on :8080, below /base.
//! let proxy = HostProxy::new("http://127.0.0.1:8080/base")?;
//! paste_server::serve(proxy, "127.0.0.1:8000")?;
//! # Ok(()) }
//! ```
//!
//! # A tour
//!
//! - [`HostProxy`]: one fixed backend (`http://…`, `https://…` with
//!   feature `tls`, or a Unix socket), the `Host` rewritten or kept.
//! - [`TransparentProxy`]: the backend is the host the request names —
//!   only hosts on its allow-list; none by default.
//! - Both share their options, as builder methods: script name stripped
//!   or kept, `X-Forwarded-*` and `Forwarded` headers, a method
//!   allow-list (405 with `Allow`), connect and response timeouts (504),
//!   `Location` and `Set-Cookie` rewriting.
//! - [`Error`]: why a proxy could not be built (a bad URL or host).
//! - `deploy` (feature `deploy`): the paste-deploy factories `proxy`
//!   (`egg:Paste#proxy`, `egg:WSGIProxy2#main`) and `transparent_proxy`.
//!
//! # What travels
//!
//! - Hop-by-hop headers are removed both ways: `Connection` and the
//!   headers it names, `Keep-Alive`, `TE`, `Trailer`,
//!   `Transfer-Encoding`, `Upgrade` and every `Proxy-*`.
//! - Bodies stream both ways, chunked or not; `Content-Encoding` is
//!   passed through, the bytes never decoded; each `Set-Cookie` stays a
//!   header of its own.
//! - A refused or failed connection, or a response that is not HTTP,
//!   gives `502 Bad Gateway`; a timeout `504 Gateway Timeout`. The cause is
//!   logged with [`tracing`], never shown to the client. A backend that
//!   breaks off mid-body breaks the client's response off too, so that it
//!   cannot pass for complete.
//! - Whoever serves the proxy still limits what comes in: paste-server's
//!   `max_body_size` (64 MiB by default) caps uploads through it.
//! - An `Upgrade` (WebSocket) is passed through: once both sides have
//!   switched, the bytes are copied both ways (over HTTP/1.1, when the app
//!   is served by paste-server).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
#[cfg(feature = "deploy")]
#[cfg_attr(docsrs, doc(cfg(feature = "deploy")))]
pub mod deploy;
mod error;
mod forward;
mod headers;
mod host;
mod options;
mod rewrite;
mod transparent;

pub use error::{Error, ErrorKind};
pub use host::HostProxy;
pub use transparent::TransparentProxy;

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
