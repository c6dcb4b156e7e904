//! [`Cascade`]: try apps in turn until one answers (Paste's `cascade`,
//! `egg:Paste#cascade`).

use std::fmt;
use std::io::{self, Write as _};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt as _;
use paste_core::{App, Body, BoxApp, Error, Request, Result};
use tokio::io::{AsyncRead, ReadBuf};
use webob::exc::HttpException;

/// Bodies up to this size are buffered in memory (1 MiB).
pub const DEFAULT_MEMORY_THRESHOLD: usize = 1024 * 1024;

/// The largest request body a cascade buffers by default (64 MiB, the
/// server's default limit); past it the answer is a `413`.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 64 * 1024 * 1024;

/// Tries apps in order until one answers with a status that is not caught.
///
/// - The catch set is `{404}` by default ([`catch`](Cascade::catch)
///   changes it). A response with a caught status is dropped and the next
///   app is tried; so is an `Err` whose status is caught.
/// - The last app's answer is returned whatever it is, error or not.
/// - The request body is read once and replayed to each app: in memory up
///   to [`memory_threshold`](Cascade::memory_threshold), in a temporary
///   file past it, and refused with a `413` past
///   [`max_body_size`](Cascade::max_body_size). A cascade of one app, or a
///   request without a body, is passed through without buffering.
/// - Each app gets its own copy of the request: method, URI, headers and
///   extensions (so the script name too).
///
/// ```
/// use paste_core::{App, BoxApp, Error, Request, RequestExt, Response, app_fn, http::StatusCode};
/// use paste_middleware::cascade::Cascade;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let static_files = app_fn(|req: Request| async move {
///     if req.path_info() == "/robots.txt" {
///         Ok(Response::new("User-agent: *".into()))
///     } else {
///         Err(Error::new(StatusCode::NOT_FOUND))
///     }
/// });
/// let dynamic = app_fn(|_req| async { Ok(Response::new("dynamic".into())) });
/// let cascade = Cascade::new(vec![BoxApp::new(static_files), BoxApp::new(dynamic)]);
///
/// let req = Request::get("/robots.txt").body(().into()).unwrap();
/// let body = cascade.call(req).await.unwrap().into_body().to_bytes(100).await.unwrap();
/// assert_eq!(body, "User-agent: *");
///
/// let req = Request::get("/page").body(().into()).unwrap();
/// let body = cascade.call(req).await.unwrap().into_body().to_bytes(100).await.unwrap();
/// assert_eq!(body, "dynamic");
/// # }
/// ```
#[derive(Clone)]
pub struct Cascade {
    apps: Vec<BoxApp>,
    catch: Vec<StatusCode>,
    memory_threshold: usize,
    max_body_size: u64,
}

impl Cascade {
    /// A cascade over `apps`, tried in this order. With no app at all,
    /// every request is a `404`.
    pub fn new(apps: Vec<BoxApp>) -> Self {
        Self {
            apps,
            catch: vec![StatusCode::NOT_FOUND],
            memory_threshold: DEFAULT_MEMORY_THRESHOLD,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        }
    }

    /// Adds an app at the end (builder style).
    #[must_use]
    pub fn push(mut self, app: impl App) -> Self {
        self.apps.push(BoxApp::new(app));
        self
    }

    /// The statuses that move on to the next app, instead of `{404}`.
    #[must_use]
    pub fn catch(mut self, statuses: impl IntoIterator<Item = StatusCode>) -> Self {
        self.catch = statuses.into_iter().collect();
        self
    }

    /// Buffers request bodies up to `bytes` in memory, larger ones in a
    /// temporary file.
    #[must_use]
    pub fn memory_threshold(mut self, bytes: usize) -> Self {
        self.memory_threshold = bytes;
        self
    }

    /// Refuses request bodies larger than `bytes` with a `413`.
    #[must_use]
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    fn caught(&self, status: StatusCode) -> bool {
        self.catch.contains(&status)
    }
}

impl App for Cascade {
    async fn call(&self, req: Request) -> Result {
        let Some((last, firsts)) = self.apps.split_last() else {
            return Ok(HttpException::not_found()
                .with_detail("the cascade has no application")
                .to_response(&webob::Request::new(req))
                .into_inner());
        };
        if firsts.is_empty() {
            return last.call(req).await;
        }
        let (parts, body) = req.into_parts();
        let buffered = Buffered::read(body, self.memory_threshold, self.max_body_size).await?;
        for app in firsts {
            let attempt = Request::from_parts(copy_parts(&parts), buffered.replay()?);
            match app.call(attempt).await {
                Ok(response) if self.caught(response.status()) => {}
                Err(err) if self.caught(err.status()) => {}
                answer => return answer,
            }
        }
        last.call(Request::from_parts(parts, buffered.replay()?))
            .await
    }
}

impl fmt::Debug for Cascade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cascade")
            .field("apps", &self.apps.len())
            .field("catch", &self.catch)
            .field("memory_threshold", &self.memory_threshold)
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

fn copy_parts(parts: &http::request::Parts) -> http::request::Parts {
    let mut copy = Request::new(()).into_parts().0;
    copy.method = parts.method.clone();
    copy.uri = parts.uri.clone();
    copy.version = parts.version;
    copy.headers = parts.headers.clone();
    copy.extensions = parts.extensions.clone();
    copy
}

/// A request body read once, to be replayed.
enum Buffered {
    Empty,
    Memory(Bytes),
    File {
        file: tempfile::NamedTempFile,
        len: u64,
    },
}

impl Buffered {
    async fn read(mut body: Body, threshold: usize, max: u64) -> Result<Self> {
        if http_body::Body::is_end_stream(&body) {
            return Ok(Self::Empty);
        }
        if http_body::Body::size_hint(&body).lower() > max {
            return Err(Error::payload_too_large(max));
        }
        let mut memory = BytesMut::new();
        let mut file: Option<tempfile::NamedTempFile> = None;
        let mut len = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue; // trailers are not replayed
            };
            len += data.len() as u64;
            if len > max {
                return Err(Error::payload_too_large(max));
            }
            if let Some(file) = &mut file {
                write_blocking(file, data).await?;
            } else if memory.len() + data.len() > threshold {
                let mut spill = tokio::task::spawn_blocking(tempfile::NamedTempFile::new)
                    .await
                    .map_err(io::Error::other)??;
                memory.extend_from_slice(&data);
                write_blocking(&mut spill, std::mem::take(&mut memory).freeze()).await?;
                file = Some(spill);
            } else {
                memory.extend_from_slice(&data);
            }
        }
        Ok(match file {
            Some(file) => Self::File { file, len },
            None if memory.is_empty() => Self::Empty,
            None => Self::Memory(memory.freeze()),
        })
    }

    /// A fresh body with the same bytes, read from the start.
    fn replay(&self) -> Result<Body> {
        Ok(match self {
            Self::Empty => Body::empty(),
            Self::Memory(bytes) => Body::from(bytes.clone()),
            Self::File { file, len } => Body::new(FileBody {
                file: tokio::fs::File::from_std(file.reopen()?),
                remaining: *len,
                buf: vec![0; 64 * 1024].into_boxed_slice(),
            }),
        })
    }
}

/// Writes `data` to the spill file off the async threads.
async fn write_blocking(file: &mut tempfile::NamedTempFile, data: Bytes) -> io::Result<()> {
    let mut handle = file.as_file().try_clone()?;
    tokio::task::spawn_blocking(move || handle.write_all(&data))
        .await
        .map_err(io::Error::other)?
}

/// A body streamed from a spilled request body.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Box<[u8]>,
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.remaining)
            .unwrap_or(usize::MAX)
            .min(this.buf.len());
        let mut read_buf = ReadBuf::new(&mut this.buf[..want]);
        ready!(Pin::new(&mut this.file).poll_read(cx, &mut read_buf))?;
        let filled = read_buf.filled();
        if filled.is_empty() {
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the buffered request body was truncated",
            ))));
        }
        this.remaining -= filled.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(filled)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn small_bodies_stay_in_memory_and_large_ones_spill() {
        let small = Buffered::read(Body::from("abc"), 10, 100).await.unwrap();
        assert!(matches!(small, Buffered::Memory(_)));
        let large = Buffered::read(Body::from(vec![7u8; 50]), 10, 100)
            .await
            .unwrap();
        assert!(matches!(large, Buffered::File { len: 50, .. }));
        for _ in 0..2 {
            let bytes = large.replay().unwrap().to_bytes(1000).await.unwrap();
            assert_eq!(bytes, vec![7u8; 50]);
        }
        let err = Buffered::read(Body::from(vec![0u8; 101]), 10, 100)
            .await
            .err()
            .unwrap();
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
