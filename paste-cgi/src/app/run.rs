//! [`Runner`]: starts a program for a request, feeds it the body, reads
//! its head, and turns the head into a response or a local redirect.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::uri::PathAndQuery;
use http::{Method, StatusCode, Uri};
use http_body_util::BodyExt;
use paste_core::{Body, Error, Request, RequestExt, Response, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::body::{CgiBody, Process, kill_group, process_group};
use super::stderr;
use crate::env::{self, BodyLength, EnvConfig, Script};
use crate::head::{
    DEFAULT_MAX_HEAD_SIZE, Head, HeadError, HeadErrorKind, HeadParser, HeadStyle, Parsed,
};

/// How many local redirects one request may follow.
pub(crate) const MAX_LOCAL_REDIRECTS: usize = 10;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_MAX_CONCURRENT: usize = 64;

/// The settings and the concurrency limit shared by the clones of a
/// [`CgiApp`](crate::CgiApp) or [`CgiDirectory`](crate::CgiDirectory).
#[derive(Clone, Debug)]
pub(crate) struct Runner {
    pub(crate) env: EnvConfig,
    pub(crate) timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_head_size: usize,
    pub(crate) require_content_length: bool,
    max_concurrent: usize,
    permits: Arc<Semaphore>,
}

impl Default for Runner {
    fn default() -> Self {
        Self {
            env: EnvConfig::default(),
            timeout: DEFAULT_TIMEOUT,
            idle_timeout: DEFAULT_TIMEOUT,
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            require_content_length: false,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            permits: Arc::new(Semaphore::new(DEFAULT_MAX_CONCURRENT)),
        }
    }
}

/// The program to run for one request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Program<'a> {
    /// Its file: what is executed, and `SCRIPT_FILENAME`.
    pub(crate) filename: &'a Path,
    /// Whether it writes a whole HTTP head (`nph-` programs).
    pub(crate) nph: bool,
}

/// What a run ends with.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The answer for the client.
    Response(Response),
    /// A local redirect: this GET is to be served by the same app.
    Redirect(Request),
}

/// When the program last showed a sign of life before its head: its start,
/// or the last piece of request body it took.
#[derive(Debug)]
struct Progress {
    start: Instant,
    last_ms: AtomicU64,
}

impl Progress {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn deadline(&self, timeout: Duration) -> Instant {
        let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        after(last, timeout)
    }
}

/// `base + timeout`, or a date decades away when a huge timeout (say
/// `Duration::MAX`, for "never") would overflow.
pub(crate) fn after(base: Instant, timeout: Duration) -> Instant {
    base.checked_add(timeout)
        .unwrap_or_else(|| base + Duration::from_secs(30 * 365 * 24 * 3600))
}

/// Why no head came.
enum HeadFailure {
    Timeout,
    Head(HeadError),
    Read(io::Error),
}

impl Runner {
    pub(crate) fn set_max_concurrent(&mut self, programs: usize) {
        let programs = programs.clamp(1, Semaphore::MAX_PERMITS);
        self.max_concurrent = programs;
        self.permits = Arc::new(Semaphore::new(programs));
    }

    /// The error when a request keeps being redirected locally.
    pub(crate) fn too_many_redirects(&self, script: &Path) -> Error {
        tracing::error!(
            script = %script.display(),
            "CGI local redirects went on past {MAX_LOCAL_REDIRECTS}: a redirect loop?"
        );
        bad_gateway()
    }

    /// Runs `program` for `req`. `mount` is the app's own script name, where
    /// a local redirect re-enters it.
    pub(crate) async fn run(
        &self,
        req: Request,
        mount: &str,
        program: Program<'_>,
    ) -> Result<Outcome> {
        let length = env::body_length(&req)?;
        if length == BodyLength::Unknown && self.require_content_length {
            return Err(Error::new(StatusCode::LENGTH_REQUIRED)
                .with_message("Length Required: send the body with a Content-Length"));
        }
        let (parts, body) = req.into_parts();
        let head_req = Request::from_parts(parts, ());
        let script = Script::of(&head_req, program.filename);
        let vars = env::meta_variables(&head_req, &script, length, &self.env)?;

        let slot = tokio::time::timeout(self.timeout, self.permits.clone().acquire_owned()).await;
        let Ok(Ok(permit)) = slot else {
            tracing::warn!(
                script = %program.filename.display(),
                "no CGI slot came free in {:?} (the limit is {} programs at once)",
                self.timeout,
                self.max_concurrent
            );
            return Err(Error::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_message("Service Unavailable: too many programs running, try again later")
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("5")));
        };

        let has_body = matches!(length, BodyLength::Unknown | BodyLength::Known(1..));
        let mut command = Command::new(program.filename);
        command
            .env_clear()
            .envs(
                vars.iter()
                    .map(|(name, value)| (name, OsStr::from_bytes(value))),
            )
            .stdin(if has_body {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(dir) = program
            .filename
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            command.current_dir(dir);
        }
        let mut child = spawn(&mut command).await.map_err(|err| {
            tracing::error!(script = %program.filename.display(), "the CGI program could not be started: {err}");
            Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("Internal Server Error: the program could not be started")
                .with_source(err)
        })?;

        let name: Arc<str> = program.filename.display().to_string().into();
        if let Some(err) = child.stderr.take() {
            tokio::spawn(stderr::drain(err, name.clone()));
        }
        let progress = Progress::new();
        let failure = FeedFailure::default();
        let pgid = process_group(&child);
        let feeder = child.stdin.take().map(|stdin| {
            let limit = match length {
                BodyLength::Known(len) => Some(len),
                _ => None,
            };
            let feeding = Feeding {
                progress: progress.clone(),
                name: name.clone(),
                failure: failure.clone(),
                pgid,
            };
            tokio::spawn(feed(stdin, body, limit, feeding)).abort_handle()
        });
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut process = Process::new(child, name, feeder, permit, self.timeout);

        let style = if program.nph {
            HeadStyle::Nph
        } else {
            HeadStyle::Cgi
        };
        let mut parser = HeadParser::new(style).max_size(self.max_head_size);
        let parsed = match read_head(&mut stdout, &mut parser, self.timeout, &progress).await {
            Ok(parsed) => parsed,
            Err(HeadFailure::Timeout) => {
                process.kill();
                tracing::error!(
                    script = %process.name(),
                    "the CGI program wrote no complete head in {:?}: killed",
                    self.timeout
                );
                return Err(Error::new(StatusCode::GATEWAY_TIMEOUT)
                    .with_message("Gateway Timeout: the program did not answer in time"));
            }
            Err(HeadFailure::Head(err)) if err.kind() == HeadErrorKind::Incomplete => {
                // The output ended: the request body failed (and the program
                // was killed for it), or the exit status tells why.
                drop(stdout);
                if let Some(failed) = failure.take() {
                    process.kill();
                    return Err(failed);
                }
                let status = process.exit_status_soon().await;
                process.kill();
                tracing::error!(script = %process.name(), "the CGI program failed ({status}): {err}");
                return Err(bad_gateway().with_source(err));
            }
            Err(HeadFailure::Head(err)) => {
                process.kill();
                tracing::error!(script = %process.name(), "the CGI program failed: {err}");
                return Err(bad_gateway().with_source(err));
            }
            Err(HeadFailure::Read(err)) => {
                process.kill();
                tracing::error!(script = %process.name(), "reading the CGI program's output failed: {err}");
                return Err(bad_gateway().with_source(err));
            }
        };

        let Parsed { head, body_start } = parsed;
        match head {
            Head::Respond {
                status,
                headers,
                content_length,
            } => {
                let body = CgiBody::new(
                    stdout,
                    body_start,
                    content_length,
                    self.idle_timeout,
                    process,
                    failure,
                );
                let mut response = Response::new(Body::new(body));
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                Ok(Outcome::Response(response))
            }
            Head::LocalRedirect { location } => {
                drop(stdout);
                process.finish();
                let (parts, ()) = head_req.into_parts();
                redirect(parts, mount, &location).inspect_err(|_| {
                    tracing::error!(
                        script = %program.filename.display(),
                        "the CGI program's Location is not a valid path: {location:?}"
                    );
                })
            }
        }
    }
}

fn bad_gateway() -> Error {
    Error::new(StatusCode::BAD_GATEWAY).with_message(
        "Bad Gateway: the program did not answer properly; the details are in the server log",
    )
}

/// Spawns `command`, trying again a few times on `ETXTBSY`: a program
/// written moments ago may still be open for writing in a child that
/// another thread is forking (the classic race of multi-threaded spawners).
async fn spawn(command: &mut Command) -> io::Result<tokio::process::Child> {
    let mut delay = Duration::from_millis(5);
    for _ in 0..5 {
        match command.spawn() {
            Err(err) if err.kind() == io::ErrorKind::ExecutableFileBusy => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            other => return other,
        }
    }
    command.spawn()
}

/// Reads the program's output until its head is complete, restarting the
/// clock whenever the program takes request body.
async fn read_head(
    stdout: &mut ChildStdout,
    parser: &mut HeadParser,
    timeout: Duration,
    progress: &Progress,
) -> std::result::Result<Parsed, HeadFailure> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let read = tokio::time::timeout_at(progress.deadline(timeout), stdout.read(&mut buf)).await;
        match read {
            Err(_elapsed) => {
                if Instant::now() >= progress.deadline(timeout) {
                    return Err(HeadFailure::Timeout);
                }
            }
            Ok(Err(err)) => return Err(HeadFailure::Read(err)),
            Ok(Ok(0)) => return Err(HeadFailure::Head(parser.ended())),
            Ok(Ok(n)) => {
                if let Some(parsed) = parser.push(&buf[..n]).map_err(HeadFailure::Head)? {
                    return Ok(parsed);
                }
            }
        }
    }
}

/// What the feeder of a program's stdin needs besides the body.
struct Feeding {
    progress: Arc<Progress>,
    name: Arc<str>,
    failure: FeedFailure,
    pgid: Option<rustix::process::Pid>,
}

/// Where the feeder leaves the request body's error when the body failed
/// to arrive (too slow, cut, too big): the program was killed for it, and
/// whoever reads the program's output answers with that error, or cuts
/// the response, instead of taking the output for a whole answer.
#[derive(Clone, Default)]
pub(crate) struct FeedFailure(Arc<std::sync::Mutex<Option<Error>>>);

impl FeedFailure {
    fn set(&self, err: Error) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(err);
    }

    /// The body's error, if it failed (once).
    pub(crate) fn take(&self) -> Option<Error> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

/// Writes the request body to the program's stdin as it arrives, at most
/// `limit` bytes, then closes stdin. A program that stops reading (it
/// exited, or answered without reading) ends the feeding quietly. A body
/// that fails to arrive is not passed off as a whole one (closing stdin
/// would tell the program it got everything): the program's process group
/// is killed, and the error left in `failure` for the answer.
async fn feed(mut stdin: ChildStdin, mut body: Body, limit: Option<u64>, feeding: Feeding) {
    let Feeding {
        progress,
        name,
        failure,
        pgid,
    } = feeding;
    let mut left = limit.unwrap_or(u64::MAX);
    while left > 0 {
        let data = match body.frame().await {
            None => break,
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_trailers) => continue,
            },
            Some(Err(err)) => {
                tracing::debug!(script = %name, "the request body failed while streamed to the CGI program: {err}");
                failure.set(err);
                kill_group(pgid);
                // Closed only after the kill: the program dies before it
                // can act on an end of input.
                drop(stdin);
                return;
            }
        };
        let data: Bytes = if data.len() as u64 > left {
            tracing::debug!(script = %name, "the request body is longer than its Content-Length: cut");
            data.slice(..usize::try_from(left).unwrap_or(data.len()))
        } else {
            data
        };
        left -= data.len() as u64;
        if let Err(err) = stdin.write_all(&data).await {
            tracing::debug!(script = %name, "the CGI program stopped reading its input: {err}");
            return;
        }
        progress.touch();
    }
    // Dropping stdin closes it: EOF for the program.
}

/// A local redirect to `location`: a GET with no body, the same headers
/// (but those of the body) and extensions, and `mount` as script name. A
/// location outside the mount point can't be served here: it goes to the
/// client as a 302.
pub(crate) fn redirect(
    mut parts: http::request::Parts,
    mount: &str,
    location: &str,
) -> Result<Outcome> {
    let path_and_query: PathAndQuery = location
        .parse()
        .map_err(|err| bad_gateway().with_source(err))?;
    parts.uri = match (parts.uri.scheme(), parts.uri.authority()) {
        (Some(scheme), Some(authority)) => Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query(path_and_query)
            .build()
            .map_err(|err| bad_gateway().with_source(err))?,
        _ => Uri::from(path_and_query),
    };
    parts.method = Method::GET;
    for name in [
        header::CONTENT_LENGTH,
        header::CONTENT_TYPE,
        header::TRANSFER_ENCODING,
    ] {
        parts.headers.remove(name);
    }
    let mut req = Request::from_parts(parts, Body::empty());
    if req.set_script_name(mount) {
        return Ok(Outcome::Redirect(req));
    }
    tracing::debug!(
        "a CGI local redirect outside the app's mount point {mount:?}: sent to the client"
    );
    let value = HeaderValue::from_str(location).map_err(|err| bad_gateway().with_source(err))?;
    let mut response = Response::new(Body::from("Found\n"));
    *response.status_mut() = StatusCode::FOUND;
    response.headers_mut().insert(header::LOCATION, value);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(Outcome::Response(response))
}
