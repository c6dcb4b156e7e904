//! CgiDirectory: the URL picks a program inside the folder and nothing
//! outside it, whatever the path tries.

mod cgi_support;
mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use cgi_support::{bin_dir, call, call_err, get, script, text, vars};
use paste_cgi::CgiDirectory;
use paste_core::{Request, RequestExt};

const ECHO: &str = "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nprintf 'SCRIPT_NAME=%s\\nPATH_INFO=%s\\nQUERY_STRING=%s\\nSCRIPT_FILENAME=%s\\nCWD=%s\\n' \"$SCRIPT_NAME\" \"$PATH_INFO\" \"$QUERY_STRING\" \"$SCRIPT_FILENAME\" \"$(pwd)\"\n";

/// A cgi-bin folder and, beside it, a program that must never run: it
/// leaves a mark if it does.
struct Site {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    mark: PathBuf,
}

fn site() -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("cgi-bin");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::create_dir_all(root.join("empty")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let mark = tmp.path().join("evil-ran");
    script(
        &outside,
        "evil.sh",
        &format!(
            "#!/bin/sh\n: > '{}'\nprintf 'Content-Type: text/plain\\n\\nEVIL'\n",
            mark.display()
        ),
    );
    script(&root, "hello.sh", ECHO);
    script(&root, "sub/deeper/deep.sh", ECHO);
    script(&root, ".hidden.sh", ECHO);
    script(&root, "with space.sh", ECHO);
    let plain = script(&root, "noexec.sh", ECHO);
    std::fs::set_permissions(plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    symlink(outside.join("evil.sh"), root.join("escape.sh")).unwrap();
    symlink(&outside, root.join("out")).unwrap();
    symlink(root.join("hello.sh"), root.join("alias.sh")).unwrap();
    Site {
        _tmp: tmp,
        root,
        mark,
    }
}

fn mounted(target: &str) -> Request {
    let mut req = get(target);
    assert!(req.set_script_name("/cgi-bin"), "{target}");
    req
}

#[tokio::test]
async fn the_path_picks_the_program_and_the_rest_is_path_info() {
    let site = site();
    let app = CgiDirectory::new(&site.root);
    let response = call(&app, mounted("/cgi-bin/hello.sh/a/b%20c/?q=1")).await;
    let env = vars(&text(response).await);
    let real = std::fs::canonicalize(&site.root).unwrap();
    assert_eq!(env["SCRIPT_NAME"], "/cgi-bin/hello.sh");
    assert_eq!(env["PATH_INFO"], "/a/b c/");
    assert_eq!(env["QUERY_STRING"], "q=1");
    assert_eq!(Path::new(&env["SCRIPT_FILENAME"]), real.join("hello.sh"));
    assert_eq!(Path::new(&env["CWD"]), real);

    let response = call(&app, mounted("/cgi-bin/sub/deeper/deep.sh")).await;
    let env = vars(&text(response).await);
    assert_eq!(env["SCRIPT_NAME"], "/cgi-bin/sub/deeper/deep.sh");
    assert_eq!(env["PATH_INFO"], "");
    assert_eq!(Path::new(&env["CWD"]), real.join("sub/deeper"));

    let response = call(&app, mounted("/cgi-bin/with%20space.sh")).await;
    let env = vars(&text(response).await);
    assert_eq!(env["SCRIPT_NAME"], "/cgi-bin/with space.sh");
}

#[tokio::test]
async fn a_symlink_inside_the_folder_is_followed() {
    let site = site();
    let app = CgiDirectory::new(&site.root);
    let response = call(&app, mounted("/cgi-bin/alias.sh/x")).await;
    let env = vars(&text(response).await);
    assert_eq!(env["SCRIPT_NAME"], "/cgi-bin/alias.sh");
    assert_eq!(env["PATH_INFO"], "/x");
}

#[tokio::test]
async fn nothing_outside_the_folder_can_be_reached() {
    let site = site();
    let app = CgiDirectory::new(&site.root);
    let attempts = [
        "/cgi-bin/../outside/evil.sh",
        "/cgi-bin/%2e%2e/outside/evil.sh",
        "/cgi-bin/%2E%2E/outside/evil.sh",
        "/cgi-bin/sub/..%2f..%2foutside/evil.sh",
        "/cgi-bin/..%2foutside%2fevil.sh",
        "/cgi-bin/sub%2f..%2f..%2foutside%2fevil.sh",
        "/cgi-bin/..%5coutside%5cevil.sh",
        "/cgi-bin/./../outside/evil.sh",
        "/cgi-bin/escape.sh",
        "/cgi-bin/out/evil.sh",
        "/cgi-bin/hello.sh%00.txt",
        "/cgi-bin/%00/evil.sh",
    ];
    for target in attempts {
        let status = call_err(&app, mounted(target)).await;
        assert_eq!(status, 404, "{target}");
    }
    assert!(!site.mark.exists(), "a program outside the folder ran");
}

#[tokio::test]
async fn hidden_files_folders_and_plain_files_are_refused() {
    let site = site();
    let app = CgiDirectory::new(&site.root);
    for (target, status) in [
        ("/cgi-bin/.hidden.sh", 404),
        ("/cgi-bin/%2ehidden.sh", 404),
        ("/cgi-bin", 404),
        ("/cgi-bin/", 404),
        ("/cgi-bin/sub", 404),
        ("/cgi-bin/sub/deeper/", 404),
        ("/cgi-bin/empty/x", 404),
        ("/cgi-bin/missing.sh", 404),
        ("/cgi-bin/noexec.sh", 403),
        ("/cgi-bin/noexec.sh/with/info", 403),
    ] {
        assert_eq!(call_err(&app, mounted(target)).await, status, "{target}");
    }
}

#[tokio::test]
async fn a_missing_folder_is_a_404() {
    let app = CgiDirectory::new("/no/such/cgi-bin");
    assert_eq!(call_err(&app, get("/hello.sh")).await, 404);
}

#[tokio::test]
async fn a_local_redirect_re_enters_the_folder() {
    let app = CgiDirectory::new(bin_dir());
    let response = call(&app, mounted("/cgi-bin/redirect.pl?sibling")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-program"], "sh");
    let env = vars(&text(response).await);
    assert_eq!(env["SCRIPT_NAME"], "/cgi-bin/env.sh");
    assert_eq!(env["QUERY_STRING"], "from=redirect");
    assert_eq!(env["REQUEST_METHOD"], "GET");
}

#[tokio::test]
async fn nph_programs_are_known_by_their_name() {
    let app = CgiDirectory::new(bin_dir());
    let response = call(&app, mounted("/cgi-bin/nph-raw.sh")).await;
    assert_eq!(response.status(), 203);
    assert_eq!(text(response).await, "raw body");
}

#[tokio::test]
async fn options_apply_to_every_program_of_the_folder() {
    let app = CgiDirectory::new(bin_dir()).env("APP_MODE", "dir");
    let response = call(&app, mounted("/cgi-bin/env.pl")).await;
    let env = vars(&text(response).await);
    assert_eq!(env["APP_MODE"], "dir");
    assert_eq!(env["SCRIPT_NAME"], "/cgi-bin/env.pl");
}
