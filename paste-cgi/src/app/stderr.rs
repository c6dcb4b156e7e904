//! A program's stderr → [`tracing`], line by line, read as fast as the
//! program writes so that a flood never blocks it.

use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::process::ChildStderr;

/// The longest stderr line logged; the rest of a longer line is dropped.
pub(crate) const MAX_LINE: usize = 4096;

/// Logs each line the program writes to stderr at WARN level, target
/// `paste_cgi::stderr`, until it closes stderr. Memory stays under
/// [`MAX_LINE`] plus one read buffer, whatever the program writes.
pub(crate) async fn drain(mut stderr: ChildStderr, name: Arc<str>) {
    let mut buf = vec![0u8; 8192];
    let mut line = Line::default();
    loop {
        let n = match stderr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        line.feed(&buf[..n], &name);
    }
    line.flush(&name);
}

/// The line being gathered, and how many bytes of it were dropped; also
/// what the FastCGI client logs `FCGI_STDERR` records with.
#[derive(Default)]
pub(crate) struct Line {
    text: Vec<u8>,
    cut: usize,
}

impl Line {
    /// Takes the next bytes of the stream, logging each line they end.
    pub(crate) fn feed(&mut self, mut bytes: &[u8], name: &str) {
        while let Some(newline) = bytes.iter().position(|b| *b == b'\n') {
            self.push(&bytes[..newline]);
            self.emit(name);
            bytes = &bytes[newline + 1..];
        }
        self.push(bytes);
    }

    /// Logs what is left of a last line without its newline, if anything.
    pub(crate) fn flush(&mut self, name: &str) {
        if !self.text.is_empty() || self.cut > 0 {
            self.emit(name);
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_LINE - self.text.len();
        let kept = bytes.len().min(room);
        self.text.extend_from_slice(&bytes[..kept]);
        self.cut += bytes.len() - kept;
    }

    fn emit(&mut self, name: &str) {
        let text = self.text.strip_suffix(b"\r").unwrap_or(&self.text);
        let text = String::from_utf8_lossy(text);
        if self.cut > 0 {
            tracing::warn!(target: "paste_cgi::stderr", script = name, "{text}… ({} more bytes cut)", self.cut);
        } else {
            tracing::warn!(target: "paste_cgi::stderr", script = name, "{text}");
        }
        self.text.clear();
        self.cut = 0;
    }
}
