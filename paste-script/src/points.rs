//! `paster points`: the registered factories, for people.

use std::fmt::Write as _;

use paste_deploy::Registry;

use crate::error::Error;
use crate::paster::PointsArgs;

pub(crate) fn run(registry: &Registry, args: &PointsArgs) -> Result<u8, Error> {
    let text = listing(registry, args.name.as_deref());
    if text.is_empty() {
        let asked = args.name.as_deref().unwrap_or_default();
        return Err(Error::new(1, format!("no factory matches {asked:?}")));
    }
    print!("{text}");
    Ok(0)
}

/// The listing: one paragraph a factory, `kind name (aliases)`, its
/// summary, then its settings; only those whose name or an alias contains
/// `filter` (ignoring case) when given.
pub(crate) fn listing(registry: &Registry, filter: Option<&str>) -> String {
    let filter = filter.map(str::to_ascii_lowercase);
    let mut out = String::new();
    for info in registry.factories() {
        if let Some(filter) = &filter
            && !std::iter::once(&info.name)
                .chain(&info.aliases)
                .any(|n| n.to_ascii_lowercase().contains(filter.as_str()))
        {
            continue;
        }
        let _ = write!(out, "{:<10} {}", info.kind.as_str(), info.name);
        if !info.aliases.is_empty() {
            let _ = write!(out, " ({})", info.aliases.join(", "));
        }
        out.push('\n');
        let summary = info.description.summary();
        if !summary.is_empty() {
            let _ = writeln!(out, "    {summary}");
        }
        for (setting, meaning) in info.description.settings() {
            let _ = writeln!(out, "      {setting}: {meaning}");
        }
    }
    out
}
