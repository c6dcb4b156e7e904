//! `cargo xtask release` and `changed` on a throw-away workspace: three
//! tiny crates (beta depends on alpha through the root's
//! `[workspace.dependencies]`, gamma on beta with a version in its own
//! manifest), a real git repository and real tags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const ROOT_MANIFEST: &str = r#"[workspace]
resolver = "3"
members = ["alpha", "beta", "gamma", "tool"]

[workspace.dependencies]
# The crates, with the version their dependents require.
alpha = { path = "alpha", version = "0.1.0" }  # the core
serde = "1"
"#;

fn manifest(name: &str, version: &str, deps: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"{version}\" # bumped by xtask\nedition = \"2021\"\n\
         description = \"fixture\"\nlicense = \"MIT\"\n\n[dependencies]\n{deps}"
    )
}

fn changelog(unreleased: &str) -> String {
    format!(
        "# Changelog\n\n## [Unreleased]\n{unreleased}\n## [0.0.1] - 2020-01-01\n\n### Added\n- the start\n"
    )
}

struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Self { dir };
        fixture.write("Cargo.toml", ROOT_MANIFEST);
        fixture.write("alpha/Cargo.toml", &manifest("alpha", "0.1.0", ""));
        fixture.write(
            "beta/Cargo.toml",
            &manifest("beta", "0.3.1", "alpha.workspace = true\n"),
        );
        fixture.write(
            "gamma/Cargo.toml",
            &manifest(
                "gamma",
                "1.2.0",
                "beta = { path = \"../beta\", version = \"0.3.1\" }\n",
            ),
        );
        fixture.write(
            "tool/Cargo.toml",
            "[package]\nname = \"tool\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\ngamma = { path = \"../gamma\" }\n",
        );
        for name in ["alpha", "beta", "gamma", "tool"] {
            fixture.write(&format!("{name}/src/lib.rs"), "//! A fixture crate.\n");
        }
        fixture.write(
            "alpha/CHANGELOG.md",
            &changelog("\n### Added\n- `fast()`, twice as fast.\n"),
        );
        fixture.write("beta/CHANGELOG.md", &changelog("\n### Fixed\n- a leak\n"));
        // gamma has nothing unreleased: only an empty heading.
        fixture.write("gamma/CHANGELOG.md", &changelog("\n### Added\n"));
        fixture.write(".gitignore", "target/\nCargo.lock\n");
        fixture.git(&["init", "-q"]);
        fixture.commit("the start");
        fixture.git(&["tag", "alpha-v0.1.0"]);
        fixture.git(&["tag", "alpha-v0.0.9"]);
        fixture.git(&["tag", "beta-v0.3.1"]);
        // alpha changes after its tag; beta does not; gamma was never tagged.
        fixture.write(
            "alpha/src/lib.rs",
            "//! A fixture crate.\n\npub fn fast() {}\n",
        );
        fixture.commit("alpha: fast()");
        fixture
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, file: &str, text: &str) {
        let path = self.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path().join(file)).unwrap()
    }

    fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=Fixture",
                "-c",
                "user.email=fixture@example.com",
            ])
            .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
            .args(args)
            .current_dir(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Every file but .git's, with its contents.
    fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        let mut out = BTreeMap::new();
        let mut todo = vec![self.path().to_path_buf()];
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if entry.file_name() == ".git" {
                    continue;
                }
                if path.is_dir() {
                    todo.push(path);
                } else {
                    out.insert(path.clone(), std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        out
    }

    fn xtask(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("--root")
            .arg(self.path())
            .args(args)
            .output()
            .unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn changed_lists_changed_and_never_released_crates_with_their_dependents() {
    let fixture = Fixture::new();
    let out = fixture.xtask(&["changed"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert_eq!(
        stdout,
        "alpha 0.1.0: 1 file(s) changed since alpha-v0.1.0\n\
         \x20   alpha/src/lib.rs\n\
         \x20   dependents that need a requirement bump: beta\n\
         gamma 1.2.0: never released\n\
         \x20   dependents that need a requirement bump: tool\n\
         unchanged since their tag: beta 0.3.1\n"
    );
}

#[test]
fn release_bumps_the_crate_its_requirement_and_its_changelog() {
    let fixture = Fixture::new();
    let before = fixture.snapshot();
    let out = fixture.xtask(&["release", "alpha", "minor"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));

    assert_eq!(
        fixture.read("alpha/Cargo.toml"),
        manifest("alpha", "0.2.0", ""),
        "only the version changes, its comment stays"
    );
    assert_eq!(
        fixture.read("Cargo.toml"),
        ROOT_MANIFEST.replace(
            "alpha = { path = \"alpha\", version = \"0.1.0\" }",
            "alpha = { path = \"alpha\", version = \"0.2.0\" }"
        )
    );
    let today = xtask::today_utc();
    assert_eq!(
        fixture.read("alpha/CHANGELOG.md"),
        format!(
            "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - {today}\n\n### Added\n- `fast()`, twice as fast.\n\n\
             ## [0.0.1] - 2020-01-01\n\n### Added\n- the start\n"
        )
    );
    // Nothing else moved.
    let after = fixture.snapshot();
    let changed: Vec<String> = after
        .iter()
        .filter(|(path, text)| before.get(*path) != Some(text))
        .map(|(path, _)| {
            path.strip_prefix(fixture.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        changed,
        ["Cargo.toml", "alpha/CHANGELOG.md", "alpha/Cargo.toml"]
    );
    assert!(stdout.contains("alpha 0.1.0 -> 0.2.0\n"), "{stdout}");
    assert!(stdout.contains("tag: alpha-v0.2.0\n"), "{stdout}");
    // beta depends on alpha, gamma on beta; tool is not published.
    assert!(
        stdout.contains("publish order: alpha, beta, gamma\n"),
        "{stdout}"
    );
}

#[test]
fn release_updates_a_requirement_in_a_member_manifest() {
    let fixture = Fixture::new();
    let out = fixture.xtask(&["release", "beta", "0.4.0"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert_eq!(
        fixture.read("gamma/Cargo.toml"),
        manifest(
            "gamma",
            "1.2.0",
            "beta = { path = \"../beta\", version = \"0.4.0\" }\n"
        )
    );
    assert_eq!(fixture.read("Cargo.toml"), ROOT_MANIFEST);
    assert!(stdout.contains("tag: beta-v0.4.0\n"), "{stdout}");
    assert!(stdout.contains("publish order: beta, gamma\n"), "{stdout}");
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let fixture = Fixture::new();
    let before = fixture.snapshot();
    let out = fixture.xtask(&["release", "alpha", "major", "--dry-run"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert_eq!(fixture.snapshot(), before);
    for line in [
        "--- a/alpha/Cargo.toml",
        "-version = \"0.1.0\" # bumped by xtask",
        "+version = \"1.0.0\" # bumped by xtask",
        "+alpha = { path = \"alpha\", version = \"1.0.0\" }  # the core",
        "+## [1.0.0] - ",
        "(dry run: nothing was written)",
        "tag: alpha-v1.0.0",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
    }
}

#[test]
fn a_dirty_tree_is_refused() {
    let fixture = Fixture::new();
    fixture.write("beta/src/lib.rs", "//! Edited, not committed.\n");
    let before = fixture.snapshot();
    let out = fixture.xtask(&["release", "alpha", "patch"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("dirty"), "{stderr}");
    assert!(stderr.contains("beta/src/lib.rs"), "{stderr}");
    assert_eq!(fixture.snapshot(), before);
}

#[test]
fn an_empty_unreleased_section_is_refused() {
    let fixture = Fixture::new();
    let before = fixture.snapshot();
    let out = fixture.xtask(&["release", "gamma", "patch"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("gamma/CHANGELOG.md"), "{stderr}");
    assert!(stderr.contains("empty"), "{stderr}");
    assert_eq!(fixture.snapshot(), before);
}

#[test]
fn bad_arguments_are_refused_with_a_reason() {
    let fixture = Fixture::new();
    let out = fixture.xtask(&["release", "nope", "patch"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no crate `nope` in the workspace"),
        "{}",
        text(&out.stderr)
    );
    let out = fixture.xtask(&["release", "tool", "patch"]);
    assert!(text(&out.stderr).contains("publish = false"));
    let out = fixture.xtask(&["release", "alpha", "0.0.5"]);
    assert!(
        text(&out.stderr).contains("not above the current 0.1.0"),
        "{}",
        text(&out.stderr)
    );
    let out = fixture.xtask(&["release", "alpha", "sideways"]);
    assert!(!out.status.success());
}

#[test]
fn released_then_unchanged() {
    let fixture = Fixture::new();
    let out = fixture.xtask(&["release", "alpha", "patch"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    fixture.commit("alpha 0.1.1");
    fixture.git(&["tag", "alpha-v0.1.1"]);
    let out = fixture.xtask(&["changed"]);
    let stdout = text(&out.stdout);
    // alpha's release changed the root manifest only: alpha itself is
    // unchanged since its new tag.
    assert!(
        stdout.contains("unchanged since their tag: alpha 0.1.1, beta 0.3.1\n"),
        "{stdout}"
    );
}

#[test]
fn ci_dry_run_lists_the_steps_and_runs_none() {
    let fixture = Fixture::new();
    let out = fixture.xtask(&["ci", "--dry-run"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let commands: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("$ "))
        .collect();
    assert_eq!(commands.len(), 8, "{stdout}");
    assert_eq!(
        commands.last(),
        Some(&"bash .ci/deps && cargo test --workspace --all-features")
    );
    assert!(stdout.contains("(dry run: nothing was run)"));
    // A dry run leaves no Cargo.lock or target behind.
    assert!(!fixture.path().join("target").exists());
}

#[test]
fn publish_without_the_network_is_a_clear_error() {
    let fixture = Fixture::new();
    let cargo_home = tempfile::tempdir().unwrap();
    // An empty cargo home (no cached index) and a proxy on a closed
    // loopback port: asking crates.io fails at once.
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(fixture.path())
        .args(["publish", "--dry-run"])
        .env("CARGO_HOME", cargo_home.path())
        .env("CARGO_HTTP_PROXY", "http://127.0.0.1:9")
        .env("CARGO_NET_RETRY", "0")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not ask crates.io whether alpha 0.1.0 is published"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
