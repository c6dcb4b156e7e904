//! [`CgiApp`]: one CGI program, run for each request.
//!
//! The machinery it shares with [`CgiDirectory`](crate::CgiDirectory)
//! lives in the submodules: `run` spawns a program and reads its head,
//! `body` streams its output and owns the process, `stderr` logs what it
//! says there.

mod body;
mod run;
mod stderr;

use std::fmt;
use std::path::{Path, PathBuf};

use paste_core::{App, Request, RequestExt, Result};

pub(crate) use run::{MAX_LOCAL_REDIRECTS, Outcome, Program, Runner, after, redirect};
pub(crate) use stderr::Line;

/// The builder methods that [`CgiApp`] and [`CgiDirectory`](crate::CgiDirectory)
/// share: they set the `runner` field.
macro_rules! runner_options {
    ($ty:ty) => {
        impl $ty {
            /// How long a program may take to write its head, counted from
            /// its start and started again each time it reads a piece of the
            /// request body (so a large upload at a fair pace never times
            /// out). Past it: a 504, and the program's process group is
            /// killed. Also the longest a request waits for a slot under
            /// [`max_concurrent`](Self::max_concurrent), and how long a
            /// program may run on after closing its output. Default: 60 s.
            #[must_use]
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.runner.timeout = timeout;
                self
            }

            /// The longest a program may go without writing while its body
            /// is streamed (time the client spends reading is not counted).
            /// Past it, the process group is killed and the response is cut
            /// short: the client already has its status. Default: 60 s.
            #[must_use]
            pub fn idle_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.runner.idle_timeout = timeout;
                self
            }

            /// The most programs running at once (at least 1), shared by
            /// the clones of this app. A request over the limit waits for a
            /// slot up to [`timeout`](Self::timeout), then gets a 503 with
            /// `Retry-After`. Default: 64.
            #[must_use]
            pub fn max_concurrent(mut self, programs: usize) -> Self {
                self.runner.set_max_concurrent(programs);
                self
            }

            /// Passes the server's own environment variable `name` to the
            /// programs, when it is set. Only `PATH` is passed by default;
            /// nothing else of the server's environment ever is.
            #[must_use]
            pub fn pass_env(mut self, name: impl Into<std::ffi::OsString>) -> Self {
                self.runner.env.pass_env(name);
                self
            }

            /// Passes exactly these variables of the server's environment,
            /// `PATH` included only if named; an empty list passes none.
            #[must_use]
            pub fn pass_env_only<I, S>(mut self, names: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<std::ffi::OsString>,
            {
                self.runner.env.pass_env_only(names);
                self
            }

            /// Sets the variable `name` to `value` for every program run,
            /// over whatever the request or the server's environment gave
            /// (`env("SERVER_NAME", "www.example.com")` fixes the server
            /// name, say). A name that is empty or holds `=` or NUL, or a
            /// value holding NUL, is ignored with a warning.
            #[must_use]
            pub fn env(
                mut self,
                name: impl Into<String>,
                value: impl Into<std::ffi::OsString>,
            ) -> Self {
                self.runner.env.set(name, value);
                self
            }

            /// Sets `DOCUMENT_ROOT`, and `PATH_TRANSLATED` = this root
            /// joined with the decoded `PATH_INFO`. Neither is set by
            /// default.
            #[must_use]
            pub fn document_root(mut self, root: impl Into<std::path::PathBuf>) -> Self {
                self.runner.env.document_root(root);
                self
            }

            /// Passes the `Authorization` header to the programs as
            /// `HTTP_AUTHORIZATION`, for programs that check credentials
            /// themselves. Off by default, as RFC 3875 §4.1.18 advises.
            #[must_use]
            pub fn pass_authorization(mut self, pass: bool) -> Self {
                self.runner.env.pass_authorization(pass);
                self
            }

            /// The largest head a program may write, in bytes; a larger one
            /// is a 502. Default: 64 KiB.
            #[must_use]
            pub fn max_head_size(mut self, bytes: usize) -> Self {
                self.runner.max_head_size = bytes;
                self
            }

            /// Refuses request bodies of unknown length (chunked, without
            /// `Content-Length`) with a 411 instead of streaming them
            /// without `CONTENT_LENGTH`, for programs that read exactly
            /// `CONTENT_LENGTH` bytes. Off by default.
            #[must_use]
            pub fn require_content_length(mut self, require: bool) -> Self {
                self.runner.require_content_length = require;
                self
            }
        }
    };
}
pub(crate) use runner_options;

/// Runs a CGI program (RFC 3875) for each request: the Rust counterpart of
/// Paste's `paste.cgiapp.CGIApplication`.
///
/// ```
/// use paste_cgi::CgiApp;
/// use paste_core::{App, Body, Request};
/// # use std::os::unix::fs::PermissionsExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let script = dir.path().join("hello.cgi");
/// std::fs::write(
///     &script,
///     "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nHello, %s!' \"$QUERY_STRING\"\n",
/// )?;
/// std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
///
/// let app = CgiApp::new(&script);
/// let req = Request::get("/hello?world").body(Body::empty()).unwrap();
/// let response = app.call(req).await.unwrap();
/// assert_eq!(response.headers()["content-type"], "text/plain");
/// let body = response.into_body().to_bytes(1024).await.unwrap();
/// assert_eq!(body, "Hello, world!");
/// # Ok(()) }
/// ```
///
/// # What the program gets
///
/// - The CGI meta-variables of the request (`REQUEST_METHOD`,
///   `SCRIPT_NAME` = the app's mount point, `PATH_INFO` = the rest of the
///   path, `QUERY_STRING`, `HTTP_*`…; the list is in the crate's README),
///   plus the variables of the server's own environment named by
///   [`pass_env`](CgiApp::pass_env) (only `PATH` by default) and the fixed
///   ones of [`env`](CgiApp::env). Never the whole server environment.
/// - Its own directory as working directory, and its path as its only
///   argument: the query never reaches the command line.
/// - The request body on stdin, streamed as it arrives, never buffered
///   whole; a body without a `Content-Length` (chunked) is streamed to EOF
///   with no `CONTENT_LENGTH` (or refused with 411 under
///   [`require_content_length`](CgiApp::require_content_length)).
///
/// # What the client gets
///
/// - The program's head (LF or CRLF lines): `Status`, `Location`,
///   `Content-Type` and the other fields; then its stdout, streamed.
/// - `Location` with a local path and no `Status`: the app runs again for
///   that path as a GET (RFC 3875 §6.2.2), up to 10 times; a path outside
///   the app's mount point becomes a 302 to the client. An absolute URL is
///   a 302 (or the program's `Status`).
/// - A program whose name starts with `nph-` writes a whole HTTP response
///   head (`HTTP/1.1 200 OK`); it is passed on as written.
///
/// # When things go wrong
///
/// - A malformed head, a head over [`max_head_size`](CgiApp::max_head_size),
///   or an output that ends before its head (the program died, or exited
///   non-zero first): 502, with the details and the exit status logged.
/// - No head within [`timeout`](CgiApp::timeout): 504, and the program's
///   whole process group is killed.
/// - The program stalls longer than [`idle_timeout`](CgiApp::idle_timeout)
///   while streaming its body, or the response is dropped before its end
///   (the client went away): the process group is killed. Its exit status
///   after the head is only logged: the client already has a status. But
///   an output cut short is never passed off as whole: one shorter than
///   its `Content-Length`, or, with none, ended by a death by signal (the
///   end waits up to 100 ms for the exit status), fails the response body.
/// - More than [`max_concurrent`](CgiApp::max_concurrent) programs
///   running: the request waits for a slot, at most `timeout`, then gets
///   a 503.
/// - The request body fails to arrive (too slow for the server's body
///   timeout, too big, cut): the process group is killed — the program
///   never sees an end of input that would pass a cut body off as whole —
///   and the client gets the body's error (408, 413, 400), or, once the
///   head is out, a cut response.
/// - The program can't be started (missing, not executable): 500, logged.
/// - stderr goes to [`tracing`] line by line, at WARN level with target
///   `paste_cgi::stderr`; lines are cut at 4 KiB, and it is read
///   concurrently so a flood never blocks the program.
#[derive(Clone)]
pub struct CgiApp {
    script: PathBuf,
    nph: bool,
    pub(crate) runner: Runner,
}

impl CgiApp {
    /// An app running the program at `script`. A relative path is made
    /// absolute against the current directory now; the file itself is
    /// looked at on each request (a missing program is a 500 then). A file
    /// name starting with `nph-` makes it a non-parsed-header program.
    pub fn new(script: impl Into<PathBuf>) -> Self {
        let script = script.into();
        let script = std::path::absolute(&script).unwrap_or(script);
        let nph = is_nph(&script);
        Self {
            script,
            nph,
            runner: Runner::default(),
        }
    }

    /// Whether the program writes a whole HTTP response head (its status
    /// line included) rather than CGI header fields. Default: whether its
    /// file name starts with `nph-`.
    #[must_use]
    pub fn nph(mut self, nph: bool) -> Self {
        self.nph = nph;
        self
    }

    /// The program this app runs.
    pub fn script(&self) -> &Path {
        &self.script
    }
}

runner_options!(CgiApp);

impl fmt::Debug for CgiApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CgiApp")
            .field("script", &self.script)
            .field("nph", &self.nph)
            .field("runner", &self.runner)
            .finish()
    }
}

impl App for CgiApp {
    async fn call(&self, req: Request) -> Result {
        let mount = req.script_name().to_owned();
        let mut req = req;
        for _ in 0..=MAX_LOCAL_REDIRECTS {
            let program = Program {
                filename: &self.script,
                nph: self.nph,
            };
            match self.runner.run(req, &mount, program).await? {
                Outcome::Response(response) => return Ok(response),
                Outcome::Redirect(next) => req = next,
            }
        }
        Err(self.runner.too_many_redirects(&self.script))
    }
}

/// A program whose file name starts with `nph-`.
pub(crate) fn is_nph(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.as_encoded_bytes().starts_with(b"nph-"))
}
