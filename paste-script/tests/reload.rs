//! `paster serve --reload`: an edit of the config, or of a file it
//! includes, swaps the app in; a broken edit keeps the old one.

mod common;

use std::path::Path;

use common::{Serving, get};

fn write(path: &Path, text: &str) {
    // Through a rename, as editors do, so that no reader sees half a file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn pages_ini(folder: &str) -> String {
    format!("[app:pages]\nuse = egg:Paste#static\ndocument_root = %(here)s/{folder}\n")
}

const MAIN: &str = "[server:main]\nuse = egg:Paste#http\nport = 0\n\n\
    [composite:main]\nuse = egg:Paste#urlmap\n/ = config:pages.ini#pages\n";

#[test]
fn edits_swap_the_app_and_broken_edits_keep_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    for (folder, text) in [("a", "version a"), ("b", "version b"), ("c", "version c")] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
        std::fs::write(dir.path().join(folder).join("index.txt"), text).unwrap();
    }
    let main = dir.path().join("main.ini");
    let pages = dir.path().join("pages.ini");
    std::fs::write(&main, MAIN).unwrap();
    std::fs::write(&pages, pages_ini("a")).unwrap();

    let mut server = Serving::start(dir.path(), &["main.ini", "--reload"]);
    let addr = server.addr();
    assert_eq!(get(&addr, "/index.txt").text(), "version a");

    // A connection opened before the reload is still served after it.
    let mut kept = std::net::TcpStream::connect(&addr).unwrap();

    // An included file (config: reference) is watched.
    write(&pages, &pages_ini("b"));
    server.wait_stdout(|l| l.starts_with("reloaded "));
    assert_eq!(get(&addr, "/index.txt").text(), "version b");

    // A broken config keeps the old app, and says why.
    write(&main, "[composite:main\nuse = egg:Paste#urlmap\n");
    server.wait_stderr(|l| l.contains("main.ini:1") && l.contains("expected `]`"));
    server.wait_stderr(|l| l.contains("still serving the previous app"));
    assert_eq!(get(&addr, "/index.txt").text(), "version b");

    // Fixed, but pointing at a file not written yet: still the old app;
    // the new file is watched all the same, and once written, it is served.
    write(
        &main,
        &MAIN.replace("config:pages.ini#pages", "config:other.ini#pages"),
    );
    server.wait_stderr(|l| l.contains("other.ini"));
    server.wait_stderr(|l| l.contains("still serving the previous app"));
    assert_eq!(get(&addr, "/index.txt").text(), "version b");
    write(&dir.path().join("other.ini"), &pages_ini("c"));
    server.wait_stdout(|l| l.starts_with("reloaded "));
    assert_eq!(get(&addr, "/index.txt").text(), "version c");

    use std::io::{Read as _, Write as _};
    kept.write_all(b"GET /index.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    kept.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("version c"), "{answer}");
}
