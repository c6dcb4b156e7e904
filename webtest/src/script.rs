//! ScriptTest: run command-line programs in a scratch folder and see what
//! they printed and which files they created, changed and deleted.
//!
//! ```
//! # #[cfg(unix)] {
//! use webtest::script::TestFileEnvironment;
//!
//! let scratch = tempfile::tempdir().unwrap();
//! let env = TestFileEnvironment::new(scratch.path().join("out"));
//! let result = env.run("sh", &["-c", "echo hello; mkdir sub; echo hi > sub/x.txt"]);
//! assert_eq!(result.stdout, "hello\n");
//! assert_eq!(result.status, 0);
//! assert!(result.files_created.contains_key(std::path::Path::new("sub/x.txt")));
//! result.files_created[std::path::Path::new("sub/x.txt")].mustcontain("hi");
//! # }
//! ```

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::hash::{DefaultHasher, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The file that marks a folder as made by [`TestFileEnvironment`], so
/// that it may be cleared.
pub const MARKER: &str = ".scripttest-test-dir.txt";

/// A scratch folder in which programs run (ScriptTest's
/// `TestFileEnvironment`).
///
/// [`new`](TestFileEnvironment::new) creates the folder, or clears it when
/// an earlier run made it; it refuses (panics) to clear a folder with
/// content that it did not make. Hidden files (names starting with `.`)
/// are ignored by the snapshots, as are [`ignore_path`]s.
///
/// [`ignore_path`]: TestFileEnvironment::ignore_path
///
/// ```
/// # #[cfg(unix)] {
/// use std::path::Path;
/// use webtest::script::TestFileEnvironment;
///
/// let scratch = tempfile::tempdir().unwrap();
/// let env = TestFileEnvironment::new(scratch.path().join("work")).with_env("LANG", "C");
/// env.writefile("notes.txt", "draft");
/// let result = env
///     .command("sh")
///     .args(&["-c", "echo final > notes.txt; echo done >&2; exit 1"])
///     .expect_error()
///     .run();
/// assert_eq!((result.status, result.stderr.as_str()), (1, "done\n"));
/// assert!(result.files_updated.contains_key(Path::new("notes.txt")));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TestFileEnvironment {
    base_path: PathBuf,
    cwd: PathBuf,
    environ: BTreeMap<OsString, Option<OsString>>,
    ignore_paths: Vec<PathBuf>,
    ignore_hidden: bool,
}

impl TestFileEnvironment {
    /// Creates (or clears) the scratch folder `base_path`; programs run
    /// in it.
    ///
    /// # Panics
    ///
    /// When the folder exists with content but without the marker file
    /// this type writes, or can't be created.
    #[track_caller]
    pub fn new(base_path: impl Into<PathBuf>) -> Self {
        let base_path = base_path.into();
        let env = Self {
            cwd: base_path.clone(),
            base_path,
            environ: BTreeMap::new(),
            ignore_paths: Vec::new(),
            ignore_hidden: true,
        };
        env.clear();
        env
    }

    /// Empties the scratch folder (creating it if needed) and marks it as
    /// ours.
    ///
    /// # Panics
    ///
    /// As [`new`](TestFileEnvironment::new).
    #[track_caller]
    pub fn clear(&self) {
        let base = &self.base_path;
        if base.exists() {
            let marked = base.join(MARKER).exists();
            let empty = std::fs::read_dir(base).is_ok_and(|mut d| d.next().is_none());
            assert!(
                marked || empty,
                "{} was not created by ScriptTest (no {MARKER} in it); it must be deleted by hand",
                base.display()
            );
            if let Err(err) = std::fs::remove_dir_all(base) {
                panic!("can't clear {}: {err}", base.display());
            }
        }
        if let Err(err) = std::fs::create_dir_all(base)
            .and_then(|()| std::fs::write(base.join(MARKER), "placeholder"))
        {
            panic!("can't create {}: {err}", base.display());
        }
    }

    /// The scratch folder.
    pub fn base_path(&self) -> &Path {
        &self.base_path
    }

    /// Sets the folder programs run in: relative to the scratch folder
    /// unless absolute.
    #[must_use]
    pub fn with_cwd(mut self, cwd: impl AsRef<Path>) -> Self {
        self.cwd = self.base_path.join(cwd);
        self
    }

    /// Sets an environment variable for every program.
    #[must_use]
    pub fn with_env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.environ.insert(name.into(), Some(value.into()));
        self
    }

    /// Removes an environment variable for every program.
    #[must_use]
    pub fn without_env(mut self, name: impl Into<OsString>) -> Self {
        self.environ.insert(name.into(), None);
        self
    }

    /// Leaves a path (relative to the scratch folder; a folder with all it
    /// holds) out of the snapshots.
    #[must_use]
    pub fn ignore_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.ignore_paths.push(path.into());
        self
    }

    /// Whether hidden files are left out of the snapshots (the default).
    #[must_use]
    pub fn ignore_hidden(mut self, ignore: bool) -> Self {
        self.ignore_hidden = ignore;
        self
    }

    /// Runs `program` with `args` and checks it exited with 0 and wrote
    /// nothing to stderr. A `program` with spaces and no `args` that is
    /// not a file is split like a shell would (quotes respected):
    /// `env.run("paster create -t basic app", &[])`.
    ///
    /// # Panics
    ///
    /// When the program can't start, exits with another status, or writes
    /// to stderr; the message shows the whole result. See
    /// [`command`](TestFileEnvironment::command) for other expectations.
    #[track_caller]
    pub fn run(&self, program: impl AsRef<OsStr>, args: &[&str]) -> ProcResult {
        self.command(program).args(args).run()
    }

    /// A run to set up: arguments, expectations, stdin, folder, variables.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Run<'_> {
        Run {
            env: self,
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            expect_error: false,
            expect_status: None,
            expect_stderr: None,
            timeout: None,
            stdin: None,
            cwd: None,
            environ: BTreeMap::new(),
        }
    }

    /// Writes `content` to `path` (relative to the scratch folder),
    /// creating its folders, and returns what is there.
    ///
    /// # Panics
    ///
    /// When it can't be written.
    #[track_caller]
    pub fn writefile(&self, path: impl AsRef<Path>, content: impl AsRef<[u8]>) -> FoundFile {
        let rel = path.as_ref();
        let full = self.base_path.join(rel);
        let result = full
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&full, content));
        if let Err(err) = result {
            panic!("can't write {}: {err}", full.display());
        }
        match FoundFile::read(rel, &full) {
            Some(found) => found,
            None => panic!("{} vanished right after it was written", full.display()),
        }
    }

    /// Every file and folder under the scratch folder, by relative path.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, FoundFile> {
        let mut found = BTreeMap::new();
        self.walk(Path::new(""), &mut found);
        found
    }

    fn walk(&self, rel: &Path, found: &mut BTreeMap<PathBuf, FoundFile>) {
        let Ok(entries) = std::fs::read_dir(self.base_path.join(rel)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if self.ignore_hidden && name.to_string_lossy().starts_with('.') {
                continue;
            }
            let child = rel.join(&name);
            if self.ignore_paths.iter().any(|p| child.starts_with(p)) {
                continue;
            }
            // A file that vanished while we looked is not there.
            let Some(file) = FoundFile::read(&child, &entry.path()) else {
                continue;
            };
            let is_dir = file.kind == FileKind::Dir;
            found.insert(child.clone(), file);
            if is_dir {
                self.walk(&child, found);
            }
        }
    }
}

/// One run being set up; [`run`](Run::run) starts it.
#[derive(Debug)]
#[must_use = "a command runs when `run` is called"]
pub struct Run<'a> {
    env: &'a TestFileEnvironment,
    program: OsString,
    args: Vec<String>,
    expect_error: bool,
    expect_status: Option<i32>,
    expect_stderr: Option<bool>,
    timeout: Option<Duration>,
    stdin: Option<Vec<u8>>,
    cwd: Option<PathBuf>,
    environ: BTreeMap<OsString, Option<OsString>>,
}

impl Run<'_> {
    /// Adds arguments.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// Accepts a non-zero exit status (and, unless told otherwise, output
    /// on stderr).
    pub fn expect_error(mut self) -> Self {
        self.expect_error = true;
        self
    }

    /// Expects exactly this exit status (and, unless it is 0, accepts
    /// output on stderr unless told otherwise).
    pub fn expect_status(mut self, status: i32) -> Self {
        self.expect_status = Some(status);
        self
    }

    /// Kills the program if it runs longer than `limit`; the run then
    /// fails with "timed out" (none by default).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Accepts output on stderr.
    pub fn expect_stderr(mut self) -> Self {
        self.expect_stderr = Some(true);
        self
    }

    /// Bytes given on stdin (none by default: stdin is empty).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// The folder to run in, relative to the scratch folder unless
    /// absolute.
    pub fn cwd(mut self, cwd: impl AsRef<Path>) -> Self {
        self.cwd = Some(self.env.base_path.join(cwd));
        self
    }

    /// Sets an environment variable for this run.
    pub fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.environ.insert(name.into(), Some(value.into()));
        self
    }

    /// Runs the program and checks the result.
    ///
    /// # Panics
    ///
    /// When [`try_run`](Run::try_run) fails; the message shows the result.
    #[track_caller]
    pub fn run(self) -> ProcResult {
        match self.try_run() {
            Ok(result) => result,
            Err(err) => panic!("{err}"),
        }
    }

    /// Runs the program: `Err` when it can't start, exits with a status
    /// other than 0 (unless [`expect_error`](Run::expect_error)), or writes
    /// to stderr (unless [`expect_stderr`](Run::expect_stderr) or
    /// `expect_error`).
    ///
    /// # Errors
    ///
    /// As said above; a [`ScriptError`] holds the result when there is one.
    pub fn try_run(self) -> Result<ProcResult, ScriptError> {
        let line = self
            .program
            .to_str()
            .filter(|p| self.args.is_empty() && p.contains(' ') && !Path::new(p).exists());
        let (program, args) = if let Some(line) = line {
            let mut words = split_words(line).into_iter();
            let program = words.next().unwrap_or_default();
            (OsString::from(program), words.collect())
        } else {
            (self.program.clone(), self.args.clone())
        };
        let mut command = Command::new(&program);
        command
            .args(&args)
            .current_dir(self.cwd.as_ref().unwrap_or(&self.env.cwd))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in self.env.environ.iter().chain(&self.environ) {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let mut all_args = vec![program.to_string_lossy().into_owned()];
        all_args.extend(args.iter().cloned());

        let before = self.env.snapshot();
        let started = Instant::now();
        let output = command.spawn().and_then(|child| {
            wait_for(child, self.stdin.clone().unwrap_or_default(), self.timeout)
        });
        let (output, timed_out) = match output {
            Ok(output) => output,
            Err(err) => {
                return Err(ScriptError {
                    message: format!("can't run {all_args:?}: {err}"),
                    result: None,
                });
            }
        };
        let after = self.env.snapshot();
        let status = match output.status.code() {
            Some(code) => code,
            None => signal_of(&output.status),
        };
        let result = ProcResult::new(
            all_args,
            decode(&output.stdout),
            decode(&output.stderr),
            status,
            &before,
            after,
        );
        if timed_out {
            let message = format!(
                "Script timed out after {:.1}s and was killed",
                started.elapsed().as_secs_f64()
            );
            return Err(ScriptError::of(message, result));
        }
        match self.expect_status {
            Some(expected) if expected != status => {
                let message = format!("Script returned code: {status} (expected {expected})");
                return Err(ScriptError::of(message, result));
            }
            None if status != 0 && !self.expect_error => {
                return Err(ScriptError::of(
                    format!("Script returned code: {status}"),
                    result,
                ));
            }
            _ => {}
        }
        let stderr_ok = self
            .expect_stderr
            .unwrap_or(self.expect_error || self.expect_status.is_some_and(|s| s != 0));
        if !result.stderr.is_empty() && !stderr_ok {
            return Err(ScriptError::of(
                "stderr output not expected".to_owned(),
                result,
            ));
        }
        Ok(result)
    }
}

/// Feeds `input` to the child, collects its output, and kills it past
/// `timeout`; says whether it did.
fn wait_for(
    mut child: Child,
    input: Vec<u8>,
    timeout: Option<Duration>,
) -> std::io::Result<(Output, bool)> {
    // Each pipe on its own thread: a program may fill one pipe while we
    // wait on another.
    let mut stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(&input);
        }
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let mut timed_out = false;
    let status = match timeout {
        None => child.wait()?,
        Some(limit) => {
            let deadline = Instant::now() + limit;
            loop {
                if let Some(status) = child.try_wait()? {
                    break status;
                }
                if Instant::now() >= deadline {
                    timed_out = true;
                    let _ = child.kill();
                    break child.wait()?;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    };
    let _ = writer.join();
    let output = Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    Ok((output, timed_out))
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt as _;
    status.signal().map_or(-1, |s| -s)
}

#[cfg(not(unix))]
fn signal_of(_status: &std::process::ExitStatus) -> i32 {
    -1
}

/// Output as text: UTF-8 (bad bytes replaced), CRLF made LF.
fn decode(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

/// Splits a command line into words like a POSIX shell: whitespace
/// separates, single quotes keep everything, double quotes and backslashes
/// escape.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), c) => word.push(c),
            (Some(_), '\\') | (None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Why a run failed, with its result when it ran.
pub struct ScriptError {
    message: String,
    result: Option<Box<ProcResult>>,
}

impl ScriptError {
    fn of(message: String, result: ProcResult) -> Self {
        Self {
            message,
            result: Some(Box::new(result)),
        }
    }

    /// The result, when the program ran.
    pub fn result(&self) -> Option<&ProcResult> {
        self.result.as_deref()
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(result) = &self.result {
            write!(f, "\n{result}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ScriptError {}

/// What a run did: its output and status, and the files it created,
/// changed and deleted (by path relative to the scratch folder).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProcResult {
    /// The program and its arguments.
    pub args: Vec<String>,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
    /// Its exit status; minus the signal's number when a signal killed it.
    pub status: i32,
    /// Files and folders that are new.
    pub files_created: BTreeMap<PathBuf, FoundFile>,
    /// Files whose content, size or modification time changed; folders
    /// whose entries changed.
    pub files_updated: BTreeMap<PathBuf, FoundFile>,
    /// Files and folders that are gone (as they were before).
    pub files_deleted: BTreeMap<PathBuf, FoundFile>,
    /// Every file after the run.
    pub files_after: BTreeMap<PathBuf, FoundFile>,
}

impl ProcResult {
    fn new(
        args: Vec<String>,
        stdout: String,
        stderr: String,
        status: i32,
        before: &BTreeMap<PathBuf, FoundFile>,
        after: BTreeMap<PathBuf, FoundFile>,
    ) -> Self {
        let mut files_created = BTreeMap::new();
        let mut files_updated = BTreeMap::new();
        for (path, file) in &after {
            match before.get(path) {
                None => {
                    files_created.insert(path.clone(), file.clone());
                }
                Some(old) if !old.same_as(file) => {
                    files_updated.insert(path.clone(), file.clone());
                }
                Some(_) => {}
            }
        }
        let files_deleted = before
            .iter()
            .filter(|(path, _)| !after.contains_key(*path))
            .map(|(p, f)| (p.clone(), f.clone()))
            .collect();
        Self {
            args,
            stdout,
            stderr,
            status,
            files_created,
            files_updated,
            files_deleted,
            files_after: after,
        }
    }

    /// The created and updated files whose paths match `pattern`: `*`
    /// matches within one path segment, `**` across segments, `?` one
    /// character; the whole path must match.
    pub fn wildcard_matches(&self, pattern: &str) -> Vec<&FoundFile> {
        let mut regex = String::from("^");
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    regex.push_str(".*");
                }
                '*' => regex.push_str("[^/]*"),
                '?' => regex.push_str("[^/]"),
                c => regex.push_str(&regex::escape(&c.to_string())),
            }
        }
        regex.push('$');
        let Ok(re) = regex::Regex::new(&regex) else {
            return Vec::new();
        };
        self.files_created
            .values()
            .chain(self.files_updated.values())
            .filter(|f| re.is_match(&f.path.to_string_lossy()))
            .collect()
    }
}

impl fmt::Display for ProcResult {
    /// ScriptTest's report: the command, the status, stderr, stdout, and
    /// the files created, deleted and updated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Script result: {}", self.args.join(" "))?;
        if self.status != 0 {
            writeln!(f, "  return code: {}", self.status)?;
        }
        for (name, text) in [("stderr", &self.stderr), ("stdout", &self.stdout)] {
            if !text.is_empty() {
                writeln!(f, "-- {name}: {}", "-".repeat(40))?;
                f.write_str(text)?;
                if !text.ends_with('\n') {
                    writeln!(f)?;
                }
            }
        }
        for (name, files) in [
            ("created", &self.files_created),
            ("deleted", &self.files_deleted),
            ("updated", &self.files_updated),
        ] {
            if files.is_empty() {
                continue;
            }
            writeln!(f, "-- {name}: {}", "-".repeat(40))?;
            for (path, file) in files {
                match file.kind {
                    FileKind::Dir => writeln!(f, "  {}/", path.display())?,
                    FileKind::Invalid => writeln!(f, "  {}  (invalid link)", path.display())?,
                    FileKind::File => writeln!(f, "  {}  ({} bytes)", path.display(), file.size)?,
                }
            }
        }
        Ok(())
    }
}

/// What a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A file (or a link to one).
    File,
    /// A folder.
    Dir,
    /// A broken symbolic link.
    Invalid,
}

/// A file or folder found in the scratch folder.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FoundFile {
    /// The path relative to the scratch folder.
    pub path: PathBuf,
    /// The full path.
    pub full: PathBuf,
    /// What it is.
    pub kind: FileKind,
    /// Its size in bytes (0 for folders and broken links).
    pub size: u64,
    /// Its modification time.
    pub mtime: Option<SystemTime>,
    /// A hash of its content (files only), so that changes within the
    /// clock's resolution are seen.
    hash: Option<u64>,
}

impl FoundFile {
    fn read(rel: &Path, full: &Path) -> Option<Self> {
        let link = std::fs::symlink_metadata(full).ok()?;
        let (kind, meta) = match std::fs::metadata(full) {
            Ok(meta) if meta.is_dir() => (FileKind::Dir, Some(meta)),
            Ok(meta) => (FileKind::File, Some(meta)),
            Err(_) if link.file_type().is_symlink() => (FileKind::Invalid, None),
            Err(_) => return None,
        };
        let hash =
            if kind == FileKind::File && meta.as_ref().is_some_and(std::fs::Metadata::is_file) {
                let mut hasher = DefaultHasher::new();
                let mut file = std::fs::File::open(full).ok()?;
                let mut buffer = vec![0; 64 * 1024];
                loop {
                    let n = file.read(&mut buffer).ok()?;
                    if n == 0 {
                        break;
                    }
                    hasher.write(&buffer[..n]);
                }
                Some(hasher.finish())
            } else {
                None
            };
        Some(Self {
            path: rel.to_owned(),
            full: full.to_owned(),
            kind,
            size: if kind == FileKind::File {
                meta.as_ref().map_or(0, std::fs::Metadata::len)
            } else {
                0
            },
            mtime: meta.as_ref().and_then(|m| m.modified().ok()),
            hash,
        })
    }

    fn same_as(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.size == other.size
            && self.mtime == other.mtime
            && self.hash == other.hash
    }

    /// The content, read now (empty when it is gone or not a file).
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.full).unwrap_or_default()
    }

    /// The content as text, read now.
    pub fn text(&self) -> String {
        decode(&self.bytes())
    }

    /// Whether the content holds `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.text().contains(needle)
    }

    /// Fails the test unless the content holds `needle`.
    ///
    /// # Panics
    ///
    /// When it does not; the message shows the content.
    #[track_caller]
    pub fn mustcontain(&self, needle: &str) {
        let text = self.text();
        assert!(
            text.contains(needle),
            "{} does not contain {needle:?}:\n{text}",
            self.path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell() {
        assert_eq!(
            split_words("paster create -t 'my tmpl' \"a b\" c\\ d"),
            ["paster", "create", "-t", "my tmpl", "a b", "c d"]
        );
        assert_eq!(split_words("  x  ''  "), ["x", ""]);
    }
}
