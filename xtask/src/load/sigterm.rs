//! `sigterm`: SIGTERM in the middle of a sustained load. Every request
//! sent before the signal gets its whole answer, none of their connections
//! is reset, new connections are refused, and the process exits within its
//! drain timeout.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::task::JoinSet;

use super::http::{Conn, Failure, get};
use super::server::{Server, Site, free_port};
use super::{Checks, Ctx};

const DRAIN: Duration = Duration::from_secs(5);
const FAST_CLIENTS: usize = 48;
const SLOW_CLIENTS: usize = 8;

/// What one client saw.
#[derive(Debug, Default)]
struct Tally {
    /// Requests sent before the signal: whole answers, resets, other failures.
    before_ok: usize,
    before_reset: usize,
    before_other: Vec<String>,
    /// Requests sent after it (on connections still open).
    after_ok: usize,
    after_failed: usize,
    /// New connections tried well after the signal: refused, accepted.
    refused: usize,
    accepted: usize,
    /// Slow requests sent before the signal and answered after it, and
    /// the latest such answer, after the signal.
    slow_across: usize,
    last_across: Duration,
}

pub(crate) async fn run(ctx: &Ctx<'_>, checks: &mut Checks) -> Result<()> {
    let site = Site::new()?;
    let port = free_port()?;
    let config = site.config(
        port,
        &format!("drain_timeout = {}s\n", DRAIN.as_secs()),
        "",
        "",
    )?;
    let server = Server::start(ctx.paster, &config, port)?;
    let addr = server.addr;
    let signal: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let mut clients = JoinSet::new();
    for i in 0..FAST_CLIENTS + SLOW_CLIENTS {
        let path = if i < FAST_CLIENTS {
            "/small.txt"
        } else {
            "/cgi-bin/sleep.sh"
        };
        // The slow clients start staggered, so that some are early and
        // some late in their second when the signal comes.
        let delay = Duration::from_millis(
            1000 * (i.saturating_sub(FAST_CLIENTS)) as u64 / SLOW_CLIENTS as u64,
        );
        let signal = Arc::clone(&signal);
        clients.spawn(async move {
            tokio::time::sleep(delay).await;
            client(addr, path, signal).await
        });
    }
    let load = if ctx.options.quick { 3 } else { 10 };
    tokio::time::sleep(Duration::from_secs(load)).await;

    let sent = Instant::now();
    let _ = signal.set(sent);
    server.sigterm()?;
    let exit = tokio::task::spawn_blocking(move || {
        let mut server = server;
        let status = server.wait_exit(DRAIN + Duration::from_secs(5));
        (status.ok().flatten(), sent.elapsed(), server)
    });
    let mut total = Tally::default();
    while let Some(tally) = clients.join_next().await {
        let t = tally?;
        total.before_ok += t.before_ok;
        total.before_reset += t.before_reset;
        total.before_other.extend(t.before_other);
        total.after_ok += t.after_ok;
        total.after_failed += t.after_failed;
        total.refused += t.refused;
        total.accepted += t.accepted;
        total.slow_across += t.slow_across;
        total.last_across = total.last_across.max(t.last_across);
    }
    let (status, took, _server) = exit.await?;
    checks.figure(format!(
        "{FAST_CLIENTS} keep-alive clients of a static file and {SLOW_CLIENTS} of a 1 s CGI script \
         for {load} s, then SIGTERM (drain_timeout {DRAIN:?})"
    ));
    checks.check(
        total.before_reset == 0 && total.before_other.is_empty() && total.before_ok > 0,
        format!(
            "requests sent before the signal: {} whole answers, {} resets, {} other failures {:?}",
            total.before_ok,
            total.before_reset,
            total.before_other.len(),
            total.before_other.iter().take(5).collect::<Vec<_>>()
        ),
    );
    checks.figure(format!(
        "of them, {} slow requests in flight at the signal, the last answered {:.2} s after it",
        total.slow_across,
        total.last_across.as_secs_f64()
    ));
    checks.figure(format!(
        "requests sent after it, on connections still open: {} answered, {} not (closed by the drain)",
        total.after_ok, total.after_failed
    ));
    checks.check(
        total.accepted == 0,
        format!(
            "new connections 200 ms after the signal: {} refused, {} accepted",
            total.refused, total.accepted
        ),
    );
    checks.check(
        status.is_some() && took <= DRAIN + Duration::from_secs(1),
        format!(
            "the process exited {:.2} s after the signal ({status:?}; drain_timeout {DRAIN:?} + 1 s)",
            took.as_secs_f64()
        ),
    );
    Ok(())
}

async fn client(addr: SocketAddr, path: &'static str, signal: Arc<OnceLock<Instant>>) -> Tally {
    let mut tally = Tally::default();
    let request = get(path, "");
    let mut conn: Option<Conn> = None;
    loop {
        let signalled = signal.get().copied();
        if conn.is_none() {
            let late = signalled.is_some_and(|t| t.elapsed() > Duration::from_millis(200));
            match Conn::connect(addr).await {
                Ok(c) if late => {
                    drop(c);
                    tally.accepted += 1;
                    return tally;
                }
                Ok(c) => conn = Some(c),
                Err(_) if late => {
                    tally.refused += 1;
                    return tally;
                }
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("connected above");
        let sent = c.send(&request).await;
        let sent_at = Instant::now();
        let before = signal.get().is_none_or(|t| sent_at < *t);
        let answer = match sent {
            Ok(()) => c.answer(false).await,
            Err(err) => Err(err),
        };
        match answer {
            Ok(a) if a.status == 200 => {
                if let Some(t) = signal.get()
                    && before
                    && path.contains("sleep")
                {
                    tally.slow_across += 1;
                    tally.last_across = tally.last_across.max(t.elapsed());
                }
                if before {
                    tally.before_ok += 1;
                } else {
                    tally.after_ok += 1;
                }
                if a.close {
                    conn = None;
                }
            }
            Ok(a) => {
                if before {
                    tally.before_other.push(format!("status {}", a.status));
                } else {
                    tally.after_failed += 1;
                }
                conn = None;
            }
            Err(err) => {
                if before {
                    match err {
                        Failure::Reset => tally.before_reset += 1,
                        other => tally.before_other.push(other.to_string()),
                    }
                } else {
                    tally.after_failed += 1;
                }
                conn = None;
            }
        }
    }
}
