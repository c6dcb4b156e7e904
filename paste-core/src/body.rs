//! [`Body`]: the one streaming body type of requests and responses.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use futures_core::Stream;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

use crate::error::{BoxError, Error};
use crate::panic::{Panic, catch_poll};

/// The body of a [`Request`](crate::Request) or a [`Response`](crate::Response).
///
/// It is cheap to build from the usual suspects — `&'static str`, `String`,
/// `Vec<u8>`, [`Bytes`] — which neither copy nor allocate beyond what they
/// already hold, from a [`Stream`] of byte chunks, or from any other
/// [`http_body::Body`] (trailers pass through). Reading a body whole always
/// takes a size limit:
///
/// ```
/// use paste_core::Body;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let body = Body::from("Hello, World!");
/// let bytes = body.to_bytes(1024).await.unwrap();
/// assert_eq!(bytes, "Hello, World!");
///
/// // Past the limit the error is a 413 Payload Too Large.
/// let err = Body::from(vec![0u8; 2048]).to_bytes(1024).await.unwrap_err();
/// assert_eq!(err.status(), 413);
/// # }
/// ```
pub struct Body {
    kind: Kind,
}

enum Kind {
    Empty,
    /// A body known in full; `None` once it has been yielded.
    Full(Option<Bytes>),
    Boxed(UnsyncBoxBody<Bytes, Error>),
    /// A streamed body polled under [`Body::catch_panic`]: no wrapper
    /// around the box, so no second box nor dynamic call per poll.
    Guarded {
        body: UnsyncBoxBody<Bytes, Error>,
        /// Taken by the first panic, after which the body is over.
        on_panic: Option<OnPanic>,
    },
    /// Bytes known in full (or none) under [`Body::on_end`], boxed with
    /// the hook so as to keep every `Body` small; polled without a
    /// dynamic call.
    Hooked(Box<Hooked>),
}

type OnPanic = Box<dyn FnOnce(Panic) -> Error + Send>;

/// The hook of [`Body::on_end`], called once when the body ends. Any
/// `FnOnce(BodyEnd, u64)` closure is one; a type of its own saves a box
/// when it is boxed already.
pub trait OnEnd: Send + 'static {
    /// Called once, with how the body ended and the data bytes read from
    /// it by then.
    fn on_end(self: Box<Self>, end: BodyEnd, read: u64);
}

impl<F: FnOnce(BodyEnd, u64) + Send + 'static> OnEnd for F {
    fn on_end(self: Box<Self>, end: BodyEnd, read: u64) {
        (*self)(end, read);
    }
}

/// How a body ended, as told to the hook of [`Body::on_end`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyEnd {
    /// The body was read to its end.
    Complete,
    /// The body ended with an error.
    Error,
    /// The body was dropped before its end.
    Dropped,
}

impl Body {
    /// A body with no bytes.
    pub const fn empty() -> Self {
        Self { kind: Kind::Empty }
    }

    /// Wraps any [`http_body::Body`]. Its data chunks become [`Bytes`] (free
    /// when they already are), its trailers pass through, and its errors
    /// become [`Error`]s — an `Error` boxed by [`Error::into_boxed`] keeps its
    /// status, anything else is a 500. Wrapping a `Body` returns it as is.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let mut slot = Some(body);
        if let Some(already) = (&mut slot as &mut dyn Any).downcast_mut::<Option<Self>>() {
            return already.take().unwrap_or_default();
        }
        let body = slot.expect("the slot is only emptied by the downcast above");
        Self {
            kind: Kind::Boxed(Adapted { inner: body }.boxed_unsync()),
        }
    }

    /// A body read from a [`Stream`] of byte chunks; a chunk that is an
    /// error ends the body with that error.
    pub fn from_stream<S, T, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes> + 'static,
        E: Into<BoxError> + 'static,
    {
        Self::new(StreamBody { stream })
    }

    /// Caps this body at `limit` bytes: reading past it yields an [`Error`]
    /// with status 413 instead of more data. A body whose announced size is
    /// already over the limit fails on the first read.
    #[must_use]
    pub fn limited(self, limit: u64) -> Self {
        if let Some(len) = http_body::Body::size_hint(&self).exact()
            && len <= limit
        {
            return self;
        }
        Self::new(Limited {
            inner: self,
            remaining: limit,
            limit,
        })
    }

    /// Ends this body with an error, instead of unwinding through whoever
    /// polls it, if it panics while polled: `on_panic` makes the error of
    /// the [`Panic`] (and may log it), and the body ends there. A server
    /// that gets the error cuts the response short, so the client sees it
    /// incomplete; the panic does not take the connection down with it.
    ///
    /// Only a streamed body runs code when polled: an empty body, or bytes
    /// known in full, are returned as they are, without a wrapper — even
    /// under an [`on_end`](Self::on_end) hook, whose panic is its own.
    ///
    /// ```
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    ///
    /// use paste_core::http::StatusCode;
    /// use paste_core::{Body, Error};
    ///
    /// struct Broken;
    ///
    /// impl futures_core::Stream for Broken {
    ///     type Item = Result<&'static str, Error>;
    ///     fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
    ///         panic!("the stream fell over")
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let body = Body::from_stream(Broken).catch_panic(|panic| {
    ///     assert_eq!(panic.message(), "the stream fell over");
    ///     Error::new(StatusCode::BAD_GATEWAY)
    /// });
    /// assert_eq!(body.to_bytes(1024).await.unwrap_err().status(), 502);
    /// # }
    /// ```
    #[must_use]
    pub fn catch_panic<F>(self, on_panic: F) -> Self
    where
        F: FnOnce(Panic) -> Error + Send + 'static,
    {
        let body = match self.kind {
            Kind::Empty | Kind::Full(_) | Kind::Hooked(_) => return self,
            Kind::Boxed(body) => body,
            // Guarded already: the new guard goes around the old one, which
            // catches first (the new one catches a panic of its handler).
            Kind::Guarded { .. } => UnsyncBoxBody::new(self),
        };
        Self {
            kind: Kind::Guarded {
                body,
                on_panic: Some(Box::new(on_panic)),
            },
        }
    }

    /// Calls `hook` once, when this body ends: with how it ended and the
    /// data bytes read from it by then. It ends when its last frame is read
    /// (in that `poll_frame`), when it yields an error, or when it is
    /// dropped before its end (a client that went away); the hook runs
    /// where that happens, so a panic in it unwinds through whoever polls
    /// or drops the body.
    ///
    /// A body known in full stays one, polled without a dynamic call, that
    /// [`catch_panic`](Self::catch_panic) leaves as it is; a streamed body
    /// is wrapped. Either way it costs one small box.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// use paste_core::{Body, BodyEnd};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let ends = Arc::new(Mutex::new(Vec::new()));
    /// let hook = |ends: &Arc<Mutex<Vec<_>>>| {
    ///     let ends = ends.clone();
    ///     Box::new(move |end, bytes| ends.lock().unwrap().push((end, bytes)))
    /// };
    /// let body = Body::from("hello").on_end(hook(&ends));
    /// assert_eq!(body.to_bytes(64).await.unwrap(), "hello");
    /// drop(Body::from("unread").on_end(hook(&ends)));
    /// assert_eq!(
    ///     *ends.lock().unwrap(),
    ///     [(BodyEnd::Complete, 5), (BodyEnd::Dropped, 0)]
    /// );
    /// # }
    /// ```
    #[must_use]
    pub fn on_end(self, hook: Box<dyn OnEnd>) -> Self {
        let bytes = match self.kind {
            Kind::Empty => None,
            Kind::Full(bytes) => bytes,
            kind @ (Kind::Boxed(_) | Kind::Guarded { .. } | Kind::Hooked(_)) => {
                return Self {
                    kind: Kind::Boxed(UnsyncBoxBody::new(Watched {
                        inner: Self { kind },
                        read: 0,
                        hook: Some(hook),
                    })),
                };
            }
        };
        Self {
            kind: Kind::Hooked(Box::new(Hooked {
                bytes: bytes.unwrap_or_default(),
                hook: Some(hook),
            })),
        }
    }

    /// Reads the whole body into one [`Bytes`], failing with a 413
    /// [`Error`] as soon as it is known to be longer than `limit` bytes.
    pub async fn to_bytes(self, limit: u64) -> Result<Bytes, Error> {
        match self.kind {
            Kind::Empty | Kind::Full(None) => Ok(Bytes::new()),
            Kind::Full(Some(bytes)) if bytes.len() as u64 <= limit => Ok(bytes),
            Kind::Full(Some(_)) => Err(Error::payload_too_large(limit)),
            kind @ (Kind::Boxed(_) | Kind::Guarded { .. } | Kind::Hooked(_)) => {
                let mut body = Self { kind };
                if http_body::Body::size_hint(&body).lower() > limit {
                    return Err(Error::payload_too_large(limit));
                }
                // One chunk is returned as is; several are joined once.
                let mut first: Option<Bytes> = None;
                let mut joined = BytesMut::new();
                let mut len = 0u64;
                while let Some(frame) = body.frame().await {
                    let Ok(data) = frame?.into_data() else {
                        continue; // trailers have no bytes to keep
                    };
                    len += data.len() as u64;
                    if len > limit {
                        return Err(Error::payload_too_large(limit));
                    }
                    if let Some(first) = first.take() {
                        let expected = http_body::Body::size_hint(&body).lower().min(limit) + len;
                        joined.reserve(usize::try_from(expected).unwrap_or(0));
                        joined.extend_from_slice(&first);
                        joined.extend_from_slice(&data);
                    } else if joined.is_empty() {
                        first = Some(data);
                    } else {
                        joined.extend_from_slice(&data);
                    }
                }
                Ok(first.unwrap_or_else(|| joined.freeze()))
            }
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Empty => f.write_str("Body(empty)"),
            Kind::Full(bytes) => f
                .debug_tuple("Body")
                .field(&bytes.as_ref().map_or(0, Bytes::len))
                .finish(),
            Kind::Hooked(hooked) => f.debug_tuple("Body").field(&hooked.bytes.len()).finish(),
            Kind::Boxed(_) | Kind::Guarded { .. } => f.write_str("Body(stream)"),
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match &mut self.get_mut().kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Hooked(hooked) => {
                let bytes = std::mem::take(&mut hooked.bytes);
                if let Some(hook) = hooked.hook.take() {
                    hook.on_end(BodyEnd::Complete, bytes.len() as u64);
                }
                Poll::Ready((!bytes.is_empty()).then(|| Ok(Frame::data(bytes))))
            }
            Kind::Boxed(body) => Pin::new(body).poll_frame(cx),
            Kind::Guarded { body, on_panic } => {
                if on_panic.is_none() {
                    return Poll::Ready(None);
                }
                match catch_poll(|| Pin::new(body).poll_frame(cx)) {
                    Ok(polled) => polled,
                    Err(panic) => {
                        let on_panic = on_panic.take().expect("checked above");
                        Poll::Ready(Some(Err(on_panic(panic))))
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty | Kind::Full(None) => true,
            Kind::Full(Some(_)) => false,
            Kind::Hooked(hooked) => hooked.bytes.is_empty(),
            Kind::Boxed(body) => body.is_end_stream(),
            Kind::Guarded { body, on_panic } => on_panic.is_none() || body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty | Kind::Full(None) => SizeHint::with_exact(0),
            Kind::Full(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            Kind::Hooked(hooked) => SizeHint::with_exact(hooked.bytes.len() as u64),
            Kind::Boxed(body) => body.size_hint(),
            Kind::Guarded { on_panic: None, .. } => SizeHint::with_exact(0),
            Kind::Guarded { body, .. } => body.size_hint(),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            Self::empty()
        } else {
            Self {
                kind: Kind::Full(Some(bytes)),
            }
        }
    }
}

macro_rules! body_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Body {
            fn from(value: $ty) -> Self {
                Self::from(Bytes::from(value))
            }
        }
    )*};
}
body_from!(&'static str, &'static [u8], String, Vec<u8>);

impl From<Cow<'static, str>> for Body {
    fn from(value: Cow<'static, str>) -> Self {
        match value {
            Cow::Borrowed(s) => Self::from(s),
            Cow::Owned(s) => Self::from(s),
        }
    }
}

impl From<()> for Body {
    fn from((): ()) -> Self {
        Self::empty()
    }
}

pin_project_lite::pin_project! {
    /// Adapts a `Stream` of chunks to `http_body::Body`.
    struct StreamBody<S> {
        #[pin]
        stream: S,
    }
}

impl<S, T, E> http_body::Body for StreamBody<S>
where
    S: Stream<Item = Result<T, E>>,
    T: Into<Bytes>,
{
    type Data = Bytes;
    type Error = E;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, E>>> {
        let chunk = ready!(self.project().stream.poll_next(cx));
        Poll::Ready(chunk.map(|chunk| chunk.map(|data| Frame::data(data.into()))))
    }
}

pin_project_lite::pin_project! {
    /// Any body as one of `Bytes` and `Error`, keeping its size hint and
    /// end-of-stream (http-body-util's `MapFrame` drops the size hint, which
    /// made servers send every wrapped body chunked).
    struct Adapted<B> {
        #[pin]
        inner: B,
    }
}

impl<B> http_body::Body for Adapted<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let frame = ready!(self.project().inner.poll_frame(cx));
        Poll::Ready(frame.map(|frame| match frame {
            Ok(frame) => Ok(frame.map_data(|mut data| data.copy_to_bytes(data.remaining()))),
            Err(err) => Err(Error::from_boxed(err.into())),
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Bytes known in full, and the hook of [`Body::on_end`]. The bytes are
/// yielded in one frame, and the hook called then: until then none have
/// been read.
struct Hooked {
    /// Empty once yielded (or for an empty body).
    bytes: Bytes,
    /// Taken when the body ends.
    hook: Option<Box<dyn OnEnd>>,
}

impl Drop for Hooked {
    fn drop(&mut self) {
        if let Some(hook) = self.hook.take() {
            let end = if self.bytes.is_empty() {
                BodyEnd::Complete
            } else {
                BodyEnd::Dropped
            };
            hook.on_end(end, 0);
        }
    }
}

/// A streamed body under [`Body::on_end`], counting the bytes read.
struct Watched {
    inner: Body,
    read: u64,
    /// Taken when the body ends.
    hook: Option<Box<dyn OnEnd>>,
}

impl Watched {
    fn end(&mut self, end: BodyEnd) {
        if let Some(hook) = self.hook.take() {
            hook.on_end(end, self.read);
        }
    }
}

impl http_body::Body for Watched {
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
                    this.read += data.len() as u64;
                }
                if http_body::Body::is_end_stream(&this.inner) {
                    this.end(BodyEnd::Complete);
                }
            }
            Some(Err(_)) => this.end(BodyEnd::Error),
            None => this.end(BodyEnd::Complete),
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

impl Drop for Watched {
    fn drop(&mut self) {
        let end = if http_body::Body::is_end_stream(&self.inner) {
            BodyEnd::Complete
        } else {
            BodyEnd::Dropped
        };
        self.end(end);
    }
}

/// A body cut at a byte limit with a 413 error.
struct Limited {
    inner: Body,
    remaining: u64,
    limit: u64,
}

impl http_body::Body for Limited {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        if http_body::Body::size_hint(&this.inner).lower() > this.remaining {
            return Poll::Ready(Some(Err(Error::payload_too_large(this.limit))));
        }
        match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => {
                let len = frame.data_ref().map_or(0, |data| data.len() as u64);
                if len > this.remaining {
                    this.remaining = 0;
                    return Poll::Ready(Some(Err(Error::payload_too_large(this.limit))));
                }
                this.remaining -= len;
                Poll::Ready(Some(Ok(frame)))
            }
            other => Poll::Ready(other),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = http_body::Body::size_hint(&self.inner);
        if hint.upper().is_none_or(|upper| upper > self.remaining) {
            hint.set_upper(self.remaining.max(hint.lower()));
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use std::convert::Infallible;

    fn chunks(parts: &'static [&'static str]) -> Body {
        Body::from_stream(Stream2 { parts, at: 0 })
    }

    type Ends = std::sync::Arc<std::sync::Mutex<Vec<(BodyEnd, u64)>>>;

    fn hook(ends: &Ends) -> Box<dyn OnEnd> {
        let ends = ends.clone();
        Box::new(move |end, read| ends.lock().unwrap().push((end, read)))
    }

    #[tokio::test]
    async fn on_end_tells_how_and_how_much() {
        let ends = Ends::default();
        // Known in full: unwrapped, even by a panic guard.
        let full = Body::from("hello").on_end(hook(&ends));
        let full = full.catch_panic(|_| Error::new(StatusCode::BAD_GATEWAY));
        assert_eq!(format!("{full:?}"), "Body(5)");
        assert_eq!(http_body::Body::size_hint(&full).exact(), Some(5));
        assert_eq!(full.to_bytes(64).await.unwrap(), "hello");
        // Empty, never polled: complete when dropped.
        drop(Body::empty().on_end(hook(&ends)));
        // Streamed: counted as read, then complete, cut short, or failed.
        let streamed = chunks(&["ab", "cde"]).on_end(hook(&ends));
        assert_eq!(streamed.to_bytes(64).await.unwrap(), "abcde");
        let mut cut = chunks(&["ab", "cde"]).on_end(hook(&ends));
        cut.frame().await.unwrap().unwrap();
        drop(cut);
        let failing = Body::from_stream(futures_stream(vec![
            Ok("ab"),
            Err(Error::new(StatusCode::BAD_GATEWAY)),
        ]))
        .on_end(hook(&ends));
        assert_eq!(failing.to_bytes(64).await.unwrap_err().status(), 502);
        assert_eq!(
            *ends.lock().unwrap(),
            [
                (BodyEnd::Complete, 5),
                (BodyEnd::Complete, 0),
                (BodyEnd::Complete, 5),
                (BodyEnd::Dropped, 2),
                (BodyEnd::Error, 2),
            ]
        );
    }

    /// The items of `items`, as a stream.
    fn futures_stream(
        items: Vec<Result<&'static str, Error>>,
    ) -> impl Stream<Item = Result<&'static str, Error>> {
        struct Items(std::vec::IntoIter<Result<&'static str, Error>>);
        impl Stream for Items {
            type Item = Result<&'static str, Error>;
            fn poll_next(
                mut self: Pin<&mut Self>,
                _: &mut Context<'_>,
            ) -> Poll<Option<Self::Item>> {
                Poll::Ready(self.0.next())
            }
        }
        Items(items.into_iter())
    }

    /// A tiny stream of static chunks, to avoid a dev-dependency.
    struct Stream2 {
        parts: &'static [&'static str],
        at: usize,
    }

    impl Stream for Stream2 {
        type Item = Result<&'static str, Infallible>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let part = self.parts.get(self.at).copied();
            self.at += 1;
            Poll::Ready(part.map(Ok))
        }
    }

    #[tokio::test]
    async fn streams_are_joined() {
        let bytes = chunks(&["a", "bc", "def"]).to_bytes(6).await.unwrap();
        assert_eq!(bytes, "abcdef");
    }

    #[tokio::test]
    async fn empty_chunks_do_not_upset_the_join() {
        let bytes = chunks(&["", "", "ab", "", "c"]).to_bytes(3).await.unwrap();
        assert_eq!(bytes, "abc");
    }

    #[tokio::test]
    async fn one_chunk_is_returned_without_a_copy() {
        static PARTS: [&str; 1] = ["only chunk"];
        let bytes = chunks(&PARTS).to_bytes(100).await.unwrap();
        assert_eq!(bytes.as_ptr(), PARTS[0].as_ptr());
    }

    #[tokio::test]
    async fn a_stream_over_the_limit_is_a_413() {
        let err = chunks(&["a", "bc", "def"]).to_bytes(5).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn a_limited_body_keeps_its_413_through_another_wrapper() {
        let limited = chunks(&["abc", "def"]).limited(4);
        let rewrapped = Body::new(limited.map_err(Error::into_boxed));
        let err = rewrapped.to_bytes(100).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn trailers_pass_through() {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("x-checksum", "42".parse().unwrap());
        let frames: Vec<Result<Frame<Bytes>, Infallible>> = vec![
            Ok(Frame::data(Bytes::from("x"))),
            Ok(Frame::trailers(trailers)),
        ];
        let inner = http_body_util::StreamBody::new(FrameIter(frames.into_iter()));
        let collected = Body::new(inner).collect().await.unwrap();
        assert_eq!(collected.trailers().unwrap()["x-checksum"], "42");
    }

    struct FrameIter(std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>);
    impl Stream for FrameIter {
        type Item = Result<Frame<Bytes>, Infallible>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.0.next())
        }
    }

    #[test]
    fn a_wrapped_body_keeps_its_size_hint() {
        // Regression: http-body-util's MapFrame dropped it, so every
        // wrapped body went out chunked.
        let body = Body::new(http_body_util::Full::new(Bytes::from_static(b"abcd")));
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(4));
        assert!(!http_body::Body::is_end_stream(&body));
    }

    /// Yields its chunks, then panics.
    struct PanicsAfter(&'static [&'static str], usize);

    impl Stream for PanicsAfter {
        type Item = Result<&'static str, Infallible>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let part = self.0.get(self.1).copied();
            self.1 += 1;
            match part {
                Some(part) => Poll::Ready(Some(Ok(part))),
                None => panic!("out of parts"),
            }
        }
    }

    #[tokio::test]
    async fn a_caught_panic_ends_the_body_with_the_error() {
        let body = Body::from_stream(PanicsAfter(&["a", "b"], 0));
        let mut body = body.catch_panic(|panic| {
            Error::new(StatusCode::BAD_GATEWAY).with_message(panic.message().to_owned())
        });
        for expected in ["a", "b"] {
            let frame = body.frame().await.unwrap().unwrap();
            assert_eq!(frame.into_data().unwrap(), expected);
        }
        let err = body.frame().await.unwrap().unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(err.message(), Some("out of parts"));
        assert!(http_body::Body::is_end_stream(&body));
        assert!(body.frame().await.is_none(), "the body is over");
    }

    #[tokio::test]
    async fn the_first_guard_catches_and_a_later_one_guards_it() {
        let body = Body::from_stream(PanicsAfter(&[], 0))
            .catch_panic(|_| panic!("the first handler fell over too"))
            .catch_panic(|panic| {
                Error::new(StatusCode::BAD_GATEWAY).with_message(panic.message().to_owned())
            });
        let err = body.to_bytes(64).await.unwrap_err();
        assert_eq!(err.message(), Some("the first handler fell over too"));
        let body = Body::from_stream(PanicsAfter(&["x"], 0))
            .catch_panic(|_| Error::new(StatusCode::BAD_GATEWAY))
            .catch_panic(|_| unreachable!("the first guard caught it"));
        assert_eq!(body.to_bytes(64).await.unwrap_err().status(), 502);
    }

    #[test]
    fn wrapping_a_body_does_not_box_it_twice() {
        let body = Body::new(Body::from("abc"));
        assert!(matches!(body.kind, Kind::Full(Some(_))));
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(3));
    }
}
