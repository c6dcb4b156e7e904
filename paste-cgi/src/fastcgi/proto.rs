//! The FastCGI 1.0 record layer, for both sides of the protocol: the server
//! ([`FastCgiServer`](crate::FastCgiServer)) and a client that talks to
//! php-fpm or `php-cgi -b`.
//!
//! - Reading: [`RecordReader`] decodes records from any tokio
//!   [`AsyncRead`], one at a time, cancel-safe, never holding more than
//!   one record and one read's slack; [`decode_record`] is the same
//!   decoder over a buffer.
//! - Writing: [`Records`] queues whole records (header, content, padding)
//!   and writes them with vectored writes; stream content
//!   ([`push_stream`](Records::push_stream)) is split into records of at most
//!   65535 bytes without copying it.
//! - Bodies: [`BeginRequest`], [`EndRequest`], name-value pairs
//!   ([`encode_pair`], [`pairs`]) with 1- and 4-byte lengths, and
//!   [`StreamCollector`] to gather a PARAMS stream under a size limit.
//!
//! Nothing here knows HTTP or CGI; that is the gateway's business.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

/// `FCGI_VERSION_1`, the only version there is.
pub(crate) const VERSION_1: u8 = 1;
/// The length of a record header.
pub(crate) const HEADER_LEN: usize = 8;
/// The largest content one record carries.
pub(crate) const MAX_CONTENT_LEN: usize = 0xFFFF;
/// `FCGI_NULL_REQUEST_ID`: management records (GET_VALUES, UNKNOWN_TYPE).
pub(crate) const MANAGEMENT_ID: u16 = 0;
/// `FCGI_KEEP_CONN`, the one flag of a BEGIN_REQUEST.
pub(crate) const KEEP_CONN: u8 = 1;

/// The variables of FCGI_GET_VALUES that the specification names.
pub(crate) const MAX_CONNS: &[u8] = b"FCGI_MAX_CONNS";
/// See [`MAX_CONNS`].
pub(crate) const MAX_REQS: &[u8] = b"FCGI_MAX_REQS";
/// See [`MAX_CONNS`].
pub(crate) const MPXS_CONNS: &[u8] = b"FCGI_MPXS_CONNS";

/// Zeros to pad records with.
static PADDING: [u8; 8] = [0; 8];

/// Contents up to this size are copied next to their header, so that a
/// small record is one piece of the write; larger ones are not copied.
const COPY_BELOW: usize = 512;

/// How much a [`RecordReader`] asks of the socket at least, per read.
const READ_SIZE: usize = 16 * 1024;

/// A record type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordType {
    BeginRequest,
    AbortRequest,
    EndRequest,
    Params,
    Stdin,
    Stdout,
    Stderr,
    Data,
    GetValues,
    GetValuesResult,
    UnknownType,
    /// A type this implementation does not know.
    Other(u8),
}

impl RecordType {
    pub(crate) fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::BeginRequest,
            2 => Self::AbortRequest,
            3 => Self::EndRequest,
            4 => Self::Params,
            5 => Self::Stdin,
            6 => Self::Stdout,
            7 => Self::Stderr,
            8 => Self::Data,
            9 => Self::GetValues,
            10 => Self::GetValuesResult,
            11 => Self::UnknownType,
            other => Self::Other(other),
        }
    }

    pub(crate) fn as_u8(self) -> u8 {
        match self {
            Self::BeginRequest => 1,
            Self::AbortRequest => 2,
            Self::EndRequest => 3,
            Self::Params => 4,
            Self::Stdin => 5,
            Self::Stdout => 6,
            Self::Stderr => 7,
            Self::Data => 8,
            Self::GetValues => 9,
            Self::GetValuesResult => 10,
            Self::UnknownType => 11,
            Self::Other(other) => other,
        }
    }
}

/// A record header (`FCGI_Header`), less the version, which is always 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) kind: RecordType,
    pub(crate) request_id: u16,
    pub(crate) content_length: u16,
    pub(crate) padding_length: u8,
}

impl Header {
    /// A header for `content_length` bytes of content, padded to a
    /// multiple of 8 as the specification recommends.
    pub(crate) fn new(kind: RecordType, request_id: u16, content_length: u16) -> Self {
        Self {
            kind,
            request_id,
            content_length,
            padding_length: padding_for(content_length as usize) as u8,
        }
    }

    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let [id_hi, id_lo] = self.request_id.to_be_bytes();
        let [len_hi, len_lo] = self.content_length.to_be_bytes();
        [
            VERSION_1,
            self.kind.as_u8(),
            id_hi,
            id_lo,
            len_hi,
            len_lo,
            self.padding_length,
            0,
        ]
    }

    /// Decodes a header; a version other than 1 is an error.
    pub(crate) fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Self, ProtoError> {
        if bytes[0] != VERSION_1 {
            return Err(ProtoError::Version(bytes[0]));
        }
        Ok(Self {
            kind: RecordType::from_u8(bytes[1]),
            request_id: u16::from_be_bytes([bytes[2], bytes[3]]),
            content_length: u16::from_be_bytes([bytes[4], bytes[5]]),
            padding_length: bytes[6],
        })
    }

    /// The length of the whole record: header, content and padding.
    pub(crate) fn record_len(&self) -> usize {
        HEADER_LEN + self.content_length as usize + self.padding_length as usize
    }
}

fn padding_for(content_length: usize) -> usize {
    (8 - content_length % 8) % 8
}

/// One decoded record: its type, its request id and its content (the
/// padding dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) kind: RecordType,
    pub(crate) request_id: u16,
    pub(crate) content: Bytes,
}

impl Record {
    /// A management record (request id 0).
    pub(crate) fn is_management(&self) -> bool {
        self.request_id == MANAGEMENT_ID
    }
}

/// The role a BEGIN_REQUEST asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Responder,
    Authorizer,
    Filter,
    Other(u16),
}

impl Role {
    pub(crate) fn from_u16(value: u16) -> Self {
        match value {
            1 => Self::Responder,
            2 => Self::Authorizer,
            3 => Self::Filter,
            other => Self::Other(other),
        }
    }

    pub(crate) fn as_u16(self) -> u16 {
        match self {
            Self::Responder => 1,
            Self::Authorizer => 2,
            Self::Filter => 3,
            Self::Other(other) => other,
        }
    }
}

/// The body of a BEGIN_REQUEST record (`FCGI_BeginRequestBody`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BeginRequest {
    pub(crate) role: Role,
    pub(crate) flags: u8,
}

impl BeginRequest {
    /// Whether the client wants the connection kept open after the request.
    pub(crate) fn keep_conn(&self) -> bool {
        self.flags & KEEP_CONN != 0
    }

    pub(crate) fn encode(&self) -> [u8; 8] {
        let [role_hi, role_lo] = self.role.as_u16().to_be_bytes();
        [role_hi, role_lo, self.flags, 0, 0, 0, 0, 0]
    }

    /// Decodes the body; fewer than 8 bytes is an error (more are ignored,
    /// as reserved).
    pub(crate) fn decode(content: &[u8]) -> Result<Self, ProtoError> {
        let Some(&[role_hi, role_lo, flags, ..]) = content.first_chunk::<8>() else {
            return Err(ProtoError::Malformed(
                "a BEGIN_REQUEST body shorter than 8 bytes",
            ));
        };
        Ok(Self {
            role: Role::from_u16(u16::from_be_bytes([role_hi, role_lo])),
            flags,
        })
    }
}

/// The protocol status of an END_REQUEST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProtocolStatus {
    RequestComplete,
    CantMpxConn,
    Overloaded,
    UnknownRole,
    Other(u8),
}

impl ProtocolStatus {
    pub(crate) fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::RequestComplete,
            1 => Self::CantMpxConn,
            2 => Self::Overloaded,
            3 => Self::UnknownRole,
            other => Self::Other(other),
        }
    }

    pub(crate) fn as_u8(self) -> u8 {
        match self {
            Self::RequestComplete => 0,
            Self::CantMpxConn => 1,
            Self::Overloaded => 2,
            Self::UnknownRole => 3,
            Self::Other(other) => other,
        }
    }
}

/// The body of an END_REQUEST record (`FCGI_EndRequestBody`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EndRequest {
    /// The CGI program's exit status, as it were.
    pub(crate) app_status: u32,
    pub(crate) protocol_status: ProtocolStatus,
}

impl EndRequest {
    pub(crate) fn encode(&self) -> [u8; 8] {
        let [a, b, c, d] = self.app_status.to_be_bytes();
        [a, b, c, d, self.protocol_status.as_u8(), 0, 0, 0]
    }

    pub(crate) fn decode(content: &[u8]) -> Result<Self, ProtoError> {
        let Some(&[a, b, c, d, status, ..]) = content.first_chunk::<8>() else {
            return Err(ProtoError::Malformed(
                "an END_REQUEST body shorter than 8 bytes",
            ));
        };
        Ok(Self {
            app_status: u32::from_be_bytes([a, b, c, d]),
            protocol_status: ProtocolStatus::from_u8(status),
        })
    }
}

/// What went wrong reading records.
#[derive(Debug)]
pub(crate) enum ProtoError {
    /// The transport failed.
    Io(io::Error),
    /// A record header with a version other than 1.
    Version(u8),
    /// The peer closed the connection in the middle of a record.
    Truncated,
    /// A record or a stream whose content makes no sense.
    Malformed(&'static str),
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(err) => write!(f, "FastCGI connection failed: {err}"),
            Self::Version(version) => {
                write!(f, "not FastCGI: a record of version {version}, not 1")
            }
            Self::Truncated => f.write_str("the FastCGI peer closed the connection mid-record"),
            Self::Malformed(what) => write!(f, "malformed FastCGI input: {what}"),
        }
    }
}

impl std::error::Error for ProtoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<io::Error> for ProtoError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

/// Takes one whole record off the front of `buf`, if `buf` holds one.
/// The content is split off without a copy.
pub(crate) fn decode_record(buf: &mut BytesMut) -> Result<Option<Record>, ProtoError> {
    let Some(head) = buf.first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let header = Header::decode(head)?;
    if buf.len() < header.record_len() {
        return Ok(None);
    }
    buf.advance(HEADER_LEN);
    let content = buf.split_to(header.content_length as usize).freeze();
    buf.advance(header.padding_length as usize);
    Ok(Some(Record {
        kind: header.kind,
        request_id: header.request_id,
        content,
    }))
}

/// Reads records from a byte stream.
///
/// [`next`](RecordReader::next) is cancel-safe: dropped before it is
/// ready (in a `select!`), it loses nothing, because bytes read so far stay
/// in the reader's buffer. The buffer holds at most one record and one
/// read's slack (about 64 KiB at most, whatever the peer sends).
#[derive(Debug)]
pub(crate) struct RecordReader<R> {
    io: R,
    buf: BytesMut,
}

impl<R: AsyncRead + Unpin> RecordReader<R> {
    pub(crate) fn new(io: R) -> Self {
        Self {
            io,
            buf: BytesMut::new(),
        }
    }

    /// The next record; `Ok(None)` when the peer closed the connection
    /// between records.
    pub(crate) async fn next(&mut self) -> Result<Option<Record>, ProtoError> {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }

    /// [`next`](RecordReader::next) as a poll, for bodies and other
    /// hand-written futures: the bytes read so far stay in the reader's
    /// buffer between polls.
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Record>, ProtoError>> {
        loop {
            if let Some(record) = decode_record(&mut self.buf)? {
                return Poll::Ready(Ok(Some(record)));
            }
            // What the record under way still needs, or at least a read's worth.
            let wanted = match self.buf.first_chunk::<HEADER_LEN>() {
                Some(head) => Header::decode(head)?.record_len() - self.buf.len(),
                None => HEADER_LEN - self.buf.len(),
            };
            self.buf.reserve(wanted.max(READ_SIZE));
            let read = ready!(tokio_util::io::poll_read_buf(
                Pin::new(&mut self.io),
                cx,
                &mut self.buf
            ))?;
            if read == 0 {
                return Poll::Ready(if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(ProtoError::Truncated)
                });
            }
        }
    }

    /// Whether no byte of a next record is buffered: what a connection
    /// must show before it is reused for another request.
    pub(crate) fn is_drained(&self) -> bool {
        self.buf.is_empty()
    }

    /// The stream, to look at.
    pub(crate) fn get_ref(&self) -> &R {
        &self.io
    }

    /// The stream, to read around the decoder (bytes it has buffered are
    /// not seen that way).
    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.io
    }
}

/// Appends one name-value pair to `out`, with 1-byte lengths below 128
/// and 4-byte lengths above.
///
/// # Panics
///
/// If the name or the value is 2 GiB or longer, which the format cannot
/// express.
pub(crate) fn encode_pair(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.reserve(pair_len(name, value));
    put_len(out, name.len());
    put_len(out, value.len());
    out.put_slice(name);
    out.put_slice(value);
}

/// How many bytes [`encode_pair`] writes for this pair.
pub(crate) fn pair_len(name: &[u8], value: &[u8]) -> usize {
    let len_len = |len: usize| if len < 0x80 { 1 } else { 4 };
    len_len(name.len()) + len_len(value.len()) + name.len() + value.len()
}

fn put_len(out: &mut BytesMut, len: usize) {
    if len < 0x80 {
        out.put_u8(len as u8);
    } else {
        let len = u32::try_from(len)
            .ok()
            .filter(|len| *len < 0x8000_0000)
            .expect("a FastCGI name or value is shorter than 2 GiB");
        out.put_u32(len | 0x8000_0000);
    }
}

/// The name-value pairs of a PARAMS, GET_VALUES or GET_VALUES_RESULT
/// stream, in order. A pair cut short ends the iteration with an error.
pub(crate) fn pairs(content: &[u8]) -> Pairs<'_> {
    Pairs { rest: content }
}

/// The iterator [`pairs`] returns.
#[derive(Clone, Debug)]
pub(crate) struct Pairs<'a> {
    rest: &'a [u8],
}

impl<'a> Pairs<'a> {
    fn take_len(&mut self) -> Option<usize> {
        let (&first, rest) = self.rest.split_first()?;
        if first < 0x80 {
            self.rest = rest;
            return Some(first as usize);
        }
        let (bytes, rest) = self.rest.split_first_chunk::<4>()?;
        self.rest = rest;
        Some((u32::from_be_bytes(*bytes) & 0x7FFF_FFFF) as usize)
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        if self.rest.len() < len {
            return None;
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(taken)
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), ProtoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let pair = (|| {
            let name_len = self.take_len()?;
            let value_len = self.take_len()?;
            Some((self.take(name_len)?, self.take(value_len)?))
        })();
        match pair {
            Some(pair) => Some(Ok(pair)),
            None => {
                self.rest = &[];
                Some(Err(ProtoError::Malformed("a name-value pair cut short")))
            }
        }
    }
}

/// Gathers the content of one stream (PARAMS, GET_VALUES) up to a limit.
/// Past the limit it keeps counting but drops the bytes, so that the
/// caller can read the stream to its end and answer politely.
#[derive(Debug)]
pub(crate) struct StreamCollector {
    buf: BytesMut,
    limit: usize,
    over: bool,
}

impl StreamCollector {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            limit,
            over: false,
        }
    }

    /// Adds one record's content.
    pub(crate) fn push(&mut self, content: &[u8]) {
        if self.over || self.buf.len() + content.len() > self.limit {
            self.over = true;
            self.buf = BytesMut::new();
        } else {
            self.buf.extend_from_slice(content);
        }
    }

    /// Whether the stream grew past the limit.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn is_over_limit(&self) -> bool {
        self.over
    }

    /// The stream's content; `None` if it grew past the limit.
    pub(crate) fn finish(self) -> Option<Bytes> {
        (!self.over).then(|| self.buf.freeze())
    }
}

/// A queue of whole outgoing records, written with vectored writes.
///
/// Small contents are copied next to their header; large ones are kept as
/// the [`Bytes`] they came in, so a response body goes out without a copy.
/// `Records` is a [`Buf`], so it can also be written by anything that takes
/// one.
#[derive(Debug, Default)]
pub(crate) struct Records {
    parts: VecDeque<Bytes>,
    scratch: BytesMut,
    remaining: usize,
}

impl Records {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Queues one record.
    ///
    /// # Panics
    ///
    /// If `content` is longer than [`MAX_CONTENT_LEN`]; use
    /// [`push_stream`](Records::push_stream) for content of any length.
    pub(crate) fn push(&mut self, kind: RecordType, request_id: u16, content: Bytes) {
        let len = u16::try_from(content.len()).expect("record content fits in 65535 bytes");
        let header = Header::new(kind, request_id, len);
        let padding = &PADDING[..header.padding_length as usize];
        self.scratch.reserve(HEADER_LEN + COPY_BELOW + 8);
        self.scratch.put_slice(&header.encode());
        if content.len() < COPY_BELOW {
            self.scratch.put_slice(&content);
            self.scratch.put_slice(padding);
            let record = self.scratch.split().freeze();
            self.push_part(record);
        } else {
            let header = self.scratch.split().freeze();
            self.push_part(header);
            self.push_part(content);
            self.push_part(Bytes::from_static(padding));
        }
    }

    fn push_part(&mut self, part: Bytes) {
        if !part.is_empty() {
            self.remaining += part.len();
            self.parts.push_back(part);
        }
    }

    /// Queues `content` as records of a stream type (PARAMS, STDIN,
    /// STDOUT, STDERR, DATA), as many as it takes at 65535 bytes each;
    /// nothing for empty content, since an empty record ends a stream
    /// (that is [`push_end`](Records::push_end)).
    pub(crate) fn push_stream(&mut self, kind: RecordType, request_id: u16, mut content: Bytes) {
        while !content.is_empty() {
            let piece = content.split_to(content.len().min(MAX_CONTENT_LEN));
            self.push(kind, request_id, piece);
        }
    }

    /// Queues the empty record that ends a stream.
    pub(crate) fn push_end(&mut self, kind: RecordType, request_id: u16) {
        self.push(kind, request_id, Bytes::new());
    }

    /// Queues a BEGIN_REQUEST.
    pub(crate) fn push_begin_request(&mut self, request_id: u16, role: Role, keep_conn: bool) {
        let body = BeginRequest {
            role,
            flags: if keep_conn { KEEP_CONN } else { 0 },
        };
        self.push_small(RecordType::BeginRequest, request_id, &body.encode());
    }

    /// Queues an END_REQUEST.
    pub(crate) fn push_end_request(&mut self, request_id: u16, end: EndRequest) {
        self.push_small(RecordType::EndRequest, request_id, &end.encode());
    }

    /// Queues an UNKNOWN_TYPE answer to a management record of type `kind`.
    pub(crate) fn push_unknown_type(&mut self, kind: RecordType) {
        let body = [kind.as_u8(), 0, 0, 0, 0, 0, 0, 0];
        self.push_small(RecordType::UnknownType, MANAGEMENT_ID, &body);
    }

    /// Queues name-value pairs as a whole stream of `kind`: PARAMS (ended
    /// by an empty record), or GET_VALUES / GET_VALUES_RESULT (one record,
    /// not ended; such a stream must fit in 65535 bytes).
    pub(crate) fn push_pairs<'a>(
        &mut self,
        kind: RecordType,
        request_id: u16,
        pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) {
        let mut content = BytesMut::new();
        for (name, value) in pairs {
            encode_pair(&mut content, name, value);
        }
        if kind == RecordType::Params {
            self.push_stream(kind, request_id, content.freeze());
            self.push_end(kind, request_id);
        } else {
            self.push(kind, request_id, content.freeze());
        }
    }

    fn push_small(&mut self, kind: RecordType, request_id: u16, content: &[u8]) {
        self.push(kind, request_id, Bytes::copy_from_slice(content));
    }

    /// How many bytes are queued.
    pub(crate) fn len(&self) -> usize {
        self.remaining
    }

    /// Whether nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining == 0
    }

    /// Writes everything queued, with vectored writes where `io` has them.
    /// Not cancel-safe: dropped half-way, it leaves a record cut in two on
    /// the wire.
    pub(crate) async fn write_to<W: AsyncWrite + Unpin>(&mut self, io: &mut W) -> io::Result<()> {
        io.write_all_buf(self).await
    }
}

impl Buf for Records {
    fn remaining(&self) -> usize {
        self.remaining
    }

    fn chunk(&self) -> &[u8] {
        self.parts.front().map_or(&[], |part| part.as_ref())
    }

    fn advance(&mut self, mut cnt: usize) {
        assert!(
            cnt <= self.remaining,
            "advanced past the end of the records"
        );
        self.remaining -= cnt;
        while cnt > 0 {
            let front = self.parts.front_mut().expect("bytes remain");
            if cnt < front.len() {
                front.advance(cnt);
                return;
            }
            cnt -= front.len();
            self.parts.pop_front();
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut filled = 0;
        for (slot, part) in dst.iter_mut().zip(&self.parts) {
            *slot = IoSlice::new(part);
            filled += 1;
        }
        filled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(mut bytes: BytesMut) -> Vec<Record> {
        let mut out = Vec::new();
        while let Some(record) = decode_record(&mut bytes).unwrap() {
            out.push(record);
        }
        assert!(bytes.is_empty(), "{} bytes left over", bytes.len());
        out
    }

    fn flatten(mut records: Records) -> BytesMut {
        let mut out = BytesMut::new();
        while records.has_remaining() {
            let chunk = records.chunk();
            out.extend_from_slice(chunk);
            let n = chunk.len();
            records.advance(n);
        }
        out
    }

    #[test]
    fn headers_round_trip_and_pad_to_eight() {
        let header = Header::new(RecordType::Stdout, 0x1234, 13);
        assert_eq!(header.padding_length, 3);
        assert_eq!(header.record_len(), 8 + 13 + 3);
        let bytes = header.encode();
        assert_eq!(bytes, [1, 6, 0x12, 0x34, 0, 13, 3, 0]);
        assert_eq!(Header::decode(&bytes).unwrap(), header);
        assert_eq!(Header::new(RecordType::Stdin, 1, 16).padding_length, 0);
    }

    #[test]
    fn a_wrong_version_is_an_error() {
        let err = Header::decode(&[2, 6, 0, 1, 0, 0, 0, 0]).unwrap_err();
        assert!(matches!(err, ProtoError::Version(2)));
    }

    #[test]
    fn long_streams_split_at_65535_bytes_without_copies() {
        let content = Bytes::from(vec![7u8; MAX_CONTENT_LEN * 2 + 10]);
        let mut records = Records::new();
        records.push_stream(RecordType::Stdout, 3, content.clone());
        records.push_end(RecordType::Stdout, 3);
        // The large pieces are the caller's bytes, not copies.
        assert!(records.parts.iter().any(|p| p.as_ptr() == content.as_ptr()));
        let decoded = decode_all(flatten(records));
        let lens: Vec<usize> = decoded.iter().map(|r| r.content.len()).collect();
        assert_eq!(lens, [MAX_CONTENT_LEN, MAX_CONTENT_LEN, 10, 0]);
        assert!(
            decoded
                .iter()
                .all(|r| r.kind == RecordType::Stdout && r.request_id == 3)
        );
    }

    #[test]
    fn the_decoder_waits_for_whole_records() {
        let mut records = Records::new();
        records.push(RecordType::Stdin, 1, Bytes::from_static(b"hello"));
        let all = flatten(records);
        for cut in 0..all.len() {
            let mut part = BytesMut::from(&all[..cut]);
            assert_eq!(decode_record(&mut part).unwrap(), None, "cut at {cut}");
        }
        let record = decode_record(&mut all.clone()).unwrap().unwrap();
        assert_eq!(record.content, "hello");
    }

    #[test]
    fn pairs_round_trip_with_both_length_forms() {
        let long_name = vec![b'N'; 200];
        let long_value = vec![b'v'; 70_000];
        let mut buf = BytesMut::new();
        encode_pair(&mut buf, b"SCRIPT_NAME", b"/app");
        encode_pair(&mut buf, &long_name, b"");
        encode_pair(&mut buf, b"X", &long_value);
        assert_eq!(buf[0], 11);
        assert_eq!(buf[1], 4);
        let decoded: Vec<_> = pairs(&buf).map(Result::unwrap).collect();
        assert_eq!(decoded.len(), 3);
        assert_eq!(decoded[0], (&b"SCRIPT_NAME"[..], &b"/app"[..]));
        assert_eq!(decoded[1], (&long_name[..], &b""[..]));
        assert_eq!(decoded[2].1.len(), 70_000);
        assert_eq!(pair_len(&long_name, b""), 4 + 1 + 200);
    }

    #[test]
    fn a_pair_cut_short_is_an_error_not_a_panic() {
        let mut buf = BytesMut::new();
        encode_pair(&mut buf, b"NAME", b"value");
        for cut in 1..buf.len() {
            let result: Result<Vec<_>, _> = pairs(&buf[..cut]).collect();
            assert!(result.is_err(), "cut at {cut}");
        }
        // A 4-byte length that claims more than there is.
        let result: Result<Vec<_>, _> = pairs(&[0xFF, 0xFF, 0xFF, 0xFF, 1, b'a']).collect();
        assert!(result.is_err());
    }

    #[test]
    fn begin_and_end_request_bodies() {
        let begin = BeginRequest::decode(&[0, 1, 1, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(begin.role, Role::Responder);
        assert!(begin.keep_conn());
        assert!(BeginRequest::decode(&[0, 1, 1]).is_err());
        let end = EndRequest {
            app_status: 258,
            protocol_status: ProtocolStatus::Overloaded,
        };
        assert_eq!(EndRequest::decode(&end.encode()).unwrap(), end);
    }

    #[test]
    fn the_collector_drops_a_stream_past_its_limit() {
        let mut ok = StreamCollector::new(10);
        ok.push(b"12345");
        ok.push(b"67890");
        assert_eq!(ok.finish().unwrap(), "1234567890");
        let mut over = StreamCollector::new(10);
        over.push(b"123456");
        over.push(b"789012");
        assert!(over.is_over_limit());
        over.push(b"");
        assert_eq!(over.finish(), None);
    }

    #[tokio::test]
    async fn the_reader_reads_records_across_short_reads_and_reports_truncation() {
        let mut records = Records::new();
        records.push_begin_request(1, Role::Responder, false);
        records.push_pairs(RecordType::Params, 1, [(&b"A"[..], &b"1"[..])]);
        let bytes = flatten(records);
        let (mut client, server) = tokio::io::duplex(3); // three bytes at a time
        let writer = tokio::spawn(async move {
            client.write_all(&bytes).await.unwrap();
            client.write_all(&[1, 5, 0]).await.unwrap(); // half a header
        });
        let mut reader = RecordReader::new(server);
        let begin = reader.next().await.unwrap().unwrap();
        assert_eq!(begin.kind, RecordType::BeginRequest);
        let params = reader.next().await.unwrap().unwrap();
        assert_eq!(params.kind, RecordType::Params);
        let end = reader.next().await.unwrap().unwrap();
        assert!(end.content.is_empty());
        writer.await.unwrap();
        assert!(matches!(reader.next().await, Err(ProtoError::Truncated)));
    }
}
