//! `cargo xtask fuzz [TARGET] [--seconds N]`: runs the fuzz targets of
//! `fuzz/` with cargo fuzz (libFuzzer), each for a bounded time, and
//! reports how many inputs each ate and whether any crashed.
//!
//! Each target starts from its committed seeds (`fuzz/seeds/TARGET`) and a
//! working corpus kept out of git (`target/fuzz-corpus/TARGET`), so that
//! reruns go on from where the last one stopped. A crash leaves its input
//! in `fuzz/artifacts/TARGET/`: turn it into a regression test of the crate
//! it broke. cargo fuzz needs nightly flags; with this workspace's stable
//! toolchain they are enabled with `RUSTC_BOOTSTRAP=1`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result, bail};

use crate::Cmd;

/// What one target's run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The target's name.
    pub target: String,
    /// Inputs run, as libFuzzer counted them.
    pub execs: u64,
    /// Whether libFuzzer stopped on a crash, a timeout or an out-of-memory.
    pub failed: bool,
}

/// The fuzz targets: the files of `fuzz/fuzz_targets/`, by name.
///
/// # Errors
/// When the folder can't be read.
pub fn targets(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("fuzz/fuzz_targets");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            names.push(stem.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// The number of inputs run, from libFuzzer's `-print_final_stats=1`
/// output (`stat::number_of_executed_units: N`).
pub fn executed_units(output: &str) -> Option<u64> {
    output.lines().find_map(|line| {
        line.trim()
            .strip_prefix("stat::number_of_executed_units:")
            .and_then(|n| n.trim().parse().ok())
    })
}

/// Runs `target` (or every target) for `seconds` each and prints a table.
///
/// # Errors
/// When cargo fuzz can't be installed or started, or a target is unknown
/// or crashed.
pub fn run(root: &Path, target: Option<&str>, seconds: u64) -> Result<()> {
    let all = targets(root)?;
    let chosen: Vec<String> = match target {
        Some(name) if all.iter().any(|t| t == name) => vec![name.to_owned()],
        Some(name) => bail!("no fuzz target {name:?} (there are: {})", all.join(", ")),
        None => all,
    };
    if !Cmd::new("cargo").args(["fuzz", "--version"]).output()?.0 {
        println!("==> installing cargo-fuzz");
        Cmd::new("cargo")
            .args(["install", "cargo-fuzz", "--locked"])
            .run()?;
    }
    let mut outcomes = Vec::new();
    for name in &chosen {
        let corpus = root.join("target/fuzz-corpus").join(name);
        std::fs::create_dir_all(&corpus)?;
        let seeds = root.join("fuzz/seeds").join(name);
        println!("==> fuzzing {name} for {seconds} s");
        let (ok, out, err) = Cmd::new("cargo")
            .args(["fuzz", "run", name.as_str()])
            .args([&corpus, &seeds].map(|p| p.to_string_lossy().into_owned()))
            .args([
                "--".to_owned(),
                format!("-max_total_time={seconds}"),
                "-timeout=1".to_owned(),
                "-rss_limit_mb=2048".to_owned(),
                "-print_final_stats=1".to_owned(),
            ])
            .env("RUSTC_BOOTSTRAP", "1")
            .current_dir(root)
            .output()?;
        let both = format!("{out}{err}");
        let execs = executed_units(&both).unwrap_or(0);
        if !ok {
            eprintln!("{}", tail(&both, 40));
        }
        outcomes.push(Outcome {
            target: name.clone(),
            execs,
            failed: !ok,
        });
    }
    print!("{}", render(&outcomes, seconds));
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.failed)
        .map(|o| o.target.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        bail!(
            "{} failed: the inputs are in fuzz/artifacts/",
            failed.join(", ")
        )
    }
}

/// The report: one row per target.
pub fn render(outcomes: &[Outcome], seconds: u64) -> String {
    let mut out =
        String::from("\n| target | inputs run | per second | result |\n|---|---:|---:|---|\n");
    for o in outcomes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            o.target,
            o.execs,
            o.execs / seconds.max(1),
            if o.failed { "FAILED" } else { "no crash" }
        );
    }
    out
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executed_units_come_from_the_final_stats() {
        let output = "#2 INITED exec/s: 0\nDone 1234 runs in 2 second(s)\n\
                      stat::number_of_executed_units: 1234\nstat::average_exec_per_sec:     617\n";
        assert_eq!(executed_units(output), Some(1234));
        assert_eq!(executed_units("no stats here"), None);
    }

    #[test]
    fn targets_are_the_files_of_fuzz_targets_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let targets_dir = dir.path().join("fuzz/fuzz_targets");
        std::fs::create_dir_all(&targets_dir).unwrap();
        for name in ["tempita.rs", "headers.rs", "README.md"] {
            std::fs::write(targets_dir.join(name), "").unwrap();
        }
        assert_eq!(targets(dir.path()).unwrap(), ["headers", "tempita"]);
    }

    #[test]
    fn an_unknown_target_is_refused_with_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let targets_dir = dir.path().join("fuzz/fuzz_targets");
        std::fs::create_dir_all(&targets_dir).unwrap();
        std::fs::write(targets_dir.join("ini.rs"), "").unwrap();
        let err = run(dir.path(), Some("nope"), 1).unwrap_err().to_string();
        assert_eq!(err, "no fuzz target \"nope\" (there are: ini)");
    }

    #[test]
    fn the_report_says_what_each_target_ate() {
        let report = render(
            &[Outcome {
                target: "ini".to_owned(),
                execs: 1000,
                failed: false,
            }],
            10,
        );
        assert!(
            report.contains("| ini | 1000 | 100 | no crash |"),
            "{report}"
        );
    }
}
