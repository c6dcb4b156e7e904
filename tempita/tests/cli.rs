//! The `tempita` binary, run as a child process.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn tempita(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tempita"))
        .args(args)
        .env("TEMPITA_TEST_VAR", "from-env")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The program may exit before reading (usage errors): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn fills_a_file_with_name_value_and_py_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    std::fs::write(&path, "Hi {{name}}, {{n + 1}} {{items}}\n").unwrap();
    let out = tempita(
        &[
            path.to_str().unwrap(),
            "name=Bob",
            "py:n=41",
            "py:items=[n, name]",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hi Bob, 42 [41, 'Bob']\n");
}

#[test]
fn reads_stdin_with_html_and_env_and_writes_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.html");
    let out = tempita(
        &[
            "--html",
            "--env",
            "-o",
            dest.to_str().unwrap(),
            "-",
            "x=<b>",
        ],
        "{{x}} {{TEMPITA_TEST_VAR}}",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"");
    assert_eq!(
        std::fs::read_to_string(&dest).unwrap(),
        "&lt;b&gt; from-env"
    );
    // Without --env the environment stays out.
    let out = tempita(&["-", "x=1"], "{{TEMPITA_TEST_VAR}}");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("<stdin>:1:3: NameError: name 'TEMPITA_TEST_VAR' is not defined"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = tempita(&[], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("You must give a template filename"));
    let out = tempita(&["-", "novalue"], "x");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Bad argument: novalue"));
    let out = tempita(&["--bogus", "-"], "x");
    assert_eq!(out.status.code(), Some(2));
    let out = tempita(&["--help"], "");
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("Usage: tempita"));
}

#[test]
fn template_errors_show_position_and_snippet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, "ok\n{{if x}}\n").unwrap();
    let out = tempita(&[path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.txt:2:3: No {{endif}}\n{{if x}}\n  ^"),
        "{err}"
    );
    let out = tempita(&[dir.path().join("missing").to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read"));
}
