//! `mixed`: a long mixed load on a showcase-like site (static files,
//! gzip, sessions with cookies, CGI, the proxy), with the server's memory,
//! descriptors and children sampled all along.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::http::{Conn, get};
use super::server::{Server, Site, free_port};
use super::stats::{Latency, Sample};
use super::{Checks, Ctx};

const WORKERS: usize = 16;

/// The requests each worker makes in turn: path, extra header, what the
/// answer must have.
const KINDS: &[(&str, &str, &str)] = &[
    ("static", "/index.html", ""),
    ("gzip", "/page.html", "accept-encoding: gzip\r\n"),
    ("session", "/pages/counter.html", ""),
    ("cgi", "/cgi-bin/hello.sh", ""),
    ("proxy", "/proxy/", ""),
    ("small", "/small.txt", ""),
];

#[derive(Debug, Default)]
struct Tally {
    ok: [usize; KINDS.len()],
    errors: Vec<String>,
    times: Vec<Duration>,
}

pub(crate) async fn run(ctx: &Ctx<'_>, checks: &mut Checks) -> Result<()> {
    let minutes = ctx
        .options
        .minutes
        .unwrap_or(if ctx.options.quick { 1.0 } else { 10.0 });
    let duration = Duration::from_secs_f64(minutes * 60.0);
    let every = Duration::from_secs(if duration < Duration::from_secs(120) {
        2
    } else {
        5
    });
    let site = Site::new()?;
    let port = free_port()?;
    let config = site.config(port, "keep_alive_timeout = 5s\n", "", "")?;
    let server = Server::start(ctx.paster, &config, port)?;
    let addr = server.addr;

    // The baseline: one pass over every kind, its connection closed.
    {
        let mut conn = Conn::connect(addr).await?;
        for (_, path, extra) in KINDS {
            let _ = conn.request(&get(path, extra), false).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    let baseline = server.sample();

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|i| tokio::spawn(worker(addr, i, Arc::clone(&stop))))
        .collect();
    let started = Instant::now();
    let mut samples: Vec<(Duration, Sample)> = Vec::new();
    while started.elapsed() < duration {
        tokio::time::sleep(every).await;
        let s = server.sample();
        println!(
            "        {:>5.0} s: RSS {} KiB, {} fds, {} children",
            started.elapsed().as_secs_f64(),
            s.rss_kib,
            s.fds,
            s.children
        );
        samples.push((started.elapsed(), s));
    }
    stop.store(true, Ordering::SeqCst);
    let mut total = Tally::default();
    for w in workers {
        let t = w.await?;
        for (sum, n) in total.ok.iter_mut().zip(t.ok) {
            *sum += n;
        }
        total.errors.extend(t.errors);
        total.times.extend(t.times);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let requests: usize = total.ok.iter().sum();
    #[allow(clippy::cast_precision_loss)]
    let rate = requests as f64 / elapsed;
    checks.figure(format!(
        "{WORKERS} keep-alive clients for {:.1} min: {requests} answers ({rate:.0}/s): {}",
        elapsed / 60.0,
        KINDS
            .iter()
            .zip(total.ok)
            .map(|((name, _, _), n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(latency) = Latency::of(&total.times) {
        checks.figure(format!("latency: {latency}"));
    }
    checks.check(
        total.errors.is_empty(),
        format!(
            "{} unexpected answers or failures {:?}",
            total.errors.len(),
            total.errors.iter().take(5).collect::<Vec<_>>()
        ),
    );

    // Memory after the warm-up (the first 20 %) against the end of the run.
    let warm: Vec<_> = samples
        .iter()
        .filter(|(t, _)| *t >= duration / 5)
        .map(|(_, s)| s.rss_kib)
        .collect();
    if warm.len() >= 6 {
        let avg = |v: &[u64]| v.iter().sum::<u64>() / v.len() as u64;
        let at_warm = avg(&warm[..3]);
        let at_end = avg(&warm[warm.len() - 3..]);
        let max = samples.iter().map(|(_, s)| s.rss_kib).max().unwrap_or(0);
        #[allow(clippy::cast_precision_loss)]
        let growth = (at_end as f64 - at_warm as f64) / at_warm as f64 * 100.0;
        checks.check(
            growth < 5.0,
            format!(
                "RSS after warm-up {at_warm} KiB, at the end {at_end} KiB ({growth:+.1} %, goal < 5 %); \
                 max {max} KiB; before the load {} KiB",
                baseline.rss_kib
            ),
        );
    } else {
        checks.check(false, "too few samples after the warm-up to judge memory");
    }
    let max_fds = samples.iter().map(|(_, s)| s.fds).max().unwrap_or(0);
    let max_children = samples.iter().map(|(_, s)| s.children).max().unwrap_or(0);

    // Once the clients are gone (and idle connections timed out), the
    // descriptors come back to the baseline and no child is left.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut after = server.sample();
    while (after.fds > baseline.fds || after.children > 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        after = server.sample();
    }
    checks.check(
        after.fds <= baseline.fds,
        format!(
            "descriptors: {} before, at most {max_fds} during, {} after",
            baseline.fds, after.fds
        ),
    );
    checks.check(
        after.children == 0,
        format!(
            "children: at most {max_children} during, {} after",
            after.children
        ),
    );
    server.stop();
    Ok(())
}

async fn worker(addr: SocketAddr, first: usize, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut cookie: Option<String> = None;
    let mut conn: Option<Conn> = None;
    let mut visits = 0u64;
    let mut i = first;
    while !stop.load(Ordering::Relaxed) {
        let kind = i % KINDS.len();
        i += 1;
        let (name, path, extra) = KINDS[kind];
        if conn.is_none() {
            match Conn::connect(addr).await {
                Ok(c) => conn = Some(c),
                Err(err) => {
                    tally.errors.push(format!("connect: {err}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("connected above");
        let mut headers = extra.to_owned();
        if let Some(cookie) = &cookie {
            headers.push_str(&format!("cookie: {cookie}\r\n"));
        }
        let t = Instant::now();
        let answer = c.request(&get(path, &headers), false).await;
        let took = t.elapsed();
        let problem = match &answer {
            Ok(a) if a.status != 200 => Some(format!("{name}: status {}", a.status)),
            Ok(a) if name == "gzip" && a.header("content-encoding") != Some("gzip") => {
                Some("gzip: not compressed".to_owned())
            }
            Ok(a) if name == "session" => {
                if let Some(set) = a.header("set-cookie") {
                    cookie = set.split(';').next().map(str::to_owned);
                }
                visits += 1;
                let counted = a.text().contains(&format!("visits={visits}"));
                (!counted).then(|| format!("session: {:?} on visit {visits}", a.text().trim()))
            }
            Ok(_) => None,
            Err(err) => Some(format!("{name}: {err}")),
        };
        match problem {
            None => {
                tally.ok[kind] += 1;
                tally.times.push(took);
            }
            Some(p) => {
                tally.errors.push(p);
                if answer.is_err() {
                    conn = None;
                }
            }
        }
        if answer.is_ok_and(|a| a.close) {
            conn = None;
        }
    }
    tally
}
