//! `cargo xtask`: the workspace's own tool (the cargo-xtask pattern: a
//! binary in the workspace, run through the `xtask` alias of
//! `.cargo/config.toml`).
//!
//! - [`ci`]: what `.ci/run` runs, step by step.
//! - [`release`]: bump one crate's version, its dependents' requirements
//!   and its CHANGELOG; print the tag and the publish order.
//! - [`publish`]: package or publish the crates in dependency order,
//!   skipping versions already on crates.io.
//! - [`changed`]: the crates changed since their last release tag.
//! - [`bench`](mod@bench): run the benchmarks and write BENCHMARKS.md with SVG plots.
//! - [`load`]: the load and fault scenarios of RELIABILITY.md against the
//!   release `paster`.
//!
//! Every command takes the workspace root explicitly, so that the tests run
//! them on a throw-away fixture workspace rather than this repository.

pub mod bench;
pub mod changed;
pub mod changelog;
pub mod ci;
mod cmd;
mod date;
mod diff;
pub mod fuzz;
mod git;
pub mod load;
pub mod publish;
pub mod release;
mod svg;
pub mod workspace;

pub use cmd::{Cmd, StepFailed};
pub use date::today_utc;
pub use workspace::{Package, Workspace};
