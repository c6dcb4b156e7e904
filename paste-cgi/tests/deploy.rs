//! `cgi` and `cgi_directory` from real INI files, running real programs.
#![cfg(feature = "deploy")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use paste_core::{App, Body, BoxApp, Request};
use paste_deploy::{Conf, Registry};

/// A program that shows its LANG and PATH_INFO.
const SHOW_ENV: &str =
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nLANG=%s INFO=%s' \"$LANG\" \"$PATH_INFO\"\n";

fn write_program(path: &Path) {
    std::fs::write(path, SHOW_ENV).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn load(dir: &Path, ini: &str, name: &str) -> Result<BoxApp, paste_deploy::Error> {
    std::fs::write(dir.join("site.ini"), ini).unwrap();
    let mut registry = Registry::new();
    registry.register(paste_cgi::deploy::register);
    registry.load_app("config:site.ini", Some(name), Some(dir), &Conf::new())
}

async fn get(app: &BoxApp, path: &str) -> (u16, String) {
    let req = Request::get(path).body(Body::empty()).unwrap();
    let response = app.call(req).await.unwrap_or_else(|e| e.into_response());
    let status = response.status().as_u16();
    let body = response.into_body().to_bytes(1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn cgi_and_cgi_directory_load_and_run_programs() {
    let dir = tempfile::tempdir().unwrap();
    write_program(&dir.path().join("show.cgi"));
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    write_program(&dir.path().join("bin/show"));
    let ini = "[app:main]\nuse = egg:Paste#cgi\nscript = show.cgi\nenv LANG = C.UTF-8\n\
               timeout = 5s\nmax_concurrent = 2\n\n\
               [app:searched]\nuse = egg:Paste#cgi\nscript = show\npath = /nonexistent:%(here)s/bin\n\n\
               [app:folder]\nuse = egg:paste-cgi#cgi_directory\ndirectory = %(here)s/bin\n";

    let app = load(dir.path(), ini, "main").unwrap();
    assert_eq!(
        get(&app, "/x").await,
        (200, "LANG=C.UTF-8 INFO=/x".to_owned())
    );

    let app = load(dir.path(), ini, "searched").unwrap();
    assert_eq!(get(&app, "/x").await.0, 200);

    let app = load(dir.path(), ini, "folder").unwrap();
    let (status, body) = get(&app, "/show/more/path").await;
    assert_eq!(status, 200);
    assert!(body.ends_with("INFO=/more/path"), "{body}");
    assert_eq!(get(&app, "/../site.ini").await.0, 404);
}

#[test]
fn bad_settings_name_their_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write_program(&dir.path().join("show.cgi"));
    std::fs::write(dir.path().join("plain.txt"), "not a program").unwrap();
    let file = dir.path().join("site.ini").display().to_string();
    let cases = [
        (
            "script = missing.cgi\npath = /nowhere",
            "3 [app:main]: bad setting script = \"missing.cgi\": no executable file of that name in /nowhere",
        ),
        (
            "script = /bin/../etc/passwd",
            "3 [app:main]: bad setting script = \"/bin/../etc/passwd\": is not an executable file",
        ),
        (
            "script = show.cgi\ninclude_os_environ = true",
            "4 [app:main]: bad setting include_os_environ = \"true\": would hand every program the whole server environment",
        ),
        (
            "script = show.cgi\nquery_string = a=1",
            "4 [app:main]: bad setting query_string = \"a=1\": is not supported",
        ),
        (
            "script = show.cgi\nmax_concurrent = 0",
            "4 [app:main]: bad setting max_concurrent = \"0\": must be at least 1",
        ),
        (
            "script = show.cgi\ntimeout = soon",
            "4 [app:main]: bad value for timeout: \"soon\" is not a duration",
        ),
    ];
    for (settings, expected) in cases {
        let ini = format!("[app:main]\nuse = egg:Paste#cgi\n{settings}\n");
        let err = load(dir.path(), &ini, "main")
            .expect_err(settings)
            .to_string();
        assert!(
            err.starts_with(&format!("{file}:{expected}")),
            "{settings}: {err}"
        );
    }
    let ini = "[app:main]\nuse = egg:paste-cgi#cgi_directory\ndirectory = %(here)s/plain.txt\n";
    let err = load(dir.path(), ini, "main").unwrap_err().to_string();
    assert!(
        err.contains("bad setting directory") && err.contains("is not a directory"),
        "{err}"
    );
    // include_os_environ = false is what we do anyway: accepted.
    let ini = "[app:main]\nuse = egg:Paste#cgi\nscript = show.cgi\ninclude_os_environ = false\n";
    assert!(load(dir.path(), ini, "main").is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn php_and_fastcgi_load_and_answer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("www")).unwrap();
    std::fs::write(
        dir.path().join("www/index.php"),
        "<?php echo (1+1) . ' ' . ini_get('precision') . ' ' . $_SERVER['SCRIPT_NAME'];",
    )
    .unwrap();

    // A FastCGI responder of our own for the `fastcgi` app to talk to.
    let server = paste_cgi::FastCgiServer::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false);
    let addr = server.local_addr().unwrap();
    let handle = server.handle();
    let responder = paste_core::app_fn(|req: Request| async move {
        let body = format!("fastcgi saw {}", req.uri().path());
        Ok(paste_core::Response::new(body.into()))
    });
    let running = tokio::spawn(server.serve(responder));

    let ini = format!(
        "[app:php]\nuse = egg:wphp\nbase_dir = %(here)s/www\noption precision = 7\n\
         max_connections = 1\nstart_timeout = 20s\n\n\
         [app:fcgi]\nuse = egg:paste-cgi#fastcgi\naddress = {addr}\nmax_connections = 2\n"
    );
    let app = load(dir.path(), &ini, "php").unwrap();
    assert_eq!(get(&app, "/").await, (200, "2 7 /index.php".to_owned()));
    let app = load(dir.path(), &ini, "fcgi").unwrap();
    assert_eq!(
        get(&app, "/some/where").await,
        (200, "fastcgi saw /some/where".to_owned())
    );

    handle.shutdown();
    running.await.unwrap().unwrap();
}

#[test]
fn bad_fastcgi_settings_name_their_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.ini").display().to_string();
    for (section, expected) in [
        (
            "[app:main]\nuse = egg:paste-cgi#fastcgi\naddress = nowhere\n",
            "3 [app:main]: bad setting address = \"nowhere\": is not host:port or unix:/path",
        ),
        (
            "[app:main]\nuse = egg:paste-cgi#fastcgi\nscript_filename = /x.php\n",
            "1 [app:main]: address is required",
        ),
        (
            "[app:main]\nuse = egg:wphp\nbase_dir = /nonexistent/www\n",
            "3 [app:main]: bad setting base_dir = \"/nonexistent/www\": is not a directory",
        ),
        (
            "[app:main]\nuse = egg:wphp\ndirectory = /tmp\nmax_connections = 0\n",
            "4 [app:main]: bad setting max_connections = \"0\": must be at least 1",
        ),
        (
            "[app:main]\nuse = egg:wphp\ndirectory = /tmp\nfpm = php-fpm\n",
            "4 [app:main]: bad setting fpm = \"php-fpm\": is not host:port or unix:/path",
        ),
    ] {
        let err = load(dir.path(), section, "main")
            .expect_err(section)
            .to_string();
        assert!(
            err.starts_with(&format!("{file}:{expected}")),
            "{section}: {err}"
        );
    }
}
