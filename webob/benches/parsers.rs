//! Throughput of webob's parsers of untrusted input, in bytes per second:
//! the query string, the Cookie header, the Accept header (with
//! negotiation), and a multipart form with a file (streamed, as a server
//! hands it over).
//!
//! `cargo bench -p webob --bench parsers`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use webob::Request;
use webob::accept::Accept;
use webob::cookies::Cookies;

fn query_string(c: &mut Criterion) {
    let query: String = (0..20)
        .map(|i| format!("field{i}=value+number+{i}%21&tag=t{i}"))
        .collect::<Vec<_>>()
        .join("&");
    let target = format!("/search?{query}");
    let mut group = c.benchmark_group("query_string");
    group.throughput(Throughput::Bytes(query.len() as u64));
    // Baseline: the url crate's lenient parser into owned pairs (it keeps
    // bad escapes and replaces bad UTF-8, where webob refuses both).
    group.bench_function("form_urlencoded_baseline/40_pairs", |b| {
        b.iter(|| {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(black_box(query.as_bytes()))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            black_box(pairs.len())
        });
    });
    group.bench_function("get_params/40_pairs", |b| {
        b.iter_batched(
            || Request::blank(&target),
            |req| black_box(req.get_params().map(|p| p.len())),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn cookie_header(c: &mut Criterion) {
    let header: String = (0..30)
        .map(|i| format!("cookie_{i}=\"some value {i}\"; plain{i}=abcdef0123456789"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut group = c.benchmark_group("cookie");
    group.throughput(Throughput::Bytes(header.len() as u64));
    // Baseline: the cookie crate's strict splitter (it stops at nothing
    // lenient: quoted values and junk pairs are its caller's problem).
    group.bench_function("cookie_crate_baseline/60_cookies", |b| {
        b.iter(|| {
            black_box(
                cookie::Cookie::split_parse(black_box(header.as_str()))
                    .filter_map(Result::ok)
                    .count(),
            )
        });
    });
    group.bench_function("parse/60_cookies", |b| {
        b.iter(|| black_box(Cookies::parse(black_box(&header)).len()));
    });
    group.finish();
}

fn accept_header(c: &mut Criterion) {
    // What a browser sends, and a fussier API client.
    let browser =
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
    let offers = ["application/json", "text/html", "text/plain"];
    let mut group = c.benchmark_group("accept");
    group.throughput(Throughput::Bytes(browser.len() as u64));
    group.bench_function("parse_and_negotiate/browser", |b| {
        b.iter(|| black_box(Accept::parse(black_box(browser)).best_match(&offers, None)));
    });
    group.finish();
}

fn multipart_form(c: &mut Criterion) {
    let file = vec![b'x'; 256 * 1024];
    let fields = [("title", "A picture"), ("description", "Taken at dawn")];
    let files = [("upload", "photo.jpg", "image/jpeg", &file[..])];
    let template = Request::blank("/upload").with_multipart(&fields, &files);
    let size = template
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(file.len() as u64);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut group = c.benchmark_group("multipart");
    group.throughput(Throughput::Bytes(size));
    group.bench_function("form/256KiB_file_2_fields", |b| {
        b.to_async(&runtime).iter_batched(
            || Request::blank("/upload").with_multipart(&fields, &files),
            |mut req| async move {
                let form = req.form().await.map(|f| f.files().len());
                black_box(form)
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(
    benches,
    query_string,
    cookie_header,
    accept_header,
    multipart_form
);
criterion_main!(benches);
