//! Logging levels from the config's `[loggers]` sections, and `RUST_LOG`
//! over them.

mod common;

use common::{Serving, get};

const SITE: &str = "[server:main]\nuse = egg:Paste#http\nport = 0\n\n\
    [pipeline:main]\npipeline = log app\n\n\
    [filter:log]\nuse = egg:Paste#translogger\n\n\
    [app:app]\nuse = egg:Paste#test\n\n\
    [loggers]\nkeys = root, access\n\n\
    [logger_root]\nlevel = ERROR\n\n\
    [logger_access]\nlevel = INFO\nqualname = paste.translogger\n";

#[test]
fn the_config_sets_the_levels() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.ini"), SITE).unwrap();
    let mut server = Serving::start(dir.path(), &["site.ini"]);
    assert_eq!(get(&server.addr(), "/logged").status, 200);
    server.wait_stderr(|l| l.contains("paste.translogger") && l.contains("GET /logged"));
    // The server's own INFO lines come before the first request's, and
    // the root level (ERROR) left them out.
    assert!(
        !server
            .stderr_seen
            .iter()
            .any(|l| l.contains("paste_server")),
        "{:?}",
        server.stderr_seen
    );
}

#[test]
fn rust_log_wins_over_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.ini"), SITE).unwrap();
    let mut server = Serving::start_with_env(dir.path(), &["site.ini"], &[("RUST_LOG", "info")]);
    server.wait_stderr(|l| l.contains("paste_server") && l.contains("serving on"));
}
