//! [`FcgiBody`]: the STDOUT records after the head, streamed as they
//! come, while the rest of the request body still goes out.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use paste_core::Error;
use tokio::time::{Instant, Sleep};

use super::exchange::{Live, REQUEST_ID, WriteFailure, bad_gateway};
use crate::app::after;
use crate::fastcgi::proto::{EndRequest, RecordType};

/// A response body read from a FastCGI connection, up to END_REQUEST.
/// Ended cleanly, the connection goes back to the pool; dropped before
/// that (the client went away), the connection is closed, which tells the
/// responder to stop.
pub(crate) struct FcgiBody {
    first: Option<Bytes>,
    /// What is left of the announced `Content-Length`.
    remaining: Option<u64>,
    live: Option<Live>,
    name: Arc<str>,
    idle_timeout: Duration,
    idle: Pin<Box<Sleep>>,
    /// When the idle clock started, while it runs.
    idle_since: Option<Instant>,
    /// Whether output past the `Content-Length` was reported.
    warned_extra: bool,
}

impl FcgiBody {
    pub(crate) fn new(
        first: Bytes,
        content_length: Option<u64>,
        idle_timeout: Duration,
        name: Arc<str>,
        live: Live,
    ) -> Self {
        Self {
            first: (!first.is_empty()).then_some(first),
            remaining: content_length,
            live: Some(live),
            name,
            idle_timeout,
            idle: Box::pin(tokio::time::sleep(Duration::ZERO)),
            idle_since: None,
            warned_extra: false,
        }
    }

    /// Holds `chunk` to what is left of the `Content-Length`.
    fn limit(&mut self, mut chunk: Bytes) -> Bytes {
        if let Some(remaining) = self.remaining.as_mut() {
            if chunk.len() as u64 > *remaining {
                if !self.warned_extra {
                    self.warned_extra = true;
                    tracing::warn!(
                        script = %self.name,
                        "the FastCGI responder wrote more than its Content-Length: cut"
                    );
                }
                chunk.truncate(usize::try_from(*remaining).unwrap_or(chunk.len()));
            }
            *remaining -= chunk.len() as u64;
        }
        chunk
    }

    /// Something went wrong: close the connection, and fail the body so
    /// that the client sees a cut response rather than a complete one.
    fn fail(&mut self, why: String) -> Error {
        self.live = None;
        self.first = None;
        tracing::error!(script = %self.name, "{why}");
        bad_gateway(std::io::Error::other(why))
    }

    /// Runs the idle clock while nothing comes; `Ready` when it ran out.
    /// The responder taking request body counts as a sign of life.
    fn poll_idle(&mut self, cx: &mut Context<'_>, last_write: Instant) -> Poll<()> {
        let since = *self.idle_since.get_or_insert_with(Instant::now);
        loop {
            let deadline = after(since.max(last_write), self.idle_timeout);
            if self.idle.deadline() != deadline {
                self.idle.as_mut().reset(deadline);
            }
            if self.idle.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if Instant::now() >= deadline {
                return Poll::Ready(());
            }
        }
    }
}

impl http_body::Body for FcgiBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        if let Some(first) = this.first.take() {
            let chunk = this.limit(first);
            if !chunk.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(chunk))));
            }
        }
        let Some(live) = this.live.as_mut() else {
            return Poll::Ready(None);
        };
        // The rest of the request body, if any, goes out meanwhile.
        if live.writer.is_writing() {
            match live.writer.poll(cx) {
                Poll::Ready(Err(WriteFailure::Body(err))) => {
                    tracing::debug!(script = %this.name, "the request body failed while forwarded: {err:#}");
                    this.live = None;
                    return Poll::Ready(Some(Err(err)));
                }
                Poll::Ready(Err(WriteFailure::Io(err))) => {
                    tracing::debug!(script = %this.name, "writing to the FastCGI responder failed: {err}");
                }
                Poll::Ready(Ok(())) | Poll::Pending => {}
            }
        }
        loop {
            let live = this.live.as_mut().expect("checked above");
            let record = match live.reader.poll_next(cx) {
                Poll::Pending => {
                    let last_write = live.writer.last_progress;
                    if this.poll_idle(cx, last_write).is_pending() {
                        return Poll::Pending;
                    }
                    let why = format!(
                        "the FastCGI responder wrote nothing for {:?} while streaming its body",
                        this.idle_timeout
                    );
                    return Poll::Ready(Some(Err(this.fail(why))));
                }
                Poll::Ready(Ok(Some(record))) => record,
                Poll::Ready(Ok(None)) => {
                    let why =
                        "the FastCGI responder closed the connection before the end of its response"
                            .to_owned();
                    return Poll::Ready(Some(Err(this.fail(why))));
                }
                Poll::Ready(Err(err)) => {
                    return Poll::Ready(Some(Err(this.fail(err.to_string()))));
                }
            };
            this.idle_since = None;
            if record.request_id != REQUEST_ID {
                continue;
            }
            match record.kind {
                RecordType::Stdout if !record.content.is_empty() => {
                    let chunk = this.limit(record.content);
                    if !chunk.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(chunk))));
                    }
                }
                RecordType::Stderr => live.stderr.feed(&record.content, &this.name),
                RecordType::EndRequest => {
                    let mut live = this.live.take().expect("checked above");
                    live.stderr.flush(&this.name);
                    match EndRequest::decode(&record.content) {
                        Ok(end) if end.app_status != 0 => tracing::debug!(
                            script = %this.name,
                            "the FastCGI request ended with app status {}",
                            end.app_status
                        ),
                        _ => {}
                    }
                    live.finish();
                    if let Some(missing @ 1..) = this.remaining {
                        let why = format!(
                            "the FastCGI responder's output ended {missing} bytes short of its Content-Length"
                        );
                        return Poll::Ready(Some(Err(this.fail(why))));
                    }
                    return Poll::Ready(None);
                }
                _ => {}
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.live.is_none() && self.first.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.remaining {
            Some(remaining) => SizeHint::with_exact(remaining),
            None => SizeHint::default(),
        }
    }
}

impl Drop for FcgiBody {
    fn drop(&mut self) {
        if self.live.is_some() {
            tracing::debug!(
                script = %self.name,
                "the FastCGI response was dropped before its end: closing the connection"
            );
        }
    }
}

impl fmt::Debug for FcgiBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FcgiBody")
            .field("name", &self.name)
            .field("remaining", &self.remaining)
            .field("live", &self.live.is_some())
            .finish_non_exhaustive()
    }
}
