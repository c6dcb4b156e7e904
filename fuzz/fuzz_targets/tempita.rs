//! Tempita: lexer, parser and evaluator. A template is parsed, then
//! rendered with a small context, as text and as HTML; errors must come
//! back as errors with a position, never as a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempita::{Context, HtmlTemplate, Template, Value};

const MAX_STEPS: u64 = 50_000;

fuzz_target!(|data: &[u8]| paste_fuzz::guarded(data, || run(data)));

fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let context = Context::new()
        .with("name", "<World>")
        .with("items", vec![1, 2, 3])
        .with("d", Value::dict([("k", Value::from("v"))]));
    // A two-hundredth of the default work limit: well within the 100 ms
    // guard under the sanitizer (the default is about a second of a
    // release build).
    match Template::builder(text).max_steps(MAX_STEPS).build() {
        Ok(template) => {
            let _ = template.substitute(&context);
        }
        Err(e) => {
            let _ = format!("{e:#}");
        }
    }
    if let Ok(template) = HtmlTemplate::builder(text).max_steps(MAX_STEPS).build() {
        let _ = template.substitute(&context);
    }
}
