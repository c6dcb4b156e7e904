//! [`CgiBody`]: a program's stdout as a response body, and [`Process`]:
//! the running program, whose process group dies with the body unless the
//! body was read to its end.

use std::fmt;
use std::pin::Pin;
use std::process::ExitStatus;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use paste_core::Error;
use rustix::process::{Pid, Signal, kill_process_group};
use tokio::process::{Child, ChildStdout};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::AbortHandle;
use tokio::time::{Instant, Sleep};

use super::run::FeedFailure;

/// The process group of `child`, which leads its own
/// (`process_group(0)`), so its pid is the group's id. Never 0 or 1:
/// `kill(-1)` would reach every process we may signal.
pub(crate) fn process_group(child: &Child) -> Option<Pid> {
    child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .filter(|id| *id > 1)
        .and_then(Pid::from_raw)
}

/// Kills the process group `pgid`, if there is one. ESRCH (the group is
/// gone already) is fine.
pub(crate) fn kill_group(pgid: Option<Pid>) {
    if let Some(pgid) = pgid {
        let _ = kill_process_group(pgid, Signal::KILL);
    }
}

/// How much of the output is read at a time.
const READ_SIZE: usize = 32 * 1024;

/// A running program: its child, its process group, its stdin feeder and
/// its concurrency slot. Dropped before [`finish`](Process::finish), it
/// kills the whole process group.
pub(crate) struct Process {
    child: Option<Child>,
    pgid: Option<Pid>,
    name: Arc<str>,
    feeder: Option<AbortHandle>,
    permit: Option<OwnedSemaphorePermit>,
    /// How long the program may run on after closing its output.
    grace: Duration,
    done: bool,
}

impl Process {
    pub(crate) fn new(
        child: Child,
        name: Arc<str>,
        feeder: Option<AbortHandle>,
        permit: OwnedSemaphorePermit,
        grace: Duration,
    ) -> Self {
        Self {
            pgid: process_group(&child),
            child: Some(child),
            name,
            feeder: Some(feeder).flatten(),
            permit: Some(permit),
            grace,
            done: false,
        }
    }

    /// The program, for logs.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Kills the program's whole process group now, and stops feeding it.
    pub(crate) fn kill(&mut self) {
        self.done = true;
        if let Some(feeder) = self.feeder.take() {
            feeder.abort();
        }
        kill_group(self.pgid.take());
        // The child, dropped with `self`, is reaped by tokio in the
        // background; the slot is given back with it.
    }

    /// The exit status of a program whose output has ended, waiting a
    /// little for it: for the log of a failure.
    pub(crate) async fn exit_status_soon(&mut self) -> String {
        let Some(child) = self.child.as_mut() else {
            return "already gone".to_owned();
        };
        let wait = self.grace.min(Duration::from_secs(2));
        match tokio::time::timeout(wait, child.wait()).await {
            Ok(Ok(status)) => describe(status),
            Ok(Err(err)) => format!("exit status unknown: {err}"),
            Err(_) => format!("still running {wait:?} after closing its output"),
        }
    }

    /// Waits up to `within` for the program to exit: itself and its exit
    /// status, if it came.
    pub(crate) async fn wait_briefly(mut self, within: Duration) -> (Self, Option<ExitStatus>) {
        let status = match self.child.as_mut() {
            Some(child) => tokio::time::timeout(within, child.wait())
                .await
                .ok()
                .and_then(Result::ok),
            None => None,
        };
        (self, status)
    }

    /// The program's output is over and nothing more is wanted of it: log
    /// its exit status when it comes, and kill its group if it runs on
    /// longer than the grace period.
    pub(crate) fn finish(mut self) {
        self.done = true;
        if let Some(feeder) = self.feeder.take() {
            feeder.abort();
        }
        let Some(mut child) = self.child.take() else {
            return;
        };
        match child.try_wait() {
            Ok(Some(status)) => log_exit(&self.name, status),
            Ok(None) => match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    let reaper = Reaper {
                        child,
                        pgid: self.pgid.take(),
                        name: self.name.clone(),
                        _permit: self.permit.take(),
                        grace: self.grace,
                    };
                    runtime.spawn(reaper.run());
                }
                Err(_) => {
                    drop(child);
                    self.done = false; // the Drop below kills the group
                }
            },
            Err(err) => {
                tracing::warn!(script = %self.name, "the CGI program's exit status is unknown: {err}");
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.done {
            tracing::debug!(script = %self.name, "the CGI response was dropped before its end: killing the program");
            self.kill();
        }
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("name", &self.name)
            .field("pgid", &self.pgid)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Waits for a program that closed its output but has not exited yet.
struct Reaper {
    child: Child,
    pgid: Option<Pid>,
    name: Arc<str>,
    _permit: Option<OwnedSemaphorePermit>,
    grace: Duration,
}

impl Reaper {
    async fn run(mut self) {
        match tokio::time::timeout(self.grace, self.child.wait()).await {
            Ok(Ok(status)) => log_exit(&self.name, status),
            Ok(Err(err)) => {
                tracing::warn!(script = %self.name, "the CGI program's exit status is unknown: {err}");
            }
            Err(_) => {
                tracing::warn!(
                    script = %self.name,
                    "the CGI program ran on {:?} after closing its output: killed",
                    self.grace
                );
                kill_group(self.pgid);
                let _ = self.child.wait().await;
            }
        }
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

/// A non-zero exit after the head was sent can only be logged.
fn log_exit(name: &str, status: ExitStatus) {
    if status.success() {
        tracing::trace!(script = name, "the CGI program exited");
    } else {
        tracing::warn!(
            script = name,
            "the CGI program ended with {} after its response had begun",
            describe(status)
        );
    }
}

/// The program's stdout after its head, streamed: no more is read than
/// the client takes.
pub(crate) struct CgiBody {
    stdout: Option<ChildStdout>,
    first: Option<Bytes>,
    /// What is left of the announced `Content-Length`.
    remaining: Option<u64>,
    buf: BytesMut,
    idle_timeout: Duration,
    idle: Pin<Box<Sleep>>,
    idle_armed: bool,
    process: Option<Process>,
    /// The request body's failure, which makes the end of the output a cut.
    failure: FeedFailure,
    /// At the end of an output of no announced length: the wait for the
    /// program's exit, which tells a whole output from one cut by a kill.
    exiting: Option<Exiting>,
}

/// The wait for the program's exit at the end of its output.
type Exiting = Pin<Box<dyn Future<Output = (Process, Option<ExitStatus>)> + Send>>;

/// How long the end of an output of no announced length waits for the
/// program to exit (a program dies at once after its output ends when
/// it was killed; one that runs on is let go, as before).
const EXIT_WAIT: Duration = Duration::from_millis(100);

impl CgiBody {
    pub(crate) fn new(
        stdout: ChildStdout,
        first: Bytes,
        content_length: Option<u64>,
        idle_timeout: Duration,
        process: Process,
        failure: FeedFailure,
    ) -> Self {
        let mut body = Self {
            stdout: Some(stdout),
            first: (!first.is_empty()).then_some(first),
            remaining: content_length,
            buf: BytesMut::new(),
            idle_timeout,
            idle: Box::pin(tokio::time::sleep(Duration::ZERO)),
            idle_armed: false,
            process: Some(process),
            failure,
            exiting: None,
        };
        if body.remaining == Some(0) {
            body.end();
        }
        body
    }

    /// The output is over: let the program go.
    fn end(&mut self) {
        self.stdout = None;
        self.first = None;
        if let Some(process) = self.process.take() {
            process.finish();
        }
    }

    /// Something went wrong: kill the program, and fail the body so that
    /// the client sees a cut response rather than a complete one.
    fn fail(&mut self, why: String) -> Error {
        self.stdout = None;
        self.first = None;
        let name = match self.process.take() {
            Some(mut process) => {
                process.kill();
                process.name.clone()
            }
            None => Arc::from("?"),
        };
        tracing::error!(script = %name, "{why}");
        Error::new(http::StatusCode::BAD_GATEWAY).with_message(why)
    }

    /// Holds `chunk` to what is left of the `Content-Length`.
    fn limit(&mut self, mut chunk: Bytes) -> Bytes {
        if let Some(remaining) = self.remaining.as_mut() {
            if chunk.len() as u64 > *remaining {
                let name = self.process.as_ref().map_or("?", |p| p.name());
                tracing::warn!(
                    script = name,
                    "the CGI program wrote more than its Content-Length: cut"
                );
                chunk.truncate(usize::try_from(*remaining).unwrap_or(chunk.len()));
            }
            *remaining -= chunk.len() as u64;
            if *remaining == 0 {
                self.end();
            }
        }
        chunk
    }
}

impl http_body::Body for CgiBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        if let Some(exiting) = this.exiting.as_mut() {
            let (process, status) = ready!(exiting.as_mut().poll(cx));
            this.exiting = None;
            this.process = Some(process);
            if let Some(signal) =
                status.and_then(|s| std::os::unix::process::ExitStatusExt::signal(&s))
            {
                let why = format!(
                    "the CGI program was killed by signal {signal} before the end of its output"
                );
                return Poll::Ready(Some(Err(this.fail(why))));
            }
            this.end();
            return Poll::Ready(None);
        }
        if let Some(first) = this.first.take() {
            let chunk = this.limit(first);
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        let Some(stdout) = this.stdout.as_mut() else {
            return Poll::Ready(None);
        };
        if this.buf.capacity() < READ_SIZE / 4 {
            this.buf.reserve(READ_SIZE);
        }
        let frame = match tokio_util::io::poll_read_buf(Pin::new(stdout), cx, &mut this.buf) {
            Poll::Ready(Ok(0)) => {
                if let Some(failed) = this.failure.take() {
                    let why =
                        format!("the request body failed: the CGI program was killed ({failed})");
                    Some(Err(this.fail(why)))
                } else if let Some(missing @ 1..) = this.remaining {
                    let why = format!(
                        "the CGI program's output ended {missing} bytes short of its Content-Length"
                    );
                    Some(Err(this.fail(why)))
                } else if this.remaining.is_none()
                    && let Some(process) = this.process.take()
                {
                    // No length to check the output against: whether the
                    // program exited or was killed tells.
                    this.stdout = None;
                    this.exiting = Some(Box::pin(process.wait_briefly(EXIT_WAIT)));
                    return self.poll_frame(cx);
                } else {
                    this.end();
                    None
                }
            }
            Poll::Ready(Ok(_)) => {
                this.idle_armed = false;
                let chunk = this.buf.split().freeze();
                Some(Ok(Frame::data(this.limit(chunk))))
            }
            Poll::Ready(Err(err)) => {
                let why = format!("reading the CGI program's output failed: {err}");
                Some(Err(this.fail(why)))
            }
            Poll::Pending => {
                if !this.idle_armed {
                    this.idle_armed = true;
                    let deadline = super::run::after(Instant::now(), this.idle_timeout);
                    this.idle.as_mut().reset(deadline);
                }
                ready!(this.idle.as_mut().poll(cx));
                let why = format!(
                    "the CGI program wrote nothing for {:?} while streaming its body: killed",
                    this.idle_timeout
                );
                Some(Err(this.fail(why)))
            }
        };
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.stdout.is_none() && self.first.is_none() && self.exiting.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.remaining {
            Some(remaining) => SizeHint::with_exact(remaining),
            None => SizeHint::default(),
        }
    }
}

impl fmt::Debug for CgiBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CgiBody")
            .field("remaining", &self.remaining)
            .field("process", &self.process)
            .finish_non_exhaustive()
    }
}
