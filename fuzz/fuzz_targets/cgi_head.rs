//! paste-cgi's parser of a CGI program's response head (RFC 3875 §6):
//! `Status`, `Location` (local redirects and client redirects), header
//! fields, invalid bytes, LF and CRLF, the size limit — in the CGI style
//! and the NPH style, fed in chunks cut where the input says.
//!
//! Input: control bytes, `\0`, the program's output. Control byte 0: bit 0
//! NPH, bit 1 a small head limit (256 bytes); the next control bytes are
//! the chunk lengths.
//!
//! Checked: no panic; the same answer however the output is cut; a local
//! redirect is a path (`/…`, never `//…` nor `/\…`); no hop-by-hop field passes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paste_cgi::fuzzing::cgi_head;

fuzz_target!(|data: &[u8]| paste_fuzz::guarded(data, || run(data)));

fn run(data: &[u8]) {
    let (control, output) = paste_fuzz::split_control(data);
    let mode = control.first().copied().unwrap_or(0);
    let cuts = control.get(1..).unwrap_or_default();
    let nph = mode & 1 != 0;
    let max = if mode & 2 != 0 { 256 } else { 64 * 1024 };
    let chunked = cgi_head(&paste_fuzz::chunks(output, cuts), nph, max);
    let whole = cgi_head(&[output], nph, max);
    assert_eq!(chunked, whole, "cut as {cuts:?}, the head reads otherwise");
    let Ok(head) = whole else {
        return;
    };
    if let Some(location) = &head.local_redirect {
        assert!(
            location.starts_with('/')
                && !location.starts_with("//")
                && !location.starts_with("/\\"),
            "local redirect to {location:?}"
        );
    }
    for (name, value) in &head.headers {
        assert!(
            !matches!(
                name.as_str(),
                "connection"
                    | "keep-alive"
                    | "proxy-connection"
                    | "transfer-encoding"
                    | "upgrade"
                    | "te"
                    | "trailer"
            ),
            "hop-by-hop {name}: {} passed",
            paste_fuzz::shown(value)
        );
        assert!(!value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0));
    }
}
