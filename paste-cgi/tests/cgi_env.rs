//! What a CGI program finds in its environment, its arguments and its
//! working directory, told by real sh, Perl and Python programs that echo
//! them.

mod cgi_support;
mod common;

use std::collections::BTreeMap;

use cgi_support::{bin, bin_dir, call, call_err, get, text, vars};
use paste_cgi::CgiApp;
use paste_core::{Body, Request, RequestExt};

/// The request every echo test sends: mounted at `/app`, with a path info,
/// a query, and headers that must and must not reach the program.
fn request() -> Request {
    let mut req = Request::get("/app/extra/p%20q?name=value&flag")
        .header("host", "example.test:8080")
        .header("x-custom", "one")
        .header("x-custom", "two")
        .header("cookie", "a=1")
        .header("cookie", "b=2")
        .header("proxy", "http://evil.example:3128")
        .header("x_forwarded_for", "6.6.6.6")
        .header("x-forwarded-for", "10.1.2.3")
        .header("authorization", "Basic YWxpY2U6c2VjcmV0")
        .body(Body::empty())
        .unwrap();
    assert!(req.set_script_name("/app"));
    req
}

async fn echo(app: &CgiApp, req: Request) -> (String, BTreeMap<String, String>) {
    let response = call(app, req).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain");
    let program = response.headers()["x-program"].to_str().unwrap().to_owned();
    (program, vars(&text(response).await))
}

#[tokio::test]
async fn sh_perl_and_python_see_the_same_rfc_3875_variables() {
    for (name, program) in [("env.sh", "sh"), ("env.pl", "perl"), ("env.py", "python")] {
        let app = CgiApp::new(bin(name));
        let (said, env) = echo(&app, request()).await;
        assert_eq!(said, program);
        let script = bin(name);
        let dir = bin_dir();
        let expected = [
            ("GATEWAY_INTERFACE", "CGI/1.1"),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("SERVER_NAME", "example.test"),
            ("SERVER_PORT", "8080"),
            ("REQUEST_METHOD", "GET"),
            ("REQUEST_URI", "/app/extra/p%20q?name=value&flag"),
            ("SCRIPT_NAME", "/app"),
            ("PATH_INFO", "/extra/p q"),
            ("QUERY_STRING", "name=value&flag"),
            ("SCRIPT_FILENAME", script.to_str().unwrap()),
            ("REDIRECT_STATUS", "200"),
            ("HTTP_HOST", "example.test:8080"),
            ("HTTP_X_CUSTOM", "one, two"),
            ("HTTP_COOKIE", "a=1; b=2"),
            ("HTTP_X_FORWARDED_FOR", "10.1.2.3"),
            ("ARGC", "0"),
            ("CWD", dir.to_str().unwrap()),
        ];
        for (var, value) in expected {
            assert_eq!(
                env.get(var).map(String::as_str),
                Some(value),
                "{name}: {var}"
            );
        }
        assert!(env["SERVER_SOFTWARE"].starts_with("paste-cgi/"), "{name}");
        assert!(env["ARG0"].ends_with(name), "{name}: argv[0] is the script");
        for absent in [
            "HTTP_PROXY",
            "HTTP_AUTHORIZATION",
            "CONTENT_LENGTH",
            "CONTENT_TYPE",
            "PATH_TRANSLATED",
            "HTTPS",
        ] {
            assert_eq!(env.get(absent), None, "{name}: {absent} must not be set");
        }
    }
}

#[tokio::test]
async fn httpoxy_a_proxy_header_never_becomes_http_proxy() {
    // Regression for httpoxy (CVE-2016-5385): `Proxy: x` used to arrive as
    // HTTP_PROXY, which CGI programs' HTTP libraries take for their proxy.
    let app = CgiApp::new(bin("env.py"));
    let req = Request::get("/")
        .header("proxy", "http://evil.example:3128")
        .body(Body::empty())
        .unwrap();
    let (_, env) = echo(&app, req).await;
    assert_eq!(env.get("HTTP_PROXY"), None);
    assert!(!env.values().any(|v| v.contains("evil.example")), "{env:?}");
}

#[tokio::test]
async fn an_underscore_header_cannot_pose_as_a_dashed_one() {
    let app = CgiApp::new(bin("env.pl"));
    let req = Request::get("/")
        .header("x_remote_user", "admin")
        .body(Body::empty())
        .unwrap();
    let (_, env) = echo(&app, req).await;
    assert_eq!(env.get("HTTP_X_REMOTE_USER"), None);
    assert!(!env.values().any(|v| v == "admin"), "{env:?}");
}

#[tokio::test]
async fn only_path_of_the_servers_environment_reaches_the_program() {
    let own: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| name != "PATH")
        .collect();
    assert!(!own.is_empty(), "the test process has variables to leak");
    let app = CgiApp::new(bin("env.pl"));
    let (_, env) = echo(&app, get("/")).await;
    assert_eq!(env.get("PATH"), std::env::var("PATH").ok().as_ref());
    for (name, value) in &own {
        assert!(
            env.get(name) != Some(value),
            "{name} leaked from the server's environment"
        );
    }
}

#[tokio::test]
async fn the_allow_list_and_fixed_variables_are_configurable() {
    let home = std::env::var("HOME").ok();
    let app = CgiApp::new(bin("env.sh"))
        .pass_env_only(["HOME", "NO_SUCH_VAR_IN_THE_TEST_ENV"])
        .env("APP_MODE", "testing")
        .env("SERVER_NAME", "canonical.example")
        .document_root("/srv/www");
    let mut req = get("/app/docs/readme.txt");
    req.set_script_name("/app");
    let (_, env) = echo(&app, req).await;
    assert_eq!(env.get("HOME"), home.as_ref());
    assert_eq!(env.get("NO_SUCH_VAR_IN_THE_TEST_ENV"), None);
    assert_eq!(env["APP_MODE"], "testing");
    assert_eq!(env["SERVER_NAME"], "canonical.example");
    assert_eq!(env["DOCUMENT_ROOT"], "/srv/www");
    assert_eq!(env["PATH_TRANSLATED"], "/srv/www/docs/readme.txt");
    // PATH is not in the list any more; sh may set its own default, but
    // not the server's.
    assert_ne!(env.get("PATH"), std::env::var("PATH").ok().as_ref());
}

#[tokio::test]
async fn the_query_never_becomes_arguments() {
    // RFC 3875 §4.4's "search string as argv" rule is what let
    // `?-d+allow_url_include=1` into php-cgi's options (CVE-2012-1823).
    let app = CgiApp::new(bin("env.py"));
    let (_, env) = echo(&app, get("/?-d+allow_url_include%3d1+-s")).await;
    assert_eq!(env["ARGC"], "0");
    assert_eq!(env["QUERY_STRING"], "-d+allow_url_include%3d1+-s");
}

#[tokio::test]
async fn authorization_is_kept_from_programs_unless_asked() {
    let req = || {
        Request::get("/")
            .header("authorization", "Bearer t0k3n")
            .body(Body::empty())
            .unwrap()
    };
    let (_, env) = echo(&CgiApp::new(bin("env.sh")), req()).await;
    assert_eq!(env.get("HTTP_AUTHORIZATION"), None);
    let app = CgiApp::new(bin("env.sh")).pass_authorization(true);
    let (_, env) = echo(&app, req()).await;
    assert_eq!(env["HTTP_AUTHORIZATION"], "Bearer t0k3n");
}

#[tokio::test]
async fn remote_user_and_auth_type_come_from_the_auth_middleware() {
    let mut req = Request::get("/")
        .header("authorization", "Basic YWxpY2U6c2VjcmV0")
        .body(Body::empty())
        .unwrap();
    req.set_remote_user("alice");
    let (_, env) = echo(&CgiApp::new(bin("env.pl")), req).await;
    assert_eq!(env["REMOTE_USER"], "alice");
    assert_eq!(env["AUTH_TYPE"], "Basic");
}

#[tokio::test]
async fn a_body_comes_with_its_length_and_type() {
    let app = CgiApp::new(bin("env.py"));
    let req = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", "11")
        .body(Body::from("a=1&b=hello"))
        .unwrap();
    let (_, env) = echo(&app, req).await;
    assert_eq!(env["REQUEST_METHOD"], "POST");
    assert_eq!(env["CONTENT_LENGTH"], "11");
    assert_eq!(env["CONTENT_TYPE"], "application/x-www-form-urlencoded");
    assert_eq!(env["BODY_BYTES"], "11");
    assert_eq!(env.get("HTTP_CONTENT_LENGTH"), None);
    assert_eq!(env.get("HTTP_CONTENT_TYPE"), None);
}

#[tokio::test]
async fn a_path_with_an_encoded_nul_is_a_400() {
    let app = CgiApp::new(bin("env.sh"));
    assert_eq!(call_err(&app, get("/a%00b")).await, 400);
}

#[tokio::test]
async fn php_cgi_runs_with_redirect_status() {
    // php-cgi refuses to run a script unless REDIRECT_STATUS is set.
    let php = std::path::Path::new("/usr/bin/php-cgi");
    assert!(
        php.exists(),
        "/usr/bin/php-cgi is missing: install the Debian package php-cgi (bash .ci/deps)"
    );
    let dir = tempfile::tempdir().unwrap();
    let page = cgi_support::script(
        dir.path(),
        "hello.php",
        "#!/usr/bin/php-cgi\n<?php header('X-Php: yes'); echo 'php says ', $_SERVER['REQUEST_METHOD'], ' ', $_GET['name'] ?? '?';\n",
    );
    let app = CgiApp::new(page);
    let response = call(&app, get("/hello.php?name=paste")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-php"], "yes");
    assert_eq!(text(response).await, "php says GET paste");
}
