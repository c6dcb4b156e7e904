//! Moving a CHANGELOG's `## [Unreleased]` section under a version
//! (the Keep a Changelog layout every crate here uses).

use anyhow::{Result, bail};
use semver::Version;

/// Returns `text` with the body of its `## [Unreleased]` section moved
/// under `## [VERSION] - DATE`, and an empty Unreleased section above it.
/// Fails when there is no Unreleased section or nothing in it.
///
/// ```
/// let text = "# Changelog\n\n## [Unreleased]\n\n### Added\n- a thing\n\n## [0.1.0] - 2026-01-02\n";
/// let released = xtask::changelog::release(text, &semver::Version::new(0, 2, 0), "2026-03-04")?;
/// assert_eq!(
///     released,
///     "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-03-04\n\n### Added\n- a thing\n\n## [0.1.0] - 2026-01-02\n"
/// );
/// # anyhow::Ok(())
/// ```
pub fn release(text: &str, version: &Version, date: &str) -> Result<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(start) = lines
        .iter()
        .position(|line| line.trim().eq_ignore_ascii_case("## [unreleased]"))
    else {
        bail!("no `## [Unreleased]` heading");
    };
    // The body runs to the next `## ` heading or to the link definitions
    // (`[0.1.0]: https://...`) that may end the file.
    let end = lines[start + 1..]
        .iter()
        .position(|line| line.starts_with("## ") || is_link_definition(line))
        .map_or(lines.len(), |n| start + 1 + n);
    let body = &lines[start + 1..end];
    let has_entries = body.iter().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with('#')
    });
    if !has_entries {
        bail!("the `## [Unreleased]` section is empty: nothing to release");
    }
    let body: String = body.concat();
    let body = body.trim_matches('\n');
    let mut out: String = lines[..start].concat();
    out.push_str("## [Unreleased]\n\n");
    out.push_str(&format!("## [{version}] - {date}\n\n"));
    out.push_str(body);
    out.push('\n');
    if end < lines.len() {
        out.push('\n');
        out.push_str(&lines[end..].concat());
    }
    Ok(out)
}

fn is_link_definition(line: &str) -> bool {
    line.starts_with('[') && line.contains("]: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: Version = Version::new(1, 0, 0);

    #[test]
    fn only_section_and_link_definitions() {
        let text = "# C\n\n## [Unreleased]\n### Fixed\n- x\n\n\n[Unreleased]: https://e/compare\n";
        let out = release(text, &V, "2026-11-21").unwrap();
        assert_eq!(
            out,
            "# C\n\n## [Unreleased]\n\n## [1.0.0] - 2026-11-21\n\n### Fixed\n- x\n\n[Unreleased]: https://e/compare\n"
        );
    }

    #[test]
    fn refuses_empty_or_missing() {
        let empty = "# C\n\n## [Unreleased]\n\n### Added\n\n## [0.1.0] - 2020-01-01\n- y\n";
        let err = release(empty, &V, "d").unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
        let err = release("# C\n", &V, "d").unwrap_err().to_string();
        assert!(err.contains("no `## [Unreleased]`"), "{err}");
    }
}
