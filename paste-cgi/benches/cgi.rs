//! What CgiApp costs over a bare fork+exec of the same program, measured
//! in the same run: `tests/cgi-bin/hi.sh` (a head and "hi") run
//! - by `tokio::process::Command::output()`, reading all of its output;
//! - through `CgiApp::call`, reading the response body.
//!
//! `cargo bench -p paste-cgi --bench cgi` prints criterion's figures for
//! both, then the ratio of their means over interleaved rounds (so that
//! both see the same machine load). The goal is a ratio of at most 1.3.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use paste_cgi::CgiApp;
use paste_core::{App, Body, Request};
use tokio::process::Command;
use tokio::runtime::Runtime;

fn program() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cgi-bin/hi.sh")
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn bare(program: &Path) {
    let output = Command::new(program).output().await.unwrap();
    assert!(output.stdout.ends_with(b"\n\nhi"));
}

async fn through_cgi_app(app: &CgiApp) {
    let req = Request::get("/").body(Body::empty()).unwrap();
    let response = app.call(req).await.unwrap();
    let body = response.into_body().to_bytes(64).await.unwrap();
    assert_eq!(body, "hi");
}

fn compare(c: &mut Criterion, rt: &Runtime) {
    let program = program();
    let app = CgiApp::new(&program);
    let mut group = c.benchmark_group("hi.sh");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(40);
    group.bench_function("bare_fork_exec", |b| {
        b.to_async(rt).iter(|| bare(black_box(&program)));
    });
    group.bench_function("cgi_app", |b| {
        b.to_async(rt).iter(|| through_cgi_app(black_box(&app)));
    });
    group.finish();
}

/// CPU time used so far by this process and by its reaped children, in
/// clock ticks (Linux's `/proc/self/stat`); zeros elsewhere.
fn cpu_ticks() -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0, 0);
    };
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .split_whitespace()
        .skip(11) // state … cmajflt; then utime, stime, cutime, cstime
        .take(4)
        .filter_map(|field| field.parse().ok())
        .collect();
    match fields[..] {
        [utime, stime, cutime, cstime] => (utime + stime, cutime + cstime),
        _ => (0, 0),
    }
}

/// Interleaved rounds of both, the order flipped each round, so that a
/// change of load hits both alike. Prints the ratio of the medians of the
/// rounds' wall times, of the total wall times, and of the CPU time used
/// (this process and the programs): the last one is the least disturbed
/// by whatever else the machine runs.
fn ratio(rt: &Runtime) {
    const ROUNDS: usize = 40;
    const PER_ROUND: usize = 15;
    let program = program();
    let app = CgiApp::new(&program);
    let mut wall = [Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS)];
    let mut cpu = [0u64; 2];
    rt.block_on(async {
        for round in 0..ROUNDS {
            for which in [round % 2, 1 - round % 2] {
                let (own, children) = cpu_ticks();
                let start = Instant::now();
                for _ in 0..PER_ROUND {
                    if which == 0 {
                        bare(&program).await;
                    } else {
                        through_cgi_app(&app).await;
                    }
                }
                wall[which].push(start.elapsed() / PER_ROUND as u32);
                // Let the last programs be reaped, so that their CPU time
                // is counted in this block.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let (own_after, children_after) = cpu_ticks();
                cpu[which] += (own_after - own) + (children_after - children);
            }
        }
    });
    let total = |rounds: &[Duration]| rounds.iter().sum::<Duration>().as_secs_f64();
    let total_ratio = total(&wall[1]) / total(&wall[0]);
    let [bare_rounds, cgi_rounds] = &mut wall;
    bare_rounds.sort_unstable();
    cgi_rounds.sort_unstable();
    let (bare_median, cgi_median) = (bare_rounds[ROUNDS / 2], cgi_rounds[ROUNDS / 2]);
    println!(
        "\nhi.sh, {} runs each, interleaved: median per run: bare fork+exec {bare_median:?}, \
         CgiApp {cgi_median:?}",
        ROUNDS * PER_ROUND
    );
    println!(
        "CgiApp / bare: {:.3} (medians), {total_ratio:.3} (total wall time), {:.3} (CPU time) \
         — goal: at most 1.3",
        cgi_median.as_secs_f64() / bare_median.as_secs_f64(),
        cpu[1] as f64 / cpu[0].max(1) as f64,
    );
}

fn main() {
    let rt = runtime();
    let mut criterion = Criterion::default().configure_from_args();
    compare(&mut criterion, &rt);
    criterion.final_summary();
    // `cargo test --benches` runs each benchmark once as a test: skip the
    // long comparison there.
    if std::env::args().any(|arg| arg == "--bench") {
        ratio(&rt);
    }
}
