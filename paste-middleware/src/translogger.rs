//! Access logging in Apache's combined log format (Paste's
//! `paste.translogger`).
//!
//! [`TransLogger`] writes one line per request once the response body has
//! been sent, so the line holds the real status, the bytes actually sent
//! and the real duration:
//!
//! ```text
//! 127.0.0.1 - alice [10/Oct/2000:13:55:36 +0000] "GET /path?q=1 HTTP/1.1" 200 2326 "http://ref/" "agent/1.0"
//! ```
//!
//! ```
//! use std::sync::{Arc, Mutex};
//!
//! use paste_core::{App, Request, Response, app_fn};
//! use paste_middleware::translogger::{LogRecord, TransLogger};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let lines = Arc::new(Mutex::new(Vec::new()));
//! let sink = {
//!     let lines = lines.clone();
//!     move |record: &LogRecord| lines.lock().unwrap().push(record.line().to_owned())
//! };
//! let app = TransLogger::new(app_fn(|_req| async { Ok(Response::new("hello".into())) }), sink);
//!
//! let req = Request::get("/hi?x=1").header("user-agent", "doc").body(().into()).unwrap();
//! let body = app.call(req).await.unwrap().into_body().to_bytes(1024).await.unwrap();
//! assert_eq!(body, "hello");
//!
//! let line = lines.lock().unwrap()[0].clone();
//! assert!(line.starts_with("- - - ["), "{line}");
//! assert!(line.ends_with("] \"GET /hi?x=1 HTTP/1.1\" 200 5 \"-\" \"doc\""), "{line}");
//! # }
//! ```

use std::fmt::{self, Write as _};
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::StatusCode;
use http::header::{REFERER, USER_AGENT};
use http_body::{Frame, SizeHint};
use paste_core::{App, Body, Error, Request, RequestExt, Result};

/// How a request's log line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The whole body was sent.
    Complete,
    /// The app returned an `Err`; the status is the error's, the size
    /// unknown (whoever renders the error sends the body).
    AppError,
    /// The body ended with an error part way.
    BodyError,
    /// The body was dropped before its end (the client went away), or the
    /// app's future was dropped or panicked before it answered.
    Aborted,
}

impl Outcome {
    /// The mark appended to the log line: nothing for a complete response.
    pub fn mark(self) -> &'static str {
        match self {
            Self::Complete | Self::AppError => "",
            Self::BodyError => " [body-error]",
            Self::Aborted => " [aborted]",
        }
    }
}

/// One request's log entry, handed to a [`LogSink`].
#[derive(Debug, Clone)]
pub struct LogRecord {
    line: String,
    status: Option<StatusCode>,
    bytes: u64,
    duration: Duration,
    outcome: Outcome,
}

impl LogRecord {
    /// The combined-format line, with the [outcome's mark](Outcome::mark)
    /// when the response did not complete; no trailing newline.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// The response status; `None` when the app never answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The body bytes sent (before any compression done by outer layers).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// From the call of the app to the end of the body.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// How the response ended.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }
}

/// Where log records go: [`TracingSink`], [`WriteSink`], or any
/// `Fn(&LogRecord)` closure.
pub trait LogSink: Send + Sync + 'static {
    /// Records one request.
    fn log(&self, record: &LogRecord);
}

impl<F: Fn(&LogRecord) + Send + Sync + 'static> LogSink for F {
    fn log(&self, record: &LogRecord) {
        self(record);
    }
}

/// Logs each line as a `tracing` event at level INFO with target
/// `paste.translogger`, with the status, the bytes, the duration in
/// microseconds and the outcome as fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

impl LogSink for TracingSink {
    fn log(&self, record: &LogRecord) {
        tracing::info!(
            target: "paste.translogger",
            status = record.status.map(|s| s.as_u16()),
            bytes = record.bytes,
            duration_us = u64::try_from(record.duration.as_micros()).unwrap_or(u64::MAX),
            outcome = ?record.outcome,
            "{}",
            record.line
        );
    }
}

/// Writes each line, newline-terminated, to a writer behind a mutex (a
/// file, `stderr`, a `Vec<u8>`…). A failed write is reported through
/// `tracing` and otherwise ignored: logging never fails a request.
#[derive(Debug)]
pub struct WriteSink<W> {
    writer: Mutex<W>,
}

impl<W: Write + Send + 'static> WriteSink<W> {
    /// Writes to `writer`.
    pub fn new(writer: W) -> Self {
        Self {
            writer: Mutex::new(writer),
        }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.writer
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<W: Write + Send + 'static> LogSink for WriteSink<W> {
    fn log(&self, record: &LogRecord) {
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let written = writer
            .write_all(record.line.as_bytes())
            .and_then(|()| writer.write_all(b"\n"))
            .and_then(|()| writer.flush());
        if let Err(err) = written {
            tracing::warn!(target: "paste.translogger", "could not write the access log: {err}");
        }
    }
}

/// Middleware that logs every request in Apache's combined format; see
/// the [module docs](self).
///
/// The fields, each escaped so that no request can forge a line (`"` and
/// `\` are backslash-escaped, control and non-ASCII bytes become `\xHH`,
/// and spaces in the unquoted fields too):
///
/// - the peer's IP address, or the first address of `X-Forwarded-For` when
///   [trusted](TransLogger::trust_forwarded_for); `-` when unknown;
/// - `-` (identd), then the user set by an auth middleware
///   ([`RequestExt::remote_user`]) or `-`;
/// - the time the request came in, in UTC;
/// - the request line: method, path and query as received, HTTP version;
/// - the status and the body bytes sent (`-` for none);
/// - the `Referer` and `User-Agent` headers, `-` when absent.
///
/// ```
/// use paste_core::{Request, Response, app_fn};
/// use paste_middleware::translogger::{TracingSink, TransLogger, WriteSink};
///
/// let app = app_fn(|_req: Request| async { Ok(Response::new("hi".into())) });
/// let to_tracing = TransLogger::new(app, TracingSink);
///
/// let app = app_fn(|_req: Request| async { Ok(Response::new("hi".into())) });
/// let to_stderr = TransLogger::new(app, WriteSink::new(std::io::stderr()))
///     .trust_forwarded_for(true);
/// # let _ = (to_tracing, to_stderr);
/// ```
pub struct TransLogger<A, S = TracingSink> {
    app: A,
    sink: Arc<S>,
    trust_forwarded_for: bool,
}

impl<A, S: LogSink> TransLogger<A, S> {
    /// Wraps `app`, logging to `sink`.
    pub fn new(app: A, sink: S) -> Self {
        Self {
            app,
            sink: Arc::new(sink),
            trust_forwarded_for: false,
        }
    }

    /// Takes the client's address from the first entry of
    /// `X-Forwarded-For` when there is one. Only for apps behind a proxy
    /// that sets it: a client can send anything. Off unless set.
    #[must_use]
    pub fn trust_forwarded_for(mut self, trust: bool) -> Self {
        self.trust_forwarded_for = trust;
        self
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }
}

impl<A, S> fmt::Debug for TransLogger<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransLogger")
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .finish_non_exhaustive()
    }
}

impl<A: App, S: LogSink> App for TransLogger<A, S> {
    async fn call(&self, req: Request) -> Result {
        let pending = Pending {
            prefix: Some(self.prefix(&req)),
            suffix: suffix(&req),
            started: Instant::now(),
            sink: self.sink.clone(),
        };
        let mut guard = Guard(Some(pending));
        let outcome = self.app.call(req).await;
        let pending = guard.0.take().expect("the guard is only emptied here");
        match outcome {
            Ok(response) => {
                let status = response.status();
                Ok(response.map(|body| {
                    Body::new(LoggedBody {
                        inner: body,
                        pending: Some(pending),
                        status,
                        bytes: 0,
                    })
                }))
            }
            Err(err) => {
                pending.log(Some(err.status()), None, Outcome::AppError);
                Err(err)
            }
        }
    }
}

impl<A, S> TransLogger<A, S> {
    /// `host - user [time] "request line"`.
    fn prefix(&self, req: &Request) -> String {
        let mut line = String::with_capacity(128);
        let forwarded = self
            .trust_forwarded_for
            .then(|| req.headers().get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.as_bytes().split(|&b| b == b',').next())
            .map(<[u8]>::trim_ascii)
            .filter(|v| !v.is_empty());
        match (forwarded, req.remote_addr()) {
            (Some(host), _) => escape_into(&mut line, host, true),
            (None, Some(addr)) => {
                let _ = write!(line, "{}", addr.ip());
            }
            (None, None) => line.push('-'),
        }
        line.push_str(" - ");
        match req.remote_user().filter(|u| !u.is_empty()) {
            Some(user) => escape_into(&mut line, user.as_bytes(), true),
            None => line.push('-'),
        }
        line.push_str(" [");
        clf_now(&mut line);
        line.push_str("] \"");
        escape_into(&mut line, req.method().as_str().as_bytes(), false);
        line.push(' ');
        let target = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path(), |pq| pq.as_str());
        escape_into(&mut line, target.as_bytes(), false);
        let _ = write!(line, " {:?}\"", req.version());
        line
    }
}

/// ` "referer" "agent"`.
fn suffix(req: &Request) -> String {
    let mut line = String::with_capacity(64);
    for name in [REFERER, USER_AGENT] {
        line.push_str(" \"");
        match req.headers().get(name) {
            Some(value) => escape_into(&mut line, value.as_bytes(), false),
            None => line.push('-'),
        }
        line.push('"');
    }
    line
}

/// Appends `bytes` escaped: `"` and `\` get a backslash, bytes outside
/// visible ASCII become `\xHH` (and so does a space when `space` is set).
fn escape_into(out: &mut String, bytes: &[u8], space: bool) {
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b' ' if space => out.push_str("\\x20"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

/// Appends `10/Oct/2000:13:55:36 +0000` (UTC).
/// [`clf_time`] for now, formatted once a second per thread: a log line
/// per request would otherwise spend more on the date than on the rest.
fn clf_now(out: &mut String) {
    thread_local! {
        static CACHE: std::cell::RefCell<(u64, String)> = const {
            std::cell::RefCell::new((u64::MAX, String::new()))
        };
    }
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            cache.1.clear();
            clf_time(&mut cache.1, now);
            cache.0 = secs;
        }
        out.push_str(&cache.1);
    });
}

fn clf_time(out: &mut String, time: SystemTime) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let month_name = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    let _ = write!(
        out,
        "{day:02}/{month_name}/{year}:{:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
}

/// What is known of a request before its response ends.
struct Pending<S> {
    prefix: Option<String>,
    suffix: String,
    started: Instant,
    sink: Arc<S>,
}

impl<S: LogSink> Pending<S> {
    fn log(mut self, status: Option<StatusCode>, bytes: Option<u64>, outcome: Outcome) {
        let mut line = self.prefix.take().unwrap_or_default();
        match status {
            Some(status) => {
                let _ = write!(line, " {}", status.as_u16());
            }
            None => line.push_str(" -"),
        }
        match bytes {
            Some(n) if n > 0 => {
                let _ = write!(line, " {n}");
            }
            _ => line.push_str(" -"),
        }
        line.push_str(&self.suffix);
        line.push_str(outcome.mark());
        self.sink.log(&LogRecord {
            line,
            status,
            bytes: bytes.unwrap_or(0),
            duration: self.started.elapsed(),
            outcome,
        });
    }
}

/// Logs an abort if the app's future is dropped (or unwinds) before it
/// answers.
struct Guard<S: LogSink>(Option<Pending<S>>);

impl<S: LogSink> Drop for Guard<S> {
    fn drop(&mut self) {
        if let Some(pending) = self.0.take() {
            let status = std::thread::panicking().then_some(StatusCode::INTERNAL_SERVER_ERROR);
            pending.log(status, None, Outcome::Aborted);
        }
    }
}

/// The response body, counting bytes and logging at its end (or drop).
struct LoggedBody<S: LogSink> {
    inner: Body,
    pending: Option<Pending<S>>,
    status: StatusCode,
    bytes: u64,
}

impl<S: LogSink> LoggedBody<S> {
    fn finish(&mut self, outcome: Outcome) {
        if let Some(pending) = self.pending.take() {
            pending.log(Some(self.status), Some(self.bytes), outcome);
        }
    }
}

impl<S: LogSink> http_body::Body for LoggedBody<S> {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.bytes += data.len() as u64;
                }
                if this.inner.is_end_stream() {
                    this.finish(Outcome::Complete);
                }
            }
            Some(Err(_)) => this.finish(Outcome::BodyError),
            None => this.finish(Outcome::Complete),
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<S: LogSink> Drop for LoggedBody<S> {
    fn drop(&mut self) {
        if http_body::Body::is_end_stream(&self.inner) {
            self.finish(Outcome::Complete);
        } else {
            self.finish(Outcome::Aborted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_in_common_log_format() {
        let mut out = String::new();
        clf_time(&mut out, UNIX_EPOCH + Duration::from_secs(971_185_736));
        assert_eq!(out, "10/Oct/2000:13:48:56 +0000");
        out.clear();
        clf_time(&mut out, UNIX_EPOCH + Duration::from_secs(951_782_400));
        assert_eq!(out, "29/Feb/2000:00:00:00 +0000");
        out.clear();
        clf_time(&mut out, UNIX_EPOCH);
        assert_eq!(out, "01/Jan/1970:00:00:00 +0000");
    }

    #[test]
    fn escaping_keeps_one_line_and_balanced_quotes() {
        let mut out = String::new();
        escape_into(&mut out, b"a\"b\\c\r\nd\xffe f", false);
        assert_eq!(out, "a\\\"b\\\\c\\x0d\\x0ad\\xffe f");
        out.clear();
        escape_into(&mut out, b"a b", true);
        assert_eq!(out, "a\\x20b");
    }
}
