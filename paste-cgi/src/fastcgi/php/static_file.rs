//! The files beside the scripts, served as they are: the least a PHP
//! folder needs (stylesheets, scripts, images), and no more — GET and
//! HEAD, a `Content-Type` by extension, a `Content-Length`, streamed from
//! disk. No ranges, no conditional requests, no compression: put a full
//! static file app (webob's) in front for those.

use std::fmt;
use std::fs::Metadata;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use http_body::{Frame, SizeHint};
use paste_core::{Body, Error, Response, Result};
use tokio::fs::File;

const READ_SIZE: usize = 64 * 1024;

/// A `Content-Type` for a few common extensions; `application/octet-stream`
/// for the rest.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|ext| ext.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("ico") => "image/vnd.microsoft.icon",
        Some("pdf") => "application/pdf",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("wasm") => "application/wasm",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// Serves the file at `path` for a request of `method`.
pub(crate) async fn serve(method: &Method, path: &Path, meta: &Metadata) -> Result {
    if method != Method::GET && method != Method::HEAD {
        return Err(Error::new(StatusCode::METHOD_NOT_ALLOWED)
            .with_message("Method Not Allowed: a static file is only read")
            .with_header(header::ALLOW, HeaderValue::from_static("GET, HEAD")));
    }
    let len = meta.len();
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        let file = File::open(path).await.map_err(|err| {
            tracing::error!(path = %path.display(), "a static file could not be opened: {err}");
            Error::from(err)
        })?;
        Body::new(FileBody {
            file: Some(file),
            remaining: len,
            buf: BytesMut::new(),
        })
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// A file's bytes, exactly as many as its size said when it was looked at.
struct FileBody {
    file: Option<File>,
    remaining: u64,
    buf: BytesMut,
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        let Some(file) = this.file.as_mut() else {
            return Poll::Ready(None);
        };
        if this.remaining == 0 {
            this.file = None;
            return Poll::Ready(None);
        }
        if this.buf.capacity() < READ_SIZE / 4 {
            this.buf.reserve(READ_SIZE);
        }
        let read = ready!(tokio_util::io::poll_read_buf(
            Pin::new(file),
            cx,
            &mut this.buf
        ));
        match read {
            Ok(0) => {
                this.file = None;
                Poll::Ready(Some(Err(Error::from(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file got shorter while it was served",
                )))))
            }
            Ok(_) => {
                let mut chunk = this.buf.split().freeze();
                if chunk.len() as u64 > this.remaining {
                    chunk.truncate(usize::try_from(this.remaining).unwrap_or(chunk.len()));
                }
                this.remaining -= chunk.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Err(err) => {
                this.file = None;
                Poll::Ready(Some(Err(Error::from(err))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.file.is_none() || self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(if self.file.is_some() {
            self.remaining
        } else {
            0
        })
    }
}

impl fmt::Debug for FileBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileBody")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}
