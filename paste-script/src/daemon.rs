//! `paster serve --daemon`, `start`, `stop`, `restart`, `status`: a
//! background server managed through its pid file.
//!
//! There is no fork (unsafe code is forbidden here): `--daemon` starts this
//! same program again as a child with `--daemon-child`, its output going to
//! the log file; the child leaves the terminal's session (`setsid`), writes
//! the pid file and serves. The parent waits until the child says it
//! serves (or dies) and reports.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use crate::error::Error;

/// How long a starting server has to say it serves.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopping server has after SIGTERM, then after SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// What a pid file says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PidState {
    /// There is no pid file.
    Missing,
    /// The file holds no process id.
    Invalid,
    /// The process is gone (or is another program now).
    Stale(i32),
    /// The server runs.
    Running(i32),
}

/// Reads `pid_file` and checks its process.
pub(crate) fn read(pid_file: &Path) -> PidState {
    let Ok(text) = fs::read_to_string(pid_file) else {
        return PidState::Missing;
    };
    match text.trim().parse::<i32>() {
        Ok(pid) if pid > 0 => {
            if alive(pid) {
                PidState::Running(pid)
            } else {
                PidState::Stale(pid)
            }
        }
        _ => PidState::Invalid,
    }
}

/// Whether `pid` is a live process that looks like a paster server: it
/// exists, is not a zombie, and (where /proc says) was run as `serve`.
fn alive(pid: i32) -> bool {
    let Some(raw) = Pid::from_raw(pid) else {
        return false;
    };
    match rustix::process::test_kill_process(raw) {
        Ok(()) | Err(rustix::io::Errno::PERM) => {}
        Err(_) => return false,
    }
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if let Ok(stat) = fs::read_to_string(proc_dir.join("stat")) {
        // `pid (comm) S ...`: the state follows the last `)`.
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
        if state.is_some_and(|s| s.starts_with(['Z', 'X'])) {
            return false;
        }
    }
    if let Ok(cmdline) = fs::read(proc_dir.join("cmdline")) {
        // A recycled pid: another program has it now.
        return cmdline.split(|b| *b == 0).any(|arg| arg == b"serve");
    }
    true
}

/// `paster serve status`.
pub(crate) fn status(pid_file: &Path) -> u8 {
    let shown = pid_file.display();
    match read(pid_file) {
        PidState::Missing => {
            println!("No PID file {shown}");
            1
        }
        PidState::Invalid => {
            println!("No PID in file {shown}");
            1
        }
        PidState::Stale(pid) => {
            println!("PID {pid} in {shown} is not running");
            1
        }
        PidState::Running(pid) => {
            println!("Server running in PID {pid}");
            0
        }
    }
}

/// `paster serve stop`: SIGTERM (a graceful shutdown), then SIGKILL if
/// the server is still there after a while. Exit status 0 when stopped,
/// 1 when nothing was running, 3 when the process would not die.
pub(crate) fn stop(pid_file: &Path) -> u8 {
    let shown = pid_file.display();
    match read(pid_file) {
        PidState::Missing => {
            println!("No PID file exists in {shown}");
            1
        }
        PidState::Invalid => {
            println!("Not a valid PID file in {shown}");
            1
        }
        PidState::Stale(pid) => {
            println!("PID {pid} in {shown} is not running (deleting the stale pid file)");
            let _ = fs::remove_file(pid_file);
            1
        }
        PidState::Running(pid) => {
            if kill_and_wait(pid) {
                remove_if_ours(pid_file, pid);
                println!("Stopped server in PID {pid}");
                0
            } else {
                println!("Failed to kill web process {pid}; could not stop daemon");
                3
            }
        }
    }
}

fn kill_and_wait(pid: i32) -> bool {
    let Some(raw) = Pid::from_raw(pid) else {
        return true;
    };
    for signal in [Signal::TERM, Signal::KILL] {
        if rustix::process::kill_process(raw, signal).is_err() {
            return !alive(pid);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if !alive(pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    !alive(pid)
}

/// Removes `pid_file` if it still names `pid`.
pub(crate) fn remove_if_ours(pid_file: &Path, pid: i32) {
    if fs::read_to_string(pid_file).is_ok_and(|text| text.trim() == pid.to_string()) {
        let _ = fs::remove_file(pid_file);
    }
}

/// The pid file of the running server: written when it starts, removed
/// when it stops (if it still names this process).
#[derive(Debug)]
pub(crate) struct PidFile {
    path: PathBuf,
    pid: i32,
}

impl PidFile {
    /// Writes this process's id to `path` (through a rename, so that no
    /// reader sees half a file).
    pub(crate) fn write(path: &Path) -> Result<Self, Error> {
        let pid = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
        let tmp = path.with_extension(format!("tmp{pid}"));
        fs::write(&tmp, format!("{pid}\n"))
            .and_then(|()| fs::rename(&tmp, path))
            .map_err(|err| {
                let _ = fs::remove_file(&tmp);
                Error::usage(format!(
                    "cannot write the pid file {}: {err}",
                    path.display()
                ))
            })?;
        Ok(Self {
            path: path.to_owned(),
            pid,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        remove_if_ours(&self.path, self.pid);
    }
}

/// Starts the server in the background: this program again, as
/// `serve ... --daemon-child`, with `child_args`.
pub(crate) fn start(child_args: &[String], pid_file: &Path, log_file: &Path) -> Result<u8, Error> {
    match read(pid_file) {
        PidState::Running(pid) => {
            println!(
                "Daemon is already running (PID: {pid} from PID file {})",
                pid_file.display()
            );
            return Ok(0);
        }
        PidState::Stale(pid) => {
            println!(
                "Removing the stale PID file {} (PID {pid} is not running)",
                pid_file.display()
            );
            let _ = fs::remove_file(pid_file);
        }
        PidState::Invalid => {
            println!("Removing the invalid PID file {}", pid_file.display());
            let _ = fs::remove_file(pid_file);
        }
        PidState::Missing => {}
    }
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .map_err(|err| {
            Error::usage(format!(
                "unable to write to log file {}: {err}",
                log_file.display()
            ))
        })?;
    let offset = log.metadata().map(|m| m.len()).unwrap_or(0);
    let exe = std::env::current_exe()
        .map_err(|err| Error::new(1, format!("cannot find this program to start it: {err}")))?;
    let log_err = log
        .try_clone()
        .map_err(|err| Error::new(1, format!("cannot share the log file: {err}")))?;
    let mut child = Command::new(exe)
        .args(child_args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|err| Error::new(1, format!("cannot start the server: {err}")))?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let said = read_from(log_file, offset);
        if let Ok(Some(status)) = child.try_wait() {
            let code = status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(1);
            return Err(Error::new(
                code.max(1),
                format!(
                    "the server did not start (its log, {}, says:)\n{}",
                    log_file.display(),
                    said.trim_end()
                ),
            ));
        }
        if said.contains("Starting server in PID") {
            if let Some(line) = said.lines().find(|l| l.starts_with("serving on ")) {
                println!("{line}");
            }
            println!(
                "Daemon started in PID {} (pid file {}, log file {})",
                child.id(),
                pid_file.display(),
                log_file.display()
            );
            return Ok(0);
        }
        if Instant::now() > deadline {
            return Err(Error::new(
                1,
                format!(
                    "the server has not said it serves after {}s; see {}",
                    START_TIMEOUT.as_secs(),
                    log_file.display()
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What `file` holds past `offset`.
fn read_from(file: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(file)
        && f.seek(SeekFrom::Start(offset)).is_ok()
    {
        let mut bytes = Vec::new();
        let _ = f.read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    text
}
