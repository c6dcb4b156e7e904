//! `faults`: backends that fail behind the proxy (wsgiproxy) and CGI
//! scripts that fail (paste-cgi), through the real server: each gets the
//! right 5xx or a visibly cut answer, leaks nothing of the backend, and
//! leaves no stuck connection or child behind.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::http::{Answer, Conn, Failure, get};
use super::server::{Server, Site, free_port};
use super::stats;
use super::{Checks, Ctx};

/// The proxy's and the CGI app's timeout in the config.
const TIMEOUT: Duration = Duration::from_secs(2);

/// How a faulty backend behaves once it has read a request head.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Never answers (holds the connection until the proxy lets go).
    Hang,
    /// Promises 100,000 bytes, sends 1,000, and closes.
    DieMidBody,
    /// Answers with something that is not HTTP.
    Garbage,
}

/// A faulty backend; counts the proxy connections it holds open.
async fn backend(fault: Fault) -> Result<(SocketAddr, Arc<AtomicUsize>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let open = Arc::new(AtomicUsize::new(0));
    let held = Arc::clone(&open);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let open = Arc::clone(&held);
            tokio::spawn(async move {
                open.fetch_add(1, Ordering::SeqCst);
                let mut buf = vec![0u8; 65536];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                match fault {
                    Fault::Hang => {
                        // Until the proxy closes its end.
                        while matches!(stream.read(&mut buf).await, Ok(1..)) {}
                    }
                    Fault::DieMidBody => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\n")
                            .await;
                        let _ = stream.write_all(&[b'd'; 1000]).await;
                    }
                    Fault::Garbage => {
                        let _ = stream
                            .write_all(b"SECRET-BACKEND-DETAIL garbage\r\n\r\nmore garbage")
                            .await;
                    }
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Ok((addr, open))
}

/// What a case should give.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Status(&'static [u16]),
    /// An answer that does not look whole: the body cut short (or, when
    /// the failure comes before the head has left, no answer at all).
    Cut,
}

pub(crate) async fn run(ctx: &Ctx<'_>, checks: &mut Checks) -> Result<()> {
    let site = Site::new()?;
    let refused_port = free_port()?;
    let (hang, hang_open) = backend(Fault::Hang).await?;
    let (die, _) = backend(Fault::DieMidBody).await?;
    let (garbage, _) = backend(Fault::Garbage).await?;
    let timeout = TIMEOUT.as_secs();
    let proxy = |name: &str, addr: String| {
        format!(
            "[app:{name}]\nuse = egg:Paste#proxy\naddress = http://{addr}\n\
             connect_timeout = {timeout}s\ntimeout = {timeout}s\nbody_timeout = {timeout}s\n\n"
        )
    };
    let extra = [
        proxy("p_refused", format!("127.0.0.1:{refused_port}")),
        proxy("p_hang", hang.to_string()),
        proxy("p_die", die.to_string()),
        proxy("p_garbage", garbage.to_string()),
    ]
    .concat();
    let mounts =
        "/f/refused = p_refused\n/f/hang = p_hang\n/f/die = p_die\n/f/garbage = p_garbage\n";
    let port = free_port()?;
    let config = site.config(port, "", mounts, &extra)?;
    let server = Server::start(ctx.paster, &config, port)?;
    let addr = server.addr;

    // A baseline after one request of each healthy kind.
    for path in ["/small.txt", "/cgi-bin/hello.sh", "/proxy/"] {
        let mut conn = Conn::connect(addr).await?;
        let _ = conn.request(&get(path, ""), false).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline = server.sample();

    let secrets = [
        "127.0.0.1".to_owned(),
        "os error".into(),
        "refused".into(),
        "SECRET".into(),
        "secret-detail".into(),
        "passwd".into(),
        refused_port.to_string(),
        hang.port().to_string(),
        garbage.port().to_string(),
        site.path().display().to_string(),
        ".sh".into(),
    ];
    let cases: &[(&str, &str, Expect)] = &[
        (
            "proxy: backend refuses the connection",
            "/f/refused/x",
            Expect::Status(&[502, 503]),
        ),
        (
            "proxy: backend never answers",
            "/f/hang/x",
            Expect::Status(&[504]),
        ),
        ("proxy: backend dies mid-body", "/f/die/x", Expect::Cut),
        (
            "proxy: backend answers garbage",
            "/f/garbage/x",
            Expect::Status(&[502]),
        ),
        (
            "cgi: script hangs before its head",
            "/cgi-bin/hang_head.sh",
            Expect::Status(&[504]),
        ),
        (
            "cgi: script hangs after its head",
            "/cgi-bin/hang.sh",
            Expect::Cut,
        ),
        (
            "cgi: script dies mid-output (with a Content-Length)",
            "/cgi-bin/die.sh",
            Expect::Cut,
        ),
        (
            "cgi: script dies mid-output (no length)",
            "/cgi-bin/die_chunked.sh",
            Expect::Cut,
        ),
        (
            "cgi: script prints a garbage head",
            "/cgi-bin/garbage.sh",
            Expect::Status(&[502]),
        ),
        (
            "cgi: script floods stderr (4 MB)",
            "/cgi-bin/flood.sh",
            Expect::Status(&[200]),
        ),
    ];
    for (what, path, expect) in cases {
        let mut conn = Conn::connect(addr).await?;
        let started = Instant::now();
        let answer = tokio::time::timeout(TIMEOUT * 5, conn.request(&get(path, ""), false)).await;
        let took = started.elapsed();
        let answer: Result<Answer, Failure> = answer.unwrap_or(Err(Failure::Io(
            std::io::Error::other("no answer within 10 s"),
        )));
        let (ok, saw) = match (&answer, expect) {
            (Ok(a), Expect::Status(wanted)) => {
                let leaked: Vec<_> = secrets
                    .iter()
                    .filter(|s| a.text().contains(s.as_str()))
                    .collect();
                (
                    wanted.contains(&a.status) && leaked.is_empty(),
                    format!(
                        "{} ({} bytes{})",
                        a.status,
                        a.body.len(),
                        if leaked.is_empty() {
                            String::new()
                        } else {
                            format!(", LEAKS {leaked:?}")
                        }
                    ),
                )
            }
            (Err(Failure::Cut | Failure::Reset), Expect::Cut) => (true, "cut short".to_owned()),
            // The head had not left yet: the connection closes with nothing.
            (Err(Failure::Closed), Expect::Cut) => (true, "closed before any answer".to_owned()),
            (Ok(a), Expect::Cut) if a.status >= 500 => {
                (true, format!("{} before any body", a.status))
            }
            (other, _) => (false, format!("{other:?}")),
        };
        // The connection afterwards: closed, or still serving.
        let after = if answer.as_ref().is_ok_and(|a| !a.close) {
            match conn.request(&get("/small.txt", ""), false).await {
                Ok(a) if a.status == 200 => "connection still serves",
                _ => "connection broken after the answer",
            }
        } else {
            "connection closed"
        };
        checks.check(
            ok && after != "connection broken after the answer",
            format!("{what}: {saw} after {:.2} s; {after}", took.as_secs_f64()),
        );
    }

    // Nothing left behind: no child, no connection to the hanging backend,
    // descriptors back to the baseline, and the server serves.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut now = server.sample();
    while (now.children > 0 || now.fds > baseline.fds || hang_open.load(Ordering::SeqCst) > 0)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        now = server.sample();
    }
    checks.check(
        now.children == 0,
        format!(
            "children left: {} {:?}",
            now.children,
            stats::children(server.pid())
        ),
    );
    checks.check(
        hang_open.load(Ordering::SeqCst) == 0,
        format!(
            "proxy connections left open to the hanging backend: {}",
            hang_open.load(Ordering::SeqCst)
        ),
    );
    checks.check(
        now.fds <= baseline.fds,
        format!(
            "server descriptors: {} (baseline {})",
            now.fds, baseline.fds
        ),
    );
    let mut conn = Conn::connect(addr).await?;
    let still = conn.request(&get("/small.txt", ""), false).await;
    checks.check(
        matches!(still, Ok(ref a) if a.status == 200),
        "the server still serves",
    );
    server.stop();
    Ok(())
}
