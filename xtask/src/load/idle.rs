//! `idle`: thousands of idle keep-alive connections held while another
//! client is served; then the connection limit refuses cleanly and
//! service resumes when connections close.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::Semaphore;

use super::http::{Conn, Failure, get};
use super::server::{Server, Site, free_port};
use super::stats::{Latency, ms};
use super::{Checks, Ctx};

/// The goal: 10,000 idle connections.
const GOAL: usize = 10_000;

pub(crate) async fn run(ctx: &Ctx<'_>, checks: &mut Checks) -> Result<()> {
    let site = Site::new()?;
    // Each side holds one descriptor a connection, in its own process.
    let wanted = if ctx.options.quick { 2_000 } else { GOAL };
    let room = usize::try_from(ctx.fd_limit.saturating_sub(500)).unwrap_or(usize::MAX);
    let n = wanted.min(room);
    if n < wanted {
        println!(
            "  note: the open-file limit is {}: scaled down to {n} connections (raise `ulimit -Hn`)",
            ctx.fd_limit
        );
    }
    held_while_served(ctx, &site, n, checks).await?;
    limit_refuses_cleanly(ctx, &site, checks).await
}

async fn held_while_served(
    ctx: &Ctx<'_>,
    site: &Site,
    n: usize,
    checks: &mut Checks,
) -> Result<()> {
    let port = free_port()?;
    let config = site.config(
        port,
        &format!(
            "max_connections = {}\nkeep_alive_timeout = 300s\nheader_read_timeout = 300s\n",
            n + 100
        ),
        "",
        "",
    )?;
    let server = Server::start(ctx.paster, &config, port)?;
    let addr = server.addr;
    let before = server.sample();

    // Open the idle connections, 200 at a time; each makes one request
    // (so that it is a kept-alive connection, past its first head).
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(200));
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..n {
        let gate = Arc::clone(&gate);
        opening.spawn(async move {
            let _permit = gate.acquire_owned().await.ok()?;
            let mut conn = Conn::connect(addr).await.ok()?;
            let answer = conn.request(&get("/small.txt", ""), false).await.ok()?;
            (answer.status == 200).then_some(conn)
        });
    }
    let mut idle = Vec::with_capacity(n);
    let mut failed_to_open = 0;
    while let Some(result) = opening.join_next().await {
        match result.ok().flatten() {
            Some(conn) => idle.push(conn),
            None => failed_to_open += 1,
        }
    }
    let held = server.sample();
    checks.figure(format!(
        "{} idle keep-alive connections opened in {:.1} s ({failed_to_open} failed); \
         server: {} fds, RSS {} MiB (was {} fds, {} MiB)",
        idle.len(),
        started.elapsed().as_secs_f64(),
        held.fds,
        held.rss_kib / 1024,
        before.fds,
        before.rss_kib / 1024
    ));
    checks.check(
        idle.len() == n,
        format!("{} of {n} idle connections held", idle.len()),
    );

    // Another client, sequential requests on its own connection.
    let mut client = Conn::connect(addr).await?;
    let mut times = Vec::new();
    let mut errors = 0;
    let count = if ctx.options.quick { 2_000 } else { 5_000 };
    for _ in 0..count {
        let t = Instant::now();
        match client.request(&get("/small.txt", ""), false).await {
            Ok(a) if a.status == 200 && a.body.len() == 1024 => times.push(t.elapsed()),
            _ => {
                errors += 1;
                client = Conn::connect(addr).await?;
            }
        }
    }
    let latency = Latency::of(&times).unwrap_or(Latency {
        count: 0,
        p50: Duration::MAX,
        p99: Duration::MAX,
        max: Duration::MAX,
    });
    checks.figure(format!("served alongside: {latency}, {errors} errors"));
    checks.check(
        errors == 0 && latency.p99 < Duration::from_millis(10),
        format!(
            "p99 {} < 10 ms with {} idle connections, 0 errors",
            ms(latency.p99),
            idle.len()
        ),
    );

    // The idle connections are still alive and serve.
    let mut alive = 0;
    let step = (idle.len() / 200).max(1);
    let probed = idle.iter().step_by(step).count();
    for conn in idle.iter_mut().step_by(step) {
        if matches!(conn.request(&get("/small.txt", ""), false).await, Ok(a) if a.status == 200) {
            alive += 1;
        }
    }
    checks.check(
        alive == probed,
        format!("{alive} of {probed} sampled idle connections still serve"),
    );
    drop(idle);
    drop(client);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.sample();
    checks.figure(format!(
        "after closing them: server {} fds (was {})",
        after.fds, before.fds
    ));
    server.stop();
    Ok(())
}

/// With `max_connections = 100`, connection 101 gets a 503 it can read
/// (no reset, even though it sent a request), at once; when some close,
/// new connections are served again.
async fn limit_refuses_cleanly(ctx: &Ctx<'_>, site: &Site, checks: &mut Checks) -> Result<()> {
    const LIMIT: usize = 100;
    let port = free_port()?;
    let config = site.config(port, &format!("max_connections = {LIMIT}\n"), "", "")?;
    let server = Server::start(ctx.paster, &config, port)?;
    let addr = server.addr;
    let mut open = Vec::new();
    for _ in 0..LIMIT {
        let mut conn = Conn::connect(addr).await?;
        let answer = conn.request(&get("/small.txt", ""), false).await;
        if matches!(answer, Ok(a) if a.status == 200) {
            open.push(conn);
        }
    }
    checks.check(
        open.len() == LIMIT,
        format!("{} of {LIMIT} connections served", open.len()),
    );

    let mut refused = 0;
    let mut resets = 0;
    let mut other = Vec::new();
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let mut extra = Conn::connect(addr).await?;
        // A request with a body the server never reads: a close with it
        // unread would be a reset.
        let body = "x".repeat(100_000);
        let request = format!(
            "POST /small.txt HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let sent = extra.send(request.as_bytes()).await;
        match (sent, extra.answer(false).await) {
            (_, Ok(a)) if a.status == 503 && a.close => {
                times.push(t.elapsed());
                match extra.until_closed().await {
                    Ok(_) => refused += 1,
                    Err(_) => resets += 1,
                }
            }
            (_, Err(Failure::Reset)) | (Err(Failure::Reset), _) => resets += 1,
            (_, answer) => other.push(format!("{answer:?}")),
        }
    }
    let latency = Latency::of(&times);
    checks.figure(format!(
        "connection {} and later: {refused} clean 503s, {resets} resets, {} other; time to the 503: {}",
        LIMIT + 1,
        other.len(),
        latency.map_or_else(|| "-".into(), |l| format!("p50 {}, max {}", ms(l.p50), ms(l.max)))
    ));
    checks.check(
        refused == 50 && resets == 0 && other.is_empty(),
        format!("50 of 50 refused with a readable 503 and a clean close ({other:?})"),
    );

    // The connections open are still served, and closing some makes room.
    let still = open[0].request(&get("/small.txt", ""), false).await;
    checks.check(
        matches!(still, Ok(ref a) if a.status == 200),
        "an open connection is still served at the limit",
    );
    open.truncate(LIMIT - 10);
    let t = Instant::now();
    let mut resumed = false;
    while t.elapsed() < Duration::from_secs(5) {
        let mut conn = Conn::connect(addr).await?;
        if matches!(conn.request(&get("/small.txt", ""), false).await, Ok(a) if a.status == 200) {
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    checks.check(
        resumed,
        format!(
            "service resumes once 10 connections close (after {})",
            ms(t.elapsed())
        ),
    );
    server.stop();
    Ok(())
}
