//! `Authorization` parsing and `WWW-Authenticate` challenges.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use webob::auth::{Authorization, Challenge, Credentials};
use webob::{Request, Response};

fn basic(user: &str, pass: &str) -> Authorization {
    Authorization::Basic {
        username: user.to_owned(),
        password: pass.to_owned(),
    }
}

#[test]
fn basic_credentials() {
    let header = format!("Basic {}", STANDARD.encode("user:pa:ss:"));
    assert_eq!(Authorization::parse(&header), Some(basic("user", "pa:ss:")));
    // Scheme is case-insensitive, extra whitespace is fine, padding optional.
    let header = format!("bAsIc   {}  ", STANDARD.encode("a:b").trim_end_matches('='));
    assert_eq!(Authorization::parse(&header), Some(basic("a", "b")));
    // Empty user and password are still credentials.
    let header = format!("Basic {}", STANDARD.encode(":"));
    assert_eq!(Authorization::parse(&header), Some(basic("", "")));
    // UTF-8, else Latin-1.
    let header = format!("Basic {}", STANDARD.encode("jürgen:ß"));
    assert_eq!(Authorization::parse(&header), Some(basic("jürgen", "ß")));
    let header = format!("Basic {}", STANDARD.encode(b"j\xfcrgen:x"));
    assert_eq!(Authorization::parse(&header), Some(basic("jürgen", "x")));
    // Round trip.
    let auth = basic("us er", "p:w\"d");
    assert_eq!(Authorization::parse(&auth.to_string()), Some(auth));
}

#[test]
fn bad_basic_is_not_parsed() {
    for header in [
        "Basic".to_owned(),
        "Basic ".to_owned(),
        "Basic !!!!".to_owned(),
        "Basic Zm9v".to_owned(), // "foo": no colon
        format!("Basic {}", STANDARD.encode("nocolon")),
        "Basic dXNlcjpwYXNz extra".to_owned(),
        "Basic ====".to_owned(),
        "Basic dXNlcjpwYXNz=====x".to_owned(),
        "Basic realm=\"x\"".to_owned(),
    ] {
        assert_eq!(Authorization::parse(&header), None, "{header}");
    }
}

#[test]
fn bearer_tokens() {
    assert_eq!(
        Authorization::parse("Bearer eyJhbGci.eyJzdWIi.SflKx-_~+/=="),
        Some(Authorization::Bearer(
            "eyJhbGci.eyJzdWIi.SflKx-_~+/==".to_owned()
        ))
    );
    for bad in [
        "Bearer",
        "Bearer a b",
        "Bearer a,b",
        "Bearer \"a\"",
        "Bearer a=b=c",
    ] {
        assert_eq!(Authorization::parse(bad), None, "{bad}");
    }
    // Display can't be used to inject.
    let evil = Authorization::Bearer("abc\r\nSet-Cookie: x=1".to_owned());
    assert_eq!(evil.to_string(), "Bearer abcSet-Cookiex=1");
}

#[test]
fn digest_params() {
    let header = r#"Digest username="Mufasa",  realm="http-auth@example.org", URI="/dir/index.html", algorithm=SHA-256, nc=00000001,, qop=auth, response="8ca5", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
    let auth = Authorization::parse(header).unwrap();
    assert_eq!(auth.scheme(), "Digest");
    assert_eq!(auth.param("username"), Some("Mufasa"));
    assert_eq!(auth.param("uri"), Some("/dir/index.html"));
    assert_eq!(auth.param("QOP"), Some("auth"));
    assert_eq!(auth.param("missing"), None);
    assert_eq!(
        auth.to_string(),
        r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nc=00000001, qop=auth, response="8ca5", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
    );
    assert_eq!(Authorization::parse(&auth.to_string()), Some(auth));
}

#[test]
fn quoted_strings_with_escapes_and_commas() {
    let auth = Authorization::parse(r#"Digest realm="a, \"b\" \\ c", nonce="x""#).unwrap();
    assert_eq!(auth.param("realm"), Some(r#"a, "b" \ c"#));
    assert_eq!(auth.param("nonce"), Some("x"));
    assert_eq!(Authorization::parse(&auth.to_string()), Some(auth));
}

#[test]
fn malformed_params_are_not_parsed() {
    for bad in [
        r#"Digest realm="unterminated"#,
        r#"Digest realm="x" nonce="y""#,
        r#"Digest realm"#,
        r#"Digest realm="#,
        r#"Digest =x"#,
        r#"Digest realm="a", REALM="b""#,
        "Digest realm=\"a\tb\u{7}\"",
        r#"Digest realm="x\"#,
        "B@d scheme",
        "",
        "   ",
    ] {
        assert_eq!(Authorization::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn other_schemes() {
    let auth = Authorization::parse("Negotiate YIIC+gYGKwYBBQUCoIIC7jCCAuqgMDAuBgk=").unwrap();
    assert_eq!(
        auth,
        Authorization::Other {
            scheme: "Negotiate".to_owned(),
            credentials: Credentials::Token68("YIIC+gYGKwYBBQUCoIIC7jCCAuqgMDAuBgk=".to_owned()),
        }
    );
    assert_eq!(
        auth.to_string(),
        "Negotiate YIIC+gYGKwYBBQUCoIIC7jCCAuqgMDAuBgk="
    );
    let auth = Authorization::parse(r#"HOBA result="kid.chal.nonce.sig", v=1"#).unwrap();
    assert_eq!(auth.scheme(), "HOBA");
    assert_eq!(auth.param("result"), Some("kid.chal.nonce.sig"));
    assert_eq!(auth.param("v"), Some("1"));
    let auth = Authorization::parse("Custom").unwrap();
    assert_eq!(
        auth,
        Authorization::Other {
            scheme: "Custom".to_owned(),
            credentials: Credentials::Params(vec![])
        }
    );
    assert_eq!(auth.to_string(), "Custom");
}

#[test]
fn request_authorization() {
    let req = Request::blank("/").with_header("authorization", "Bearer tok");
    assert_eq!(
        req.authorization(),
        Some(Authorization::Bearer("tok".to_owned()))
    );
    assert_eq!(Request::blank("/").authorization(), None);
    let req = Request::blank("/").with_header("authorization", "Basic ???");
    assert_eq!(req.authorization(), None);
}

#[test]
fn challenges_cannot_inject_headers() {
    let mut response = Response::new();
    let challenge = Challenge::basic("x\"\r\nSet-Cookie: admin=1\\")
        .param("charset", "UTF-8")
        .param("Bad Name\r\n", "v");
    response.set_www_authenticate(&challenge);
    let values: Vec<_> = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .collect();
    assert_eq!(values.len(), 1);
    assert_eq!(
        values[0],
        r#"Basic realm="x\"Set-Cookie: admin=1\\", charset="UTF-8", badname="v""#
    );
    assert!(response.headers().get("set-cookie").is_none());
    assert_eq!(challenge.get("REALM"), Some("x\"\r\nSet-Cookie: admin=1\\"));
    assert_eq!(challenge.scheme(), "Basic");

    // set replaces, add appends.
    response.add_www_authenticate(&Challenge::bearer("api").param("error", "invalid_token"));
    response.set_www_authenticate(&Challenge::new("Negotiate"));
    response.add_www_authenticate(&Challenge::new("Basic\r\n").param("realm", "r"));
    let values: Vec<_> = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .collect();
    assert_eq!(values, ["Negotiate", r#"Basic realm="r""#]);
    // A later param of the same name replaces the earlier one.
    let challenge = Challenge::bearer("a").param("REALM", "b");
    assert_eq!(challenge.to_string(), r#"Bearer realm="b""#);
}
