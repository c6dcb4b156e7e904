//! `slow`: slow clients of every kind are cut at their limits while a
//! normal client goes on being served.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::http::{Conn, get};
use super::server::{BIG, Server, Site, free_port};
use super::stats::Latency;
use super::{Checks, Ctx};

const HEAD: Duration = Duration::from_secs(3);
const BODY: Duration = Duration::from_secs(2);
const WRITE: Duration = Duration::from_secs(2);
const KEEP_ALIVE: Duration = Duration::from_secs(2);
/// How late a cut may come, past its setting (timers are checked a few
/// times per period; the machine is shared).
const SLACK: Duration = Duration::from_millis(1500);

pub(crate) async fn run(ctx: &Ctx<'_>, checks: &mut Checks) -> Result<()> {
    let site = Site::new()?;
    let port = free_port()?;
    let settings = format!(
        "header_read_timeout = {}s\nbody_read_timeout = {}s\nwrite_timeout = {}s\n\
         keep_alive_timeout = {}s\n",
        HEAD.as_secs(),
        BODY.as_secs(),
        WRITE.as_secs(),
        KEEP_ALIVE.as_secs()
    );
    let config = site.config(port, &settings, "", "")?;
    let server = Server::start(ctx.paster, &config, port)?;
    let addr = server.addr;
    checks.figure(settings.trim().replace('\n', ", "));

    // The normal client, all along: a request every 5 ms.
    let stop = Arc::new(AtomicBool::new(false));
    let normal = tokio::spawn(normal_client(addr, Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_millis(200)).await;

    let within = |cut: Duration, limit: Duration| {
        cut + Duration::from_millis(100) >= limit && cut <= limit + SLACK
    };

    let cut = slowloris(addr).await?;
    checks.check(
        within(cut, HEAD),
        format!(
            "a head sent at 1 byte/s is cut after {} (header_read_timeout {HEAD:?})",
            secs(cut)
        ),
    );

    let (cut, status) = trickle(addr).await?;
    checks.check(
        within(cut, BODY) && status == Some(408),
        format!(
            "a body sent at 1 byte/s gets {status:?} after {} (body_read_timeout {BODY:?})",
            secs(cut)
        ),
    );

    let (cut, read) = non_reader(&server).await?;
    checks.check(
        within(cut, WRITE) && read < BIG,
        format!(
            "a client that does not read a {} MiB answer is cut after {} \
             (write_timeout {WRITE:?}; it had {} KiB when it read on)",
            BIG >> 20,
            secs(cut),
            read >> 10
        ),
    );

    let cut = idle_keep_alive(addr).await?;
    checks.check(
        within(cut, KEEP_ALIVE),
        format!(
            "an idle keep-alive connection is closed after {} (keep_alive_timeout {KEEP_ALIVE:?})",
            secs(cut)
        ),
    );

    stop.store(true, Ordering::SeqCst);
    let (times, errors) = normal.await?;
    let latency = Latency::of(&times);
    checks.check(
        errors == 0 && latency.is_some_and(|l| l.p99 < Duration::from_millis(10)),
        format!(
            "the normal client meanwhile: {}, {errors} errors (goal p99 < 10 ms)",
            latency.map_or_else(|| "no requests".into(), |l| l.to_string())
        ),
    );
    server.stop();
    Ok(())
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

async fn normal_client(addr: SocketAddr, stop: Arc<AtomicBool>) -> (Vec<Duration>, usize) {
    let mut times = Vec::new();
    let mut errors = 0;
    let mut conn = None;
    while !stop.load(Ordering::SeqCst) {
        if conn.is_none() {
            conn = Conn::connect(addr).await.ok();
        }
        let Some(c) = conn.as_mut() else {
            errors += 1;
            continue;
        };
        let t = Instant::now();
        match c.request(&get("/small.txt", ""), false).await {
            Ok(a) if a.status == 200 => times.push(t.elapsed()),
            _ => {
                errors += 1;
                conn = None;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (times, errors)
}

/// Whether the server closed `stream` within `wait` (bytes it sent are
/// read and, if asked, kept).
async fn closed_within(stream: &mut TcpStream, wait: Duration, keep: &mut Vec<u8>) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(n)) => keep.extend_from_slice(&buf[..n]),
        }
    }
}

/// A head that never ends: one byte a second. Time to the cut.
async fn slowloris(addr: SocketAddr) -> Result<Duration> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /small.txt HTTP/1.1\r\nx-slow: ")
        .await?;
    let mut seen = Vec::new();
    while started.elapsed() < HEAD * 4 {
        if stream.write_all(b"a").await.is_err()
            || closed_within(&mut stream, Duration::from_secs(1), &mut seen).await
        {
            break;
        }
    }
    Ok(started.elapsed())
}

/// A body that trickles, one byte a second, to an app that reads it. Time
/// from the end of the head to the answer (or the close), and its status.
async fn trickle(addr: SocketAddr) -> Result<(Duration, Option<u16>)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(b"POST /cgi-bin/read.sh HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n")
        .await?;
    let started = Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < BODY * 4 && seen.is_empty() {
        if stream.write_all(b"a").await.is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Err(_) => {}
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let cut = started.elapsed();
    let status = std::str::from_utf8(&seen)
        .ok()
        .and_then(|s| super::http::parse_status_line(s.lines().next()?).ok());
    Ok((cut, status))
}

/// A client that asks for a big file and reads nothing. Time from the
/// request until the server has let go of the connection (its descriptor
/// count back down), and how much the client then reads before the end.
async fn non_reader(server: &Server) -> Result<(Duration, usize)> {
    // The fewest descriptors over a few looks: the normal client's
    // requests open a file now and then.
    let mut baseline = usize::MAX;
    for _ in 0..20 {
        baseline = baseline.min(server.sample().fds);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    let mut stream = socket.connect(server.addr).await?;
    stream
        .write_all(b"GET /big.bin HTTP/1.1\r\nhost: x\r\n\r\n")
        .await?;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(100)).await;
    while started.elapsed() < WRITE * 4 {
        if server.sample().fds <= baseline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cut = started.elapsed();
    let mut read = 0;
    let mut buf = vec![0u8; 1 << 16];
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            read += n;
        }
    })
    .await;
    Ok((cut, read))
}

/// A kept-alive connection left idle after its answer: time to the close.
async fn idle_keep_alive(addr: SocketAddr) -> Result<Duration> {
    let mut conn = Conn::connect(addr).await?;
    let answer = conn.request(&get("/small.txt", ""), false).await;
    anyhow::ensure!(matches!(answer, Ok(ref a) if a.status == 200), "{answer:?}");
    let started = Instant::now();
    let _ = tokio::time::timeout(KEEP_ALIVE * 4, conn.until_closed()).await;
    Ok(started.elapsed())
}
