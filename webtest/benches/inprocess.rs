//! In-process requests per second for a hello app: through `TestApp`
//! (lint, cookie jar, status check, body read) against calling the app
//! directly and reading its body — the baseline, measured in the same run.
//!
//! `cargo bench -p webtest --bench inprocess` prints both times and the
//! ratio (how many times slower a `TestApp` request is).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use paste_core::{App, AppFn, Body, Request, Response, app_fn, http::header};
use webtest::TestApp;

type Hello = AppFn<fn(Request) -> std::future::Ready<paste_core::Result>>;

fn hello() -> Hello {
    fn answer(_req: Request) -> std::future::Ready<paste_core::Result> {
        let mut res = Response::new(Body::from("Hello, World!"));
        res.headers_mut()
            .insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        res.headers_mut().insert(header::CONTENT_LENGTH, 13.into());
        std::future::ready(Ok(res))
    }
    app_fn(answer as fn(Request) -> std::future::Ready<paste_core::Result>)
}

async fn direct(app: &Hello) {
    let req = Request::get("/").body(Body::empty()).unwrap();
    let res = app.call(req).await.unwrap();
    black_box(res.into_body().to_bytes(1 << 20).await.unwrap());
}

async fn through(app: &TestApp) {
    black_box(app.get("/").await);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let app = hello();
    let test_app = TestApp::new(hello());
    let mut group = c.benchmark_group("hello");
    group.bench_function("direct", |b| b.to_async(&rt).iter(|| direct(&app)));
    group.bench_function("testapp", |b| b.to_async(&rt).iter(|| through(&test_app)));
    group.finish();
}

/// The ratio, from one timed loop of each in the same process.
fn ratio() {
    let rt = runtime();
    let app = hello();
    let test_app = TestApp::new(hello());
    let n = 20_000;
    let time = |f: &dyn Fn() -> Duration| {
        f(); // warm up
        f()
    };
    let base = time(&|| {
        rt.block_on(async {
            let start = Instant::now();
            for _ in 0..n {
                direct(&app).await;
            }
            start.elapsed()
        })
    });
    let ours = time(&|| {
        rt.block_on(async {
            let start = Instant::now();
            for _ in 0..n {
                through(&test_app).await;
            }
            start.elapsed()
        })
    });
    let per_sec = |d: Duration| f64::from(n) / d.as_secs_f64();
    println!(
        "hello app, {n} requests: direct {:.0}/s, TestApp {:.0}/s; TestApp takes {:.1}x the time of a direct call",
        per_sec(base),
        per_sec(ours),
        ours.as_secs_f64() / base.as_secs_f64()
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}

fn main() {
    benches();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // then only checks that the benchmarks run.
    if std::env::args().any(|a| a == "--bench") {
        ratio();
    }
    Criterion::default().configure_from_args().final_summary();
}
