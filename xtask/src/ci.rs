//! `cargo xtask ci`: formatting, lints, rustdoc, the package check, then
//! the test command from the top-level README — what `.ci/run` runs.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::{Cmd, cmd::say};

/// The README's test command, run verbatim as CI's last step.
pub const README_TEST_COMMAND: &str = "bash .ci/deps && cargo test --workspace --all-features";

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run a program.
    Run(Cmd),
    /// Remove cargo's unpacked copies of the workspace's own packages
    /// (`$CARGO_HOME/registry/src/-*/`).
    ClearPackagedSources,
}

/// One step of CI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The heading printed before it.
    pub title: String,
    /// Why it is there, when that is not obvious.
    pub why: Option<&'static str>,
    /// What it does.
    pub action: Action,
}

fn cargo<const N: usize>(args: [&str; N]) -> Cmd {
    Cmd::new("cargo").args(args)
}

/// The steps, in order.
///
/// ```
/// let steps = xtask::ci::steps();
/// assert_eq!(steps[0].title, "test programs (.ci/deps)");
/// assert_eq!(steps.last().unwrap().title, xtask::ci::README_TEST_COMMAND);
/// ```
pub fn steps() -> Vec<Step> {
    let step = |title: &str, why, action| Step {
        title: title.to_owned(),
        why,
        action,
    };
    vec![
        step(
            "test programs (.ci/deps)",
            Some("installs the programs the tests run for real, when missing"),
            Action::Run(Cmd::new("bash").args([".ci/deps"])),
        ),
        step(
            "cargo fmt --all --check",
            None,
            Action::Run(cargo(["fmt", "--all", "--check"])),
        ),
        step(
            "cargo clippy --workspace --all-targets --all-features -- -D warnings",
            None,
            Action::Run(cargo([
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ])),
        ),
        step(
            "cargo clippy --workspace --all-targets (default features) -- -D warnings",
            None,
            Action::Run(cargo([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])),
        ),
        step(
            "cargo doc (warnings are errors: broken links, missing docs)",
            None,
            Action::Run(
                cargo(["doc", "--workspace", "--all-features", "--no-deps"])
                    .env("RUSTDOCFLAGS", "-D warnings"),
            ),
        ),
        step(
            "clear cargo's unpacked copies of the workspace's packages",
            Some(
                "cargo unpacks the workspace's own packages from a temporary registry into \
                 ~/.cargo/registry/src/-<hash>/ and reuses an unpacked crate of the same name \
                 and version from an earlier run, even if its contents changed since: clear \
                 those copies so that each run verifies the code as it is now",
            ),
            Action::ClearPackagedSources,
        ),
        step(
            "cargo package --workspace",
            Some("each crate must package and build on its own, as it will from crates.io"),
            Action::Run(cargo(["package", "--workspace", "--allow-dirty"])),
        ),
        step(
            README_TEST_COMMAND,
            Some("the README's test command, verbatim"),
            Action::Run(Cmd::shell(README_TEST_COMMAND)),
        ),
    ]
}

/// `$CARGO_HOME`, or `~/.cargo`.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

/// Removes cargo's unpacked copies of workspace packages from earlier
/// package runs (see the step's reason in [`steps`]).
pub(crate) fn clear_packaged_sources() -> Result<()> {
    let Some(src) = cargo_home().map(|home| home.join("registry").join("src")) else {
        return Ok(());
    };
    let Ok(entries) = std::fs::read_dir(&src) else {
        return Ok(()); // nothing unpacked yet
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with('-') {
            let path = entry.path();
            println!("rm -rf {}", path.display());
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// The line a step prints under its heading: what it runs.
pub fn describe(step: &Step) -> String {
    match &step.action {
        Action::Run(cmd) => cmd.to_string(),
        Action::ClearPackagedSources => {
            r#"rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/"#.to_owned()
        }
    }
}

/// Runs every step in the workspace at `root`, stopping at the first that
/// fails (its exit code is in the [`crate::StepFailed`] error); with
/// `dry_run`, only prints them.
pub fn run(root: &Path, dry_run: bool) -> Result<()> {
    for step in steps() {
        say(&step.title);
        if let Some(why) = step.why {
            println!("# {why}");
        }
        println!("$ {}", describe(&step));
        if dry_run {
            continue;
        }
        match &step.action {
            Action::Run(cmd) => cmd.clone().current_dir(root).run()?,
            Action::ClearPackagedSources => clear_packaged_sources()?,
        }
    }
    if dry_run {
        println!("\n(dry run: nothing was run)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steps_of_ci_run_in_order() {
        let lines: Vec<String> = steps().iter().map(describe).collect();
        assert_eq!(
            lines,
            [
                "bash .ci/deps",
                "cargo fmt --all --check",
                "cargo clippy --workspace --all-targets --all-features -- -D warnings",
                "cargo clippy --workspace --all-targets -- -D warnings",
                "RUSTDOCFLAGS='-D warnings' cargo doc --workspace --all-features --no-deps",
                r#"rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/"#,
                "cargo package --workspace --allow-dirty",
                "bash .ci/deps && cargo test --workspace --all-features",
            ]
        );
    }

    #[test]
    fn the_readme_test_command_is_the_last_step() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        assert!(readme.contains(&format!("```sh\n{README_TEST_COMMAND}\n```")));
        let last = steps().pop().unwrap();
        assert_eq!(last.action, Action::Run(Cmd::shell(README_TEST_COMMAND)));
    }
}
