//! Registration with paste-deploy (feature `deploy`), under Paste's
//! entry-point name for CGI (`egg:Paste#cgi`) and our own.
//!
//! | name | kind | settings |
//! |---|---|---|
//! | `cgi` (`egg:Paste#cgi`) | app | `script` (required; a relative one is looked for along `path`), `path` (directories, `:`- or space-separated; default: the config file's directory, then `PATH`), and the runner settings below |
//! | `cgi_directory` | app | `directory` (required), and the runner settings below |
//!
//! Runner settings: `pass_env` (names of the server's variables the
//! programs get; default `PATH`), `env NAME = value` (one per variable),
//! `timeout`, `idle_timeout` (durations), `max_concurrent`,
//! `document_root`, `pass_authorization`, `require_content_length`.
//!
//! Paste's `include_os_environ = true` is refused (it handed every program
//! the whole server environment: list what they need in `pass_env`), and
//! so is `query_string` (a query added to every request's).
//!
//! ```
//! use paste_deploy::{Conf, Registry};
//! # use std::os::unix::fs::PermissionsExt;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let hello = dir.path().join("hello.cgi"); // beside site.ini: found without a path
//! std::fs::write(&hello, "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nhi'\n").unwrap();
//! std::fs::set_permissions(&hello, std::fs::Permissions::from_mode(0o755)).unwrap();
//! std::fs::write(
//!     dir.path().join("site.ini"),
//!     "[app:main]\nuse = egg:Paste#cgi\nscript = hello.cgi\ntimeout = 10s\nenv LANG = C.UTF-8\n",
//! )
//! .unwrap();
//! let mut registry = Registry::new();
//! registry.register(paste_cgi::deploy::register);
//! let app = registry.load_app("config:site.ini", None, Some(dir.path()), &Conf::new());
//! assert!(app.is_ok());
//! ```

use std::path::{Path, PathBuf};

use paste_core::BoxApp;
use paste_deploy::{Conf, Error, Registry};

use crate::{CgiApp, CgiDirectory};

/// Applies the settings `CgiApp` and `CgiDirectory` share (their builder
/// methods have the same names, not a common trait).
macro_rules! runner_settings {
    ($app:expr, $local:expr) => {{
        let local: &Conf = $local;
        let mut app = $app;
        let names = local.list("pass_env");
        if !names.is_empty() {
            app = app.pass_env_only(names);
        }
        for (key, value) in local.iter() {
            if let Some(name) = key.strip_prefix("env ") {
                app = app.env(name.trim(), value);
            }
        }
        if let Some(timeout) = local.duration("timeout")? {
            app = app.timeout(timeout);
        }
        if let Some(timeout) = local.duration("idle_timeout")? {
            app = app.idle_timeout(timeout);
        }
        if let Some(programs) = local.int::<usize>("max_concurrent")? {
            if programs == 0 {
                return Err(local.bad_setting("max_concurrent", "must be at least 1"));
            }
            app = app.max_concurrent(programs);
        }
        if let Some(root) = local.get("document_root") {
            app = app.document_root(root);
        }
        if let Some(pass) = local.bool("pass_authorization")? {
            app = app.pass_authorization(pass);
        }
        if let Some(require) = local.bool("require_content_length")? {
            app = app.require_content_length(require);
        }
        app
    }};
}

/// Registers `cgi` (also as `egg:Paste#cgi`) and `cgi_directory`.
pub fn register(registry: &mut Registry) {
    registry
        .app("cgi", |global, local| {
            refuse_paste_only(local)?;
            let script = find_script(global, local)?;
            let app = runner_settings!(CgiApp::new(script), local);
            Ok(BoxApp::new(app))
        })
        .app("cgi_directory", |_global, local| {
            refuse_paste_only(local)?;
            let dir = local.require("directory")?;
            if !Path::new(dir).is_dir() {
                return Err(local.bad_setting("directory", "is not a directory"));
            }
            let app = runner_settings!(CgiDirectory::new(dir), local);
            Ok(BoxApp::new(app))
        });
    registry.alias("egg:Paste#cgi", "cgi");
}

/// Paste settings with no safe counterpart: refused at their line rather
/// than ignored.
fn refuse_paste_only(local: &Conf) -> Result<(), Error> {
    if local.bool("include_os_environ")? == Some(true) {
        return Err(local.bad_setting(
            "include_os_environ",
            "would hand every program the whole server environment; \
             list the variables it needs in pass_env",
        ));
    }
    if local.contains_key("query_string") {
        return Err(local.bad_setting(
            "query_string",
            "is not supported: programs get the request's own query",
        ));
    }
    Ok(())
}

/// The `script` setting as a path: absolute as given, else the first
/// executable file of that name along `path`.
fn find_script(global: &Conf, local: &Conf) -> Result<PathBuf, Error> {
    let script = local.require("script")?;
    let script_path = Path::new(script);
    if script_path.is_absolute() {
        if !is_executable(script_path) {
            return Err(local.bad_setting("script", "is not an executable file"));
        }
        return Ok(script_path.to_owned());
    }
    let dirs: Vec<PathBuf> = match local.get("path") {
        Some(path) => path
            .split(|c: char| c == ':' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect(),
        None => global
            .get("here")
            .map(PathBuf::from)
            .into_iter()
            .chain(
                std::env::var_os("PATH")
                    .iter()
                    .flat_map(std::env::split_paths),
            )
            .collect(),
    };
    dirs.iter()
        .map(|dir| dir.join(script_path))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| {
            let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            local.bad_setting(
                "script",
                format!("no executable file of that name in {}", searched.join(", ")),
            )
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
