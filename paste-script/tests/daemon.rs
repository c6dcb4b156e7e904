//! `paster serve --daemon`, `start`, `status`, `stop`, `restart`: a
//! background server managed through its pid file, with the real binary.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};

use common::{addr_of, get, paster};

fn serve(dir: &Path, args: &[&str]) -> Output {
    paster()
        .current_dir(dir)
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("paster runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn url_of(out: &Output) -> String {
    stdout(out)
        .lines()
        .find_map(|l| l.strip_prefix("serving on "))
        .unwrap_or_else(|| panic!("no URL in {:?}", stdout(out)))
        .to_owned()
}

fn pid_in(file: &Path) -> i32 {
    std::fs::read_to_string(file)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Stops a daemon a failed assertion left running, through its pid file.
struct StopOnDrop(std::path::PathBuf, &'static str);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if self.0.join(self.1).exists() {
            let _ = serve(&self.0, &["site.ini", "stop", "--pid-file", self.1]);
        }
    }
}

const SITE: &str =
    "[server:main]\nuse = egg:Paste#http\nport = 0\n\n[app:main]\nuse = egg:Paste#test\n";

#[test]
fn start_status_stop_with_a_pid_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.ini"), SITE).unwrap();
    let _stop = StopOnDrop(dir.path().to_owned(), "site.pid");
    let files = ["--pid-file", "site.pid", "--log-file", "site.log"];
    let pid_file = dir.path().join("site.pid");

    let nothing = serve(dir.path(), &[&["site.ini", "status"][..], &files].concat());
    assert_eq!(nothing.status.code(), Some(1));
    assert!(stdout(&nothing).contains("No PID file"));

    let started = serve(
        dir.path(),
        &[&["site.ini", "--daemon"][..], &files].concat(),
    );
    assert_eq!(started.status.code(), Some(0), "{started:?}");
    let url = url_of(&started);
    let pid = pid_in(&pid_file);
    assert!(stdout(&started).contains(&format!("Daemon started in PID {pid}")));
    assert_eq!(get(&addr_of(&url), "/hello").status, 200);

    let status = serve(dir.path(), &[&["site.ini", "status"][..], &files].concat());
    assert_eq!(status.status.code(), Some(0));
    assert_eq!(
        stdout(&status).trim(),
        format!("Server running in PID {pid}")
    );

    let again = serve(dir.path(), &[&["site.ini", "start"][..], &files].concat());
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("already running"),
        "{}",
        stdout(&again)
    );
    assert_eq!(pid_in(&pid_file), pid);

    // The log file has the server's output and its access log.
    let log = std::fs::read_to_string(dir.path().join("site.log")).unwrap();
    assert!(
        log.contains(&format!("Starting server in PID {pid}")),
        "{log}"
    );

    let stopped = serve(dir.path(), &[&["site.ini", "stop"][..], &files].concat());
    assert_eq!(stopped.status.code(), Some(0), "{stopped:?}");
    assert!(!pid_file.exists());
    assert!(
        std::net::TcpStream::connect(addr_of(&url)).is_err(),
        "the server is gone"
    );

    let status = serve(dir.path(), &[&["site.ini", "status"][..], &files].concat());
    assert_eq!(status.status.code(), Some(1));
    let stop = serve(dir.path(), &[&["site.ini", "stop"][..], &files].concat());
    assert_eq!(stop.status.code(), Some(1));
    assert!(stdout(&stop).contains("No PID file exists"));
}

#[test]
fn a_stale_pid_file_is_detected_and_restart_replaces_the_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.ini"), SITE).unwrap();
    // The default files, paster.pid and paster.log, in the current folder.
    let _stop = StopOnDrop(dir.path().to_owned(), "paster.pid");
    let pid_file = dir.path().join("paster.pid");

    // A pid that was a process and is no more.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    std::fs::write(&pid_file, format!("{dead}\n")).unwrap();
    let status = serve(dir.path(), &["site.ini", "status"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(
        stdout(&status).contains("is not running"),
        "{}",
        stdout(&status)
    );

    // A pid file naming a live process that is not a server (this test).
    std::fs::write(&pid_file, format!("{}\n", std::process::id())).unwrap();
    let status = serve(dir.path(), &["site.ini", "status"]);
    assert_eq!(status.status.code(), Some(1), "{}", stdout(&status));

    std::fs::write(&pid_file, "garbage").unwrap();
    let status = serve(dir.path(), &["site.ini", "status"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(stdout(&status).contains("No PID in file"));

    // start replaces the stale file.
    std::fs::write(&pid_file, format!("{dead}\n")).unwrap();
    let started = serve(dir.path(), &["site.ini", "start"]);
    assert_eq!(started.status.code(), Some(0), "{started:?}");
    assert!(stdout(&started).contains("stale"), "{}", stdout(&started));
    let first = pid_in(&pid_file);
    let first_url = url_of(&started);
    assert_eq!(get(&addr_of(&first_url), "/").status, 200);

    let restarted = serve(dir.path(), &["site.ini", "restart"]);
    assert_eq!(restarted.status.code(), Some(0), "{restarted:?}");
    let second = pid_in(&pid_file);
    assert_ne!(first, second);
    assert_eq!(get(&addr_of(&url_of(&restarted)), "/").status, 200);

    let stopped = serve(dir.path(), &["site.ini", "stop"]);
    assert_eq!(stopped.status.code(), Some(0));
    assert!(!pid_file.exists());
}

#[test]
fn a_daemon_that_cannot_start_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("site.ini"),
        "[app:main]\nuse = egg:Paste#nope\n",
    )
    .unwrap();
    let out = serve(dir.path(), &["site.ini", "--daemon"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not start"), "{stderr}");
    assert!(stderr.contains("site.ini"), "{stderr}");
    assert!(!dir.path().join("paster.pid").exists());
}

#[test]
fn a_log_file_in_the_foreground_gets_the_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.ini"), SITE).unwrap();
    let log = dir.path().join("fg.log");
    let mut child = paster()
        .current_dir(dir.path())
        .args(["serve", "site.ini", "--log-file", "fg.log"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + common::PATIENCE;
    let url = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(url) = text.lines().find_map(|l| l.strip_prefix("serving on ")) {
            break url.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no URL in the log: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(get(&addr_of(&url), "/in-the-log").status, 200);
    // The tracing output goes there too.
    let deadline = std::time::Instant::now() + common::PATIENCE;
    loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if text.contains("Starting server in PID") && text.contains(" INFO ") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let bad = serve(
        dir.path(),
        &["site.ini", "--log-file", "/nonexistent/dir/x.log"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unable to write to log file"));
}
