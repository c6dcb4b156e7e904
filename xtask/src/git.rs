//! The few git questions xtask asks, through the git CLI.

use std::path::Path;

use anyhow::{Context as _, Result};
use semver::Version;

use crate::Cmd;

fn git(root: &Path) -> Cmd {
    Cmd::new("git").current_dir(root)
}

/// The lines of `git status --porcelain`: uncommitted or untracked files.
pub(crate) fn dirty_files(root: &Path) -> Result<Vec<String>> {
    let out = git(root)
        .args(["status", "--porcelain"])
        .read()
        .context("is this a git checkout?")?;
    Ok(out.lines().map(str::to_owned).collect())
}

/// The highest `CRATE-vX.Y.Z` tag of a crate.
pub(crate) fn latest_tag(root: &Path, krate: &str) -> Result<Option<(String, Version)>> {
    let prefix = format!("{krate}-v");
    let out = git(root)
        .args(["tag", "--list", &format!("{prefix}*")])
        .read()?;
    Ok(out
        .lines()
        .filter_map(|tag| {
            let version = Version::parse(tag.strip_prefix(&prefix)?).ok()?;
            Some((tag.to_owned(), version))
        })
        .max_by(|a, b| a.1.cmp(&b.1)))
}

/// The files under `dir` (relative to the root) that differ between `tag`
/// and `HEAD`.
pub(crate) fn changed_since(root: &Path, tag: &str, dir: &str) -> Result<Vec<String>> {
    let dir = if dir.is_empty() { "." } else { dir };
    let out = git(root)
        .args(["diff", "--name-only", &format!("{tag}..HEAD"), "--", dir])
        .read()?;
    Ok(out.lines().map(str::to_owned).collect())
}
