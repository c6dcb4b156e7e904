//! One request forwarded to a FastCGI responder: BEGIN_REQUEST and PARAMS
//! out, the request body streamed out as STDIN while STDOUT is read in,
//! up to the end of the response head.
//!
//! The writing side is [`StdinWriter`], a poll-driven state machine rather
//! than a task: until the head is in, [`forward`] polls it next to the
//! record reader; after, the response body ([`FcgiBody`]) does. Nothing is
//! spawned, and dropping the response drops the connection.
//!
//! A reused connection may have been closed by the responder while it sat
//! idle (php-cgi's children exit after `PHP_FCGI_MAX_REQUESTS`, right
//! after their last answer). When one fails before the responder said
//! anything, the request is sent again, on a fresh connection:
//! - whatever its method, when the connection was reset or the pipe broken:
//!   the responder did not read the request, so it did not run it;
//! - only for an idempotent method (GET, HEAD, PUT, DELETE, OPTIONS,
//!   TRACE), when the connection was merely closed: the responder may have
//!   read the request and died running it.
//!
//! The body chunks already sent are kept for that, up to [`REPLAY_LIMIT`]
//! bytes; a larger body goes on a fresh connection from the start.

use std::future::poll_fn;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use http::StatusCode;
use http::header::{self, HeaderValue};
use http_body::Body as _;
use paste_core::{Body, Error, Request, Response, Result};
use tokio::time::Instant;

use super::Settings;
use super::body::FcgiBody;
use super::conn::{ConnectError, Pool, ReadHalf, Slot, WriteHalf};
use crate::app::{Line, Outcome, after, redirect};
use crate::env::{self, BodyLength, Script};
use crate::fastcgi::proto::{
    self, EndRequest, ProtoError, ProtocolStatus, RecordReader, RecordType, Records, Role,
};
use crate::head::{Head, HeadParser, HeadStyle, Parsed};

/// The request id of every request: one request per connection at a time.
pub(crate) const REQUEST_ID: u16 = 1;

/// How much of the request body is kept for sending again on another
/// connection, should a reused one turn out to be closed.
const REPLAY_LIMIT: usize = 64 * 1024;

/// What the responder runs, and how the request's path splits around it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    /// `SCRIPT_NAME`, percent-encoded as in the URI.
    pub(crate) script_name: &'a str,
    /// `PATH_INFO`, percent-encoded as in the URI.
    pub(crate) path_info: &'a str,
    /// `SCRIPT_FILENAME`, if any.
    pub(crate) filename: Option<&'a Path>,
}

/// Forwards `req` to the responder behind `pool`. `mount` is the app's
/// own script name, where a local redirect re-enters it.
pub(crate) async fn forward(
    settings: &Settings,
    pool: &Arc<Pool>,
    req: Request,
    target: Target<'_>,
    mount: &str,
) -> Result<Outcome> {
    let length = env::body_length(&req)?;
    if length == BodyLength::Unknown && settings.require_content_length {
        return Err(Error::new(StatusCode::LENGTH_REQUIRED)
            .with_message("Length Required: send the body with a Content-Length"));
    }
    let (parts, body) = req.into_parts();
    let head_req = Request::from_parts(parts, ());
    let script = Script {
        script_name: target.script_name,
        path_info: target.path_info,
        filename: target.filename.unwrap_or(Path::new("")),
    };
    let vars = env::meta_variables(&head_req, &script, length, &settings.env)?;
    let mut params = BytesMut::new();
    for (name, value) in vars.iter() {
        if name == "SCRIPT_FILENAME" && target.filename.is_none() {
            continue;
        }
        proto::encode_pair(&mut params, name.as_bytes(), value);
    }
    let params = params.freeze();
    let name: Arc<str> = match target.filename {
        Some(filename) => filename.display().to_string().into(),
        None => pool.addr().to_string().into(),
    };
    let mut source = Source {
        body: match length {
            BodyLength::None => None,
            _ => Some(body),
        },
        left: match length {
            BodyLength::Known(len) => len,
            _ => u64::MAX,
        },
        sent: Some(Vec::new()),
        sent_len: 0,
    };

    // A body that could not be sent again goes on a fresh connection,
    // which never needs sending again.
    let fresh = match length {
        BodyLength::None => false,
        BodyLength::Known(len) => len > REPLAY_LIMIT as u64,
        BodyLength::Unknown => true,
    };
    let mut fresh = fresh;
    let idempotent = head_req.method().is_idempotent();
    let slot_deadline = after(Instant::now(), settings.timeout);
    // A retry goes on a fresh connection, which is never retried.
    let head = loop {
        let conn = match pool.get(slot_deadline, fresh).await {
            Ok(conn) => conn,
            Err(err) => return Err(connect_error(err, pool, &name, settings)),
        };
        match exchange(settings, pool, conn, &params, source, idempotent, &name).await {
            Ok(head) => break head,
            Err(Failed::Stale(back)) => {
                tracing::debug!(
                    addr = %pool.addr(),
                    "a reused FastCGI connection was closed by the responder; sending again"
                );
                source = back;
                fresh = true;
            }
            Err(Failed::Error(err)) => return Err(err),
        }
    };

    let HeadIn {
        parsed: Parsed { head, body_start },
        reader,
        writer,
        slot,
        stderr,
    } = head;
    match head {
        Head::Respond {
            status,
            headers,
            content_length,
        } => {
            let body = FcgiBody::new(
                body_start,
                content_length,
                settings.idle_timeout,
                name,
                Live {
                    reader,
                    writer,
                    slot,
                    pool: Arc::clone(pool),
                    stderr,
                },
            );
            let mut response = Response::new(Body::new(body));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            Ok(Outcome::Response(response))
        }
        Head::LocalRedirect { location } => {
            // The rest of this answer is not wanted: the connection goes
            // with it.
            let (parts, ()) = head_req.into_parts();
            redirect(parts, mount, &location).inspect_err(|_| {
                tracing::error!(
                    script = %name,
                    "the FastCGI responder's Location is not a valid path: {location:?}"
                );
            })
        }
    }
}

/// The error for a connection that could not be had.
fn connect_error(err: ConnectError, pool: &Pool, name: &str, settings: &Settings) -> Error {
    let addr = pool.addr();
    match err {
        ConnectError::Busy => {
            tracing::warn!(
                script = name,
                %addr,
                "no FastCGI connection came free in {:?} (the limit is {} connections)",
                settings.timeout,
                pool.max_connections()
            );
            Error::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_message("Service Unavailable: the application is busy, try again later")
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
        }
        ConnectError::Timeout => {
            tracing::error!(
                script = name,
                %addr,
                "connecting to the FastCGI responder took longer than {:?}",
                settings.connect_timeout
            );
            Error::new(StatusCode::GATEWAY_TIMEOUT)
                .with_message("Gateway Timeout: the application could not be reached in time")
        }
        ConnectError::Failed(err) => {
            tracing::error!(script = name, %addr, "cannot connect to the FastCGI responder: {err}");
            Error::new(StatusCode::BAD_GATEWAY)
                .with_message("Bad Gateway: the application is not reachable")
                .with_source(io::Error::new(
                    err.kind(),
                    format!("cannot connect to the FastCGI responder at {addr}: {err}"),
                ))
        }
    }
}

/// The 502 of a responder that broke the protocol or the CGI head.
pub(crate) fn bad_gateway(source: impl Into<paste_core::BoxError>) -> Error {
    Error::new(StatusCode::BAD_GATEWAY)
        .with_message(
            "Bad Gateway: the application did not answer properly; the details are in the server log",
        )
        .with_source(source)
}

/// A connection whose response head is in.
struct HeadIn {
    parsed: Parsed,
    reader: RecordReader<ReadHalf>,
    writer: StdinWriter,
    slot: Slot,
    stderr: Line,
}

/// What a failed exchange leaves.
enum Failed {
    /// A reused connection was closed before the responder said anything:
    /// send the request again, with what is left of its body.
    Stale(Source),
    /// The answer for the client.
    Error(Error),
}

impl From<Error> for Failed {
    fn from(err: Error) -> Self {
        Self::Error(err)
    }
}

/// What woke the head phase.
enum Event {
    Record(std::result::Result<Option<proto::Record>, ProtoError>),
    Written(std::result::Result<(), WriteFailure>),
    Timeout,
}

/// Sends the request on `conn` and reads up to the end of the head.
async fn exchange(
    settings: &Settings,
    pool: &Arc<Pool>,
    conn: super::conn::Conn,
    params: &Bytes,
    source: Source,
    idempotent: bool,
    name: &Arc<str>,
) -> std::result::Result<HeadIn, Failed> {
    let super::conn::Conn {
        mut reader,
        writer,
        reused,
        slot,
    } = conn;
    let mut fresh_waiting = (!reused).then(|| pool.fresh_waiting());
    let mut writer = StdinWriter::new(writer, params, source, reused, pool.keep_conn());
    let mut parser = HeadParser::new(HeadStyle::Cgi).max_size(settings.max_head_size);
    let mut stderr = Line::default();
    let mut heard = false;
    loop {
        let deadline = after(writer.last_progress, settings.timeout);
        let event = tokio::select! {
            biased;
            record = poll_fn(|cx| reader.poll_next(cx)) => Event::Record(record),
            written = poll_fn(|cx| writer.poll(cx)), if writer.is_writing() => Event::Written(written),
            () = tokio::time::sleep_until(deadline) => Event::Timeout,
        };
        let record = match event {
            Event::Timeout => {
                if Instant::now() < after(writer.last_progress, settings.timeout) {
                    continue; // the responder took some body meanwhile
                }
                tracing::error!(
                    script = %name,
                    addr = %pool.addr(),
                    "the FastCGI responder wrote no complete head in {:?}",
                    settings.timeout
                );
                return Err(Error::new(StatusCode::GATEWAY_TIMEOUT)
                    .with_message("Gateway Timeout: the application did not answer in time")
                    .into());
            }
            Event::Written(Ok(())) => continue,
            Event::Written(Err(WriteFailure::Body(err))) => {
                tracing::debug!(script = %name, "the request body failed while forwarded: {err:#}");
                return Err(err.into());
            }
            Event::Written(Err(WriteFailure::Io(err))) => {
                if !heard && reused && writer.can_replay() && (unread(&err) || idempotent) {
                    return Err(Failed::Stale(writer.into_replay()));
                }
                // The responder may have answered already: read on.
                tracing::debug!(script = %name, "writing to the FastCGI responder failed: {err}");
                continue;
            }
            Event::Record(Ok(Some(record))) => record,
            Event::Record(Ok(None)) if !heard && reused && writer.can_replay() && idempotent => {
                return Err(Failed::Stale(writer.into_replay()));
            }
            Event::Record(Err(ProtoError::Io(err)))
                if !heard && reused && writer.can_replay() && (unread(&err) || idempotent) =>
            {
                return Err(Failed::Stale(writer.into_replay()));
            }
            Event::Record(Err(ProtoError::Io(err))) => {
                tracing::error!(script = %name, addr = %pool.addr(), "reading from the FastCGI responder failed: {err}");
                return Err(bad_gateway(err).into());
            }
            Event::Record(Ok(None)) => return Err(closed_early(name, pool).into()),
            Event::Record(Err(err)) => {
                tracing::error!(script = %name, addr = %pool.addr(), "{err}");
                return Err(bad_gateway(err).into());
            }
        };
        if record.request_id != REQUEST_ID {
            continue; // a management record, or a stray one
        }
        if !heard {
            heard = true;
            writer.stop_replay();
            fresh_waiting = None;
        }
        match record.kind {
            RecordType::Stdout => match parser.push(&record.content) {
                Ok(Some(parsed)) => {
                    drop(fresh_waiting);
                    return Ok(HeadIn {
                        parsed,
                        reader,
                        writer,
                        slot,
                        stderr,
                    });
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::error!(script = %name, "the FastCGI responder failed: {err}");
                    return Err(bad_gateway(err).into());
                }
            },
            RecordType::Stderr => stderr.feed(&record.content, name),
            RecordType::EndRequest => {
                stderr.flush(name);
                let err = ended_early(name, &record.content, &parser);
                if writer.is_done() {
                    pool.put(reader, writer.into_io(), slot);
                }
                return Err(err.into());
            }
            _ => {}
        }
    }
}

/// Whether a connection failed in a way that says the responder did not
/// read what was sent: it was gone, or closed with our bytes unread.
fn unread(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

fn closed_early(name: &str, pool: &Pool) -> Error {
    let why = "the FastCGI responder closed the connection before its response head";
    tracing::error!(script = name, addr = %pool.addr(), "{why}");
    bad_gateway(io::Error::new(io::ErrorKind::UnexpectedEof, why))
}

/// The error for an END_REQUEST that came before the end of the head.
fn ended_early(name: &str, content: &[u8], parser: &HeadParser) -> Error {
    match EndRequest::decode(content) {
        Ok(EndRequest {
            protocol_status: ProtocolStatus::Overloaded,
            ..
        }) => {
            tracing::warn!(script = name, "the FastCGI responder is overloaded");
            Error::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_message("Service Unavailable: the application is overloaded, try again later")
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
        }
        Ok(EndRequest {
            protocol_status: status @ (ProtocolStatus::CantMpxConn | ProtocolStatus::UnknownRole),
            ..
        }) => {
            let why = format!("the FastCGI responder refused the request: {status:?}");
            tracing::error!(script = name, "{why}");
            bad_gateway(io::Error::other(why))
        }
        Ok(end) => {
            let err = parser.ended();
            tracing::error!(
                script = name,
                "the FastCGI responder failed (app status {}): {err}",
                end.app_status
            );
            bad_gateway(err)
        }
        Err(err) => {
            tracing::error!(script = name, "{err}");
            bad_gateway(err)
        }
    }
}

/// The request body, as the writer takes it: cut at `CONTENT_LENGTH`, and
/// the chunks sent so far kept while a retry is possible.
pub(crate) struct Source {
    body: Option<Body>,
    /// What is left of `CONTENT_LENGTH`.
    left: u64,
    /// The chunks sent so far; `None` once a retry is ruled out.
    sent: Option<Vec<Bytes>>,
    sent_len: usize,
}

impl Source {
    /// The next chunk of the body; `None` at its end.
    fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<std::result::Result<Option<Bytes>, Error>> {
        loop {
            let Some(body) = self.body.as_mut() else {
                return Poll::Ready(Ok(None));
            };
            if self.left == 0 {
                self.body = None;
                continue;
            }
            let frame = match ready!(Pin::new(body).poll_frame(cx)) {
                None => {
                    self.body = None;
                    continue;
                }
                Some(Err(err)) => {
                    self.body = None;
                    return Poll::Ready(Err(err));
                }
                Some(Ok(frame)) => frame,
            };
            let Ok(mut data) = frame.into_data() else {
                continue; // trailers: CGI has no place for them
            };
            if data.len() as u64 > self.left {
                tracing::debug!("the request body is longer than its Content-Length: cut");
                data.truncate(usize::try_from(self.left).unwrap_or(data.len()));
            }
            self.left -= data.len() as u64;
            if data.is_empty() {
                continue;
            }
            if let Some(sent) = self.sent.as_mut() {
                if self.sent_len + data.len() <= REPLAY_LIMIT {
                    self.sent_len += data.len();
                    sent.push(data.clone());
                } else {
                    self.sent = None;
                }
            }
            return Poll::Ready(Ok(Some(data)));
        }
    }
}

/// Why the writer stopped.
pub(crate) enum WriteFailure {
    /// The request body failed (the client went away, or a limit).
    Body(Error),
    /// The connection failed.
    Io(io::Error),
}

/// Where the writer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriterState {
    Writing,
    /// Everything is written, the end of STDIN included.
    Done,
    /// Writing failed; nothing more will be.
    Broken,
}

/// Writes a request: BEGIN_REQUEST and PARAMS, then the body as STDIN
/// records as it arrives, then the empty STDIN record.
pub(crate) struct StdinWriter {
    io: WriteHalf,
    queued: Records,
    source: Source,
    end_queued: bool,
    state: WriterState,
    /// When the responder last took bytes: the head timeout counts from it.
    pub(crate) last_progress: Instant,
}

impl StdinWriter {
    fn new(
        io: WriteHalf,
        params: &Bytes,
        mut source: Source,
        reused: bool,
        keep_conn: bool,
    ) -> Self {
        let mut queued = Records::new();
        queued.push_begin_request(REQUEST_ID, Role::Responder, keep_conn);
        queued.push_stream(RecordType::Params, REQUEST_ID, params.clone());
        queued.push_end(RecordType::Params, REQUEST_ID);
        // A retry sends again what the failed attempt sent.
        for chunk in source.sent.iter().flatten() {
            queued.push_stream(RecordType::Stdin, REQUEST_ID, chunk.clone());
        }
        if !reused {
            // A fresh connection is not retried: nothing to keep.
            source.sent = None;
        }
        Self {
            io,
            queued,
            source,
            end_queued: false,
            state: WriterState::Writing,
            last_progress: Instant::now(),
        }
    }

    pub(crate) fn is_writing(&self) -> bool {
        self.state == WriterState::Writing
    }

    pub(crate) fn is_done(&self) -> bool {
        self.state == WriterState::Done
    }

    /// The responder has answered: a retry is ruled out.
    fn stop_replay(&mut self) {
        self.source.sent = None;
    }

    /// Whether the request can still be sent again on another connection.
    fn can_replay(&self) -> bool {
        self.source.sent.is_some()
    }

    /// What is needed to send the request again (see
    /// [`can_replay`](Self::can_replay)).
    fn into_replay(self) -> Source {
        self.source
    }

    pub(crate) fn into_io(self) -> WriteHalf {
        self.io
    }

    /// Writes what can be written; ready when everything is written, or
    /// on failure (once: afterwards it is no longer writing).
    pub(crate) fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<std::result::Result<(), WriteFailure>> {
        if self.state != WriterState::Writing {
            return Poll::Ready(Ok(()));
        }
        loop {
            while self.queued.has_remaining() {
                match ready!(tokio_util::io::poll_write_buf(
                    Pin::new(&mut self.io),
                    cx,
                    &mut self.queued
                )) {
                    Ok(0) => return self.broken(io::ErrorKind::WriteZero.into()),
                    Ok(_) => self.last_progress = Instant::now(),
                    Err(err) => return self.broken(err),
                }
            }
            if self.end_queued {
                self.state = WriterState::Done;
                return Poll::Ready(Ok(()));
            }
            match ready!(self.source.poll_chunk(cx)) {
                Ok(Some(data)) => self.queued.push_stream(RecordType::Stdin, REQUEST_ID, data),
                Ok(None) => {
                    self.queued.push_end(RecordType::Stdin, REQUEST_ID);
                    self.end_queued = true;
                }
                Err(err) => {
                    self.state = WriterState::Broken;
                    return Poll::Ready(Err(WriteFailure::Body(err)));
                }
            }
        }
    }

    fn broken(&mut self, err: io::Error) -> Poll<std::result::Result<(), WriteFailure>> {
        self.state = WriterState::Broken;
        Poll::Ready(Err(WriteFailure::Io(err)))
    }
}

/// A connection streaming a response body: what [`FcgiBody`] reads.
pub(crate) struct Live {
    pub(crate) reader: RecordReader<ReadHalf>,
    pub(crate) writer: StdinWriter,
    pub(crate) slot: Slot,
    pub(crate) pool: Arc<Pool>,
    pub(crate) stderr: Line,
}

impl Live {
    /// The response is over (END_REQUEST came): the connection goes back
    /// to the pool if all of the request went out.
    pub(crate) fn finish(self) {
        if self.writer.is_done() {
            self.pool.put(self.reader, self.writer.into_io(), self.slot);
        }
    }
}
