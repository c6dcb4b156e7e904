//! Conditional and range responses (RFC 9110 §13 and §14): the decision,
//! and the bodies that send slices of a body or of a file without reading
//! it whole.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
};
use http::{HeaderValue, Method, StatusCode};
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt;
use paste_core::Body;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::etag::{ETag, ETagMatcher, IfRange, secs};
use crate::range::{ContentRange, Range};
use crate::{Request, Response};

/// How much is read from a file at a time.
pub(crate) const CHUNK_SIZE: usize = 64 * 1024;

/// What to answer, once the preconditions and the range are weighed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The response as it is.
    Full,
    /// `304 Not Modified`.
    NotModified,
    /// `412 Precondition Failed`.
    PreconditionFailed,
    /// `206 Partial Content` with these `(first, last)` ranges.
    Partial(Vec<(u64, u64)>),
    /// `416 Range Not Satisfiable`.
    Unsatisfiable,
}

/// What a request asks for, read from its headers once (so that no
/// borrow of the request lives across an `await`: it is not `Sync`).
#[derive(Debug)]
pub(crate) struct Conditions {
    method: Method,
    if_match: Option<ETagMatcher>,
    if_unmodified_since: Option<SystemTime>,
    if_none_match: Option<ETagMatcher>,
    if_modified_since: Option<SystemTime>,
    range: Option<Range>,
    /// `Some(None)`: an `If-Range` that can't be parsed (it disables the
    /// range).
    if_range: Option<Option<IfRange>>,
}

impl Conditions {
    pub(crate) fn of(req: &Request) -> Self {
        Self {
            method: req.method().clone(),
            if_match: req.if_match(),
            if_unmodified_since: req.if_unmodified_since(),
            if_none_match: req.if_none_match(),
            if_modified_since: req.if_modified_since(),
            range: req.range(),
            if_range: req.has_if_range().then(|| req.if_range()),
        }
    }

    pub(crate) fn is_head(&self) -> bool {
        self.method == Method::HEAD
    }
}

/// The preconditions of RFC 9110 §13.2.2, in its order, for a
/// representation with these validators; then the range, when
/// `range_len` says ranges can be served (a GET of a `200` of this known
/// length).
pub(crate) fn evaluate(
    req: &Conditions,
    etag: Option<&ETag>,
    last_modified: Option<SystemTime>,
    range_len: Option<u64>,
) -> Decision {
    let get_or_head = matches!(req.method, Method::GET | Method::HEAD);
    // 1-2: If-Match, else If-Unmodified-Since.
    if let Some(matcher) = &req.if_match {
        let ok = match matcher {
            ETagMatcher::Any => true,
            ETagMatcher::Tags(_) => etag.is_some_and(|e| matcher.matches_strong(e)),
        };
        if !ok {
            return Decision::PreconditionFailed;
        }
    } else if let (Some(ius), Some(lm)) = (req.if_unmodified_since, last_modified)
        && secs(lm) > secs(ius)
    {
        return Decision::PreconditionFailed;
    }
    // 3-4: If-None-Match, else If-Modified-Since (GET and HEAD only).
    if let Some(matcher) = &req.if_none_match {
        let matched = match matcher {
            ETagMatcher::Any => true,
            ETagMatcher::Tags(_) => etag.is_some_and(|e| matcher.matches_weak(e)),
        };
        if matched {
            return if get_or_head {
                Decision::NotModified
            } else {
                Decision::PreconditionFailed
            };
        }
    } else if get_or_head
        && let (Some(ims), Some(lm)) = (req.if_modified_since, last_modified)
        && secs(lm) <= secs(ims)
    {
        return Decision::NotModified;
    }
    // 5: Range, for GET only (RFC 9110 §14.2).
    let (Some(len), Some(range)) = (range_len, &req.range) else {
        return Decision::Full;
    };
    if req.method != Method::GET {
        return Decision::Full;
    }
    if let Some(if_range) = &req.if_range
        && !if_range
            .as_ref()
            .is_some_and(|ir| ir.matches(etag, last_modified))
    {
        return Decision::Full;
    }
    let ranges = range.satisfiable(len);
    if ranges.is_empty() {
        return Decision::Unsatisfiable;
    }
    // Overlapping ranges are a known amplification trick: not worth
    // serving, so the whole representation goes out instead.
    let mut sorted = ranges.clone();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[1].0 <= w[0].1) {
        return Decision::Full;
    }
    Decision::Partial(ranges)
}

impl Request {
    /// Evaluates the request's preconditions (`If-Match`,
    /// `If-Unmodified-Since`, `If-None-Match`, `If-Modified-Since`, in RFC
    /// 9110 §13.2.2's order) against the current validators of the target
    /// resource: `Some(412)` or `Some(304)` when the request must stop
    /// there, `None` to go on.
    ///
    /// An app that changes state (PUT, DELETE…) calls this *before* acting;
    /// [`Response::conditional`] can only judge after the fact.
    ///
    /// ```
    /// use webob::{Request, etag::ETag};
    /// use paste_core::http::{Method, StatusCode};
    ///
    /// let req = Request::blank("/doc")
    ///     .with_method(Method::PUT)
    ///     .with_header("if-match", "\"v1\"");
    /// let current = ETag::strong("v2");
    /// assert_eq!(
    ///     req.evaluate_preconditions(Some(&current), None),
    ///     Some(StatusCode::PRECONDITION_FAILED)
    /// );
    /// ```
    pub fn evaluate_preconditions(
        &self,
        etag: Option<&ETag>,
        last_modified: Option<SystemTime>,
    ) -> Option<StatusCode> {
        match evaluate(&Conditions::of(self), etag, last_modified, None) {
            Decision::NotModified => Some(StatusCode::NOT_MODIFIED),
            Decision::PreconditionFailed => Some(StatusCode::PRECONDITION_FAILED),
            _ => None,
        }
    }
}

impl Response {
    /// This response made conditional on `req` (WebOb's
    /// `conditional_response`, completed per RFC 9110):
    ///
    /// - only a 2xx response is touched;
    /// - `If-Match` (strong) or else `If-Unmodified-Since` failing → `412`;
    /// - `If-None-Match` (weak; `*` matches) matching → `304` for GET and
    ///   HEAD, `412` for other methods; or else `If-Modified-Since` not
    ///   older than `Last-Modified` → `304`. A `304` keeps the headers but
    ///   the representation's own (`Content-Type`, `Content-Length`,
    ///   `Content-Encoding`…) and has no body;
    /// - a GET with a valid `Range` on a `200` whose length is known
    ///   (`Content-Length`) and that passes `If-Range` → `206` with the
    ///   slice, or `multipart/byteranges` for several ranges, or `416`
    ///   with `Content-Range: bytes */len` when no range exists. Such a
    ///   response also gets `Accept-Ranges: bytes`.
    ///
    /// It is not `async`: a slice is cut from the body as it streams, so
    /// nothing is read here, and a streamed body is sliced without being
    /// held whole. A streamed body without `Content-Length` is never
    /// sliced (its length is unknown).
    ///
    /// ```
    /// use webob::{Request, Response};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut response = Response::text("Hello, World!");
    /// let etag = response.set_etag_from_body().unwrap();
    ///
    /// let req = Request::blank("/").with_header("if-none-match", &etag.to_string());
    /// let not_modified = Response::text("Hello, World!")
    ///     .with_etag(&etag)
    ///     .conditional(&req);
    /// assert_eq!(not_modified.status(), 304);
    ///
    /// let req = Request::blank("/").with_header("range", "bytes=-6");
    /// let mut partial = response.conditional(&req);
    /// assert_eq!(partial.status(), 206);
    /// assert_eq!(partial.headers()["content-range"], "bytes 7-12/13");
    /// assert_eq!(partial.body_bytes(100).await.unwrap(), "World!");
    /// # }
    /// ```
    #[must_use]
    pub fn conditional(mut self, req: &Request) -> Self {
        if !self.status().is_success() {
            return self;
        }
        let etag = self.etag();
        let last_modified = self.last_modified();
        let range_len = (self.status() == StatusCode::OK)
            .then(|| self.known_length())
            .flatten();
        if range_len.is_some() && !self.headers().contains_key(ACCEPT_RANGES) {
            self.headers_mut()
                .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        }
        match evaluate(
            &Conditions::of(req),
            etag.as_ref(),
            last_modified,
            range_len,
        ) {
            Decision::Full => self,
            Decision::NotModified => not_modified(self),
            Decision::PreconditionFailed => precondition_failed(),
            Decision::Unsatisfiable => unsatisfiable(range_len.unwrap_or(0)),
            Decision::Partial(ranges) => {
                let body = std::mem::take(self.body_mut());
                partial(
                    self,
                    &ranges,
                    range_len.unwrap_or(0),
                    Source::Body(body),
                    false,
                )
            }
        }
    }

    /// Sets the `ETag` header (builder style).
    #[must_use]
    pub fn with_etag(mut self, etag: &ETag) -> Self {
        self.set_etag(etag);
        self
    }

    /// The body's length, when `Content-Length` gives it, the body agrees
    /// and nothing has already cut it into ranges.
    fn known_length(&self) -> Option<u64> {
        if self.headers().contains_key(CONTENT_RANGE) {
            return None;
        }
        let len: u64 = self
            .headers()
            .get(CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let hint = self.body().size_hint();
        let fits = hint.lower() <= len && hint.upper().is_none_or(|upper| len <= upper);
        fits.then_some(len)
    }
}

/// The `304` for `response`: its headers but the representation's own,
/// no body.
pub(crate) fn not_modified(mut response: Response) -> Response {
    response.set_status(StatusCode::NOT_MODIFIED);
    let headers = response.headers_mut();
    for name in [
        CONTENT_TYPE,
        CONTENT_LENGTH,
        CONTENT_ENCODING,
        CONTENT_LANGUAGE,
        CONTENT_RANGE,
    ] {
        headers.remove(name);
    }
    headers.remove("content-md5");
    headers.remove("content-disposition");
    response
}

/// A plain-text error answer.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::text(text);
    response.set_status(status);
    response
}

pub(crate) fn precondition_failed() -> Response {
    plain(StatusCode::PRECONDITION_FAILED, "Precondition Failed\n")
}

pub(crate) fn unsatisfiable(len: u64) -> Response {
    let mut response = plain(StatusCode::RANGE_NOT_SATISFIABLE, "Range Not Satisfiable\n");
    set(
        &mut response,
        CONTENT_RANGE,
        &ContentRange::unsatisfied(len).to_string(),
    );
    response
        .headers_mut()
        .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response
}

fn set(response: &mut Response, name: http::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// Turns `response` (whose headers describe the whole representation of
/// `len` bytes) into a `206` of `ranges` cut from `source`; `head` leaves
/// the body out but keeps the headers.
pub(crate) fn partial(
    mut response: Response,
    ranges: &[(u64, u64)],
    len: u64,
    source: Source,
    head: bool,
) -> Response {
    let (segments, headers) = match ranges {
        [(first, last)] => (
            vec![Segment::Slice(*first, last + 1)],
            vec![(
                CONTENT_RANGE,
                ContentRange::new(*first, *last, len).to_string(),
            )],
        ),
        _ => {
            let boundary = boundary();
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            // Parts go out in ascending order (RFC 9110 §14.6 lets a
            // server reorder; each part says where it belongs).
            let mut sorted = ranges.to_vec();
            sorted.sort_unstable();
            let mut segments = Vec::with_capacity(sorted.len() * 2 + 1);
            for (i, (first, last)) in sorted.iter().enumerate() {
                let mut head = String::new();
                if i > 0 {
                    head.push_str("\r\n");
                }
                head.push_str("--");
                head.push_str(&boundary);
                head.push_str("\r\n");
                if let Some(ct) = &content_type {
                    head.push_str("Content-Type: ");
                    head.push_str(ct);
                    head.push_str("\r\n");
                }
                head.push_str("Content-Range: ");
                head.push_str(&ContentRange::new(*first, *last, len).to_string());
                head.push_str("\r\n\r\n");
                segments.push(Segment::Literal(Bytes::from(head)));
                segments.push(Segment::Slice(*first, last + 1));
            }
            segments.push(Segment::Literal(Bytes::from(format!(
                "\r\n--{boundary}--\r\n"
            ))));
            (
                segments,
                vec![(
                    CONTENT_TYPE,
                    format!("multipart/byteranges; boundary={boundary}"),
                )],
            )
        }
    };
    let body = SliceBody::new(source, segments);
    let body_len = body.remaining;
    response.set_status(StatusCode::PARTIAL_CONTENT);
    for (name, value) in headers {
        set(&mut response, name, &value);
    }
    response
        .headers_mut()
        .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if head {
        response.set_body_stream(Body::empty());
    } else {
        response.set_body_stream(Body::new(body));
    }
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(body_len));
    response
}

/// A boundary no part is likely to contain: 128 random bits, from the
/// standard library's randomly keyed hasher (no RNG dependency needed).
fn boundary() -> String {
    use std::hash::BuildHasher;
    let state = std::collections::hash_map::RandomState::new();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let a = state.hash_one(nanos);
    let b = std::collections::hash_map::RandomState::new().hash_one((a, nanos));
    format!("{a:016x}{b:016x}")
}

/// Where the bytes of a sliced body come from.
pub(crate) enum Source {
    /// A body, read once, front to back.
    Body(Body),
    /// A file opened at offset 0; read by seeking.
    File(tokio::fs::File),
}

/// A piece of a sliced body.
#[derive(Debug)]
pub(crate) enum Segment {
    /// These bytes (a multipart part's head).
    Literal(Bytes),
    /// The source's bytes `start..end` (end exclusive).
    Slice(u64, u64),
}

struct State {
    source: Source,
    /// Offset of the next byte the source yields (of `pending` if any).
    pos: u64,
    /// What a body source yielded past the last slice.
    pending: Option<Bytes>,
    segments: VecDeque<Segment>,
}

type Step = Pin<Box<dyn Future<Output = (State, Option<io::Result<Bytes>>)> + Send>>;

/// A body made of literal bytes and slices of a source, of exactly known
/// length. Slices of a body source must be in ascending order and not
/// overlap; a file source can be read in any order.
pub(crate) struct SliceBody {
    state: Option<State>,
    step: Option<Step>,
    remaining: u64,
}

impl SliceBody {
    pub(crate) fn new(source: Source, segments: Vec<Segment>) -> Self {
        let remaining = segments
            .iter()
            .map(|s| match s {
                Segment::Literal(b) => b.len() as u64,
                Segment::Slice(start, end) => end.saturating_sub(*start),
            })
            .sum();
        Self {
            state: Some(State {
                source,
                pos: 0,
                pending: None,
                segments: segments.into(),
            }),
            step: None,
            remaining,
        }
    }
}

impl http_body::Body for SliceBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        let step = match &mut this.step {
            Some(step) => step,
            None => match this.state.take() {
                Some(state) => this.step.insert(Box::pin(next_chunk(state))),
                None => return Poll::Ready(None),
            },
        };
        let (state, item) = ready!(step.as_mut().poll(cx));
        this.step = None;
        match item {
            Some(Ok(bytes)) => {
                this.state = Some(state);
                this.remaining = this.remaining.saturating_sub(bytes.len() as u64);
                Poll::Ready(Some(Ok(Frame::data(bytes))))
            }
            Some(Err(err)) => {
                this.remaining = 0;
                Poll::Ready(Some(Err(err)))
            }
            None => {
                this.remaining = 0;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// The next chunk of the sliced body, or `None` at its end.
async fn next_chunk(mut st: State) -> (State, Option<io::Result<Bytes>>) {
    while let Some(segment) = st.segments.pop_front() {
        match segment {
            Segment::Literal(bytes) if bytes.is_empty() => {}
            Segment::Literal(bytes) => return (st, Some(Ok(bytes))),
            Segment::Slice(start, end) if start >= end => {}
            Segment::Slice(start, end) => {
                return match read_slice(&mut st, start, end).await {
                    Ok(chunk) => {
                        let next = start + chunk.len() as u64;
                        if next < end {
                            st.segments.push_front(Segment::Slice(next, end));
                        }
                        (st, Some(Ok(chunk)))
                    }
                    Err(err) => (st, Some(Err(err))),
                };
            }
        }
    }
    (st, None)
}

/// Up to a chunk of the bytes `start..end` (non-empty) of the source.
async fn read_slice(st: &mut State, start: u64, end: u64) -> io::Result<Bytes> {
    match &mut st.source {
        Source::File(file) => {
            if st.pos != start {
                file.seek(io::SeekFrom::Start(start)).await?;
                st.pos = start;
            }
            let want = usize::try_from(end - start).map_or(CHUNK_SIZE, |n| n.min(CHUNK_SIZE));
            let mut buf = vec![0; want];
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being sent",
                ));
            }
            buf.truncate(n);
            st.pos += n as u64;
            Ok(Bytes::from(buf))
        }
        Source::Body(body) => loop {
            let chunk = match st.pending.take() {
                Some(chunk) => chunk,
                None => match body.frame().await {
                    None => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the body ended before its Content-Length",
                        ));
                    }
                    Some(Err(err)) => return Err(io::Error::other(err)),
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) => data,
                        Err(_) => continue,
                    },
                },
            };
            let chunk_start = st.pos;
            let chunk_end = chunk_start + chunk.len() as u64;
            if chunk_end <= start {
                st.pos = chunk_end;
                continue;
            }
            if chunk_start > start {
                return Err(io::Error::other("byte ranges out of order"));
            }
            let from = usize::try_from(start - chunk_start).map_err(io::Error::other)?;
            let to = usize::try_from(end.min(chunk_end) - chunk_start).map_err(io::Error::other)?;
            let piece = chunk.slice(from..to);
            if to < chunk.len() {
                st.pending = Some(chunk.slice(to..));
                st.pos = chunk_start + to as u64;
            } else {
                st.pos = chunk_end;
            }
            return Ok(piece);
        },
    }
}

/// `first` followed by `rest`: a body put back together after its first
/// chunk was looked at.
pub(crate) fn prepend(first: Bytes, rest: Body) -> Body {
    Body::new(Prepend {
        first: Some(first),
        rest,
    })
}

struct Prepend {
    first: Option<Bytes>,
    rest: Body,
}

impl http_body::Body for Prepend {
    type Data = Bytes;
    type Error = paste_core::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, paste_core::Error>>> {
        let this = self.get_mut();
        if let Some(first) = this.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        Pin::new(&mut this.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.first.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let extra = self.first.as_ref().map_or(0, |b| b.len() as u64);
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower() + extra);
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + extra);
        }
        hint
    }
}
