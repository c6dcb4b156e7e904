//! Query strings, as a request's GET parameters: percent-decoding, `+`,
//! `;` and `&` separators, invalid UTF-8 after decoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paste_core::{Body, Request};

fuzz_target!(|data: &[u8]| paste_fuzz::guarded(data, || run(data)));

fn run(data: &[u8]) {
    // Only what a request target can hold reaches the parser.
    let query: String = data
        .iter()
        .filter(|b| b.is_ascii_graphic() && **b != b'#')
        .map(|&b| b as char)
        .collect();
    let Ok(req) = Request::get(format!("/?{query}")).body(Body::empty()) else {
        return;
    };
    if let Ok(params) = webob::Request::new(req).get_params() {
        let _ = params.len();
    }
}
