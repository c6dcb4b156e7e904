//! [`Paster`]: the `paster` command line, for the shipped binary and for
//! a project's own.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use paste_deploy::Registry;

use crate::error::Error;
use crate::{create, points, request, serve};

/// The `paster` command: a [`Registry`] of factories, the commands that
/// use it (`serve`, `create`, `request`, `post`, `points`, `help`), and
/// the project templates `create` knows.
///
/// The shipped `paster` is `Paster::new().register(builtins::register)`;
/// a project's own `paster` adds its factories:
///
/// ```no_run
/// use paste_core::{BoxApp, Response, app_fn};
/// use paste_deploy::Registry;
///
/// fn register(registry: &mut Registry) {
///     registry.app("hello", |_global, _local| {
///         Ok(BoxApp::new(app_fn(|_req| async { Ok(Response::new("Hello!".into())) })))
///     });
/// }
///
/// fn main() -> std::process::ExitCode {
///     paste_script::Paster::new()
///         .register(paste_script::builtins::register)
///         .register(register)
///         .run()
/// }
/// ```
pub struct Paster {
    registry: Registry,
    name: String,
    version: String,
    template_dirs: Vec<PathBuf>,
}

impl Paster {
    /// A `paster` with no factories registered yet.
    pub fn new() -> Self {
        Self {
            registry: Registry::new(),
            name: "paster".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            template_dirs: Vec::new(),
        }
    }

    /// Calls a crate's `register` function (its `deploy::register`) on the
    /// registry.
    #[must_use]
    pub fn register(mut self, register: impl FnOnce(&mut Registry)) -> Self {
        self.registry.register(register);
        self
    }

    /// The program's name and version, as `--version` and the help say.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.name = name.into();
        self.version = version.into();
        self
    }

    /// Adds a folder of project templates for `create` (each subfolder is
    /// one template), besides those of `--template-dir` and
    /// `PASTE_TEMPLATE_PATH`.
    #[must_use]
    pub fn template_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.template_dirs.push(dir.into());
        self
    }

    /// The registry the commands load configs with.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Runs the command line of this process and returns its exit status:
    /// 0 on success, 2 for a bad command line or config (the error is one
    /// line on stderr), others as each command says.
    pub fn run(self) -> ExitCode {
        self.run_from(std::env::args_os())
    }

    /// Runs the command line `args` (the program's name first).
    pub fn run_from<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let command = Cli::command()
            .name(self.name.clone())
            .bin_name(self.name.clone())
            .version(self.version.clone());
        let matches = match command.try_get_matches_from(args) {
            Ok(matches) => matches,
            Err(err) => {
                let _ = err.print();
                return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
            }
        };
        let cli = match Cli::from_arg_matches(&matches) {
            Ok(cli) => cli,
            Err(err) => {
                let _ = err.print();
                return ExitCode::from(2);
            }
        };
        match self.dispatch(cli.command) {
            Ok(code) => ExitCode::from(code),
            Err(err) => {
                eprintln!("{}: error: {err}", self.name);
                ExitCode::from(err.exit_code())
            }
        }
    }

    fn dispatch(&self, command: Command) -> Result<u8, Error> {
        match command {
            Command::Serve(args) => serve::run(&self.registry, &args),
            Command::Create(args) => create::run(&self.template_dirs, &args),
            Command::Request(args) => request::run(&self.registry, &args, false),
            Command::Post(args) => request::run(&self.registry, &args, true),
            Command::Points(args) => points::run(&self.registry, &args),
        }
    }
}

impl Default for Paster {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Paster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paster")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("registry", &self.registry)
            .field("template_dirs", &self.template_dirs)
            .finish()
    }
}

/// Paste Script: serve deployment configs, create projects from templates,
/// run requests.
#[derive(Debug, Parser)]
#[command(propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the app and server of a deployment config (INI).
    Serve(ServeArgs),
    /// Create a project from a template.
    Create(CreateArgs),
    /// Run one GET request through the config's app, in-process, and print the response.
    Request(RequestArgs),
    /// Run one POST request (the body read from stdin) through the config's app.
    Post(RequestArgs),
    /// List the registered app, filter and server factories.
    Points(PointsArgs),
}

/// `paster serve`.
#[derive(Debug, Args)]
#[command(after_help = "\
ACTIONS:
  start      serve in the background (as --daemon)
  stop       stop the background server named by the pid file
  restart    stop it (if it runs) and start it again
  status     say whether it runs (exit status 0 if it does, 1 if not)

A config without a scheme is a file (config:FILE); FILE#name picks the
app and server sections named `name`. var=value pairs override [DEFAULT].
Logging: RUST_LOG, else the config's [loggers] sections, else info.")]
pub(crate) struct ServeArgs {
    /// The config file (or a config:/egg: URI).
    pub(crate) config: String,
    /// An action (start, stop, restart, status), then var=value pairs.
    #[arg(value_name = "ACTION | VAR=VALUE")]
    pub(crate) args: Vec<String>,
    /// The app section to serve (default: main).
    #[arg(short = 'n', long = "app-name", value_name = "NAME")]
    pub(crate) app_name: Option<String>,
    /// The server section to use (default: main).
    #[arg(long, value_name = "NAME")]
    pub(crate) server_name: Option<String>,
    /// Watch the config and the files it includes; load the app again when one changes.
    #[arg(long)]
    pub(crate) reload: bool,
    /// Serve in the background (pid file and log file default to paster.pid and paster.log).
    #[arg(long)]
    pub(crate) daemon: bool,
    /// Where the background server's process id is kept.
    #[arg(long, value_name = "FILE")]
    pub(crate) pid_file: Option<PathBuf>,
    /// Where the server's output (stdout and stderr) goes.
    #[arg(long, value_name = "FILE")]
    pub(crate) log_file: Option<PathBuf>,
    /// Internal: this process is the background server started by --daemon.
    #[arg(long, hide = true)]
    pub(crate) daemon_child: bool,
}

/// `paster create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The project's name (and its folder's, unless --output-dir says otherwise).
    #[arg(required_unless_present = "list_templates")]
    pub(crate) name: Option<String>,
    /// var=value pairs for the template's variables.
    #[arg(value_name = "VAR=VALUE")]
    pub(crate) vars: Vec<String>,
    /// The template (see --list-templates).
    #[arg(short = 't', long = "template", default_value = "basic")]
    pub(crate) template: String,
    /// List the templates and exit.
    #[arg(long)]
    pub(crate) list_templates: bool,
    /// Do not ask: use the defaults, fail on a variable without one.
    #[arg(long)]
    pub(crate) no_interactive: bool,
    /// Replace files that exist with other content.
    #[arg(short = 'f', long)]
    pub(crate) overwrite: bool,
    /// A folder of templates (each subfolder one template); repeatable.
    #[arg(long, value_name = "DIR")]
    pub(crate) template_dir: Vec<PathBuf>,
    /// Where to write the project (default: ./NAME).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,
}

/// `paster request` and `paster post`.
#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    /// The config file (or a config:/egg: URI).
    pub(crate) config: String,
    /// The URL: a path (/hello?x=1) or an absolute URL.
    pub(crate) url: String,
    /// var=value pairs that override [DEFAULT].
    #[arg(value_name = "VAR=VALUE")]
    pub(crate) vars: Vec<String>,
    /// The app section (default: main).
    #[arg(short = 'n', long = "app-name", value_name = "NAME")]
    pub(crate) app_name: Option<String>,
    /// A request header, `Name: value`; repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub(crate) headers: Vec<String>,
    /// Print the status line and the response headers before the body.
    #[arg(long)]
    pub(crate) display_headers: bool,
}

/// `paster points`.
#[derive(Debug, Args)]
pub(crate) struct PointsArgs {
    /// Only the factories whose name or alias contains this.
    pub(crate) name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().version("0.0.0").debug_assert();
    }
}
