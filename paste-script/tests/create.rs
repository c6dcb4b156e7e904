//! `paster create`, with the real binary in temp folders.

mod common;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{Serving, get, paster};
use webtest::script::TestFileEnvironment;

fn create(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = paster()
        .current_dir(dir)
        .arg("create")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("paster runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn list_templates() {
    let dir = tempfile::tempdir().unwrap();
    let out = create(dir.path(), &["--list-templates"], "");
    assert_eq!(out.status.code(), Some(0));
    let listing = text(&out.stdout);
    assert!(listing.starts_with("Available templates:\n"));
    assert!(
        listing.contains("  basic   A crate with one app"),
        "{listing}"
    );
    assert!(listing.contains("  webapp  "), "{listing}");
}

#[test]
fn basic_makes_a_crate_with_its_app_config_paster_and_test() {
    let dir = tempfile::tempdir().unwrap();
    let out = create(
        dir.path(),
        &["-t", "basic", "My-Site", "--no-interactive"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let project = dir.path().join("My-Site");
    assert_eq!(
        files_under(&project),
        [
            ".gitignore",
            "Cargo.toml",
            "README.md",
            "development.ini",
            "src/lib.rs",
            "src/main.rs",
            "tests/app.rs",
        ]
    );
    let cargo = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("name = \"my-site\""), "{cargo}");
    assert!(
        cargo.contains("description = \"A web app on Paste for Rust\""),
        "{cargo}"
    );
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    assert!(
        cargo.contains(&format!("path = \"{}/paste-script\"", workspace.display())),
        "depends on this workspace by path: {cargo}"
    );
    let main = std::fs::read_to_string(project.join("src/main.rs")).unwrap();
    assert!(main.contains(".register(my_site::register)"), "{main}");
    let ini = std::fs::read_to_string(project.join("development.ini")).unwrap();
    assert!(ini.contains("use = egg:my-site#main"), "{ini}");
    assert!(ini.contains("greeting = Hello, World!"), "{ini}");
    let test = std::fs::read_to_string(project.join("tests/app.rs")).unwrap();
    assert!(
        test.contains("webtest::TestApp") && test.contains("#[tokio::test]"),
        "{test}"
    );
    assert!(!text(&out.stdout).contains("{{"), "nothing left unrendered");
}

#[test]
fn answers_come_from_the_command_line_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    // description from the command line; greeting asked and answered.
    let out = create(
        dir.path(),
        &["-t", "basic", "greeter", "description=Says \"hi\""],
        "Bonjour !\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Enter greeting (What the app answers on /) [Hello, World!]: ")
    );
    assert!(!text(&out.stdout).contains("Enter description"));
    let project = dir.path().join("greeter");
    let cargo = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    assert!(cargo.contains(r#"description = "Says \"hi\"""#), "{cargo}");
    let test = std::fs::read_to_string(project.join("tests/app.rs")).unwrap();
    assert!(test.contains(r#"mustcontain(&["Bonjour !"])"#), "{test}");
}

#[test]
fn existing_files_are_not_overwritten_without_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let first = create(dir.path(), &["-t", "basic", "site", "--no-interactive"], "");
    assert_eq!(first.status.code(), Some(0));
    // Same answers: nothing differs, nothing refused.
    let same = create(dir.path(), &["-t", "basic", "site", "--no-interactive"], "");
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    assert!(text(&same.stdout).contains("same content"));

    let ini = dir.path().join("site/development.ini");
    std::fs::write(&ini, "my own edits").unwrap();
    let refused = create(dir.path(), &["-t", "basic", "site", "--no-interactive"], "");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--overwrite"),
        "{}",
        text(&refused.stderr)
    );
    assert!(text(&refused.stderr).contains("development.ini"));
    assert_eq!(std::fs::read_to_string(&ini).unwrap(), "my own edits");

    let forced = create(
        dir.path(),
        &["-t", "basic", "site", "--no-interactive", "--overwrite"],
        "",
    );
    assert_eq!(forced.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&ini)
            .unwrap()
            .contains("[server:main]")
    );
}

#[test]
fn a_template_folder_renders_hbs_substitutes_names_and_keeps_modes() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    let mine = templates.join("mine");
    std::fs::create_dir_all(mine.join("+package+")).unwrap();
    std::fs::write(
        mine.join("template.ini"),
        "[template]\nsummary = Mine\n\n[var:colour]\ndescription = A colour\n\n[var:size]\ndescription = A size\ndefault = big\n",
    )
    .unwrap();
    std::fs::write(
        mine.join("+package+/+colour+.txt.hbs"),
        "{{colour}} and {{size}} for {{project}}\n",
    )
    .unwrap();
    std::fs::write(mine.join("run.sh"), "#!/bin/sh\necho {{not rendered}}\n").unwrap();
    std::fs::set_permissions(mine.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(mine.join("notes.txt~"), "an editor backup").unwrap();

    let listed = create(
        dir.path(),
        &["--list-templates", "--template-dir", "templates"],
        "",
    );
    assert!(
        text(&listed.stdout).contains("  mine    Mine"),
        "{}",
        text(&listed.stdout)
    );

    // A required variable with --no-interactive: refused, nothing written.
    let missing = create(
        dir.path(),
        &[
            "-t",
            "mine",
            "Out",
            "--template-dir",
            "templates",
            "--no-interactive",
        ],
        "",
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("required variable missing: colour"));
    assert!(!dir.path().join("Out").exists());

    let out = paster()
        .current_dir(dir.path())
        .env("PASTE_TEMPLATE_PATH", &templates)
        .args([
            "create",
            "-t",
            "mine",
            "Out",
            "colour=red",
            "--no-interactive",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let project = dir.path().join("Out");
    assert_eq!(files_under(&project), ["out/red.txt", "run.sh"]);
    assert_eq!(
        std::fs::read_to_string(project.join("out/red.txt")).unwrap(),
        "red and big for Out\n"
    );
    let run = project.join("run.sh");
    assert_eq!(
        std::fs::read_to_string(&run).unwrap(),
        "#!/bin/sh\necho {{not rendered}}\n"
    );
    assert_eq!(
        std::fs::metadata(&run).unwrap().permissions().mode() & 0o111,
        0o111
    );
    assert_eq!(
        std::fs::metadata(project.join("out/red.txt"))
            .unwrap()
            .permissions()
            .mode()
            & 0o111,
        0
    );
}

#[test]
fn a_template_error_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("t/bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("x.hbs"), "{{#if}}\n").unwrap();
    let out = create(
        dir.path(),
        &["-t", "bad", "p", "--template-dir", "t", "--no-interactive"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad/x.hbs"),
        "{}",
        text(&out.stderr)
    );
    let unknown = create(dir.path(), &["-t", "nope", "p"], "");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("available: basic, webapp"));
}

/// A generated project builds, passes its own tests (webtest's TestApp)
/// and serves its development.ini with its own `paster` — checked with
/// webtest's ScriptTest. The projects build in a target folder of their
/// own (their `paster` must not replace this one) that stays between runs
/// under `CARGO_TARGET_TMPDIR`, so only the first run compiles everything.
#[test]
fn generated_projects_build_pass_their_tests_and_serve() {
    let scratch = tempfile::tempdir().unwrap();
    let env = TestFileEnvironment::new(scratch.path().join("work"));
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("generated-projects");
    for template in ["basic", "webapp"] {
        let name = format!("gen-{template}");
        let created = env
            .command(env!("CARGO_BIN_EXE_paster"))
            .args(&["create", "-t", template, &name, "--no-interactive"])
            .run();
        for file in [
            "Cargo.toml",
            "development.ini",
            "src/lib.rs",
            "src/main.rs",
            "tests/app.rs",
        ] {
            let path = Path::new(&name).join(file);
            assert!(
                created.files_created.contains_key(&path),
                "{template}: {} not created: {:?}",
                path.display(),
                created.files_created.keys()
            );
        }

        // cargo reports its progress on stderr.
        env.command(env!("CARGO"))
            .args(&["test", "--quiet"])
            .cwd(&name)
            .env("CARGO_TARGET_DIR", &target)
            .timeout(Duration::from_secs(1200))
            .expect_stderr()
            .run();

        let mut own_paster = std::process::Command::new(target.join("debug/paster"));
        own_paster.current_dir(env.base_path().join(&name));
        let server = Serving::start_command(own_paster, &["development.ini", "http_port=0"]);
        let home = get(&server.addr(), "/");
        assert_eq!(home.status, 200, "{template}: {}", home.text());
        let expected = if template == "basic" {
            "Hello"
        } else {
            "visit number 1"
        };
        assert!(
            home.text().contains(expected),
            "{template}: {}",
            home.text()
        );
    }
}
