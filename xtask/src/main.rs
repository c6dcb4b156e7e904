//! `cargo xtask`: see xtask/README.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::release::Bump;

/// The workspace's own tool: CI, releases, publishing, benchmarks.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    /// The workspace root (default: the one this xtask belongs to).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// What `.ci/run` runs: fmt, clippy, rustdoc, package check, tests.
    Ci {
        /// Print the steps without running them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Bump one crate's version, its dependents' requirements and its
    /// CHANGELOG; print the tag and the publish order.
    Release {
        /// The crate.
        krate: String,
        /// major, minor, patch, or a version X.Y.Z.
        bump: Bump,
        /// Print the diff; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Package (--dry-run) or publish the crates not yet on crates.io, in
    /// dependency order.
    Publish {
        /// Package only; publish nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The crates changed since their last release tag, and their
    /// dependents.
    Changed,
    /// Run the benchmarks and write BENCHMARKS.md and its plots.
    Bench {
        /// Short runs (noisier figures, a few minutes in all).
        #[arg(long)]
        quick: bool,
        /// Run only the benchmarks whose id contains this.
        #[arg(long)]
        only: Option<String>,
    },
    /// Run the fuzz targets of fuzz/ (cargo fuzz, libFuzzer), each for a
    /// bounded time or number of inputs, and report per target the inputs
    /// run, inputs a second, crashes and the slowest input. Every input is
    /// limited to 100 ms of CPU time (PASTE_FUZZ_MAX_MS), 10 s of wall
    /// time, 512 MB in one allocation and 2 GB in all.
    Fuzz {
        /// One target (default: all of them).
        target: Option<String>,
        /// Seconds per target (default: 60, unless --runs is given).
        #[arg(long)]
        seconds: Option<u64>,
        /// Inputs per target (libFuzzer's -runs); with --seconds, whichever
        /// ends first.
        #[arg(long)]
        runs: Option<u64>,
        /// cargo fuzz's sanitizer: `none` runs safe Rust several times
        /// faster, for long runs; AddressSanitizer also checks the unsafe
        /// code of dependencies.
        #[arg(long, default_value = "address", value_parser = ["address", "leak", "memory", "thread", "none"])]
        sanitizer: String,
    },
    /// Load and fault scenarios against the release `paster` on 127.0.0.1
    /// (idle, slow, sigterm, faults, mixed); fails when a check fails.
    Load {
        /// One scenario, or `all` (the default).
        scenario: Option<String>,
        /// Shorter runs: fewer idle connections, a 1-minute mixed load.
        #[arg(long)]
        quick: bool,
        /// Minutes of the mixed load (default 10, or 1 with --quick).
        #[arg(long)]
        minutes: Option<f64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli
        .root
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")));
    let result = match cli.command {
        Command::Ci { dry_run } => xtask::ci::run(&root, dry_run),
        Command::Release {
            krate,
            bump,
            dry_run,
        } => xtask::release::run(&root, &krate, &bump, &xtask::today_utc(), dry_run).map(|plan| {
            if dry_run {
                print!("{}", plan.diff());
                println!("(dry run: nothing was written)");
            }
            print!("{}", plan.summary());
        }),
        Command::Publish { dry_run } => xtask::publish::run(&root, dry_run),
        Command::Changed => {
            xtask::changed::changes(&root).map(|c| print!("{}", xtask::changed::render(&c)))
        }
        Command::Bench { quick, only } => xtask::bench::run(&root, quick, only.as_deref()),
        Command::Fuzz {
            target,
            seconds,
            runs,
            sanitizer,
        } => xtask::fuzz::run(
            &root,
            target.as_deref(),
            xtask::fuzz::Budget::new(seconds, runs),
            &sanitizer,
        ),
        Command::Load {
            scenario,
            quick,
            minutes,
        } => xtask::load::run(
            &root,
            scenario.as_deref(),
            xtask::load::Options { quick, minutes },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            let code = err
                .downcast_ref::<xtask::StepFailed>()
                .map_or(1, |failed| failed.code);
            ExitCode::from(u8::try_from(code).ok().filter(|c| *c != 0).unwrap_or(1))
        }
    }
}
