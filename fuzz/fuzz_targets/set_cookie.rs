//! Set-Cookie and Cookie, everywhere the workspace reads them:
//!
//! - each line of the input is a `Set-Cookie` value stored in webtest's
//!   cookie jar (RFC 6265 domain, path, expiry, `Secure`), whose `Cookie`
//!   header is then read back by webob's `Cookies`;
//! - the same lines are put on a webob response whose `unset_cookie`
//!   then removes one by name;
//! - round trip: the first line's `name=value` set with webob's
//!   `set_cookie_with` (the value percent-encoded as needed), stored by the
//!   jar, sent back in a `Cookie` header and read by webob's
//!   `Cookies::get_decoded` gives the value back; signed with a `Signer`,
//!   it verifies to the value, and the input itself never verifies.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use paste_core::http::HeaderValue;
use paste_core::http::header::SET_COOKIE;
use webob::cookies::{CookieOptions, Cookies, SameSite, Signer};

const HOST: &str = "www.example.com";
const PATH: &str = "/app/page";

fuzz_target!(|data: &[u8]| {
    let signer = signer();
    paste_fuzz::guarded(data, || run(data, signer));
});

fn signer() -> &'static Signer {
    static SIGNER: std::sync::OnceLock<Signer> = std::sync::OnceLock::new();
    SIGNER.get_or_init(|| Signer::new(&[7; 32]).expect("a 32-byte secret"))
}

fn run(data: &[u8], signer: &Signer) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let https = mode & 1 != 0;
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let lines: Vec<&str> = text.lines().take(32).collect();

    // webtest's jar, read back by webob.
    let (header, values) = webtest::fuzzing::cookie_jar(&lines, HOST, PATH, https, now);
    if let Some(header) = &header {
        let _ = Cookies::parse(header).len();
    }
    assert!(
        header.is_none() || !values.is_empty(),
        "a header without cookies"
    );

    // webob's response: Set-Cookie headers kept as is, one unset by name.
    let mut response = webob::Response::new();
    let mut count = 0;
    for line in &lines {
        if let Ok(value) = HeaderValue::from_str(line) {
            response.headers_mut().append(SET_COOKIE, value);
            count += 1;
        }
    }
    if let Some(first) = lines.first() {
        let name = first.split(['=', ';']).next().unwrap_or("").trim();
        let removed = response.unset_cookie(name);
        let left = response.headers().get_all(SET_COOKIE).iter().count();
        assert_eq!(removed, left < count, "unset_cookie said {removed}");
    }

    // The round trip of one cookie.
    let first = lines.first().copied().unwrap_or("");
    let (name, value) = first.split_once('=').unwrap_or((first, ""));
    let mut options = CookieOptions::new().http_only(mode & 2 != 0);
    if mode & 4 != 0 {
        options = options.secure(true).same_site(SameSite::Strict);
    }
    if mode & 8 != 0 {
        options = options.path("/app");
    }
    let mut response = webob::Response::new();
    if response.set_cookie_with(name, value, &options).is_ok() {
        let set = response.headers()[SET_COOKIE]
            .to_str()
            .expect("a Set-Cookie webob made is ASCII")
            .to_owned();
        let (sent, _) = webtest::fuzzing::cookie_jar(&[&set], HOST, PATH, true, now);
        let sent = sent.unwrap_or_else(|| panic!("the jar dropped {set:?}"));
        let read = Cookies::parse(&sent);
        assert_eq!(
            read.get_decoded(name).as_deref(),
            Some(value),
            "{name:?}={value:?} was set as {set:?} and sent back as {sent:?}"
        );
    }

    // Signed values.
    let signed = signer.sign(name, value);
    assert_eq!(signer.verify(name, &signed).as_deref(), Some(value));
    assert_eq!(
        signer.verify(name, first),
        None,
        "an unsigned input verified"
    );
}
