//! Running programs: print what runs, stop on failure with its exit code.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result};

/// A program with its arguments, environment and working directory, shown
/// as the shell line that would run it.
///
/// ```
/// let cmd = xtask::Cmd::new("cargo").args(["fmt", "--all", "--check"]);
/// assert_eq!(cmd.to_string(), "cargo fmt --all --check");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    program: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
}

/// A step that ran and failed: its exit code becomes xtask's.
#[derive(Debug)]
pub struct StepFailed {
    /// What ran.
    pub what: String,
    /// Its exit code (1 when it was killed by a signal).
    pub code: i32,
}

impl fmt::Display for StepFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed with exit code {}", self.what, self.code)
    }
}

impl std::error::Error for StepFailed {}

impl Cmd {
    /// A program, found on `PATH`.
    pub fn new(program: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: BTreeMap::new(),
            cwd: None,
        }
    }

    /// `bash -c LINE`, shown as `LINE`.
    pub fn shell(line: impl Into<String>) -> Self {
        Self::new("bash").args(["-c".to_owned(), line.into()])
    }

    /// Appends arguments.
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the program.
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Runs the program in `dir`.
    #[must_use]
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        // `cargo run` gives xtask the variables of its own package; the
        // programs it runs must not see them as theirs.
        for (key, _) in std::env::vars_os() {
            if let Some(key) = key.to_str()
                && [
                    "CARGO_PKG_",
                    "CARGO_MANIFEST_",
                    "CARGO_CRATE_",
                    "CARGO_BIN_",
                    "CARGO_PRIMARY_PACKAGE",
                ]
                .iter()
                .any(|prefix| key.starts_with(prefix))
            {
                command.env_remove(key);
            }
        }
        command.envs(&self.env);
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        command
    }

    /// Runs the program with inherited stdio; a non-zero exit is a
    /// [`StepFailed`] error.
    pub fn run(&self) -> Result<()> {
        let status = self
            .command()
            .status()
            .with_context(|| format!("could not start `{self}`"))?;
        if status.success() {
            Ok(())
        } else {
            Err(StepFailed {
                what: self.to_string(),
                code: status.code().unwrap_or(1),
            }
            .into())
        }
    }

    /// Runs the program and returns its standard output; a non-zero exit is
    /// an error that quotes its standard error.
    pub fn read(&self) -> Result<String> {
        let output = self
            .command()
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("could not start `{self}`"))?;
        if !output.status.success() {
            anyhow::bail!(
                "`{self}` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        String::from_utf8(output.stdout).with_context(|| format!("`{self}` printed non-UTF-8"))
    }

    /// Runs the program, returning (success, stdout, stderr) whatever its
    /// exit status.
    pub fn output(&self) -> Result<(bool, String, String)> {
        let output = self
            .command()
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("could not start `{self}`"))?;
        Ok((
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }

    /// Runs the program with stdout piped: each line is echoed as it comes
    /// and all of it returned, with whether the program succeeded.
    pub fn tee(&self) -> Result<(bool, String)> {
        use std::io::{BufRead as _, BufReader, Write as _};
        let mut child = self
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start `{self}`"))?;
        let mut all = String::new();
        if let Some(stdout) = child.stdout.take() {
            let mut out = std::io::stdout();
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap_or_default();
                let _ = writeln!(out, "{line}");
                all.push_str(&line);
                all.push('\n');
            }
        }
        let status = child
            .wait()
            .with_context(|| format!("waiting for `{self}`"))?;
        Ok((status.success(), all))
    }
}

/// Quotes a word for a shell line when it needs it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.env {
            write!(f, "{key}={} ", quote(value))?;
        }
        if self.program == "bash" && self.args.len() == 2 && self.args[0] == "-c" {
            return f.write_str(&self.args[1]);
        }
        f.write_str(&quote(&self.program))?;
        for arg in &self.args {
            write!(f, " {}", quote(arg))?;
        }
        Ok(())
    }
}

/// Prints a step's heading the way `.ci/run` always did.
pub(crate) fn say(what: &str) {
    println!("\n==> {what}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_env_quotes_and_shell_lines() {
        let cmd = Cmd::new("cargo")
            .args(["doc", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings");
        assert_eq!(
            cmd.to_string(),
            "RUSTDOCFLAGS='-D warnings' cargo doc --no-deps"
        );
        assert_eq!(Cmd::shell("a && b").to_string(), "a && b");
    }

    #[test]
    fn failure_carries_the_exit_code() {
        let err = Cmd::shell("exit 7").run().unwrap_err();
        let failed = err.downcast_ref::<StepFailed>().unwrap();
        assert_eq!(failed.code, 7);
        assert!(Cmd::shell("true").run().is_ok());
    }
}
