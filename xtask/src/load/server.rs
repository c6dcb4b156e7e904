//! The server under test: the release `paster` binary serving a config
//! the harness writes, as a child process on an ephemeral port, and the
//! small site it serves.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::stats::{self, Sample};

/// Builds the release `paster` and returns its path.
pub fn build(root: &Path) -> Result<PathBuf> {
    eprintln!("load: building the release paster…");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "-p",
            "paste-script",
            "--bin",
            "paster",
        ])
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build of paster failed");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("release/paster"))
}

/// A free port on 127.0.0.1 (bound, then released for the server).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The site every scenario serves, in a temporary folder: static files
/// (small, a compressible page, a big file), Tempita pages with a session
/// counter, and CGI scripts that behave and misbehave.
#[derive(Debug)]
pub struct Site {
    /// The temporary folder (removed on drop).
    pub dir: tempfile::TempDir,
}

/// Bytes of `big.bin`: far more than socket buffers hold.
pub const BIG: usize = 32 << 20;

const SCRIPTS: &[(&str, &str)] = &[
    (
        "hello.sh",
        "printf 'Content-Type: text/plain\\r\\n\\r\\nhello from sh\\n'\n",
    ),
    (
        "sleep.sh",
        "sleep 1\nprintf 'Content-Type: text/plain\\r\\n\\r\\nslept\\n'\n",
    ),
    (
        "echo.sh",
        "printf 'Content-Type: text/plain\\r\\n\\r\\n'\ncat\n",
    ),
    (
        "read.sh",
        "n=$(wc -c)\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s bytes\\n' \"$n\"\n",
    ),
    (
        "hang.sh",
        "printf 'Content-Type: text/plain\\r\\n\\r\\n'\nexec sleep 600\n",
    ),
    ("hang_head.sh", "exec sleep 600\n"),
    (
        "die.sh",
        "printf 'Content-Type: text/plain\\r\\nContent-Length: 100000\\r\\n\\r\\npartial'\nkill -9 $$\n",
    ),
    (
        "die_chunked.sh",
        "printf 'Content-Type: text/plain\\r\\n\\r\\npartial'\nsleep 0.2\nkill -9 $$\n",
    ),
    (
        "garbage.sh",
        "printf 'this is not a CGI head\\n\\nsecret-detail /etc/passwd\\n'\n",
    ),
    (
        "flood.sh",
        "head -c 4000000 /dev/zero | tr '\\0' 'e' >&2\nprintf 'Content-Type: text/plain\\r\\n\\r\\nflooded\\n'\n",
    ),
];

impl Site {
    /// Writes the site.
    pub fn new() -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("paste-load-").tempdir()?;
        let root = dir.path();
        let htdocs = root.join("htdocs");
        fs::create_dir_all(&htdocs)?;
        fs::write(htdocs.join("small.txt"), "s".repeat(1024))?;
        let para = "<p>Paste for Rust serves this page, compressed by gzip.</p>\n";
        fs::write(htdocs.join("page.html"), para.repeat(500))?;
        fs::write(htdocs.join("index.html"), "<h1>load</h1>\n")?;
        fs::write(htdocs.join("big.bin"), vec![b'b'; BIG])?;
        let cgi = root.join("cgi-bin");
        fs::create_dir_all(&cgi)?;
        for (name, body) in SCRIPTS {
            let path = cgi.join(name);
            fs::write(&path, format!("#!/bin/sh\n{body}"))?;
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
        }
        let pages = root.join("pages");
        fs::create_dir_all(&pages)?;
        fs::write(
            pages.join("counter.html"),
            "{{py: visits = session.get('visits', 0) + 1}}\n\
             {{py: session.set('visits', visits)}}\nvisits={{visits}}\n",
        )?;
        Ok(Self { dir })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A config serving the site on `port`, with `server` settings added to
    /// `[server:main]` and `extra` sections (`[app:NAME]…`) mounted by
    /// `mounts` (`/path = name` lines) beside the standard ones.
    pub fn config(&self, port: u16, server: &str, mounts: &str, extra: &str) -> Result<PathBuf> {
        let here = self.path().display();
        let text = format!(
            "[server:main]\nuse = egg:Paste#http\nhost = 127.0.0.1\nport = {port}\n{server}\n\
             [pipeline:main]\npipeline = errors gzip session site\n\n\
             [filter:errors]\nuse = egg:Paste#error_catcher\ndebug = false\n\n\
             [filter:gzip]\nuse = egg:Paste#gzip\nmin_size = 256\n\n\
             [filter:session]\nuse = egg:Paste#paste_session\nstore = memory\n\
             cookie_name = load_session\nsecure = false\nidle_timeout = 2m\n\n\
             [composite:site]\nuse = egg:Paste#urlmap\n/ = static\n/cgi-bin = cgi\n\
             /pages = pages\n/request = request_echo\n/proxy = proxied\n{mounts}\n\n\
             [app:static]\nuse = egg:Paste#static\ndocument_root = {here}/htdocs\n\n\
             [app:cgi]\nuse = egg:Paste#cgi_directory\ndirectory = {here}/cgi-bin\ntimeout = 2s\nidle_timeout = 2s\n\n\
             [app:pages]\nuse = egg:Paste#tempita_pages\ndirectory = {here}/pages\n\n\
             [app:request_echo]\nuse = egg:Paste#test\n\n\
             [app:proxied]\nuse = egg:Paste#proxy\naddress = http://127.0.0.1:{port}/request\n\n\
             {extra}\n"
        );
        let path = self.path().join(format!("server-{port}.ini"));
        fs::write(&path, text)?;
        Ok(path)
    }
}

/// A running `paster serve`.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// The `paster` process: the child, or the process below it when the
    /// child is the wrapper of [`WRAP`].
    pid: u32,
    /// Where it listens.
    pub addr: SocketAddr,
    log: PathBuf,
}

/// The environment variable naming a command the server runs under, such
/// as `heaptrack -o /tmp/paster` for a heap profile of a run or `env
/// LD_PRELOAD=…` for another allocator; the harness then samples and
/// signals the `paster` process, whether the wrapper execs it or starts it
/// as a child.
pub const WRAP: &str = "PASTE_LOAD_WRAP";

impl Server {
    /// Starts `paster serve CONFIG` and waits until it accepts.
    pub fn start(paster: &Path, config: &Path, port: u16) -> Result<Self> {
        let log = config.with_extension("log");
        let wrap = std::env::var(WRAP).unwrap_or_default();
        let mut words = wrap.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(paster);
                c
            }
            None => Command::new(paster),
        };
        let child = command
            .arg("serve")
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {}", paster.display()))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let pid = child.id();
        let mut server = Self {
            child,
            pid,
            addr,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before listening:\n{}",
                    server.log_tail()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "the server did not listen within 30 s:\n{}",
                    server.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if !wrap.trim().is_empty() {
            server.pid = stats::process_named(pid, "paster")
                .with_context(|| format!("no paster process below {WRAP}={wrap:?}"))?;
        }
        Ok(server)
    }

    /// The process id of `paster`.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Its resources now.
    pub fn sample(&self) -> Sample {
        stats::sample(self.pid()).unwrap_or_default()
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) -> Result<()> {
        self.signal(rustix::process::Signal::TERM)
    }

    /// Sends `signal` to the `paster` process.
    fn signal(&self, signal: rustix::process::Signal) -> Result<()> {
        let pid = rustix::process::Pid::from_raw(i32::try_from(self.pid)?).context("a pid of 0")?;
        rustix::process::kill_process(pid, signal)?;
        Ok(())
    }

    /// Waits up to `within` for the process to exit; its exit status.
    pub fn wait_exit(&mut self, within: Duration) -> Result<Option<std::process::ExitStatus>> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() > deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The last lines of its log.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<_> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Stops it (SIGTERM, then SIGKILL after 10 s, or after 10 min for a
    /// wrapper still writing what it recorded).
    pub fn stop(mut self) {
        let _ = self.sigterm();
        let within = if self.pid == self.child.id() { 10 } else { 600 };
        if !matches!(self.wait_exit(Duration::from_secs(within)), Ok(Some(_))) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            if self.pid != self.child.id() {
                // The paster below a wrapper.
                let _ = self.signal(rustix::process::Signal::KILL);
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Raises this process's soft limit on open files to the hard limit;
/// returns the limit now.
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.maximum.is_some() && limit.current < limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}
