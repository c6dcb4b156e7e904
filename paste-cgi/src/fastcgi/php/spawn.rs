//! [`Supervisor`]: the `php-cgi -b` that a [`PhpApp`](crate::PhpApp)
//! starts on demand, restarts when it died, and kills when dropped.
//!
//! - It listens on a Unix socket in a private folder (mode 0700) made for
//!   it: no port to choose, so no race for one (WPHP bound a port, let it
//!   go and hoped php-cgi would get it), and no other user can connect.
//! - It is started under a lock by the first request that needs it; the
//!   others wait for that start. Readiness is a connect to its socket,
//!   tried with growing pauses until the start timeout; php-cgi exiting
//!   meanwhile, or not listening in time, is an error that says why,
//!   with the last lines php-cgi wrote (WPHP spun on connect for ever).
//! - `PHP_FCGI_CHILDREN` is the app's connection limit, so that every
//!   connection the pool keeps has a child to serve it; the master php-cgi
//!   starts a new child when one exits (after `PHP_FCGI_MAX_REQUESTS`, or
//!   killed).
//! - It gets the allow-listed variables of the server's environment
//!   (`PATH` by default), never the whole of it.
//! - It leads its own process group, killed whole when the app is dropped
//!   or php-cgi is replaced: the master's children go with it.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use http::header::{self, HeaderValue};
use paste_core::Error;
use rustix::process::{Pid, Signal, kill_process_group};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::UnixStream;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::app::Line;
use crate::fastcgi::FastCgiAddr;
use crate::fastcgi::client::{Pool, Settings};

/// After a failed start, requests fail at once with the same error for
/// this long, rather than each trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// How php-cgi is started.
#[derive(Clone, Debug)]
pub(crate) struct SpawnConfig {
    /// The program: a path, or a name looked up on `PATH`.
    pub(crate) program: PathBuf,
    /// `-c`: a php.ini file or the folder holding one.
    pub(crate) ini: Option<PathBuf>,
    /// `-d name=value`, in order.
    pub(crate) options: Vec<(String, String)>,
    /// `PHP_FCGI_MAX_REQUESTS`; php-cgi's own default (500) when `None`.
    pub(crate) max_requests: Option<u32>,
    pub(crate) start_timeout: Duration,
}

impl Default for SpawnConfig {
    fn default() -> Self {
        Self {
            program: PathBuf::from("php-cgi"),
            ini: None,
            options: Vec::new(),
            max_requests: None,
            start_timeout: Duration::from_secs(10),
        }
    }
}

/// One php-cgi, started when first needed, shared by the clones of an app.
pub(crate) struct Supervisor {
    config: SpawnConfig,
    /// Its working folder: the app's folder.
    root: PathBuf,
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    // Dropped in this order: php-cgi is killed before its folder goes.
    running: Option<Running>,
    dir: Option<PrivateDir>,
    generation: u64,
    failed: Option<(Instant, Arc<str>)>,
}

/// A php-cgi that was started, and the pool of connections to it.
struct Running {
    child: Child,
    pid: u32,
    pgid: Option<Pid>,
    pool: Arc<Pool>,
    socket: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        kill_group(self.pgid);
        let _ = std::fs::remove_file(&self.socket);
        // The child itself is reaped by tokio (`kill_on_drop`).
    }
}

fn kill_group(pgid: Option<Pid>) {
    if let Some(pgid) = pgid {
        // ESRCH: the group is gone already.
        let _ = kill_process_group(pgid, Signal::KILL);
    }
}

/// Kills a process group when dropped, unless disarmed: a start that
/// fails, or whose request is cancelled half-way, leaves nothing running.
struct GroupGuard(Option<Pid>);

impl GroupGuard {
    fn disarm(mut self) -> Option<Pid> {
        self.0.take()
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

/// A folder only this user can enter, removed with its content on drop.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn create() -> std::io::Result<Self> {
        let base = std::env::temp_dir();
        let mut last = None;
        for attempt in 0..16u32 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let name = format!("paste-php-{}-{nanos:x}-{attempt}", std::process::id());
            let path = base.join(name);
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(Self(path)),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => last = Some(err),
                Err(err) => return Err(err),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free folder name")))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("config", &self.config)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    pub(crate) fn new(config: SpawnConfig, root: PathBuf) -> Self {
        Self {
            config,
            root,
            state: tokio::sync::Mutex::default(),
        }
    }

    /// The pool of connections to a running php-cgi: the one running, or
    /// one started now (again, if the last one died).
    pub(crate) async fn pool(&self, settings: &Settings) -> Result<Arc<Pool>, Error> {
        let mut state = self.state.lock().await;
        if let Some(running) = state.running.as_mut() {
            match running.child.try_wait() {
                Ok(None) if !running.pool.is_unreachable() => {
                    return Ok(Arc::clone(&running.pool));
                }
                Ok(None) => tracing::warn!(
                    pid = running.pid,
                    "php-cgi no longer accepts connections on its socket: starting a new one"
                ),
                Ok(Some(status)) => tracing::warn!(
                    pid = running.pid,
                    "php-cgi exited ({status}): starting it again"
                ),
                Err(err) => tracing::warn!(
                    pid = running.pid,
                    "php-cgi's state is unknown ({err}): starting a new one"
                ),
            }
            state.running = None;
        }
        if let Some((at, why)) = &state.failed
            && at.elapsed() < RETRY_AFTER_FAILURE
        {
            return Err(start_failed(why));
        }
        state.generation += 1;
        match self.start(&mut state, settings).await {
            Ok(running) => {
                state.failed = None;
                let pool = Arc::clone(&running.pool);
                state.running = Some(running);
                Ok(pool)
            }
            Err(why) => {
                tracing::error!("{why}");
                let why: Arc<str> = why.into();
                let err = start_failed(&why);
                state.failed = Some((Instant::now(), why));
                Err(err)
            }
        }
    }

    async fn start(&self, state: &mut State, settings: &Settings) -> Result<Running, String> {
        let program = find_program(&self.config.program)?;
        let shown = program.display().to_string();
        let dir = match &state.dir {
            Some(dir) => dir.0.clone(),
            None => {
                let dir = PrivateDir::create()
                    .map_err(|err| format!("no folder for php-cgi's socket: {err}"))?;
                let path = dir.0.clone();
                state.dir = Some(dir);
                path
            }
        };
        let socket = dir.join(format!("php-{}.sock", state.generation));
        if socket.as_os_str().as_encoded_bytes().contains(&b':') {
            return Err(format!(
                "php-cgi's socket path {} holds a `:`, which php-cgi takes for host:port; set TMPDIR elsewhere",
                socket.display()
            ));
        }
        let _ = std::fs::remove_file(&socket);

        let children = settings.max_connections.max(1);
        let mut command = Command::new(&program);
        command.arg("-b").arg(&socket);
        if let Some(ini) = &self.config.ini {
            command.arg("-c").arg(ini);
        }
        for (name, value) in &self.config.options {
            command.arg("-d").arg(format!("{name}={value}"));
        }
        command
            .env_clear()
            .envs(settings.env.inherited())
            .env("PHP_FCGI_CHILDREN", children.to_string());
        if let Some(max) = self.config.max_requests {
            command.env("PHP_FCGI_MAX_REQUESTS", max.to_string());
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if self.root.is_dir() {
            command.current_dir(&self.root);
        }
        let mut child = command
            .spawn()
            .map_err(|err| format!("`{shown}` could not be started: {err}"))?;
        let pid = child.id().unwrap_or(0);
        // The child leads its own group: its pid is the group's id. Never
        // 0 or 1: `kill(-1)` would reach every process we may signal.
        let guard = GroupGuard(
            i32::try_from(pid)
                .ok()
                .filter(|id| *id > 1)
                .and_then(Pid::from_raw),
        );
        let name: Arc<str> = format!("php-cgi[{pid}]").into();
        let tail = Arc::new(Mutex::new(Tail::default()));
        let mut drains = Vec::new();
        if let Some(out) = child.stdout.take() {
            drains.push(tokio::spawn(drain(out, name.clone(), tail.clone())));
        }
        if let Some(err) = child.stderr.take() {
            drains.push(tokio::spawn(drain(err, name.clone(), tail.clone())));
        }

        let deadline = Instant::now() + self.config.start_timeout;
        let mut pause = Duration::from_millis(5);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    // Let it finish saying why (its pipes close as it exits).
                    let _ = tokio::time::timeout(Duration::from_secs(1), async {
                        for drain in drains {
                            let _ = drain.await;
                        }
                    })
                    .await;
                    return Err(format!(
                        "`{shown}` exited at start ({status}){}",
                        said(&tail)
                    ));
                }
                Ok(None) => {}
                Err(err) => return Err(format!("`{shown}` could not be watched: {err}")),
            }
            if UnixStream::connect(&socket).await.is_ok() {
                break;
            }
            if Instant::now() >= deadline {
                let _ = std::fs::remove_file(&socket);
                return Err(format!(
                    "`{shown}` did not listen on {} within {:?}{}",
                    socket.display(),
                    self.config.start_timeout,
                    said(&tail)
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
        tracing::info!(
            pid,
            socket = %socket.display(),
            children,
            "php-cgi started"
        );
        let pool = Pool::new(FastCgiAddr::Unix(socket.clone()), settings.pool_config());
        Ok(Running {
            child,
            pid,
            pgid: guard.disarm(),
            pool,
            socket,
        })
    }
}

/// The 503 of a php-cgi that could not be started; `why` is in its
/// source (the server's log), not shown to the client.
fn start_failed(why: &str) -> Error {
    Error::new(StatusCode::SERVICE_UNAVAILABLE)
        .with_message(
            "Service Unavailable: the PHP interpreter could not be started; the details are in the server log",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
        .with_source(std::io::Error::other(why.to_owned()))
}

/// `program` itself when it is a path, else the first executable of that
/// name on the server's `PATH`.
fn find_program(program: &Path) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    if program.components().count() > 1 || program.is_absolute() {
        return Ok(program.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(program);
        if let Ok(meta) = std::fs::metadata(&candidate)
            && meta.is_file()
            && meta.permissions().mode() & 0o111 != 0
        {
            return Ok(candidate);
        }
    }
    let hint = if program == Path::new("php-cgi") {
        " (it comes with the Debian package `php-cgi`)"
    } else {
        ""
    };
    Err(format!(
        "`{}` was not found on PATH{hint}",
        program.display()
    ))
}

/// The last lines php-cgi wrote, for an error message.
#[derive(Default)]
struct Tail {
    lines: VecDeque<String>,
}

impl Tail {
    const LINES: usize = 5;
    const WIDTH: usize = 300;

    fn push(&mut self, bytes: &[u8]) {
        for line in String::from_utf8_lossy(bytes).lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let mut line = line.to_owned();
            if line.len() > Self::WIDTH {
                let mut end = Self::WIDTH;
                while !line.is_char_boundary(end) {
                    end -= 1;
                }
                line.truncate(end);
                line.push('…');
            }
            if self.lines.len() == Self::LINES {
                self.lines.pop_front();
            }
            self.lines.push_back(line);
        }
    }
}

fn said(tail: &Mutex<Tail>) -> String {
    let tail = tail.lock().unwrap_or_else(|e| e.into_inner());
    if tail.lines.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = tail.lines.iter().map(String::as_str).collect();
    format!("; it said: {}", lines.join(" / "))
}

/// Logs what php-cgi writes to a pipe, line by line, and keeps the last
/// lines for error messages.
async fn drain(mut pipe: impl AsyncRead + Unpin, name: Arc<str>, tail: Arc<Mutex<Tail>>) {
    let mut buf = vec![0u8; 8192];
    let mut line = Line::default();
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        line.feed(&buf[..n], &name);
        tail.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(&buf[..n]);
    }
    line.flush(&name);
}
