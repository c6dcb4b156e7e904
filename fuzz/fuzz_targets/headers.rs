//! Every request-header parser of webob on the same input: Accept and its
//! family, Authorization, Cache-Control, Cookie, If-None-Match, If-Range,
//! Range, Content-Range and HTTP dates. None may panic, whatever it gets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webob::accept::{Accept, AcceptCharset, AcceptEncoding, AcceptLanguage};
use webob::auth::Authorization;
use webob::cache_control::CacheControl;
use webob::cookies::Cookies;
use webob::etag::{ETagMatcher, IfRange};
use webob::range::{ContentRange, Range};

fuzz_target!(|data: &[u8]| paste_fuzz::guarded(data, || run(data)));

fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = format!("{:?}", Accept::parse(text));
    let _ = format!("{:?}", AcceptCharset::parse(text));
    let _ = format!("{:?}", AcceptEncoding::parse(text));
    let _ = format!("{:?}", AcceptLanguage::parse(text));
    let _ = format!("{:?}", Authorization::parse(text));
    let _ = format!("{}", CacheControl::parse(text));
    let _ = format!("{:?}", Cookies::parse(text));
    let _ = format!("{:?}", ETagMatcher::parse(text));
    let _ = format!("{:?}", IfRange::parse(text));
    if let Some(range) = Range::parse(text) {
        let _ = format!("{range:?}");
    }
    let _ = format!("{:?}", ContentRange::parse(text));
    let _ = webob::parse_http_date(text);
}
