//! What the fuzz targets share: the per-input CPU-time guard, a Tokio
//! runtime for the async parsers, and a way to cut an input into chunks.
//!
//! The issue's goal is "no input that takes over 100 ms or allocates
//! without bound". libFuzzer bounds memory (`-malloc_limit_mb`,
//! `-rss_limit_mb`, set by `cargo xtask fuzz`); [`guarded`] bounds time.
//! It measures the *thread's CPU time*, not wall time, so that a loaded
//! machine does not make a fast input look slow.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use rustix::time::{ClockId, clock_gettime};

/// The limit on one input's CPU time unless `PASTE_FUZZ_MAX_MS` says
/// otherwise.
pub const DEFAULT_MAX_MS: u64 = 100;

/// The CPU time this thread has used so far.
pub fn thread_cpu_time() -> Duration {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// The most CPU time one input may take: `PASTE_FUZZ_MAX_MS` milliseconds
/// (read once), or [`DEFAULT_MAX_MS`].
pub fn max_cpu_time() -> Duration {
    static LIMIT: OnceLock<Duration> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let ms = std::env::var("PASTE_FUZZ_MAX_MS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_MAX_MS);
        Duration::from_millis(ms)
    })
}

/// The slowest input so far, in microseconds of CPU time.
static SLOWEST_US: AtomicU64 = AtomicU64::new(0);

/// Runs `body` on one input and panics — a crash for libFuzzer, which then
/// keeps the input — when it took more CPU time than [`max_cpu_time`].
///
/// Each new slowest input is reported on stderr as
/// `paste-fuzz: slowest input so far: N us (M bytes)` (`cargo xtask fuzz`
/// reads the last one) and, when `PASTE_FUZZ_SLOWEST` names a file, saved
/// there, so that it can be looked at even when it stays under the limit.
///
/// Do lazy set-up (a runtime, a temp dir) before calling this, so that the
/// first input is not charged for it.
pub fn guarded(data: &[u8], body: impl FnOnce()) {
    let start = thread_cpu_time();
    body();
    let spent = thread_cpu_time().saturating_sub(start);
    let us = u64::try_from(spent.as_micros()).unwrap_or(u64::MAX);
    if us > SLOWEST_US.fetch_max(us, Ordering::Relaxed) {
        eprintln!(
            "paste-fuzz: slowest input so far: {us} us ({} bytes)",
            data.len()
        );
        save_slowest(data);
    }
    let limit = max_cpu_time();
    assert!(
        spent <= limit,
        "paste-fuzz: this input took {} ms of CPU time, over the limit of {} ms \
         (PASTE_FUZZ_MAX_MS sets it): a parser is too slow on it",
        spent.as_millis(),
        limit.as_millis()
    );
}

/// Hands the input to a thread of its own that writes it to the file
/// `PASTE_FUZZ_SLOWEST` names: a write to a busy disk can take seconds,
/// which must not be charged to the input (libFuzzer's `-timeout` counts
/// wall time).
fn save_slowest(data: &[u8]) {
    static WRITER: OnceLock<Option<Mutex<mpsc::Sender<Vec<u8>>>>> = OnceLock::new();
    let writer = WRITER.get_or_init(|| {
        let path = std::env::var_os("PASTE_FUZZ_SLOWEST")?;
        let (send, receive) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            while let Ok(mut data) = receive.recv() {
                // Only the newest matters.
                while let Ok(newer) = receive.try_recv() {
                    data = newer;
                }
                let _ = std::fs::write(&path, data);
            }
        });
        Some(Mutex::new(send))
    });
    if let Some(writer) = writer
        && let Ok(send) = writer.lock()
    {
        let _ = send.send(data.to_vec());
    }
}

thread_local! {
    static RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
}

/// Makes this thread's current-thread Tokio runtime, once; call it before
/// [`guarded`].
pub fn init_runtime() {
    RUNTIME.with(|rt| {
        rt.borrow_mut().get_or_insert_with(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a Tokio runtime")
        });
    });
}

/// Runs `future` to completion on this thread's runtime (made by
/// [`init_runtime`], or here if need be).
pub fn block_on<F: Future>(future: F) -> F::Output {
    init_runtime();
    RUNTIME.with(|rt| {
        rt.borrow()
            .as_ref()
            .expect("the runtime was just made")
            .block_on(future)
    })
}

/// Cuts `data` into chunks at the points `cuts` chooses: each byte of
/// `cuts` is the length of the next chunk (0 is taken as 1), the last
/// chunk takes what is left. Parsers that stream must give the same
/// answer however their input is cut.
pub fn chunks<'a>(data: &'a [u8], cuts: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    for &cut in cuts {
        if rest.is_empty() {
            break;
        }
        let at = usize::from(cut.max(1)).min(rest.len());
        let (chunk, tail) = rest.split_at(at);
        out.push(chunk);
        rest = tail;
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest);
    }
    out
}

/// Splits an input in two at its first `\0`: the control bytes before it
/// (or none), the data after it (or all of it).
pub fn split_control(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&[], data),
    }
}

/// `bytes` shown for a message: printable ASCII as is, the rest escaped.
pub fn shown(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if b.is_ascii_graphic() || b == b' ' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// A body that yields `chunks` one by one, as a client's packets would
/// come.
pub fn chunked_body(chunks: &[&[u8]]) -> paste_core::Body {
    let chunks: VecDeque<Bytes> = chunks.iter().map(|c| Bytes::copy_from_slice(c)).collect();
    paste_core::Body::from_stream(Chunks(chunks))
}

struct Chunks(VecDeque<Bytes>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.pop_front().map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_input() {
        assert_eq!(chunks(b"abcdef", &[2, 0, 9]), [&b"ab"[..], b"c", b"def"]);
        assert_eq!(chunks(b"", &[3]), [&b""[..]]);
        assert_eq!(chunks(b"abc", &[]), [&b"abc"[..]]);
    }

    #[test]
    fn the_guard_lets_fast_inputs_pass_and_stops_slow_ones() {
        guarded(b"fast", || {});
        let slow = std::panic::catch_unwind(|| {
            guarded(b"slow", || {
                let start = thread_cpu_time();
                while thread_cpu_time() - start < max_cpu_time() + Duration::from_millis(5) {
                    std::hint::black_box(0u64);
                }
            });
        });
        assert!(slow.is_err());
    }
}
