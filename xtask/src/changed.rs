//! `cargo xtask changed`: what changed since each crate's last release.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use semver::Version;

use crate::{Workspace, git};

/// One publishable crate and what changed in it since its last tag.
#[derive(Debug, Clone)]
pub struct Change {
    /// The crate.
    pub name: String,
    /// Its version in its manifest.
    pub version: Version,
    /// Its latest `CRATE-vX.Y.Z` tag; `None`: never released.
    pub since: Option<String>,
    /// The files of the crate changed since that tag.
    pub files: Vec<String>,
    /// The members that depend on it: their requirement on it needs a bump
    /// when it is released.
    pub dependents: Vec<String>,
}

impl Change {
    /// Whether it needs a release: changed, or never released.
    pub fn needs_release(&self) -> bool {
        self.since.is_none() || !self.files.is_empty()
    }
}

/// Every publishable crate of the workspace at `root` with its changes.
pub fn changes(root: &Path) -> Result<Vec<Change>> {
    let ws = Workspace::load(root)?;
    let mut out = Vec::new();
    for package in ws.packages.iter().filter(|p| p.publishable) {
        let dir = package
            .dir()
            .strip_prefix(&ws.root)
            .unwrap_or(package.dir());
        let since = git::latest_tag(&ws.root, &package.name)?;
        let files = match &since {
            Some((tag, _)) => git::changed_since(&ws.root, tag, &dir.to_string_lossy())?,
            None => Vec::new(),
        };
        out.push(Change {
            name: package.name.clone(),
            version: package.version.clone(),
            since: since.map(|(tag, _)| tag),
            files,
            dependents: ws.dependents(&package.name),
        });
    }
    Ok(out)
}

/// The report `cargo xtask changed` prints: the crates that need a
/// release, then those unchanged.
pub fn render(changes: &[Change]) -> String {
    let mut out = String::new();
    for change in changes.iter().filter(|c| c.needs_release()) {
        let _ = match &change.since {
            None => writeln!(out, "{} {}: never released", change.name, change.version),
            Some(tag) => writeln!(
                out,
                "{} {}: {} file(s) changed since {tag}",
                change.name,
                change.version,
                change.files.len()
            ),
        };
        for file in &change.files {
            let _ = writeln!(out, "    {file}");
        }
        if !change.dependents.is_empty() {
            let _ = writeln!(
                out,
                "    dependents that need a requirement bump: {}",
                change.dependents.join(", ")
            );
        }
    }
    let unchanged: Vec<String> = changes
        .iter()
        .filter(|c| !c.needs_release())
        .map(|c| format!("{} {}", c.name, c.version))
        .collect();
    if !unchanged.is_empty() {
        let _ = writeln!(out, "unchanged since their tag: {}", unchanged.join(", "));
    }
    out
}
