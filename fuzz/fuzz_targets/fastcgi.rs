//! paste-cgi's FastCGI side, on bytes a web server (the FastCGI client)
//! would send: the record decoder fed in chunks, the name-value pairs of
//! each record, and a whole connection served by the FastCGI server to an
//! app that reads the body (BEGIN_REQUEST, PARAMS and STDIN reassembly,
//! GET_VALUES, ABORT_REQUEST, CGI variables into a request).
//!
//! Input: control bytes, `\0`, the client's bytes. Control byte 0: bit 0
//! small limits (params 256 bytes, body 64 bytes); the next control bytes
//! are the chunk lengths.
//!
//! Checked: no panic; the same records however the bytes are cut; pairs
//! that decode encode and decode to themselves; what the server writes
//! back is whole, well-formed records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paste_cgi::fuzzing::{fastcgi_encode_pairs, fastcgi_pairs, fastcgi_records, fastcgi_serve};
use paste_core::{Response, app_fn};

fuzz_target!(|data: &[u8]| {
    paste_fuzz::init_runtime();
    paste_fuzz::guarded(data, || run(data));
});

fn run(data: &[u8]) {
    let (control, input) = paste_fuzz::split_control(data);
    let mode = control.first().copied().unwrap_or(0);
    let cuts = control.get(1..).unwrap_or_default();
    let chunks = paste_fuzz::chunks(input, cuts);

    let whole = fastcgi_records(&[input]);
    assert_eq!(
        fastcgi_records(&chunks),
        whole,
        "cut as {cuts:?}, the records read otherwise"
    );
    if let Ok((records, _)) = &whole {
        for (_, _, content) in records {
            if let Ok(pairs) = fastcgi_pairs(content) {
                let again = fastcgi_pairs(&fastcgi_encode_pairs(&pairs));
                assert_eq!(again.as_ref(), Ok(&pairs));
            }
        }
    }

    let (max_params, max_body) = if mode & 1 != 0 {
        (256, 64)
    } else {
        (64 * 1024, 1024 * 1024)
    };
    let app = app_fn(|req| async move {
        let mut req = webob::Request::new(req);
        let body = req.body().await?;
        let text = format!("{} {} {}", req.method(), req.path_qs(), body.len());
        Ok(Response::new(text.into()))
    });
    let out = paste_fuzz::block_on(fastcgi_serve(app, &chunks, max_params, max_body))
        .expect("a socket pair");
    let (records, rest) = fastcgi_records(&[&out]).expect("the server writes records");
    assert_eq!(rest, 0, "the server's last record is cut short");
    for (kind, _, content) in records {
        if kind == 3 {
            assert_eq!(
                content.len(),
                8,
                "an END_REQUEST of {} bytes",
                content.len()
            );
        }
    }
}
