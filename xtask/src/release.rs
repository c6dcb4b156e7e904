//! `cargo xtask release CRATE major|minor|patch|X.Y.Z [--dry-run]`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context as _, Result, bail};
use semver::{BuildMetadata, Prerelease, Version};
use toml_edit::{DocumentMut, Item, Value};

use crate::{Workspace, changelog, diff, git};

/// Which version comes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bump {
    /// X+1.0.0
    Major,
    /// X.Y+1.0
    Minor,
    /// X.Y.Z+1
    Patch,
    /// This exact version, which must be higher than the current one.
    Exact(Version),
}

impl FromStr for Bump {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "major" => Self::Major,
            "minor" => Self::Minor,
            "patch" => Self::Patch,
            _ => Self::Exact(Version::parse(s.trim_start_matches('v')).with_context(|| {
                format!("`{s}` is neither major, minor, patch nor a version X.Y.Z")
            })?),
        })
    }
}

impl Bump {
    /// The version after `current`.
    pub fn apply(&self, current: &Version) -> Result<Version> {
        let mut next = current.clone();
        next.pre = Prerelease::EMPTY;
        next.build = BuildMetadata::EMPTY;
        match self {
            Self::Major => (next.major, next.minor, next.patch) = (current.major + 1, 0, 0),
            Self::Minor => (next.minor, next.patch) = (current.minor + 1, 0),
            Self::Patch => next.patch += 1,
            Self::Exact(version) => next = version.clone(),
        }
        if next <= *current {
            bail!("the new version {next} is not above the current {current}");
        }
        Ok(next)
    }
}

/// One file's contents before and after a release.
#[derive(Debug, Clone)]
pub struct FileEdit {
    /// The file.
    pub path: PathBuf,
    /// Its contents now.
    pub old: String,
    /// Its contents after the release.
    pub new: String,
}

/// What a release changes, and what to do after it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The crate.
    pub krate: String,
    /// Its current version.
    pub old: Version,
    /// Its new version.
    pub new: Version,
    /// The tag to create: `CRATE-vX.Y.Z`.
    pub tag: String,
    /// The crate then its workspace dependents, each after what it needs.
    pub publish_order: Vec<String>,
    /// The files it changes.
    pub edits: Vec<FileEdit>,
    root: PathBuf,
}

/// Works out a release of `krate` in the workspace at `root`, dated `date`
/// (YYYY-MM-DD), without writing anything.
pub fn plan(root: &Path, krate: &str, bump: &Bump, date: &str) -> Result<Plan> {
    let ws = Workspace::load(root)?;
    let package = ws.package(krate)?;
    if !package.publishable {
        bail!("{krate} has `publish = false`: it is not released");
    }
    let new = bump.apply(&package.version)?;

    let mut docs: BTreeMap<PathBuf, (String, DocumentMut)> = BTreeMap::new();
    let mut load = |path: &Path| -> Result<()> {
        if !docs.contains_key(path) {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let doc = text
                .parse::<DocumentMut>()
                .with_context(|| format!("parsing {}", path.display()))?;
            docs.insert(path.to_path_buf(), (text, doc));
        }
        Ok(())
    };
    let root_manifest = ws.root.join("Cargo.toml");
    load(&root_manifest)?;
    for p in &ws.packages {
        load(&p.manifest)?;
    }

    // The crate's own version.
    {
        let (_, doc) = docs
            .get_mut(&package.manifest)
            .context("manifest not loaded")?;
        let version = doc
            .get_mut("package")
            .and_then(|p| p.get_mut("version"))
            .with_context(|| format!("{}: no [package] version", package.manifest.display()))?;
        match version.as_value_mut() {
            Some(v) if v.is_str() => set_keeping_decor(v, &new.to_string()),
            _ => bail!(
                "{}: the version must be written in the crate's own manifest, \
                 not inherited from the workspace",
                package.manifest.display()
            ),
        }
    }
    // The requirements on it: the root's [workspace.dependencies] and any
    // member manifest that names it with a version.
    for (path, (_, doc)) in &mut docs {
        if *path == root_manifest
            && let Some(table) = doc
                .get_mut("workspace")
                .and_then(|w| w.get_mut("dependencies"))
        {
            bump_requirement(table, krate, &new);
        }
        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
            if let Some(table) = doc.get_mut(section) {
                bump_requirement(table, krate, &new);
            }
        }
        if let Some(targets) = doc.get_mut("target").and_then(Item::as_table_like_mut) {
            for (_, target) in targets.iter_mut() {
                for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
                    if let Some(table) = target.get_mut(section) {
                        bump_requirement(table, krate, &new);
                    }
                }
            }
        }
    }

    let mut edits: Vec<FileEdit> = docs
        .into_iter()
        .map(|(path, (old, doc))| FileEdit {
            path,
            old,
            new: doc.to_string(),
        })
        .filter(|edit| edit.old != edit.new)
        .collect();

    let changelog_path = package.dir().join("CHANGELOG.md");
    let old = std::fs::read_to_string(&changelog_path)
        .with_context(|| format!("reading {}", changelog_path.display()))?;
    let released = changelog::release(&old, &new, date)
        .with_context(|| format!("{}", changelog_path.display()))?;
    edits.push(FileEdit {
        path: changelog_path,
        old,
        new: released,
    });

    let publishable = ws.publishable();
    let affected: Vec<String> = ws
        .with_dependents(krate)
        .into_iter()
        .filter(|name| publishable.contains(name))
        .collect();
    let mut publish_order = ws.publish_order(&affected)?;
    // The crate itself first: none of the others is below it.
    publish_order.retain(|name| name != krate);
    publish_order.insert(0, krate.to_owned());

    Ok(Plan {
        krate: krate.to_owned(),
        tag: format!("{krate}-v{new}"),
        old: package.version.clone(),
        new,
        publish_order,
        edits,
        root: ws.root.clone(),
    })
}

/// Sets `version` in the dependency entry for `krate` of a dependency
/// table, when that entry has one (the `workspace = true` ones do not).
fn bump_requirement(table: &mut Item, krate: &str, new: &Version) {
    let Some(table) = table.as_table_like_mut() else {
        return;
    };
    for (key, entry) in table.iter_mut() {
        let Some(entry) = entry.as_table_like_mut() else {
            continue; // `name = "1.0"`: a crates.io dependency.
        };
        let package = entry
            .get("package")
            .and_then(Item::as_str)
            .unwrap_or(key.get());
        if package != krate || entry.get("path").is_none() {
            continue;
        }
        if let Some(version) = entry.get_mut("version").and_then(Item::as_value_mut)
            && let Some(old) = version.as_str()
        {
            let operator: String = old
                .trim_start()
                .chars()
                .take_while(|c| "=^~<>".contains(*c))
                .collect();
            set_keeping_decor(version, &format!("{operator}{new}"));
        }
    }
}

fn set_keeping_decor(value: &mut Value, text: &str) {
    let decor = value.decor().clone();
    *value = Value::from(text);
    *value.decor_mut() = decor;
}

impl Plan {
    /// The unified diff of every file the release changes.
    pub fn diff(&self) -> String {
        self.edits
            .iter()
            .map(|edit| {
                let label = edit.path.strip_prefix(&self.root).unwrap_or(&edit.path);
                diff::unified(&label.to_string_lossy(), &edit.old, &edit.new)
            })
            .collect()
    }

    /// Writes the changed files.
    pub fn write(&self) -> Result<()> {
        for edit in &self.edits {
            std::fs::write(&edit.path, &edit.new)
                .with_context(|| format!("writing {}", edit.path.display()))?;
        }
        Ok(())
    }

    /// What to do next: the tag and the publish order.
    pub fn summary(&self) -> String {
        let mut out = format!("{} {} -> {}\n", self.krate, self.old, self.new);
        let _ = writeln!(out, "tag: {}", self.tag);
        let _ = writeln!(out, "publish order: {}", self.publish_order.join(", "));
        let _ = writeln!(
            out,
            "next: git commit -am \"{} {}\" && git tag {} && cargo xtask publish",
            self.krate, self.new, self.tag
        );
        out
    }
}

/// Runs a release: refuses on a dirty tree (unless `dry_run`, which only
/// prints the diff), writes the files and returns the plan.
pub fn run(root: &Path, krate: &str, bump: &Bump, date: &str, dry_run: bool) -> Result<Plan> {
    let dirty = git::dirty_files(root)?;
    if !dirty.is_empty() && !dry_run {
        bail!(
            "the git tree is dirty; commit or stash first:\n{}",
            dirty.join("\n")
        );
    }
    let plan = plan(root, krate, bump, date)?;
    if !dry_run {
        plan.write()?;
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps() {
        let v = Version::parse("0.1.3").unwrap();
        assert_eq!(Bump::Major.apply(&v).unwrap().to_string(), "1.0.0");
        assert_eq!(Bump::Minor.apply(&v).unwrap().to_string(), "0.2.0");
        assert_eq!(Bump::Patch.apply(&v).unwrap().to_string(), "0.1.4");
        let exact: Bump = "0.3.0-rc.1".parse().unwrap();
        assert_eq!(exact.apply(&v).unwrap().to_string(), "0.3.0-rc.1");
        assert!(Bump::from_str("0.1.0").unwrap().apply(&v).is_err());
        assert!("huge".parse::<Bump>().is_err());
    }

    #[test]
    fn requirement_keeps_operator_and_formatting() {
        let mut doc: DocumentMut = "[dependencies]\n\
             a = { path = \"../a\", version = \"=0.1.0\" }  # pinned\n\
             b = { path = \"../b\", version = \"0.1.0\" }\n\
             aa = { package = \"a\", path = \"../a\", version = \"0.1\" }\n\
             c = \"0.1.0\"\n"
            .parse()
            .unwrap();
        let new = Version::new(0, 2, 0);
        bump_requirement(doc.get_mut("dependencies").unwrap(), "a", &new);
        assert_eq!(
            doc.to_string(),
            "[dependencies]\n\
             a = { path = \"../a\", version = \"=0.2.0\" }  # pinned\n\
             b = { path = \"../b\", version = \"0.1.0\" }\n\
             aa = { package = \"a\", path = \"../a\", version = \"0.2.0\" }\n\
             c = \"0.1.0\"\n"
        );
    }
}
