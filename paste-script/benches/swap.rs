//! The cost of `--reload`'s swappable app: a request through `SwapApp`
//! against the same app called directly, in the same run.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use paste_core::{App, BoxApp, Request, Response, app_fn};
use paste_script::SwapApp;

fn hello() -> BoxApp {
    BoxApp::new(app_fn(|_req| async { Ok(Response::new("Hello".into())) }))
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let direct = hello();
    let swapped = SwapApp::new(hello());
    let mut group = c.benchmark_group("call");
    group.bench_function("BoxApp (baseline)", |b| {
        b.iter(|| {
            runtime
                .block_on(direct.call(Request::new(().into())))
                .unwrap()
        });
    });
    group.bench_function("SwapApp", |b| {
        b.iter(|| {
            runtime
                .block_on(swapped.call(Request::new(().into())))
                .unwrap()
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
