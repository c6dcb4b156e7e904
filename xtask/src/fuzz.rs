//! `cargo xtask fuzz [TARGET] [--seconds N] [--runs N]`: runs the fuzz
//! targets of `fuzz/` with cargo fuzz (libFuzzer), each for a bounded
//! time or number of inputs, and reports how many inputs each ate, how
//! fast, whether any crashed, and the slowest input.
//!
//! Each target starts from its committed seeds (`fuzz/seeds/TARGET`) and a
//! working corpus kept out of git (`target/fuzz-corpus/TARGET`), so that
//! reruns go on from where the last one stopped. A crash leaves its input
//! in `fuzz/artifacts/TARGET/`: turn it into a regression test of the crate
//! it broke. cargo fuzz needs nightly flags; with this workspace's stable
//! toolchain they are enabled with `RUSTC_BOOTSTRAP=1`.
//!
//! Limits on every input: 10 s of wall time (`-timeout`: a hang), 512 MB for one
//! allocation (`-malloc_limit_mb`), 2 GB in all (`-rss_limit_mb`), and
//! 100 ms of CPU time (the targets' own guard, `fuzz/src/lib.rs`;
//! `PASTE_FUZZ_MAX_MS` changes it). The slowest input of the last run of
//! a target is kept in `target/fuzz-slowest/TARGET`.
//!
//! Targets are built with AddressSanitizer unless `--sanitizer none` is
//! given: without it the safe Rust of the targets runs several times
//! faster (for long runs), but the unsafe code of dependencies is not
//! checked and libFuzzer can't see single allocations (its malloc hook
//! comes with the sanitizer), so the 512 MB limit on one allocation
//! becomes the 2 GB limit on the whole process.

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
    /// Inputs a second, as libFuzzer counted them.
    pub per_second: u64,
    /// Inputs that crashed, timed out or ran out of memory (libFuzzer
    /// stops at the first).
    pub crashes: u64,
    /// The most CPU time one input took, in microseconds, as the targets'
    /// guard reported it.
    pub slowest_us: Option<u64>,
    /// Whether libFuzzer stopped on a crash, a timeout or an out-of-memory.
    pub failed: bool,
}

/// How long, or how many inputs, each target runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Seconds per target (libFuzzer's `-max_total_time`).
    pub seconds: Option<u64>,
    /// Inputs per target (libFuzzer's `-runs`).
    pub runs: Option<u64>,
}

impl Budget {
    /// Seconds per target when neither is given.
    pub const DEFAULT_SECONDS: u64 = 60;

    /// The budget of `--seconds` and `--runs`: with neither, 60 seconds;
    /// with both, whichever ends first.
    pub fn new(seconds: Option<u64>, runs: Option<u64>) -> Self {
        Self {
            seconds: seconds.or(if runs.is_none() {
                Some(Self::DEFAULT_SECONDS)
            } else {
                None
            }),
            runs,
        }
    }

    /// libFuzzer's flags for this budget and the limits every run has:
    /// 10 s of wall time per input (a hang; the targets' own guard stops
    /// an input at 100 ms of CPU time, which a loaded machine does not
    /// disturb), 512 MB for one allocation, 2 GB in all.
    pub fn libfuzzer_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(seconds) = self.seconds {
            args.push(format!("-max_total_time={seconds}"));
        }
        if let Some(runs) = self.runs {
            args.push(format!("-runs={runs}"));
        }
        args.extend(
            [
                "-timeout=10",
                "-malloc_limit_mb=512",
                "-rss_limit_mb=2048",
                "-print_final_stats=1",
            ]
            .map(str::to_owned),
        );
        args
    }

    fn describe(&self) -> String {
        match (self.seconds, self.runs) {
            (Some(s), Some(r)) => format!("{r} inputs or {s} s"),
            (Some(s), None) => format!("{s} s"),
            (None, Some(r)) => format!("{r} inputs"),
            (None, None) => "ever".to_owned(),
        }
    }
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

/// A number from libFuzzer's `-print_final_stats=1` output
/// (`stat::NAME: N`).
fn stat(output: &str, name: &str) -> Option<u64> {
    output.lines().find_map(|line| {
        line.trim()
            .strip_prefix("stat::")
            .and_then(|rest| rest.strip_prefix(name))
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|n| n.trim().parse().ok())
    })
}

/// The number of inputs run (`stat::number_of_executed_units: N`).
pub fn executed_units(output: &str) -> Option<u64> {
    stat(output, "number_of_executed_units")
}

/// The slowest input the targets' guard reported: the last
/// `paste-fuzz: slowest input so far: N us` line.
pub fn slowest_us(output: &str) -> Option<u64> {
    output.lines().rev().find_map(|line| {
        line.trim()
            .strip_prefix("paste-fuzz: slowest input so far: ")
            .and_then(|rest| rest.split_once(" us"))
            .and_then(|(n, _)| n.parse().ok())
    })
}

/// The inputs libFuzzer kept for crashing (`Test unit written to …`).
pub fn crashes(output: &str) -> u64 {
    output
        .lines()
        .filter(|line| line.contains("Test unit written to"))
        .count() as u64
}

/// What libFuzzer's output says of one target's run.
pub fn outcome(target: &str, output: &str, ok: bool) -> Outcome {
    let crashes = crashes(output);
    Outcome {
        target: target.to_owned(),
        execs: executed_units(output).unwrap_or(0),
        per_second: stat(output, "average_exec_per_sec").unwrap_or(0),
        crashes: if ok { crashes } else { crashes.max(1) },
        slowest_us: slowest_us(output),
        failed: !ok,
    }
}

/// Runs `target` (or every target) within `budget` each and prints a
/// table.
///
/// # Errors
/// When cargo fuzz can't be installed or started, or a target is unknown
/// or crashed.
pub fn run(root: &Path, target: Option<&str>, budget: Budget, sanitizer: &str) -> Result<()> {
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
        let slowest_dir = root.join("target/fuzz-slowest");
        std::fs::create_dir_all(&slowest_dir)?;
        let seeds = root.join("fuzz/seeds").join(name);
        println!(
            "==> fuzzing {name} for {} (sanitizer: {sanitizer})",
            budget.describe()
        );
        let (ok, out, err) = Cmd::new("cargo")
            .args(["fuzz", "run", "--sanitizer", sanitizer, name.as_str()])
            .args([&corpus, &seeds].map(|p| p.to_string_lossy().into_owned()))
            .args(["--".to_owned()])
            .args(budget.libfuzzer_args())
            .env("RUSTC_BOOTSTRAP", "1")
            .env("TMPDIR", tmpdir())
            .env(
                "PASTE_FUZZ_SLOWEST",
                slowest_dir.join(name).to_string_lossy().into_owned(),
            )
            .current_dir(root)
            .output()?;
        let both = format!("{out}{err}");
        if !ok {
            eprintln!("{}", tail(&both, 40));
        }
        outcomes.push(outcome(name, &both, ok));
    }
    print!("{}", render(&outcomes));
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

/// Where the targets make their temporary files (uploads spooled by the
/// multipart parser, the deploy loader's config): `/dev/shm` when there is
/// one, so that a busy disk does not stall an input for seconds.
fn tmpdir() -> String {
    if Path::new("/dev/shm").is_dir() {
        "/dev/shm".to_owned()
    } else {
        std::env::temp_dir().to_string_lossy().into_owned()
    }
}

/// The report: one row per target.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "\n| target | inputs run | per second | crashes | slowest input | result |\n\
         |---|---:|---:|---:|---:|---|\n",
    );
    for o in outcomes {
        let slowest = o.slowest_us.map_or_else(
            || "?".to_owned(),
            |us| format!("{:.1} ms", us as f64 / 1000.0),
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {slowest} | {} |",
            o.target,
            o.execs,
            o.per_second,
            o.crashes,
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

    const OUTPUT: &str = "#2 INITED exec/s: 0\n\
        paste-fuzz: slowest input so far: 12 us (3 bytes)\n\
        paste-fuzz: slowest input so far: 4321 us (40 bytes)\n\
        Done 1234 runs in 2 second(s)\n\
        stat::number_of_executed_units: 1234\n\
        stat::average_exec_per_sec:     617\n\
        stat::new_units_added:          5\n";

    #[test]
    fn the_figures_come_from_libfuzzer_and_the_guard() {
        assert_eq!(executed_units(OUTPUT), Some(1234));
        assert_eq!(executed_units("no stats here"), None);
        assert_eq!(slowest_us(OUTPUT), Some(4321));
        assert_eq!(slowest_us("nothing"), None);
        assert_eq!(
            outcome("ini", OUTPUT, true),
            Outcome {
                target: "ini".to_owned(),
                execs: 1234,
                per_second: 617,
                crashes: 0,
                slowest_us: Some(4321),
                failed: false,
            }
        );
    }

    #[test]
    fn a_crash_counts_even_when_libfuzzer_says_little() {
        let crashed = "==1== ERROR: libFuzzer: deadly signal\n\
            artifact_prefix='fuzz/artifacts/ini/'; Test unit written to fuzz/artifacts/ini/crash-abc\n";
        assert_eq!(crashes(crashed), 1);
        assert_eq!(outcome("ini", crashed, false).crashes, 1);
        assert_eq!(outcome("ini", "killed", false).crashes, 1);
    }

    #[test]
    fn the_budget_is_seconds_or_runs_or_both() {
        let default = Budget::new(None, None);
        assert_eq!(default.seconds, Some(60));
        let args = default.libfuzzer_args();
        assert!(args.contains(&"-max_total_time=60".to_owned()), "{args:?}");
        assert!(!args.iter().any(|a| a.starts_with("-runs")), "{args:?}");
        for limit in ["-timeout=10", "-malloc_limit_mb=512", "-rss_limit_mb=2048"] {
            assert!(args.contains(&limit.to_owned()), "{args:?}");
        }
        let runs = Budget::new(None, Some(1000)).libfuzzer_args();
        assert!(runs.contains(&"-runs=1000".to_owned()), "{runs:?}");
        assert!(
            !runs.iter().any(|a| a.starts_with("-max_total_time")),
            "{runs:?}"
        );
        let both = Budget::new(Some(5), Some(1000)).libfuzzer_args();
        assert!(both.contains(&"-runs=1000".to_owned()), "{both:?}");
        assert!(both.contains(&"-max_total_time=5".to_owned()), "{both:?}");
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
        let err = run(
            dir.path(),
            Some("nope"),
            Budget::new(Some(1), None),
            "address",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "no fuzz target \"nope\" (there are: ini)");
    }

    #[test]
    fn the_report_says_what_each_target_ate() {
        let report = render(&[
            Outcome {
                target: "ini".to_owned(),
                execs: 1000,
                per_second: 100,
                crashes: 0,
                slowest_us: Some(2500),
                failed: false,
            },
            Outcome {
                target: "forms".to_owned(),
                execs: 10,
                per_second: 5,
                crashes: 1,
                slowest_us: None,
                failed: true,
            },
        ]);
        assert!(
            report.contains("| ini | 1000 | 100 | 0 | 2.5 ms | no crash |"),
            "{report}"
        );
        assert!(
            report.contains("| forms | 10 | 5 | 1 | ? | FAILED |"),
            "{report}"
        );
    }
}
