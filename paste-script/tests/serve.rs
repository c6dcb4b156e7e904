//! `paster serve`'s choice of sections: `-n`, `--server-name`, `FILE#name`.

mod common;

use common::{Serving, get};

const SITE: &str = "[server:main]\nuse = egg:Paste#http\nport = 0\n\n\
    [server:other]\nuse = egg:Paste#http\nport = 0\nserver_version = other-server\n\n\
    [app:main]\nuse = egg:Paste#static\ndocument_root = %(here)s/main\n\n\
    [app:other]\nuse = egg:Paste#static\ndocument_root = %(here)s/other\n";

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["main", "other"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("who.txt"), name).unwrap();
    }
    std::fs::write(dir.path().join("site.ini"), SITE).unwrap();
    dir
}

#[test]
fn app_and_server_names() {
    let dir = site();
    let server = Serving::start(dir.path(), &["site.ini"]);
    let answer = get(&server.addr(), "/who.txt");
    assert_eq!(answer.text(), "main");
    assert_eq!(answer.header("server"), Some("paste-server"));
    drop(server);

    let server = Serving::start(dir.path(), &["site.ini", "-n", "other"]);
    let answer = get(&server.addr(), "/who.txt");
    assert_eq!(answer.text(), "other");
    assert_eq!(answer.header("server"), Some("paste-server"));
    drop(server);

    let server = Serving::start(dir.path(), &["site.ini", "--server-name", "other"]);
    let answer = get(&server.addr(), "/who.txt");
    assert_eq!(answer.text(), "main");
    assert_eq!(answer.header("server"), Some("other-server"));
    drop(server);

    // FILE#name names both, as in Paste Script.
    let server = Serving::start(dir.path(), &["site.ini#other"]);
    let answer = get(&server.addr(), "/who.txt");
    assert_eq!(answer.text(), "other");
    assert_eq!(answer.header("server"), Some("other-server"));
}
