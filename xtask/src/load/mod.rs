//! `cargo xtask load`: the load and fault scenarios of RELIABILITY.md,
//! against the release `paster` as a child process on 127.0.0.1, driven
//! by the harness's own tokio clients. Each scenario prints its figures
//! and its checks; any failed check makes the command fail.

mod faults;
pub mod http;
mod idle;
mod mixed;
pub mod server;
mod sigterm;
mod slow;
pub mod stats;

use std::path::Path;

use anyhow::{Result, bail};

/// The scenarios, in the order `all` runs them.
pub const SCENARIOS: &[&str] = &["idle", "slow", "sigterm", "faults", "mixed"];

/// How a run is set up.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Shorter runs (the mixed load for one minute, fewer connections).
    pub quick: bool,
    /// Minutes of the mixed load (default 10; 1 with `quick`).
    pub minutes: Option<f64>,
}

/// The checks of one scenario: each passes or fails, with its figures.
#[derive(Debug, Default)]
pub struct Checks {
    failed: Vec<String>,
}

impl Checks {
    /// Records and prints one check.
    pub fn check(&mut self, ok: bool, what: impl Into<String>) {
        let what = what.into();
        println!("  [{}] {what}", if ok { "pass" } else { "FAIL" });
        if !ok {
            self.failed.push(what);
        }
    }

    /// Prints a figure.
    pub fn figure(&self, what: impl std::fmt::Display) {
        println!("        {what}");
    }
}

/// Runs one scenario, or all of them; fails if any check failed.
pub fn run(root: &Path, scenario: Option<&str>, options: Options) -> Result<()> {
    let scenarios: Vec<&str> = match scenario {
        None | Some("all") => SCENARIOS.to_vec(),
        Some(one) if SCENARIOS.contains(&one) => vec![one],
        Some(other) => bail!(
            "no scenario {other:?} (known: {}, all)",
            SCENARIOS.join(", ")
        ),
    };
    let paster = server::build(root)?;
    let fd_limit = server::raise_fd_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut failed = Vec::new();
    for name in scenarios {
        println!("== {name}");
        let started = std::time::Instant::now();
        let mut checks = Checks::default();
        let ctx = Ctx {
            paster: &paster,
            options,
            fd_limit,
        };
        let result = runtime.block_on(async {
            match name {
                "idle" => idle::run(&ctx, &mut checks).await,
                "slow" => slow::run(&ctx, &mut checks).await,
                "sigterm" => sigterm::run(&ctx, &mut checks).await,
                "faults" => faults::run(&ctx, &mut checks).await,
                _ => mixed::run(&ctx, &mut checks).await,
            }
        });
        if let Err(err) = result {
            checks.check(false, format!("the scenario could not run: {err:#}"));
        }
        println!("   ({name}: {:.1} s)", started.elapsed().as_secs_f64());
        failed.extend(checks.failed.into_iter().map(|f| format!("{name}: {f}")));
    }
    if failed.is_empty() {
        println!("load: every check passed");
        Ok(())
    } else {
        bail!(
            "{} check(s) failed:\n  {}",
            failed.len(),
            failed.join("\n  ")
        )
    }
}

/// What every scenario gets.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    paster: &'a Path,
    options: Options,
    fd_limit: u64,
}
