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
//!     move |record: &LogRecord| lines.lock().unwrap().push(record.to_string())
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
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{HeaderValue, REFERER, USER_AGENT};
use http::uri::PathAndQuery;
use http::{Method, StatusCode, Version};
use paste_core::{App, BodyEnd, OnEnd, Request, RequestExt, Result};

use crate::future::map;

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
///
/// The record holds what the line is made of, not the line: a sink that
/// drops the record never pays for formatting it. Its [`Display`](fmt::Display)
/// writes the combined-format line, with the [outcome's mark](Outcome::mark)
/// when the response did not complete, and no trailing newline:
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// use paste_core::{App, Request, Response, app_fn};
/// use paste_middleware::translogger::{LogRecord, Outcome, TransLogger};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let records = Arc::new(Mutex::new(Vec::new()));
/// let sink = {
///     let records = records.clone();
///     // Only the failures are formatted.
///     move |record: &LogRecord| {
///         let failed = record.status().is_some_and(|s| s.is_server_error());
///         if failed || record.outcome() != Outcome::Complete {
///             records.lock().unwrap().push(record.to_string());
///         }
///     }
/// };
/// let app = TransLogger::new(app_fn(|_req| async { Ok(Response::new("hello".into())) }), sink);
///
/// let response = app.call(Request::get("/").body(().into()).unwrap()).await.unwrap();
/// drop(response); // the client went away before the body was sent
/// let line = records.lock().unwrap()[0].clone();
/// assert!(line.ends_with("] \"GET / HTTP/1.1\" 200 - \"-\" \"-\" [aborted]"), "{line}");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct LogRecord {
    request: RequestFacts,
    status: Option<StatusCode>,
    /// `None` when the size is unknown (the app failed).
    bytes: Option<u64>,
    duration: Duration,
    outcome: Outcome,
}

impl LogRecord {
    /// The response status; `None` when the app never answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The body bytes sent (before any compression done by outer layers).
    pub fn bytes(&self) -> u64 {
        self.bytes.unwrap_or(0)
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

impl fmt::Display for LogRecord {
    /// The combined-format line: `host - user [time] "request line"
    /// status bytes "referer" "agent"`, then the outcome's mark.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let req = &self.request;
        match &req.host {
            Host::Forwarded(value) => escape(f, first_forwarded(value).unwrap_or(b""), true)?,
            Host::Peer(ip) => write!(f, "{ip}")?,
            Host::Unknown => f.write_str("-")?,
        }
        f.write_str(" - ")?;
        match &req.user {
            Some(user) => escape(f, user.as_bytes(), true)?,
            None => f.write_str("-")?,
        }
        f.write_str(" [")?;
        // The wall-clock time the request came in, worked out when the
        // line is written: a sink that drops records never asks the clock.
        let time = SystemTime::now()
            .checked_sub(req.started.elapsed())
            .unwrap_or(UNIX_EPOCH);
        write_clf_time(f, time)?;
        f.write_str("] \"")?;
        escape(f, req.method.as_str().as_bytes(), false)?;
        f.write_str(" ")?;
        let target = req.target.as_ref().map_or("", PathAndQuery::as_str);
        escape(f, target.as_bytes(), false)?;
        write!(f, " {:?}\"", req.version)?;
        match self.status {
            Some(status) => write!(f, " {}", status.as_u16())?,
            None => f.write_str(" -")?,
        }
        match self.bytes {
            Some(n) if n > 0 => write!(f, " {n}")?,
            _ => f.write_str(" -")?,
        }
        for header in [&req.referer, &req.user_agent] {
            f.write_str(" \"")?;
            match header {
                Some(value) => escape(f, value.as_bytes(), false)?,
                None => f.write_str("-")?,
            }
            f.write_str("\"")?;
        }
        f.write_str(self.outcome.mark())
    }
}

/// What the line needs from the request, taken when it comes in: cheap
/// clones (header values and the path share the request's buffer),
/// nothing formatted. The record is moved a few times per request, so it
/// is kept small.
#[derive(Debug, Clone)]
struct RequestFacts {
    host: Host,
    user: Option<Box<str>>,
    started: Instant,
    method: Method,
    /// The URI's path and query as received; `None` only for the
    /// authority form (`CONNECT host:port`), whose path is empty.
    target: Option<PathAndQuery>,
    version: Version,
    referer: Option<HeaderValue>,
    user_agent: Option<HeaderValue>,
}

/// Who made the request.
#[derive(Debug, Clone)]
enum Host {
    /// `X-Forwarded-For`, when trusted and its first entry is not empty.
    Forwarded(HeaderValue),
    /// The peer's address.
    Peer(IpAddr),
    Unknown,
}

/// The first entry of an `X-Forwarded-For` value, trimmed; `None` if empty.
fn first_forwarded(value: &HeaderValue) -> Option<&[u8]> {
    value
        .as_bytes()
        .split(|&b| b == b',')
        .next()
        .map(<[u8]>::trim_ascii)
        .filter(|v| !v.is_empty())
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
/// microseconds and the outcome as fields. The line is formatted only if
/// a subscriber takes the event: with INFO off for that target, a request
/// costs no formatting at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

impl LogSink for TracingSink {
    fn log(&self, record: &LogRecord) {
        // `info!` checks that the level and target are enabled before it
        // evaluates a field or formats the message.
        tracing::info!(
            target: "paste.translogger",
            status = record.status.map(|s| s.as_u16()),
            bytes = record.bytes(),
            duration_us = u64::try_from(record.duration.as_micros()).unwrap_or(u64::MAX),
            outcome = ?record.outcome,
            "{record}"
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
        // Formatted before taking the lock, and written in one piece.
        let mut line = String::with_capacity(192);
        let _ = writeln!(line, "{record}");
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let written = writer
            .write_all(line.as_bytes())
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
    fn call(&self, req: Request) -> impl Future<Output = Result> + Send {
        // Boxed: what moves from the future to the body is a pointer,
        // and the box is the body's hook.
        let pending = Box::new(Pending {
            record: LogRecord {
                request: self.facts(&req),
                status: None,
                bytes: None,
                duration: Duration::ZERO,
                outcome: Outcome::Aborted,
            },
            sink: self.sink.clone(),
            logged: false,
        });
        // The guard logs the request as aborted if the future is dropped
        // (or the app panics) before it answers.
        let mut guard = Guard(Some(pending));
        // The app is called at once and its answer handled when it comes
        // (see `crate::future`): no copy of the request in this future.
        map(self.app.call(req), move |outcome: Result| match outcome {
            Ok(response) => {
                let mut pending = guard.0.take().expect("the guard is only emptied here");
                pending.record.status = Some(response.status());
                pending.record.bytes = Some(0);
                // Logged when the body ends: the record is the
                // body's hook (a body known in full stays one).
                Ok(response.map(|body| body.on_end(pending)))
            }
            Err(err) => {
                if let Some(pending) = &mut guard.0 {
                    pending.record.status = Some(err.status());
                }
                finish(&mut guard.0, Outcome::AppError);
                Err(err)
            }
        })
    }
}

impl<A, S> TransLogger<A, S> {
    /// What the line needs from `req`, taken before the app can change it.
    fn facts(&self, req: &Request) -> RequestFacts {
        let forwarded = self
            .trust_forwarded_for
            .then(|| req.headers().get("x-forwarded-for"))
            .flatten()
            .filter(|v| first_forwarded(v).is_some());
        let host = match (forwarded, req.remote_addr()) {
            (Some(value), _) => Host::Forwarded(value.clone()),
            (None, Some(addr)) => Host::Peer(addr.ip()),
            (None, None) => Host::Unknown,
        };
        // The first value of each, as `HeaderMap::get` gives it, in one
        // pass: cheaper than two hashed lookups for a request's usual
        // dozen headers or fewer.
        let (mut referer, mut user_agent) = (None, None);
        for (name, value) in req.headers() {
            if *name == REFERER {
                referer.get_or_insert(value);
            } else if *name == USER_AGENT {
                user_agent.get_or_insert(value);
            }
        }
        RequestFacts {
            host,
            user: req.remote_user().filter(|u| !u.is_empty()).map(Box::from),
            started: Instant::now(),
            method: req.method().clone(),
            target: req.uri().path_and_query().cloned(),
            version: req.version(),
            referer: referer.cloned(),
            user_agent: user_agent.cloned(),
        }
    }
}

/// Writes `bytes` escaped: `"` and `\` get a backslash, bytes outside
/// visible ASCII become `\xHH` (and so does a space when `space` is set).
/// Runs of bytes that need no escape are written in one piece.
fn escape(out: &mut impl fmt::Write, bytes: &[u8], space: bool) -> fmt::Result {
    let plain =
        |b: u8| matches!(b, 0x21..=0x7e if b != b'"' && b != b'\\') || (b == b' ' && !space);
    let mut rest = bytes;
    while !rest.is_empty() {
        let run = rest.iter().position(|&b| !plain(b)).unwrap_or(rest.len());
        let (clean, tail) = rest.split_at(run);
        // Only visible ASCII and spaces: valid UTF-8.
        out.write_str(std::str::from_utf8(clean).map_err(|_| fmt::Error)?)?;
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        match b {
            b'"' => out.write_str("\\\"")?,
            b'\\' => out.write_str("\\\\")?,
            _ => write!(out, "\\x{b:02x}")?,
        }
        rest = tail;
    }
    Ok(())
}

/// Writes `time` as `10/Oct/2000:13:55:36 +0000` (UTC), from a per-thread
/// cache of the last second formatted: most lines of a busy server fall
/// in the same second, and the date would otherwise cost more than the
/// rest of the line.
fn write_clf_time(out: &mut impl fmt::Write, time: SystemTime) -> fmt::Result {
    thread_local! {
        static CACHE: std::cell::RefCell<(u64, String)> = const {
            std::cell::RefCell::new((u64::MAX, String::new()))
        };
    }
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            cache.1.clear();
            clf_time(&mut cache.1, time);
            cache.0 = secs;
        }
        out.write_str(&cache.1)
    })
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

/// A request's record, completed as its response ends, and where it goes.
struct Pending<S> {
    record: LogRecord,
    sink: Arc<S>,
    logged: bool,
}

impl<S: LogSink> Pending<S> {
    /// Completes the record, unless it was logged already, and hands it to
    /// the sink, in place: a record is a few hundred bytes.
    fn finish(&mut self, outcome: Outcome) {
        if !self.logged {
            // Set first: a sink that panics is not called again as the
            // unwinding drops the body or the guard.
            self.logged = true;
            self.record.duration = self.record.request.started.elapsed();
            self.record.outcome = outcome;
            self.sink.log(&self.record);
        }
    }
}

/// Completes the record in `slot`, if it is still there, and hands it to
/// the sink.
fn finish<S: LogSink>(slot: &mut Option<Box<Pending<S>>>, outcome: Outcome) {
    if let Some(pending) = slot {
        pending.finish(outcome);
    }
    *slot = None;
}

/// The end of the response body: logs the record, with the bytes read.
impl<S: LogSink> OnEnd for Pending<S> {
    fn on_end(mut self: Box<Self>, end: BodyEnd, read: u64) {
        let outcome = match end {
            BodyEnd::Complete => Outcome::Complete,
            BodyEnd::Error => Outcome::BodyError,
            _ => Outcome::Aborted,
        };
        self.record.bytes = Some(read);
        self.finish(outcome);
    }
}

/// Logs an abort if the app's future is dropped (or unwinds) before it
/// answers.
struct Guard<S: LogSink>(Option<Box<Pending<S>>>);

impl<S: LogSink> Drop for Guard<S> {
    fn drop(&mut self) {
        if let Some(pending) = &mut self.0
            && std::thread::panicking()
        {
            pending.record.status = Some(StatusCode::INTERNAL_SERVER_ERROR);
        }
        finish(&mut self.0, Outcome::Aborted);
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
        let escaped = |bytes: &[u8], space| {
            let mut out = String::new();
            escape(&mut out, bytes, space).unwrap();
            out
        };
        assert_eq!(
            escaped(b"a\"b\\c\r\nd\xffe f", false),
            "a\\\"b\\\\c\\x0d\\x0ad\\xffe f"
        );
        assert_eq!(escaped(b"a b", true), "a\\x20b");
        assert_eq!(escaped(b"", true), "");
        assert_eq!(escaped(b"\"\"", true), "\\\"\\\"");
        assert_eq!(escaped(b"plain/path?q=1", false), "plain/path?q=1");
        assert_eq!(escaped(b"\x7f\x00 x", false), "\\x7f\\x00 x");
    }
}
