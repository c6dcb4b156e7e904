//! `paster serve`: load the server and the app of a config and serve.

use std::path::{Path, PathBuf};

use paste_core::BoxApp;
use paste_deploy::Registry;

use crate::config;
use crate::daemon::{self, PidFile, PidState};
use crate::error::Error;
use crate::logging;
use crate::paster::ServeArgs;
use crate::reload::{self, Reload};
use crate::swap::SwapApp;

const ACTIONS: [&str; 4] = ["start", "stop", "restart", "status"];

pub(crate) fn run(registry: &Registry, args: &ServeArgs) -> Result<u8, Error> {
    let (action, rest) = match args.args.first().map(String::as_str) {
        Some(action) if ACTIONS.contains(&action) => (Some(action), &args.args[1..]),
        _ => (None, &args.args[..]),
    };
    let vars = config::vars(rest)?;
    let daemon = args.daemon || matches!(action, Some("start" | "restart"));
    if (daemon || args.daemon_child) && args.reload {
        return Err(Error::usage(
            "the --daemon and --reload options may not be used together",
        ));
    }
    let managed = daemon || action.is_some();
    let pid_file = args
        .pid_file
        .clone()
        .or_else(|| managed.then(|| PathBuf::from("paster.pid")));
    match (action, &pid_file) {
        (Some("status"), Some(pid_file)) => return Ok(daemon::status(pid_file)),
        (Some("stop"), Some(pid_file)) => return Ok(daemon::stop(pid_file)),
        (Some("restart"), Some(pid_file)) => {
            if matches!(daemon::read(pid_file), PidState::Running(_)) {
                let code = daemon::stop(pid_file);
                if code != 0 {
                    return Ok(code);
                }
            } else {
                println!("No server was running; starting one");
            }
        }
        _ => {}
    }
    if daemon
        && !args.daemon_child
        && let Some(pid_file) = &pid_file
    {
        let log_file = args
            .log_file
            .clone()
            .unwrap_or_else(|| PathBuf::from("paster.log"));
        let child_args = child_args(args, rest, &absolute(pid_file), &absolute(&log_file));
        return daemon::start(&child_args, pid_file, &log_file);
    }
    serve(registry, args, vars, pid_file.as_deref())
}

/// The command line of the background server.
fn child_args(args: &ServeArgs, vars: &[String], pid_file: &Path, log_file: &Path) -> Vec<String> {
    let mut out = vec!["serve".to_owned(), args.config.clone()];
    out.extend(vars.iter().cloned());
    if let Some(name) = &args.app_name {
        out.extend(["--app-name".to_owned(), name.clone()]);
    }
    if let Some(name) = &args.server_name {
        out.extend(["--server-name".to_owned(), name.clone()]);
    }
    out.extend([
        "--pid-file".to_owned(),
        pid_file.display().to_string(),
        "--log-file".to_owned(),
        log_file.display().to_string(),
        "--daemon-child".to_owned(),
    ]);
    out
}

fn absolute(path: &Path) -> PathBuf {
    std::env::current_dir().map_or_else(|_| path.to_owned(), |cwd| cwd.join(path))
}

/// Serves in this process until SIGINT or SIGTERM.
fn serve(
    registry: &Registry,
    args: &ServeArgs,
    vars: paste_deploy::Conf,
    pid_file: Option<&Path>,
) -> Result<u8, Error> {
    if args.daemon_child {
        // Leave the terminal's session, so that its hang-up and Ctrl-C do
        // not reach the background server.
        let _ = rustix::process::setsid();
    }
    if let Some(log_file) = &args.log_file
        && !args.daemon_child
    {
        redirect_output(log_file)?;
    }
    let uri = config::uri(&args.config);
    let file = config::file(&uri);
    logging::init(file.as_deref());
    let cwd = std::env::current_dir()
        .map_err(|err| Error::usage(format!("cannot read the current folder: {err}")))?;
    let server = registry.load_server(&uri, args.server_name.as_deref(), Some(&cwd), &vars)?;
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = server.worker_threads() {
        builder.worker_threads(threads);
    }
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|err| Error::new(1, format!("cannot start the runtime: {err}")))?;
    let app = {
        let _runtime = runtime.enter();
        registry.load_app(&uri, args.app_name.as_deref(), Some(&cwd), &vars)?
    };
    let swap = SwapApp::new(app);
    if args.reload {
        match &file {
            Some(file) => reload::watch(Reload {
                registry: registry.clone(),
                uri: uri.clone(),
                app_name: args.app_name.clone(),
                relative_to: cwd.clone(),
                vars,
                file: file.clone(),
                swap: swap.clone(),
                runtime: runtime.handle().clone(),
            })?,
            None => tracing::warn!("--reload watches config files; {uri} is not one"),
        }
    }
    let _pid_file = pid_file.map(PidFile::write).transpose()?;
    if let Some(url) = server.url() {
        println!("serving on {url}");
    }
    println!("Starting server in PID {}.", std::process::id());
    runtime
        .block_on(server.serve(BoxApp::new(swap)))
        .map_err(|err| Error::new(1, format!("{err:#}")))?;
    Ok(0)
}

/// Sends this process's stdout and stderr to the end of `log_file`
/// (`--log-file` without `--daemon`).
fn redirect_output(log_file: &Path) -> Result<(), Error> {
    let refused = |err: std::io::Error| {
        Error::usage(format!(
            "unable to write to log file {}: {err}",
            log_file.display()
        ))
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .map_err(refused)?;
    rustix::stdio::dup2_stdout(&file).map_err(|err| refused(err.into()))?;
    rustix::stdio::dup2_stderr(&file).map_err(|err| refused(err.into()))?;
    Ok(())
}
