//! The program as a process: killed with its whole group on timeout, on a
//! stall and when the response is dropped; stderr drained to the log; the
//! concurrency limit.

mod cgi_support;
mod common;

use std::time::Duration;

use cgi_support::{
    Logs, alive, bin, call, call_err, get, gone, patiently, pids, reaped, script, text,
};
use http_body_util::BodyExt;
use paste_cgi::CgiApp;
use paste_core::App;

#[tokio::test]
async fn a_program_that_never_answers_gets_a_504_and_its_whole_group_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let app = CgiApp::new(bin("hang.sh"))
        .env("PID_FILE", pid_file.as_os_str())
        .timeout(Duration::from_secs(3));
    assert_eq!(call_err(&app, get("/")).await, 504);
    let (program, grandchild) = pids(&pid_file).await;
    assert!(gone(program).await, "the program {program} still runs");
    assert!(
        gone(grandchild).await,
        "its grandchild {grandchild} (sleep) still runs: the group was not killed"
    );
    assert!(
        reaped(program).await,
        "the program {program} is left a zombie"
    );
}

#[tokio::test]
async fn dropping_the_response_midway_kills_the_program_and_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let app = CgiApp::new(bin("stream.sh")).env("PID_FILE", pid_file.as_os_str());
    let response = call(&app, get("/")).await;
    let mut body = response.into_body();
    let first = patiently("the first tick", body.frame())
        .await
        .unwrap()
        .unwrap();
    assert!(first.into_data().unwrap().starts_with(b"tick"));
    let (program, grandchild) = pids(&pid_file).await;
    assert!(
        alive(program) && alive(grandchild),
        "running while streamed"
    );
    drop(body); // the client went away
    assert!(gone(program).await, "the program {program} still runs");
    assert!(
        gone(grandchild).await,
        "the grandchild {grandchild} still runs"
    );
    assert!(
        reaped(program).await,
        "the program {program} is left a zombie"
    );
}

#[tokio::test]
async fn a_program_that_stalls_while_streaming_is_killed_and_the_body_cut() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let stall = script(
        dir.path(),
        "stall.sh",
        "#!/bin/sh\nsleep 300 &\necho \"$$ $!\" > \"$PID_FILE\"\nprintf 'Content-Type: text/plain\\n\\nstarted'\nwait\n",
    );
    let app = CgiApp::new(stall)
        .env("PID_FILE", pid_file.as_os_str())
        .idle_timeout(Duration::from_secs(1));
    let response = call(&app, get("/")).await;
    let err = patiently(
        "the stall to be noticed",
        response.into_body().to_bytes(1024),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 502);
    let (program, grandchild) = pids(&pid_file).await;
    assert!(gone(program).await && gone(grandchild).await);
}

#[tokio::test]
async fn a_stderr_flood_neither_blocks_nor_fails_the_response() {
    let (logs, _guard) = Logs::capture();
    let app = CgiApp::new(bin("flood.pl"));
    let response = call(&app, get("/")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(text(response).await, "survived\n");
    // stderr is logged line by line as it comes; the drain may still be
    // busy when the body ends.
    patiently("the end of the flood in the log", async {
        while !logs.text().contains("flood-end") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let logged = logs.text();
    assert!(logged.contains("flood-start"));
    assert!(logged.contains("paste_cgi::stderr"));
    assert!(logged.contains("flood.pl"), "the program is named");
    assert!(
        logged.contains(&format!("… ({} more bytes cut)", 1_000_000 - 4096)),
        "the 1 MB line is cut to 4 KiB"
    );
    assert!(!logged.contains(&"L".repeat(4097)));
}

#[tokio::test]
async fn over_the_concurrency_limit_a_request_waits_then_gets_a_503() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let busy = CgiApp::new(bin("stream.sh"))
        .env("PID_FILE", pid_file.as_os_str())
        .max_concurrent(1)
        .timeout(Duration::from_secs(1));
    let holding = call(&busy, get("/")).await;
    // The slot is taken while the first program runs.
    assert_eq!(call_err(&busy, get("/")).await, 503);
    drop(holding);
    let (program, _) = pids(&pid_file).await;
    assert!(gone(program).await);
    std::fs::remove_file(&pid_file).unwrap();
    let again = call(&busy, get("/")).await;
    assert_eq!(again.status(), 200, "the slot came back");
}

#[tokio::test]
async fn a_request_waiting_for_a_slot_runs_when_one_comes_free() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let app = CgiApp::new(bin("stream.sh"))
        .env("PID_FILE", pid_file.as_os_str())
        .max_concurrent(1);
    let holding = call(&app, get("/")).await;
    let waiting = {
        let app = app.clone(); // clones share the limit
        tokio::spawn(async move { app.call(get("/")).await.map(|r| r.status()) })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "no slot while the first program runs"
    );
    drop(holding);
    let status = patiently("the waiting request", waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_program_that_runs_on_after_closing_its_output_is_killed_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let lingering = script(
        dir.path(),
        "linger.sh",
        "#!/bin/sh\nsleep 300 >/dev/null 2>&1 &\necho \"$$ $!\" > \"$PID_FILE\"\nprintf 'Content-Type: text/plain\\n\\ndone'\nexec >&- 2>&-\nwait\n",
    );
    let app = CgiApp::new(lingering)
        .env("PID_FILE", pid_file.as_os_str())
        .timeout(Duration::from_secs(1));
    let response = call(&app, get("/")).await;
    assert_eq!(
        text(response).await,
        "done",
        "the response ends with the output"
    );
    let (program, grandchild) = pids(&pid_file).await;
    assert!(
        gone(program).await,
        "the lingering program {program} was never killed"
    );
    assert!(
        gone(grandchild).await,
        "its grandchild {grandchild} was never killed"
    );
}

#[tokio::test]
async fn huge_timeouts_mean_never() {
    let app = CgiApp::new(bin("hi.sh"))
        .timeout(Duration::MAX)
        .idle_timeout(Duration::MAX);
    let response = call(&app, get("/")).await;
    assert_eq!(text(response).await, "hi");
}

/// A request body that sends ten bytes, then, after `delay`, fails as
/// the server's body timeout makes it fail.
struct FailingBody {
    sent: bool,
    delay: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for FailingBody {
    type Data = bytes::Bytes;
    type Error = paste_core::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, paste_core::Error>>> {
        if std::mem::replace(&mut self.sent, true) {
            std::task::ready!(self.delay.as_mut().poll(cx));
            std::task::Poll::Ready(Some(Err(paste_core::Error::new(
                http::StatusCode::REQUEST_TIMEOUT,
            ))))
        } else {
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(bytes::Bytes::from_static(
                b"0123456789",
            )))))
        }
    }
}

fn failing_post(delay: Duration) -> paste_core::Request {
    let delay = Box::pin(tokio::time::sleep(delay));
    paste_core::http::Request::post("/")
        .header("content-length", "1000")
        .body(paste_core::Body::new(FailingBody { sent: false, delay }))
        .unwrap()
}

#[tokio::test]
async fn a_request_body_that_fails_is_not_passed_off_as_whole() {
    // The program reads its whole input, then notes what it got: with the
    // body cut, it must be killed rather than see an end of input.
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("got");
    let program = script(
        dir.path(),
        "count.sh",
        "#!/bin/sh\nn=$(wc -c)\necho \"$n\" > \"$MARK\"\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$n\"\n",
    );
    let app = CgiApp::new(program).env("MARK", mark.as_os_str());
    assert_eq!(call_err(&app, failing_post(Duration::ZERO)).await, 408);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !mark.exists(),
        "the program took the cut body for a whole one: {:?}",
        std::fs::read_to_string(&mark)
    );
}

#[tokio::test]
async fn a_request_body_that_fails_after_the_head_cuts_the_response() {
    let dir = tempfile::tempdir().unwrap();
    let program = script(
        dir.path(),
        "echo.sh",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\ncat\necho done\n",
    );
    let app = CgiApp::new(program);
    // The head is out before the body fails.
    let response = call(&app, failing_post(Duration::from_millis(500))).await;
    assert_eq!(response.status(), 200);
    let body = patiently("the body", response.into_body().collect()).await;
    assert!(body.is_err(), "a cut body read as whole: {body:?}");
}

#[tokio::test]
async fn a_program_killed_mid_output_without_a_length_gives_a_cut_body() {
    // No Content-Length to check the output against: the kill must still
    // show, or the client takes a cut page for a whole one.
    let dir = tempfile::tempdir().unwrap();
    let program = script(
        dir.path(),
        "dies.sh",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\npartial'\nkill -9 $$\n",
    );
    let response = call(&CgiApp::new(program), get("/")).await;
    assert_eq!(response.status(), 200);
    let body = patiently("the body", response.into_body().collect()).await;
    assert!(body.is_err(), "a cut body read as whole: {body:?}");

    // One that exits normally after the same output ends cleanly.
    let program = script(
        dir.path(),
        "ends.sh",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nwhole'\nexit 0\n",
    );
    let response = call(&CgiApp::new(program), get("/")).await;
    assert_eq!(text(response).await, "whole");
}
