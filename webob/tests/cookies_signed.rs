//! Signed cookies: tampering, rotation, and the serde serializer.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use webob::cookies::{CookieOptions, SignedSerializer, Signer};
use webob::{Request, Response};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const OTHER: &[u8] = b"fedcba9876543210fedcba9876543210";

fn signer() -> Signer {
    Signer::new(SECRET).unwrap()
}

/// `s` with the character at `i` replaced by another base64url character.
fn flip(s: &str, i: usize) -> String {
    let mut bytes = s.as_bytes().to_vec();
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_signed_value_verifies() {
    let s = signer();
    for value in ["alice", "", "a;b c=\"d\"", "café ☕", &"x".repeat(1000)] {
        let signed = s.sign("user", value);
        assert!(
            signed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{signed}"
        );
        assert_eq!(s.verify("user", &signed).as_deref(), Some(value));
    }
}

#[test]
fn signing_is_deterministic_and_secret_dependent() {
    assert_eq!(signer().sign("n", "v"), signer().sign("n", "v"));
    assert_ne!(
        signer().sign("n", "v"),
        Signer::new(OTHER).unwrap().sign("n", "v")
    );
}

#[test]
fn flipping_any_character_breaks_it() {
    let s = signer();
    let signed = s.sign("user", "alice");
    for i in 0..signed.len() {
        if signed.as_bytes()[i] == b'.' {
            continue;
        }
        let tampered = flip(&signed, i);
        assert_eq!(
            s.verify("user", &tampered),
            None,
            "flipped at {i}: {tampered}"
        );
    }
}

#[test]
fn a_value_cant_be_moved_to_another_cookie() {
    let s = signer();
    let signed = s.sign("user", "alice");
    assert_eq!(s.verify("admin", &signed), None);
    assert_eq!(s.verify("User", &signed), None);
    assert_eq!(s.verify("", &signed), None);
    // Nor can bytes move between the name and the value.
    let a = s.sign("ab", "c");
    let (_, tag) = a.rsplit_once('.').unwrap();
    let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("bc"));
    assert_eq!(s.verify("a", &forged), None);
}

#[test]
fn a_swapped_value_with_the_old_mac_fails() {
    let s = signer();
    let signed = s.sign("user", "alice");
    let (_, tag) = signed.rsplit_once('.').unwrap();
    let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("admin"));
    assert_eq!(s.verify("user", &forged), None);
}

#[test]
fn truncated_and_malformed_values_fail() {
    let s = signer();
    let signed = s.sign("user", "alice");
    for cut in 0..signed.len() {
        assert_eq!(s.verify("user", &signed[..cut]), None, "cut at {cut}");
    }
    let (value, tag) = signed.rsplit_once('.').unwrap();
    for bad in [
        String::new(),
        ".".to_owned(),
        value.to_owned(),
        format!("{value}."),
        format!(".{tag}"),
        format!("{value}.{tag}="),
        format!("{value}=.{tag}"),
        format!("{value}.{tag}.{tag}"),
        format!("{value}.{tag}AA"),
        format!("{value}!.{tag}"),
        signed.replace('.', ""),
        format!("{signed} "),
        "x".repeat(100_000),
    ] {
        assert_eq!(s.verify("user", &bad), None, "{bad}");
    }
}

#[test]
fn a_wrong_secret_fails() {
    let signed = signer().sign("user", "alice");
    assert_eq!(Signer::new(OTHER).unwrap().verify("user", &signed), None);
}

#[test]
fn rotated_secrets_still_verify_and_the_newest_signs() {
    let old_signed = signer().sign("user", "alice");
    let rotated = Signer::new(OTHER).unwrap().with_old_secret(SECRET).unwrap();
    assert_eq!(
        rotated.verify("user", &old_signed).as_deref(),
        Some("alice")
    );
    let new_signed = rotated.sign("user", "bob");
    assert_eq!(
        Signer::new(OTHER)
            .unwrap()
            .verify("user", &new_signed)
            .as_deref(),
        Some("bob")
    );
    assert_eq!(signer().verify("user", &new_signed), None);
}

#[test]
fn short_secrets_are_refused() {
    assert!(Signer::new(b"").is_err());
    assert!(Signer::new(&[0; 31]).is_err());
    assert!(Signer::new(&[0; 32]).is_ok());
    assert!(signer().with_old_secret(b"short").is_err());
}

#[test]
fn the_debug_output_hides_the_secret() {
    let text = format!("{:?}", signer());
    assert!(!text.contains("0123456789"), "{text}");
}

#[test]
fn signed_cookies_round_trip_through_headers() {
    let s = signer();
    let mut response = Response::new();
    response
        .set_signed_cookie(
            "user",
            "alice smith",
            &s,
            &CookieOptions::new().http_only(true),
        )
        .unwrap();
    let header = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(header.ends_with("; HttpOnly; Path=/"), "{header}");
    let pair = header.split(';').next().unwrap();
    let req = Request::blank("/").with_header("cookie", pair);
    assert_eq!(
        req.signed_cookie("user", &s).as_deref(),
        Some("alice smith")
    );
    assert_eq!(req.signed_cookie("other", &s), None);
    assert_eq!(
        req.signed_cookie("user", &Signer::new(OTHER).unwrap()),
        None
    );
}

#[test]
fn a_forged_duplicate_does_not_hide_the_real_cookie() {
    let s = signer();
    let real = s.sign("user", "alice");
    let req =
        Request::blank("/").with_header("cookie", &format!("user={}; user={real}", flip(&real, 0)));
    assert_eq!(req.signed_cookie("user", &s).as_deref(), Some("alice"));
    let req = Request::blank("/").with_header("cookie", "user=garbage; user=\"\"");
    assert_eq!(req.signed_cookie("user", &s), None);
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Session {
    user: String,
    roles: Vec<String>,
    visits: u32,
    note: Option<String>,
}

fn session() -> Session {
    Session {
        user: "alice".into(),
        roles: vec!["editor".into(), "a;b,c \"d\"".into()],
        visits: 3,
        note: Some("café".into()),
    }
}

#[test]
fn the_serializer_round_trips_a_struct() {
    let ser = SignedSerializer::<Session>::new(signer());
    let signed = ser.dumps("session", &session()).unwrap();
    assert_eq!(ser.loads("session", &signed), Some(session()));
    assert_eq!(ser.loads("other", &signed), None);
    assert_eq!(ser.loads("session", &flip(&signed, 5)), None);
    assert_eq!(ser.loads("session", &signed[..signed.len() - 1]), None);
    assert_eq!(
        SignedSerializer::<Session>::new(Signer::new(OTHER).unwrap()).loads("session", &signed),
        None
    );
}

#[test]
fn a_genuine_value_of_the_wrong_shape_is_none() {
    let s = signer();
    // Signed with the right key but not what the serializer wrote.
    let ser = SignedSerializer::<Session>::new(s.clone());
    for json in [
        "not json",
        "{}",
        "[1]",
        "[1, {\"user\": 1}]",
        "[-1, null]",
        "\"x\"",
    ] {
        assert_eq!(
            ser.loads("session", &s.sign("session", json)),
            None,
            "{json}"
        );
    }
    // A value written for another type.
    let other = SignedSerializer::<u32>::new(s);
    let signed = other.dumps("session", &7).unwrap();
    assert_eq!(ser.loads("session", &signed), None);
    assert_eq!(other.loads("session", &signed), Some(7));
}

#[test]
fn the_serializer_works_through_requests_and_responses() {
    let ser = SignedSerializer::<Session>::new(signer()).with_max_age(Duration::from_secs(600));
    let mut response = Response::new();
    ser.save_to(&mut response, "session", &session(), &CookieOptions::new())
        .unwrap();
    let header = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(header.contains("; Max-Age=600; Expires="), "{header}");
    let pair = header.split(';').next().unwrap();
    let req = Request::blank("/").with_header("cookie", &format!("session=junk; {pair}"));
    assert_eq!(ser.load_from(&req, "session"), Some(session()));
    assert_eq!(ser.load_from(&Request::blank("/"), "session"), None);
}

#[test]
fn a_value_past_its_max_age_is_none() {
    let s = signer();
    // Issued at the Unix epoch: long expired.
    let old = s.sign("session", "[0, 7]");
    let ser = SignedSerializer::<u32>::new(s).with_max_age(Duration::from_secs(3600));
    assert_eq!(ser.loads("session", &old), None);
    let without_max_age = SignedSerializer::<u32>::new(signer());
    assert_eq!(without_max_age.loads("session", &old), Some(7));
}
