//! [`FastCgiServer`]: a Paste app behind nginx's `fastcgi_pass`, Apache's
//! `mod_proxy_fcgi`, lighttpd's `mod_fastcgi` or any FastCGI client.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, RETRY_AFTER};
use http::{Method, StatusCode};
use paste_core::{App, Body, Error, Request};
use paste_server::Handle;
use paste_server::listen::{Bound, Listener, Stream};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};

use super::proto::{
    self, BeginRequest, EndRequest, ProtoError, ProtocolStatus, Record, RecordReader, RecordType,
    Records, Role, StreamCollector,
};
use crate::gateway::{self, ChannelBody, Next};

/// The limits a FastCGI server enforces. Every one has a default and a
/// setter on [`FastCgiServer`], named as paste-server names its own.
#[derive(Clone, Copy, Debug)]
struct Limits {
    header_read_timeout: Duration,
    max_params_size: usize,
    max_body_size: u64,
    keep_alive_timeout: Duration,
    max_connections: usize,
    drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            max_params_size: 64 * 1024,
            max_body_size: 64 * 1024 * 1024,
            keep_alive_timeout: Duration::from_secs(75),
            max_connections: 16_384,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// How many STDIN records wait for the app before the server stops reading
/// the connection (backpressure: the body flows at the app's pace).
const STDIN_QUEUE: usize = 4;
/// How many batches of records wait for the socket before the app's body
/// is no longer polled.
const OUT_QUEUE: usize = 2;
/// A batch of STDOUT records is sent to the socket at this size, or sooner
/// when the body makes the server wait.
const FLUSH_AT: usize = 64 * 1024;
/// How long a connection that is being closed is drained of what the
/// client still sends, so that the client reads the whole answer instead
/// of a reset.
const LINGER: Duration = Duration::from_secs(2);
/// How long a connection over the limit has to send its BEGIN_REQUEST and
/// get its 503.
const REFUSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A FastCGI server for any [`App`]: nginx's `fastcgi_pass`, Apache's
/// `mod_proxy_fcgi`, lighttpd's `mod_fastcgi` and `cgi-fcgi` talk to it.
///
/// ```no_run
/// use std::time::Duration;
/// use paste_cgi::FastCgiServer;
/// use paste_core::{Request, RequestExt, Response, app_fn};
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let app = app_fn(|req: Request| async move {
///         Ok(Response::new(format!("Hello from {}!\n", req.path_info()).into()))
///     });
///     FastCgiServer::bind("127.0.0.1:9000")?
///         .max_body_size(10 * 1024 * 1024)
///         .keep_alive_timeout(Duration::from_secs(60))
///         .serve(app)
///         .await
/// }
/// ```
///
/// with, in nginx:
///
/// ```text
/// location / {
///     include fastcgi_params;
///     fastcgi_param SCRIPT_NAME "";       # the app is mounted at /
///     fastcgi_param PATH_INFO $uri;
///     fastcgi_pass 127.0.0.1:9000;
///     fastcgi_keep_conn on;               # optional: reuse connections
/// }
/// ```
///
/// (nginx's stock `fastcgi_params` set `SCRIPT_NAME` to the whole path,
/// which would leave the app an empty path info; a later `fastcgi_param`
/// of the same name wins.)
///
/// Each request becomes a [`Request`] the way [`run`](crate::run) makes
/// one of CGI variables — method, URI, headers, script name, addresses,
/// scheme, remote user, and [`CgiVars`](crate::CgiVars) — with its body
/// streamed from the STDIN records as the app reads it, and its response
/// streamed out as STDOUT records as the app produces it, so memory stays
/// flat whatever the sizes.
///
/// The protocol, as this server speaks it:
///
/// - Role: the responder. A request for another role (authorizer, filter)
///   gets `FCGI_UNKNOWN_ROLE`.
/// - One request at a time per connection: a second BEGIN_REQUEST while
///   one is in flight gets `FCGI_CANT_MPX_CONN`, and GET_VALUES answers
///   `FCGI_MPXS_CONNS=0`. No web server multiplexes (nginx, Apache and
///   lighttpd open connections instead), so this costs nothing real.
/// - `FCGI_KEEP_CONN` is honoured: the connection stays open for the next
///   request (nginx: `fastcgi_keep_conn on` with an upstream `keepalive`);
///   without it the server closes the connection after the response.
/// - FCGI_ABORT_REQUEST drops the app's future, so the app's work stops at
///   its next await, and ends the request. A client that closes its
///   connection does the same.
/// - GET_VALUES is answered for `FCGI_MAX_CONNS`, `FCGI_MAX_REQS` (both
///   the connection limit) and `FCGI_MPXS_CONNS`; other management records
///   get UNKNOWN_TYPE.
/// - A malformed record (a version other than 1, a short BEGIN_REQUEST
///   body, name-value pairs cut short, STDIN before the end of the params)
///   closes that connection, logged; other connections go on.
///
/// Whatever the app does, the client gets an answer: an `Err` becomes a
/// response with its status, a panic a 500 (both logged with
/// [`tracing`]), and a HEAD request gets the head alone.
#[derive(Debug)]
pub struct FastCgiServer {
    bound: Bound,
    limits: Limits,
    handle: Handle,
    signals: bool,
}

impl FastCgiServer {
    fn new(bound: Bound) -> Self {
        Self {
            bound,
            limits: Limits::default(),
            handle: Handle::new(),
            signals: true,
        }
    }

    /// Binds a TCP socket: `"127.0.0.1:9000"`, `"[::1]:9000"`, `"localhost:0"`,
    /// a [`SocketAddr`]… The first address that binds wins.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Bound::tcp(addr).map(Self::new)
    }

    /// Binds a Unix domain socket at `path`, replacing a stale socket file
    /// left by a server that died (but not a live one). The file is
    /// removed when the server stops. The web server needs permission to
    /// connect to it: mind the directory's and the umask's modes.
    pub fn bind_unix(path: impl AsRef<Path>) -> io::Result<Self> {
        Bound::unix(path.as_ref()).map(Self::new)
    }

    /// Serves on a TCP listener bound elsewhere.
    pub fn from_tcp(listener: std::net::TcpListener) -> io::Result<Self> {
        Bound::from_tcp(listener).map(Self::new)
    }

    /// Serves on a Unix listener bound elsewhere (its socket file is left
    /// alone).
    pub fn from_unix(listener: std::os::unix::net::UnixListener) -> io::Result<Self> {
        Bound::from_unix(listener).map(Self::new)
    }

    /// Serves on a socket handed over by whoever started the process, if
    /// any: the first socket of systemd socket activation (`LISTEN_FDS`,
    /// `LISTEN_PID`), or else a listening socket on descriptor 0, which is
    /// how FastCGI programs are started by `spawn-fcgi`, Apache's
    /// `mod_fcgid`, lighttpd's `bin-path` and `cgi-fcgi -start`
    /// (`FCGI_LISTENSOCK_FILENO`). `Ok(None)` when there is neither, so
    /// that a program can fall back to [`bind`](Self::bind):
    ///
    /// ```no_run
    /// # use paste_cgi::FastCgiServer;
    /// # fn main() -> std::io::Result<()> {
    /// let server = match FastCgiServer::from_env()? {
    ///     Some(inherited) => inherited,
    ///     None => FastCgiServer::bind("127.0.0.1:9000")?,
    /// };
    /// # let _ = server; Ok(()) }
    /// ```
    pub fn from_env() -> io::Result<Option<Self>> {
        let bound = match Bound::from_env()? {
            Some(systemd) => Some(systemd),
            None => Bound::from_stdin()?,
        };
        Ok(bound.map(Self::new))
    }

    /// The TCP address the server listens on (`None` on a Unix socket).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.bound.local_addr()
    }

    /// A handle that shuts the server down from elsewhere.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// How long a client has to send a request's BEGIN_REQUEST and all of
    /// its params: from the connection's start for the first request, from
    /// the BEGIN_REQUEST for the params. Default: 30 s.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// The largest params stream (the CGI variables, headers included)
    /// accepted; past it the request gets a `431 Request Header Fields Too
    /// Large` without reaching the app. Default: 64 KiB.
    #[must_use]
    pub fn max_params_size(mut self, bytes: usize) -> Self {
        self.limits.max_params_size = bytes;
        self
    }

    /// The largest request body accepted: a larger `CONTENT_LENGTH` gets a
    /// 413 before the body is read, and a body without a length that grows
    /// past it fails to read with a 413 error. Default: 64 MiB.
    #[must_use]
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.limits.max_body_size = bytes;
        self
    }

    /// How long a kept-open connection (`FCGI_KEEP_CONN`) may wait for its
    /// next request. Default: 75 s.
    #[must_use]
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.limits.keep_alive_timeout = timeout;
        self
    }

    /// How many connections may be open at once (and so requests, one per
    /// connection); past it a new connection's request gets a `503 Service
    /// Unavailable` with `FCGI_OVERLOADED`, and the connection is closed.
    /// GET_VALUES reports it as `FCGI_MAX_CONNS` and `FCGI_MAX_REQS`.
    /// Default: 16384.
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.limits.max_connections = connections.max(1);
        self
    }

    /// How long a graceful shutdown waits for requests in flight before it
    /// closes their connections. Default: 30 s.
    #[must_use]
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.limits.drain_timeout = timeout;
        self
    }

    /// Whether SIGINT and SIGTERM shut the server down (the first one
    /// gracefully, a second one at once). Default: yes.
    #[must_use]
    pub fn handle_signals(mut self, enabled: bool) -> Self {
        self.signals = enabled;
        self
    }

    /// Serves `app` until the server is shut down, then waits for the
    /// requests in flight (up to the drain timeout) and returns.
    pub async fn serve<A: App>(self, app: A) -> io::Result<()> {
        let listen_addr = self.bound.listen_addr();
        let limits = self.limits;
        let shared = Arc::new(Shared { app, limits });
        let handle = self.handle;
        let signals = self
            .signals
            .then(|| tokio::spawn(handle.clone().shutdown_on_signals()));
        let listener = Listener::from_bound(self.bound)?;
        tracing::info!("serving FastCGI on {listen_addr}");

        let serve = |stream, _| serve_connection(stream, Arc::clone(&shared), handle.clone());
        // From the end of the loop on, new connections are refused, and a
        // socket file the server made is gone.
        listener
            .serve_connections(
                &handle,
                limits.max_connections,
                limits.drain_timeout,
                serve,
                refuse,
            )
            .await;
        if let Some(signals) = signals {
            signals.abort();
        }
        tracing::info!("FastCGI server on {listen_addr} stopped");
        Ok(())
    }
}

/// Serves one connection with `app`, under the default limits but for
/// these two: [`crate::fuzzing`]'s way in.
pub(crate) async fn serve_one<A: App>(
    stream: Stream,
    app: A,
    max_params_size: usize,
    max_body_size: u64,
) {
    let limits = Limits {
        max_params_size,
        max_body_size,
        ..Limits::default()
    };
    // The server's own handle lives as long as the server: a connection
    // takes the last handle's drop for a stop.
    let handle = Handle::new();
    serve_connection(stream, Arc::new(Shared { app, limits }), handle.clone()).await;
    drop(handle);
}

/// What every connection of one server shares.
struct Shared<A> {
    app: A,
    limits: Limits,
}

/// The connection is done: close it (the reason is logged where it arose).
struct Close;

/// Serves one connection until it closes, the server stops, or it idles
/// past its limit.
async fn serve_connection<A: App>(stream: Stream, shared: Arc<Shared<A>>, handle: Handle) {
    let stopping = handle.stopping();
    let (read_half, write_half) = tokio::io::split(stream);
    let (out, queue) = mpsc::channel(OUT_QUEUE);
    let conn = Conn {
        reader: RecordReader::new(read_half),
        out,
        shared,
        handle,
    };
    let served = async {
        let ((mut reader, linger), ()) = tokio::join!(conn.run(), write_records(write_half, queue));
        if linger {
            // The answer is out and the write side shut: drain what the
            // client may still send (the rest of a body the app did not
            // read), so that it reads the answer rather than a reset.
            let _ = timeout(LINGER, discard(reader.get_mut())).await;
        }
    };
    tokio::select! {
        () = served => {}
        () = stopping => {}
    }
}

/// Writes the batches of records the connection queues, in order, then
/// shuts the write side down once the queue is closed.
async fn write_records<W: AsyncWrite + Unpin>(mut io: W, mut queue: mpsc::Receiver<Records>) {
    while let Some(mut records) = queue.recv().await {
        if let Err(err) = records.write_to(&mut io).await {
            tracing::debug!("FastCGI connection closed while writing: {err}");
            return; // dropping the queue tells the reader
        }
    }
    let _ = io.shutdown().await;
}

async fn discard<R: AsyncRead + Unpin>(io: &mut R) {
    let mut sink = [0u8; 8192];
    while matches!(io.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// One connection's reading side: it waits for requests, reads their
/// params and STDIN, and runs the app's future for each; responses go to
/// the writer through `out`.
struct Conn<A> {
    reader: RecordReader<ReadHalf<Stream>>,
    out: mpsc::Sender<Records>,
    shared: Arc<Shared<A>>,
    handle: Handle,
}

/// What happened while a request's params were read.
enum Params {
    Complete(Bytes),
    TooLarge,
    Aborted,
}

/// What happened while a request was served.
enum Served {
    Done,
    Aborted,
}

impl<A: App> Conn<A> {
    /// Serves requests until the connection is to close; returns the
    /// reader, and whether to linger: when the connection closes right
    /// after an answer (rather than idle, or broken).
    async fn run(mut self) -> (RecordReader<ReadHalf<Stream>>, bool) {
        let mut idle = self.shared.limits.header_read_timeout;
        let linger = loop {
            match self.serve_next(idle).await {
                Ok(true) => idle = self.shared.limits.keep_alive_timeout,
                Ok(false) => break true,
                Err(Close) => break false,
            }
        };
        (self.reader, linger)
    }

    /// Waits for one request and serves it; `Ok(true)` to keep the
    /// connection open for the next one.
    async fn serve_next(&mut self, idle: Duration) -> Result<bool, Close> {
        let (id, begin) = self.wait_for_begin(idle).await?;
        let keep_conn = begin.keep_conn();
        if begin.role != Role::Responder {
            tracing::debug!("FastCGI request for role {:?}: unknown role", begin.role);
            self.end_request(id, 0, ProtocolStatus::UnknownRole).await?;
            return Ok(keep_conn);
        }
        let served = match self.read_params(id).await? {
            Params::Aborted => Served::Aborted,
            Params::TooLarge => {
                let refused = Error::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
                    .with_message("the request's params are larger than the server accepts");
                self.serve_request(id, Err(refused), false).await?
            }
            Params::Complete(params) => {
                if proto::pairs(&params).any(|pair| pair.is_err()) {
                    tracing::warn!("closing a FastCGI connection: malformed name-value pairs");
                    return Err(Close);
                }
                let (req, is_head) = self.request_from(params);
                self.serve_request(id, req, is_head).await?
            }
        };
        if let Served::Aborted = served {
            self.end_request(id, 1, ProtocolStatus::RequestComplete)
                .await?;
        }
        Ok(keep_conn && self.handle.is_running())
    }

    /// The request for these params, or the error to answer instead; its
    /// body is not connected yet (see [`serve_request`](Self::serve_request)).
    fn request_from(&self, params: Bytes) -> (Result<(gateway::Prepared, u64), Error>, bool) {
        let limit = self.shared.limits.max_body_size;
        match gateway::prepare(params) {
            Ok(prepared) => {
                let is_head = prepared.method() == Method::HEAD;
                if prepared.content_length().is_some_and(|len| len > limit) {
                    return (Err(Error::payload_too_large(limit)), is_head);
                }
                (Ok((prepared, limit)), is_head)
            }
            Err(refused) => (Err(refused), false),
        }
    }

    /// Waits for the next BEGIN_REQUEST, answering management records and
    /// ignoring records of requests that are over.
    async fn wait_for_begin(&mut self, idle: Duration) -> Result<(u16, BeginRequest), Close> {
        let deadline = Instant::now() + idle;
        loop {
            let record = tokio::select! {
                biased;
                () = self.handle.shutting_down() => return Err(Close),
                () = sleep_until(deadline) => {
                    tracing::debug!("closing an idle FastCGI connection");
                    return Err(Close);
                }
                record = self.reader.next() => read(record)?,
            };
            if record.is_management() {
                self.management(record).await?;
            } else if record.kind == RecordType::BeginRequest {
                let begin = BeginRequest::decode(&record.content).map_err(|err| malformed(&err))?;
                return Ok((record.request_id, begin));
            }
        }
    }

    /// Reads the PARAMS stream of request `id`, within the header read
    /// timeout.
    async fn read_params(&mut self, id: u16) -> Result<Params, Close> {
        let deadline = Instant::now() + self.shared.limits.header_read_timeout;
        let mut params = StreamCollector::new(self.shared.limits.max_params_size);
        loop {
            let record = tokio::select! {
                biased;
                () = sleep_until(deadline) => {
                    tracing::debug!("closing a FastCGI connection: its params timed out");
                    return Err(Close);
                }
                record = self.reader.next() => read(record)?,
            };
            if record.is_management() {
                self.management(record).await?;
                continue;
            }
            match (record.kind, record.request_id == id) {
                (RecordType::Params, true) if record.content.is_empty() => {
                    return Ok(match params.finish() {
                        Some(params) => Params::Complete(params),
                        None => Params::TooLarge,
                    });
                }
                (RecordType::Params, true) => params.push(&record.content),
                (RecordType::AbortRequest, true) => return Ok(Params::Aborted),
                (RecordType::Stdin, true) => {
                    tracing::warn!("closing a FastCGI connection: STDIN before the end of PARAMS");
                    return Err(Close);
                }
                (RecordType::BeginRequest, _) => self.begin_while_busy(&record, id).await?,
                _ => {} // a record of a request that is over
            }
        }
    }

    /// Serves one request whose params are read: connects its body to the
    /// STDIN records, runs the app and streams the response, while
    /// reading the connection for STDIN, aborts and management records.
    async fn serve_request(
        &mut self,
        id: u16,
        req: Result<(gateway::Prepared, u64), Error>,
        is_head: bool,
    ) -> Result<Served, Close> {
        let shared = Arc::clone(&self.shared);
        let (mut stdin, req) = match req {
            Ok((prepared, limit)) => {
                let (tx, rx) = mpsc::channel(STDIN_QUEUE);
                let body = Body::new(ChannelBody::new(rx));
                let body = if prepared.content_length().is_none() {
                    body.limited(limit)
                } else {
                    body
                };
                (Some(tx), Ok(prepared.with_body(body)))
            }
            Err(refused) => (None, Err(refused)),
        };
        let mut response = Box::pin(respond(&shared.app, self.out.clone(), id, req, is_head));
        loop {
            let record = tokio::select! {
                biased;
                done = &mut response => return done.map(|()| Served::Done),
                record = self.reader.next() => record,
            };
            let record = match record {
                Ok(Some(record)) => record,
                Ok(None) => {
                    tracing::debug!(
                        "the FastCGI client closed the connection; cancelling the request"
                    );
                    return Err(Close);
                }
                Err(err) => {
                    tracing::warn!("closing a FastCGI connection: {err}");
                    return Err(Close);
                }
            };
            if record.is_management() {
                self.management(record).await?;
                continue;
            }
            match (record.kind, record.request_id == id) {
                (RecordType::Stdin, true) if record.content.is_empty() => stdin = None,
                (RecordType::Stdin, true) => {
                    let Some(tx) = &stdin else { continue };
                    // Wait for room in the body's queue, while the app runs.
                    let sent = tokio::select! {
                        biased;
                        done = &mut response => return done.map(|()| Served::Done),
                        sent = tx.send(Ok(record.content)) => sent,
                    };
                    if sent.is_err() {
                        stdin = None; // the app dropped the body
                    }
                }
                (RecordType::AbortRequest, true) => {
                    drop(response); // the app's future, and its work, end here
                    tracing::debug!("FastCGI request {id} aborted by the client");
                    return Ok(Served::Aborted);
                }
                (RecordType::BeginRequest, _) => self.begin_while_busy(&record, id).await?,
                _ => {} // PARAMS again, DATA, or a request that is over
            }
        }
    }

    /// A BEGIN_REQUEST while request `busy` is in flight: another id is
    /// refused (no multiplexing), the same id is a broken client.
    async fn begin_while_busy(&self, record: &Record, busy: u16) -> Result<(), Close> {
        if record.request_id == busy {
            tracing::warn!("closing a FastCGI connection: request id {busy} began twice");
            return Err(Close);
        }
        self.end_request(record.request_id, 0, ProtocolStatus::CantMpxConn)
            .await
    }

    /// Answers a management record: GET_VALUES, or UNKNOWN_TYPE for the rest.
    async fn management(&self, record: Record) -> Result<(), Close> {
        let mut records = Records::new();
        if record.kind == RecordType::GetValues {
            let max = self.shared.limits.max_connections.to_string();
            let mut answers = Vec::new();
            for pair in proto::pairs(&record.content) {
                let (name, _) = pair.map_err(|err| malformed(&err))?;
                let value = match name {
                    proto::MAX_CONNS | proto::MAX_REQS => max.as_bytes(),
                    proto::MPXS_CONNS => b"0",
                    _ => continue,
                };
                answers.push((name, value));
            }
            records.push_pairs(RecordType::GetValuesResult, proto::MANAGEMENT_ID, answers);
        } else {
            records.push_unknown_type(record.kind);
        }
        self.send(records).await
    }

    async fn end_request(
        &self,
        id: u16,
        app_status: u32,
        protocol_status: ProtocolStatus,
    ) -> Result<(), Close> {
        let mut records = Records::new();
        let end = EndRequest {
            app_status,
            protocol_status,
        };
        records.push_end_request(id, end);
        self.send(records).await
    }

    async fn send(&self, records: Records) -> Result<(), Close> {
        self.out.send(records).await.map_err(|_| Close)
    }
}

/// A record read in a state where the connection cannot end cleanly.
fn read(record: Result<Option<Record>, ProtoError>) -> Result<Record, Close> {
    match record {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(Close),
        Err(ProtoError::Io(err)) => {
            tracing::debug!("FastCGI connection failed: {err}");
            Err(Close)
        }
        Err(err) => Err(malformed(&err)),
    }
}

fn malformed(err: &ProtoError) -> Close {
    tracing::warn!("closing a FastCGI connection: {err}");
    Close
}

/// Runs the app for one request (or takes the refusal in its place) and
/// sends the response as STDOUT records, then END_REQUEST.
async fn respond<A: App>(
    app: &A,
    out: mpsc::Sender<Records>,
    id: u16,
    req: Result<Request, Error>,
    is_head: bool,
) -> Result<(), Close> {
    let response = match req {
        Ok(req) => paste_server::call_app(app, req).await,
        Err(refused) => refused.into_response(),
    };
    let (head, mut body) = gateway::cgi_response(response, is_head);
    let mut records = Records::new();
    records.push_stream(RecordType::Stdout, id, head);
    let mut app_status = 0;
    loop {
        match gateway::next_frame(&mut body, !records.is_empty()).await {
            Next::WouldWait => send(&out, &mut records).await?,
            Next::Frame(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    records.push_stream(RecordType::Stdout, id, data);
                    if records.len() >= FLUSH_AT {
                        send(&out, &mut records).await?;
                    }
                }
            }
            Next::Frame(Some(Err(err))) => {
                tracing::error!("the response body failed: {err:#}");
                app_status = 1;
                break;
            }
            Next::Frame(None) => break,
        }
    }
    records.push_end(RecordType::Stdout, id);
    let end = EndRequest {
        app_status,
        protocol_status: ProtocolStatus::RequestComplete,
    };
    records.push_end_request(id, end);
    send(&out, &mut records).await
}

async fn send(out: &mpsc::Sender<Records>, records: &mut Records) -> Result<(), Close> {
    out.send(std::mem::take(records)).await.map_err(|_| Close)
}

/// Answers the first request of a connection over the limit with a 503
/// and `FCGI_OVERLOADED`, then closes it.
async fn refuse(stream: Stream) {
    let answered = timeout(REFUSE_TIMEOUT, async {
        let (read_half, mut write_half) = tokio::io::split(stream);
        let mut reader = RecordReader::new(read_half);
        let id = loop {
            match reader.next().await {
                Ok(Some(r)) if r.kind == RecordType::BeginRequest && !r.is_management() => {
                    break r.request_id;
                }
                Ok(Some(_)) => {}
                _ => return,
            }
        };
        let refused = Error::new(StatusCode::SERVICE_UNAVAILABLE)
            .with_message("the server is busy; try again")
            .with_header(RETRY_AFTER, HeaderValue::from_static("1"))
            .into_response();
        let (head, body) = gateway::cgi_response(refused, false);
        let body = body.to_bytes(1024).await.unwrap_or_default();
        let mut records = Records::new();
        records.push_stream(RecordType::Stdout, id, head);
        records.push_stream(RecordType::Stdout, id, body);
        records.push_end(RecordType::Stdout, id);
        let end = EndRequest {
            app_status: 0,
            protocol_status: ProtocolStatus::Overloaded,
        };
        records.push_end_request(id, end);
        if records.write_to(&mut write_half).await.is_ok() {
            let _ = write_half.shutdown().await;
            let _ = timeout(LINGER, discard(reader.get_mut())).await;
        }
    });
    let _ = answered.await;
}
