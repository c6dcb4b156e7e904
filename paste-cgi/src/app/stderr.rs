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
        let mut rest = &buf[..n];
        while let Some(newline) = rest.iter().position(|b| *b == b'\n') {
            line.push(&rest[..newline]);
            line.emit(&name);
            rest = &rest[newline + 1..];
        }
        line.push(rest);
    }
    if !line.text.is_empty() || line.cut > 0 {
        line.emit(&name);
    }
}

/// The line being gathered, and how many bytes of it were dropped.
#[derive(Default)]
struct Line {
    text: Vec<u8>,
    cut: usize,
}

impl Line {
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
