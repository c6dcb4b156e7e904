//! How a program's head becomes the response: Status, Location (client and
//! local redirects), NPH, and the heads and exits that are a 502.

mod cgi_support;
mod common;

use cgi_support::{Logs, bin, call, call_err, get, script, text, vars};
use paste_cgi::CgiApp;
use paste_core::{Body, Request, RequestExt};

fn mounted(target: &str) -> Request {
    let mut req = get(target);
    assert!(req.set_script_name("/app"));
    req
}

#[tokio::test]
async fn a_status_without_a_reason_phrase() {
    let response = call(&CgiApp::new(bin("status.sh")), get("/")).await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(text(response).await, "nothing here\n");
}

#[tokio::test]
async fn an_absolute_location_is_a_302_for_the_client() {
    let app = CgiApp::new(bin("redirect.pl"));
    let response = call(&app, get("/?absolute")).await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "http://example.com/elsewhere"
    );
}

#[tokio::test]
async fn a_location_with_a_status_goes_to_the_client_as_is() {
    let app = CgiApp::new(bin("redirect.pl"));
    let response = call(&app, get("/?moved")).await;
    assert_eq!(response.status(), 301);
    assert_eq!(response.headers()["location"], "/new/place");
    assert_eq!(text(response).await, "moved\n");
}

#[tokio::test]
async fn a_local_location_runs_the_app_again_as_a_get_without_the_body() {
    let app = CgiApp::new(bin("redirect.pl"));
    let mut req = Request::post("/app?local")
        .header("content-type", "text/plain")
        .body(Body::from("the original body"))
        .unwrap();
    assert!(req.set_script_name("/app"));
    let response = call(&app, req).await;
    assert_eq!(response.status(), 200, "the client never sees the redirect");
    assert!(response.headers().get("location").is_none());
    assert_eq!(
        text(response).await,
        "method=GET path_info=/again query=again content_length=- content_type=- body=0\n"
    );
}

#[tokio::test]
async fn a_local_location_outside_the_mount_point_goes_to_the_client() {
    let app = CgiApp::new(bin("redirect.pl"));
    let response = call(&app, mounted("/app?outside")).await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/somewhere/else?x=1");
}

#[tokio::test]
async fn a_local_redirect_loop_ends_in_a_502() {
    let (logs, _guard) = Logs::capture();
    let app = CgiApp::new(bin("redirect.pl"));
    assert_eq!(call_err(&app, mounted("/app?loop")).await, 502);
    assert!(logs.text().contains("redirect loop"), "{}", logs.text());
}

#[tokio::test]
async fn an_nph_program_writes_the_status_line_itself() {
    let app = CgiApp::new(bin("nph-raw.sh"));
    let response = call(&app, get("/")).await;
    assert_eq!(response.status(), 203);
    assert_eq!(response.headers()["x-raw"], "yes");
    assert_eq!(
        response.headers()["status"],
        "500 not interpreted",
        "NPH fields pass on uninterpreted"
    );
    assert_eq!(response.headers()["content-length"], "8");
    assert_eq!(text(response).await, "raw body");
}

#[tokio::test]
async fn nph_can_be_forced_for_any_name() {
    let dir = tempfile::tempdir().unwrap();
    let raw = script(
        dir.path(),
        "raw.sh",
        "#!/bin/sh\nprintf 'HTTP/1.0 202 Accepted\\nContent-Type: text/plain\\n\\nqueued'\n",
    );
    let response = call(&CgiApp::new(&raw).nph(true), get("/")).await;
    assert_eq!(response.status(), 202);
    assert_eq!(text(response).await, "queued");
    // The same program without NPH has a malformed head.
    assert_eq!(call_err(&CgiApp::new(&raw), get("/")).await, 502);
}

#[tokio::test]
async fn a_malformed_head_is_a_502_with_the_details_logged() {
    let (logs, _guard) = Logs::capture();
    let app = CgiApp::new(bin("malformed.py"));
    assert_eq!(call_err(&app, get("/")).await, 502);
    let logged = logs.text();
    assert!(logged.contains("malformed.py"), "{logged}");
    assert!(
        logged.contains("a header line without a colon on line 1"),
        "{logged}"
    );
}

#[tokio::test]
async fn exiting_non_zero_before_a_head_is_a_502_with_the_exit_status_logged() {
    let (logs, _guard) = Logs::capture();
    let app = CgiApp::new(bin("fail.sh"));
    let err = patient_err(&app).await;
    assert_eq!(err.status(), 502);
    assert!(
        !err.message().unwrap_or("").contains("fail.sh"),
        "no details for the client"
    );
    let logged = logs.text();
    assert!(logged.contains("exit status 1"), "{logged}");
    assert!(logged.contains("wrote nothing"), "{logged}");
}

async fn patient_err(app: &CgiApp) -> paste_core::Error {
    use paste_core::App;
    cgi_support::patiently("the app's answer", app.call(get("/")))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn odd_heads_and_early_ends() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("nothing.sh", "#!/bin/sh\nexit 0\n"),
        (
            "half.sh",
            "#!/bin/sh\nprintf 'Content-Type: text/plain\\n'\n",
        ),
        ("folded.sh", "#!/bin/sh\nprintf 'X-A: 1\\n  folded\\n\\n'\n"),
        ("blank.sh", "#!/bin/sh\nprintf '\\nbody'\n"),
        (
            "big.sh",
            "#!/bin/sh\nwhile :; do printf 'X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\n' || exit; done\n",
        ),
        (
            "two-status.sh",
            "#!/bin/sh\nprintf 'Status: 200\\nStatus: 404\\n\\n'\n",
        ),
    ];
    for (name, text) in cases {
        let app = CgiApp::new(script(dir.path(), name, text)).max_head_size(4096);
        assert_eq!(call_err(&app, get("/")).await, 502, "{name}");
    }
}

#[tokio::test]
async fn a_missing_program_is_a_500() {
    let app = CgiApp::new("/no/such/program.cgi");
    assert_eq!(call_err(&app, get("/")).await, 500);
}

#[tokio::test]
async fn a_non_zero_exit_after_the_head_is_only_logged() {
    let (logs, _guard) = Logs::capture();
    let response = call(&CgiApp::new(bin("late-fail.sh")), get("/")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(text(response).await, "partial\n");
    // The status is logged when the program is reaped: give it a moment.
    cgi_support::patiently("the exit status in the log", async {
        while !logs.text().contains("exit status 3") {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_body_short_of_its_content_length_fails_rather_than_ending_quietly() {
    let response = call(&CgiApp::new(bin("short.sh")), get("/")).await;
    assert_eq!(response.headers()["content-length"], "100");
    let err = response.into_body().to_bytes(1024).await.unwrap_err();
    assert_eq!(err.status(), 502);
}

#[tokio::test]
async fn a_body_longer_than_its_content_length_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let long = script(
        dir.path(),
        "long.sh",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\nContent-Length: 4\\n\\nfour and more'\n",
    );
    let response = call(&CgiApp::new(long), get("/")).await;
    assert_eq!(text(response).await, "four");
}

#[tokio::test]
async fn the_local_redirect_target_sees_the_new_query_and_path() {
    let app = CgiApp::new(bin("redirect.pl"));
    let response = call(&app, mounted("/app/first?local")).await;
    let body = text(response).await;
    let seen = vars(&body.replace(' ', "\n"));
    assert_eq!(seen["path_info"], "/again");
    assert_eq!(seen["query"], "again");
}
