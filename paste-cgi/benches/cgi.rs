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

/// Interleaved rounds of both, so that a change of load hits both alike:
/// the ratio of the total times.
fn ratio(rt: &Runtime) {
    const ROUNDS: usize = 20;
    const PER_ROUND: usize = 25;
    let program = program();
    let app = CgiApp::new(&program);
    let (mut bare_time, mut cgi_time) = (Duration::ZERO, Duration::ZERO);
    rt.block_on(async {
        for _ in 0..ROUNDS {
            let start = Instant::now();
            for _ in 0..PER_ROUND {
                bare(&program).await;
            }
            bare_time += start.elapsed();
            let start = Instant::now();
            for _ in 0..PER_ROUND {
                through_cgi_app(&app).await;
            }
            cgi_time += start.elapsed();
        }
    });
    let runs = (ROUNDS * PER_ROUND) as u32;
    let (bare_each, cgi_each) = (bare_time / runs, cgi_time / runs);
    println!(
        "\nhi.sh, {runs} runs each, interleaved: bare fork+exec {bare_each:?}, CgiApp {cgi_each:?}, \
         ratio {:.3} (goal: at most 1.3)",
        cgi_time.as_secs_f64() / bare_time.as_secs_f64()
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
