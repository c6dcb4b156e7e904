//! `cargo xtask publish [--dry-run]`: the publishable crates in dependency
//! order, skipping the versions crates.io already has.

use std::path::Path;

use anyhow::{Result, bail};

use crate::{Cmd, Workspace, cmd::say, git};

/// Whether crates.io has `name` at `version`, asked with `cargo info`
/// (run outside the workspace, so that it looks at the registry and not at
/// the local crate). A network failure is an error that says so.
pub fn is_published(name: &str, version: &str) -> Result<bool> {
    // Offline, `cargo info` answers "could not find" for every crate.
    if std::env::var("CARGO_NET_OFFLINE").is_ok_and(|v| v == "true") {
        bail!("cannot ask crates.io which versions it has: CARGO_NET_OFFLINE=true");
    }
    let (ok, stdout, stderr) = Cmd::new("cargo")
        .args([
            "info",
            &format!("{name}@{version}"),
            "--registry",
            "crates-io",
        ])
        .current_dir(std::env::temp_dir())
        .output()?;
    if ok {
        // `cargo info` may fall back to the nearest version: check.
        return Ok(stdout.lines().any(|line| {
            line.trim_start()
                .strip_prefix("version:")
                .is_some_and(|v| v.split_whitespace().next() == Some(version))
        }));
    }
    if stderr.contains("could not find") {
        return Ok(false);
    }
    bail!(
        "could not ask crates.io whether {name} {version} is published (is the network up?): {}",
        stderr.trim()
    )
}

/// Packages (`dry_run`) or publishes the crates of the workspace at `root`
/// that crates.io does not have yet, in dependency order.
pub fn run(root: &Path, dry_run: bool) -> Result<()> {
    let ws = Workspace::load(root)?;
    let order = ws.publish_order(&ws.publishable())?;
    let mut todo = Vec::new();
    for name in &order {
        let version = ws.package(name)?.version.to_string();
        if is_published(name, &version)? {
            println!("{name} {version}: already on crates.io, skipped");
        } else {
            println!("{name} {version}: to publish");
            todo.push(name.clone());
        }
    }
    if todo.is_empty() {
        println!("nothing to publish");
        return Ok(());
    }
    if dry_run {
        // One `cargo package` for all of them: cargo resolves the ones that
        // depend on each other through a temporary local registry, as
        // crates.io will once the earlier ones are published.
        // As in CI: no stale unpacked copy may stand in for the code as it
        // is now.
        crate::ci::clear_packaged_sources()?;
        let cmd = Cmd::new("cargo")
            .current_dir(root)
            .args(["package", "--allow-dirty"])
            .args(todo.iter().flat_map(|name| ["-p".to_owned(), name.clone()]));
        say(&cmd.to_string());
        cmd.run()?;
        println!(
            "\ndry run: would publish, in this order: {}",
            todo.join(", ")
        );
        return Ok(());
    }
    let dirty = git::dirty_files(root)?;
    if !dirty.is_empty() {
        bail!("the git tree is dirty; commit first:\n{}", dirty.join("\n"));
    }
    for name in &todo {
        let cmd = Cmd::new("cargo")
            .current_dir(root)
            .args(["publish", "-p", name]);
        say(&cmd.to_string());
        cmd.run()?;
    }
    Ok(())
}
