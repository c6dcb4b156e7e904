//! The INI reader, both ways paste-deploy reads a file: as a deployment
//! config and as a document that keeps its layout.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paste_deploy::ini::{IniDocument, IniFile};

fuzz_target!(|data: &[u8]| paste_fuzz::guarded(data, || run(data)));

fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = IniFile::parse(text, None) {
        let _ = e.to_string();
    }
    if let Err(e) = IniDocument::parse(text) {
        let _ = e.to_string();
    }
}
