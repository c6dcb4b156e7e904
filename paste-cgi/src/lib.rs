//! CGI and FastCGI for Paste for Rust, both ways: run CGI programs and
//! PHP scripts as Paste apps, and serve Paste apps to CGI and FastCGI
//! hosts.
//!
//! A Paste app served over FastCGI by [`FastCgiServer`], and reached
//! through [`FastCgiApp`], as nginx or another Paste server would:
//!
//! ```
//! use paste_cgi::{FastCgiApp, FastCgiServer};
//! use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
//! let server = FastCgiServer::bind("127.0.0.1:0")?.handle_signals(false);
//! let addr = server.local_addr().unwrap();
//! let hello = app_fn(|req: Request| async move {
//!     Ok(Response::new(format!("Hello from {}!", req.path_info()).into()))
//! });
//! tokio::spawn(server.serve(hello));
//!
//! let client = FastCgiApp::new(addr);
//! let response = client.call(Request::get("/world").body(Body::empty()).unwrap()).await.unwrap();
//! assert_eq!(response.into_body().to_bytes(1024).await.unwrap(), "Hello from /world!");
//! # Ok(()) }
//! ```
//!
//! # A tour
//!
//! Running other programs as apps:
//! - [`CgiApp`] runs a CGI program for each request (Paste's
//!   `paste.cgiapp`), and [`CgiDirectory`] serves a cgi-bin folder.
//! - [`FastCgiApp`] forwards requests to a FastCGI responder — php-fpm,
//!   `php-cgi -b`, any FastCGI application server — at a
//!   [`FastCgiAddr`], over pooled connections.
//! - [`PhpApp`] serves a folder of PHP scripts (WPHP's `PHPApp`): `.php`
//!   files through a php-cgi it starts itself or an existing php-fpm, the
//!   other files as they are.
//!
//! Serving apps to others:
//! - [`run`] makes a Paste app a CGI program for any CGI host (Apache,
//!   lighttpd), and [`CgiVars`] gives the app the variables the host set.
//! - [`FastCgiServer`] serves a Paste app to a FastCGI client such as
//!   nginx's `fastcgi_pass`; its [`Handle`] shuts it down.
//!
//! All of them build and read the CGI meta-variables of RFC 3875 the
//! same way: only an allow-list of the server's own environment, no
//! `Proxy` header (httpoxy), no query on a command line.
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

// For the fuzz targets of fuzz/ only; not a stable API.
#[doc(hidden)]
pub mod fuzzing;

pub use app::CgiApp;
pub use directory::CgiDirectory;
pub use fastcgi::{FastCgiAddr, FastCgiApp, FastCgiServer, PhpApp};
pub use gateway::{CgiVars, run};
/// Stops a running [`FastCgiServer`] from elsewhere: another task, a test,
/// an admin endpoint. It is paste-server's handle, which FastCGI servers
/// and HTTP servers share.
///
/// ```
/// use paste_cgi::FastCgiServer;
/// use paste_core::{Response, app_fn};
///
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let server = FastCgiServer::bind("127.0.0.1:0")?.handle_signals(false);
/// let handle = server.handle();
/// let app = app_fn(|_req| async { Ok(Response::new("bye".into())) });
/// let running = tokio::spawn(server.serve(app));
/// handle.shutdown(); // stop accepting, let requests in flight finish
/// running.await.unwrap()?;
/// # Ok(()) }
/// ```
///
/// paste-server's documentation follows.
#[doc(inline)]
pub use paste_server::Handle;

#[cfg(feature = "deploy")]
#[cfg_attr(docsrs, doc(cfg(feature = "deploy")))]
pub mod deploy;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
