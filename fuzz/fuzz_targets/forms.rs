//! Form bodies through webob's parsers, as a request's body arrives: an
//! `application/x-www-form-urlencoded` body or a `multipart/form-data`
//! one (boundary from the input), fed in chunks cut where the input says,
//! under the default limits or small ones.
//!
//! Input: control bytes, `\0`, data. Control byte 0: bit 0 multipart,
//! bit 1 Latin-1 charset, bit 2 small limits; the next control bytes are
//! the chunk lengths. For multipart, the data's first line is the
//! boundary and the rest the body.
//!
//! Checked: no panic; an error is a 4xx (bad input is the client's
//! fault); a form never holds more fields, or longer ones, than the limits
//! allow; an upload's bytes are as long as it says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paste_core::http::{Method, header::CONTENT_TYPE};
use webob::FormLimits;

const SMALL: FormLimits = FormLimits::new()
    .with_max_fields(4)
    .with_max_field_size(64)
    .with_max_file_size(256)
    .with_max_multipart_size(1024)
    .with_spool_threshold(32);

fuzz_target!(|data: &[u8]| {
    paste_fuzz::init_runtime();
    paste_fuzz::guarded(data, || paste_fuzz::block_on(run(data)));
});

async fn run(data: &[u8]) {
    let (control, data) = paste_fuzz::split_control(data);
    let mode = control.first().copied().unwrap_or(0);
    let cuts = control.get(1..).unwrap_or_default();
    let multipart = mode & 1 != 0;
    let charset = if mode & 2 != 0 {
        "; charset=latin-1"
    } else {
        ""
    };
    let limits = if mode & 4 != 0 {
        SMALL
    } else {
        FormLimits::new()
    };
    let (content_type, body) = if multipart {
        let (boundary, body) = match data.iter().position(|&b| b == b'\n') {
            Some(at) => (&data[..at], &data[at + 1..]),
            None => (data, &[][..]),
        };
        let boundary = String::from_utf8_lossy(boundary.trim_ascii_end());
        (
            format!("multipart/form-data; boundary={boundary}{charset}"),
            body,
        )
    } else {
        (format!("application/x-www-form-urlencoded{charset}"), data)
    };
    let Ok(req) = paste_core::Request::builder()
        .method(Method::POST)
        .uri("/")
        .header(CONTENT_TYPE, content_type)
        .body(paste_fuzz::chunked_body(&paste_fuzz::chunks(body, cuts)))
    else {
        return; // a content type no header can carry
    };
    let mut req = webob::Request::new(req).with_form_limits(limits);
    match req.form().await {
        Ok(form) => {
            let count = form.fields().len() + form.files().len();
            assert!(
                count <= limits.max_fields(),
                "{count} fields, over the limit of {}",
                limits.max_fields()
            );
            let max = usize::try_from(limits.max_field_size()).unwrap_or(usize::MAX);
            for (name, value) in form.fields().iter() {
                let (n, v) = (name.chars().count(), value.chars().count());
                assert!(
                    v <= max && (multipart || n + v <= max),
                    "a field of {n} + {v} characters, over the limit of {max} bytes"
                );
            }
            let mut total = 0;
            for (_, upload) in form.files().iter() {
                assert!(upload.len() <= limits.max_file_size());
                total += upload.len();
                let bytes = upload.bytes().await.expect("an upload's bytes");
                assert_eq!(bytes.len() as u64, upload.len());
                let _ = upload.safe_filename();
            }
            assert!(total <= limits.max_multipart_size());
        }
        Err(err) => {
            assert!(
                err.status().is_client_error(),
                "a bad form body must be the client's error, not {}: {err}",
                err.status()
            );
        }
    }
}
