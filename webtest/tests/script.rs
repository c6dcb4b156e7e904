//! ScriptTest: real programs (sh) in scratch folders.
#![cfg(unix)]

use std::path::Path;

use webtest::script::{FileKind, TestFileEnvironment};

fn scratch() -> (tempfile::TempDir, TestFileEnvironment) {
    let dir = tempfile::tempdir().unwrap();
    let env = TestFileEnvironment::new(dir.path().join("out"));
    (dir, env)
}

#[test]
fn output_status_and_created_files() {
    let (_dir, env) = scratch();
    let result = env.run(
        "sh",
        &[
            "-c",
            "echo hello; printf 'a\\r\\nb'; mkdir -p pkg/sub; echo 'x = 1' > pkg/sub/conf.ini",
        ],
    );
    assert_eq!(result.stdout, "hello\na\nb");
    assert_eq!(result.stderr, "");
    assert_eq!(result.status, 0);
    let created: Vec<&Path> = result.files_created.keys().map(|p| p.as_path()).collect();
    assert_eq!(
        created,
        [
            Path::new("pkg"),
            Path::new("pkg/sub"),
            Path::new("pkg/sub/conf.ini")
        ]
    );
    let conf = &result.files_created[Path::new("pkg/sub/conf.ini")];
    assert_eq!(conf.kind, FileKind::File);
    assert_eq!(conf.size, 6);
    conf.mustcontain("x = 1");
    assert_eq!(result.files_created[Path::new("pkg")].kind, FileKind::Dir);
    assert!(result.files_updated.is_empty() && result.files_deleted.is_empty());
    assert_eq!(result.wildcard_matches("**/*.ini").len(), 1);
    assert_eq!(result.wildcard_matches("*.ini").len(), 0);
    assert_eq!(result.wildcard_matches("pkg/*").len(), 1);
}

#[test]
fn updated_and_deleted_files_even_within_one_clock_tick() {
    let (_dir, env) = scratch();
    env.writefile("keep.txt", "same");
    env.writefile("change.txt", "before");
    env.writefile("gone/old.txt", "bye");
    // Same size, maybe the same mtime: only the content tells.
    let result = env.run("sh", &["-c", "printf after_ > change.txt; rm -r gone"]);
    let updated: Vec<&Path> = result.files_updated.keys().map(|p| p.as_path()).collect();
    assert_eq!(updated, [Path::new("change.txt")]);
    assert_eq!(
        result.files_updated[Path::new("change.txt")].text(),
        "after_"
    );
    let deleted: Vec<&Path> = result.files_deleted.keys().map(|p| p.as_path()).collect();
    assert_eq!(deleted, [Path::new("gone"), Path::new("gone/old.txt")]);
    assert!(result.files_created.is_empty());
    let report = result.to_string();
    assert!(report.contains("-- deleted: "), "{report}");
    assert!(report.contains("  gone/old.txt  (3 bytes)"), "{report}");
}

#[test]
fn an_unexpected_status_or_stderr_fails() {
    let (_dir, env) = scratch();
    let err = env
        .command("sh")
        .args(&["-c", "echo out; echo oops >&2; exit 3"])
        .try_run()
        .unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("Script returned code: 3"), "{message}");
    assert!(message.contains("-- stderr: "), "{message}");
    assert!(message.contains("oops"), "{message}");
    assert_eq!(err.result().unwrap().stdout, "out\n");

    let err = env
        .command("sh")
        .args(&["-c", "echo warn >&2"])
        .try_run()
        .unwrap_err();
    assert!(
        err.to_string().starts_with("stderr output not expected"),
        "{err}"
    );

    // Expected: both pass.
    let result = env
        .command("sh")
        .args(&["-c", "echo warn >&2"])
        .expect_stderr()
        .run();
    assert_eq!(result.stderr, "warn\n");
    let result = env
        .command("sh")
        .args(&["-c", "echo bad >&2; exit 2"])
        .expect_error()
        .run();
    assert_eq!(result.status, 2);

    let result = env
        .command("sh")
        .args(&["-c", "exit 4"])
        .expect_status(4)
        .run();
    assert_eq!(result.status, 4);
    let err = env.command("true").expect_status(4).try_run().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Script returned code: 0 (expected 4)"),
        "{err}"
    );

    let err = env.command("/no/such/program").try_run().unwrap_err();
    assert!(err.to_string().contains("can't run"), "{err}");
    assert!(err.result().is_none());
}

#[test]
#[should_panic(expected = "Script returned code: 1")]
fn run_panics_on_failure() {
    let (_dir, env) = scratch();
    env.run("false", &[]);
}

#[test]
fn stdin_cwd_environment_and_split_commands() {
    let (_dir, env) = scratch();
    let env = env.with_env("GREETING", "hi");
    std::fs::create_dir(env.base_path().join("sub")).unwrap();
    let result = env
        .command("sh")
        .args(&[
            "-c",
            "cat; echo \" $GREETING $EXTRA $(basename \"$PWD\")\"; echo x > here.txt",
        ])
        .stdin("from stdin")
        .cwd("sub")
        .env("EXTRA", "more")
        .run();
    assert_eq!(result.stdout, "from stdin hi more sub\n");
    assert!(result.files_created.contains_key(Path::new("sub/here.txt")));

    let result = env.run("sh -c 'echo \"$0 and $1\"' 'one two' three", &[]);
    assert_eq!(result.stdout, "one two and three\n");
    assert_eq!(result.args[0], "sh");

    // A program whose path has a space is not split.
    let spaced = env.base_path().join("my tools");
    std::fs::create_dir(&spaced).unwrap();
    // (A link, not a script written here: executing a file just written
    // races with other tests' forks, ETXTBSY.)
    let pwd = ["/bin/pwd", "/usr/bin/pwd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap();
    let link = spaced.join("print dir");
    std::os::unix::fs::symlink(pwd, &link).unwrap();
    let expected = format!("{}\n", env.base_path().canonicalize().unwrap().display());
    assert_eq!(env.run(&link, &[]).stdout, expected);
    assert_eq!(env.run(link.to_str().unwrap(), &[]).stdout, expected);
}

#[test]
fn the_scratch_folder_is_cleared_but_only_if_ours() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("out");
    let env = TestFileEnvironment::new(&base);
    env.writefile("leftover.txt", "x");
    let env = TestFileEnvironment::new(&base);
    assert!(
        env.snapshot().is_empty(),
        "cleared; the hidden marker is not listed"
    );

    let foreign = dir.path().join("precious");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("data"), "keep me").unwrap();
    let outcome = std::panic::catch_unwind(|| TestFileEnvironment::new(&foreign));
    let message = *outcome.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.contains("was not created by ScriptTest"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("data")).unwrap(),
        "keep me"
    );
}

#[test]
fn hidden_and_ignored_paths_are_left_out() {
    let (_dir, env) = scratch();
    let env = env.ignore_path("cache");
    let result = env.run(
        "sh",
        &["-c", "mkdir cache .git; touch cache/x .git/y .hidden shown"],
    );
    let created: Vec<&Path> = result.files_created.keys().map(|p| p.as_path()).collect();
    assert_eq!(created, [Path::new("shown")]);
}

#[test]
fn a_broken_link_is_reported_as_invalid() {
    let (_dir, env) = scratch();
    let result = env.run("ln", &["-s", "nowhere", "dangling"]);
    let link = &result.files_created[Path::new("dangling")];
    assert_eq!(link.kind, FileKind::Invalid);
    assert!(result.to_string().contains("dangling  (invalid link)"));
}

#[test]
fn a_program_past_its_time_limit_is_killed() {
    let (_dir, env) = scratch();
    let err = env
        .command("sh")
        .args(&["-c", "echo started; exec sleep 30"])
        .timeout(std::time::Duration::from_millis(300))
        .try_run()
        .unwrap_err();
    assert!(
        err.to_string().starts_with("Script timed out after"),
        "{err}"
    );
    let result = err.result().unwrap();
    assert_eq!(result.stdout, "started\n");
    assert_eq!(result.status, -9);
    // A quick program is not disturbed by a generous limit.
    let result = env
        .command("echo")
        .arg("fast")
        .timeout(std::time::Duration::from_secs(60))
        .run();
    assert_eq!(result.stdout, "fast\n");
}
