//! The workspace's crates and their dependency graph, from `cargo metadata`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use semver::Version;
use serde_json::Value;

use crate::Cmd;

/// The members of a workspace.
///
/// ```no_run
/// let ws = xtask::Workspace::load(std::path::Path::new("."))?;
/// for name in ws.publish_order(&ws.publishable())? {
///     println!("{name}");
/// }
/// # anyhow::Ok(())
/// ```
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory of the root Cargo.toml.
    pub root: PathBuf,
    /// Where cargo builds (criterion writes its results under it).
    pub target_dir: PathBuf,
    /// The members, by name.
    pub packages: Vec<Package>,
}

/// One member crate.
#[derive(Debug, Clone)]
pub struct Package {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: Version,
    /// Its Cargo.toml.
    pub manifest: PathBuf,
    /// Whether it may be published (`publish = false` says no).
    pub publishable: bool,
    /// The other members it depends on: (name, is a dev-dependency only).
    pub deps: BTreeMap<String, bool>,
}

impl Package {
    /// The crate's directory.
    pub fn dir(&self) -> &Path {
        self.manifest.parent().unwrap_or(Path::new("."))
    }
}

impl Workspace {
    /// Reads the workspace whose root Cargo.toml is in `root`.
    pub fn load(root: &Path) -> Result<Self> {
        let manifest = root.join("Cargo.toml");
        let out = Cmd::new("cargo")
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--manifest-path",
            ])
            .args([manifest.to_string_lossy()])
            .read()?;
        Self::from_metadata(&out)
    }

    /// Reads the output of `cargo metadata --no-deps --format-version 1`.
    pub fn from_metadata(json: &str) -> Result<Self> {
        let meta: Value = serde_json::from_str(json).context("cargo metadata printed bad JSON")?;
        let text = |v: &Value, what: &str| -> Result<String> {
            v.as_str()
                .map(str::to_owned)
                .with_context(|| format!("cargo metadata: no {what}"))
        };
        let root = PathBuf::from(text(&meta["workspace_root"], "workspace_root")?);
        let target_dir = PathBuf::from(text(&meta["target_directory"], "target_directory")?);
        let raw = meta["packages"].as_array().cloned().unwrap_or_default();
        let names: BTreeSet<String> = raw
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        let mut packages = Vec::new();
        for p in &raw {
            let name = text(&p["name"], "package name")?;
            let version = Version::parse(&text(&p["version"], "version")?)
                .with_context(|| format!("{name}: bad version"))?;
            let mut deps = BTreeMap::new();
            for dep in p["dependencies"].as_array().into_iter().flatten() {
                let Some(dep_name) = dep["name"].as_str() else {
                    continue;
                };
                if dep["path"].is_null() || !names.contains(dep_name) || dep_name == name {
                    continue;
                }
                let dev = dep["kind"].as_str() == Some("dev");
                let entry = deps.entry(dep_name.to_owned()).or_insert(dev);
                *entry &= dev;
            }
            packages.push(Package {
                publishable: !matches!(&p["publish"], Value::Array(list) if list.is_empty()),
                manifest: PathBuf::from(text(&p["manifest_path"], "manifest_path")?),
                name,
                version,
                deps,
            });
        }
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            root,
            target_dir,
            packages,
        })
    }

    /// The member called `name`.
    pub fn package(&self, name: &str) -> Result<&Package> {
        match self.packages.iter().find(|p| p.name == name) {
            Some(p) => Ok(p),
            None => bail!(
                "no crate `{name}` in the workspace (its crates: {})",
                self.packages
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The names of the crates that may be published.
    pub fn publishable(&self) -> Vec<String> {
        self.packages
            .iter()
            .filter(|p| p.publishable)
            .map(|p| p.name.clone())
            .collect()
    }

    /// The members that depend on `name` directly (dev-dependencies too).
    pub fn dependents(&self, name: &str) -> Vec<String> {
        self.packages
            .iter()
            .filter(|p| p.deps.contains_key(name))
            .map(|p| p.name.clone())
            .collect()
    }

    /// `name` and every member that depends on it, directly or not.
    pub fn with_dependents(&self, name: &str) -> Vec<String> {
        let mut seen = BTreeSet::from([name.to_owned()]);
        let mut todo = vec![name.to_owned()];
        while let Some(next) = todo.pop() {
            for dependent in self.dependents(&next) {
                if seen.insert(dependent.clone()) {
                    todo.push(dependent);
                }
            }
        }
        seen.into_iter().collect()
    }

    /// `names` sorted so that each crate comes after the members it depends
    /// on (dev-dependencies count too, as crates.io needs them published
    /// first, unless they make a cycle); ties by name.
    pub fn publish_order(&self, names: &[String]) -> Result<Vec<String>> {
        match self.toposort(names, true) {
            Some(order) => Ok(order),
            None => self
                .toposort(names, false)
                .context("the workspace's dependencies form a cycle"),
        }
    }

    fn toposort(&self, names: &[String], with_dev: bool) -> Option<Vec<String>> {
        let set: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let mut waiting: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for name in &set {
            let package = self.packages.iter().find(|p| p.name == *name)?;
            let deps = package
                .deps
                .iter()
                .filter(|(dep, dev)| (with_dev || !**dev) && set.contains(dep.as_str()))
                .map(|(dep, _)| dep.as_str())
                .collect();
            waiting.insert(name, deps);
        }
        let mut order = Vec::new();
        while !waiting.is_empty() {
            let ready = waiting
                .iter()
                .find(|(_, deps)| deps.is_empty())
                .map(|(name, _)| *name)?;
            waiting.remove(ready);
            for deps in waiting.values_mut() {
                deps.remove(ready);
            }
            order.push(ready.to_owned());
        }
        Some(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> Workspace {
        let json = r#"{"workspace_root":"/w","target_directory":"/w/target","packages":[
          {"name":"b","version":"0.1.0","manifest_path":"/w/b/Cargo.toml","publish":null,
           "dependencies":[{"name":"a","kind":null,"path":"/w/a"},{"name":"c","kind":"dev","path":"/w/c"}]},
          {"name":"a","version":"0.1.0","manifest_path":"/w/a/Cargo.toml","publish":null,
           "dependencies":[{"name":"serde","kind":null}]},
          {"name":"c","version":"0.2.0","manifest_path":"/w/c/Cargo.toml","publish":null,
           "dependencies":[{"name":"a","kind":null,"path":"/w/a"}]},
          {"name":"tool","version":"0.0.0","manifest_path":"/w/tool/Cargo.toml","publish":[],
           "dependencies":[{"name":"b","kind":null,"path":"/w/b"}]}]}"#;
        Workspace::from_metadata(json).unwrap()
    }

    #[test]
    fn graph_and_order() {
        let ws = ws();
        assert_eq!(ws.publishable(), ["a", "b", "c"]);
        assert_eq!(ws.dependents("a"), ["b", "c"]);
        assert_eq!(ws.with_dependents("c"), ["b", "c", "tool"]);
        // b dev-depends on c, so c goes first.
        assert_eq!(
            ws.publish_order(&ws.publishable()).unwrap(),
            ["a", "c", "b"]
        );
        assert!(
            ws.package("nope")
                .unwrap_err()
                .to_string()
                .contains("a, b, c, tool")
        );
    }
}
