//! Registration with paste-deploy (feature `deploy`), under Paste's
//! entry-point name for CGI (`egg:Paste#cgi`), WPHP's (`egg:wphp`) and
//! our own.
//!
//! | name | kind | settings |
//! |---|---|---|
//! | `cgi` (`egg:Paste#cgi`) | app | `script` (required; a relative one is looked for along `path`), `path` (directories, `:`- or space-separated; default: the config file's directory, then `PATH`), and the runner settings below |
//! | `cgi_directory` | app | `directory` (required), and the runner settings below |
//! | `fastcgi` | app | `address` (required: `host:port` or `unix:/path`), `script_filename`, and the client settings below |
//! | `php` (`egg:wphp`) | app | `base_dir` or `directory` (required), `php_cgi` (or WPHP's `php_script`), `php_ini`, `option NAME = value` (`-d NAME=value`), `php_max_requests`, `start_timeout`, `index_files`, `fpm` (an existing php-fpm's address instead of a php-cgi of its own), and the client settings below |
//!
//! Settings of all four: `pass_env` (names of the server's variables the
//! programs get; default `PATH`), `env NAME = value` (one per variable),
//! `timeout`, `idle_timeout` (durations), `document_root`,
//! `pass_authorization`, `require_content_length`. Runner settings (`cgi`,
//! `cgi_directory`) add `max_concurrent`; client settings (`fastcgi`,
//! `php`) add `max_connections`, `connect_timeout`, `pool_idle_timeout`
//! and `keep_conn`.
//!
//! Paste's `include_os_environ = true` is refused (it handed every program
//! the whole server environment: list what they need in `pass_env`), and
//! so is `query_string` (a query added to every request's).
//!
//! ```
//! use paste_deploy::{Conf, Description, Registry};
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
use paste_deploy::{Conf, Description, Error, Registry};

use crate::{CgiApp, CgiDirectory, FastCgiAddr, FastCgiApp, PhpApp};

/// Applies the settings all four apps share (their builder methods have
/// the same names, not a common trait).
macro_rules! common_settings {
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

/// The settings of the apps that run programs: the common ones and
/// `max_concurrent`.
macro_rules! runner_settings {
    ($app:expr, $local:expr) => {{
        let local: &Conf = $local;
        let mut app = common_settings!($app, local);
        if let Some(programs) = at_least_one(local, "max_concurrent")? {
            app = app.max_concurrent(programs);
        }
        app
    }};
}

/// The settings of the apps that talk FastCGI: the common ones,
/// `max_connections`, `connect_timeout`, `pool_idle_timeout`, `keep_conn`.
macro_rules! client_settings {
    ($app:expr, $local:expr) => {{
        let local: &Conf = $local;
        let mut app = common_settings!($app, local);
        if let Some(connections) = at_least_one(local, "max_connections")? {
            app = app.max_connections(connections);
        }
        if let Some(timeout) = local.duration("connect_timeout")? {
            app = app.connect_timeout(timeout);
        }
        if let Some(timeout) = local.duration("pool_idle_timeout")? {
            app = app.pool_idle_timeout(timeout);
        }
        if let Some(keep) = local.bool("keep_conn")? {
            app = app.keep_conn(keep);
        }
        app
    }};
}

/// Registers `cgi` (also as `egg:Paste#cgi`), `cgi_directory`, `fastcgi`
/// and `php` (also as `egg:wphp`).
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
        })
        .app("fastcgi", |_global, local| {
            let addr = fastcgi_addr(local, "address", local.require("address")?)?;
            let mut app = client_settings!(FastCgiApp::new(addr), local);
            if let Some(script) = local.get("script_filename") {
                app = app.script_filename(script);
            }
            Ok(BoxApp::new(app))
        })
        .app("php", |_global, local| {
            // WPHP's `base_dir`, or ours.
            let key = if local.contains_key("base_dir") {
                "base_dir"
            } else {
                "directory"
            };
            let dir = local.require(key)?;
            if !Path::new(dir).is_dir() {
                return Err(local.bad_setting(key, "is not a directory"));
            }
            let mut app = client_settings!(PhpApp::new(dir), local);
            for (key, value) in local.iter() {
                // WPHP's `option NAME = value`, passed as `-d NAME=value`.
                if let Some(name) = key.strip_prefix("option ") {
                    app = app.php_option(name.trim(), value);
                }
            }
            // WPHP's `php_script` names the program too.
            if let Some(program) = local.get("php_cgi").or_else(|| local.get("php_script")) {
                app = app.php_cgi(program);
            }
            if let Some(ini) = local.get("php_ini") {
                app = app.php_ini(ini);
            }
            if let Some(requests) = local.int::<u32>("php_max_requests")? {
                app = app.php_max_requests(requests);
            }
            if let Some(timeout) = local.duration("start_timeout")? {
                app = app.start_timeout(timeout);
            }
            let index = local.list("index_files");
            if !index.is_empty() {
                app = app.index_files(index);
            }
            if let Some(addr) = local.get("fpm") {
                app = app.fpm(fastcgi_addr(local, "fpm", addr)?);
            }
            Ok(BoxApp::new(app))
        });
    registry.alias("egg:Paste#cgi", "cgi");
    registry.alias("egg:wphp", "php");
    registry.alias("egg:wphp#main", "php");
    describe(registry);
}

/// What `paster points` (paste-script) says of each factory registered here.
fn describe(registry: &mut Registry) {
    registry.describe(
        "cgi",
        Description::new("Runs one CGI program (paste.cgiapp).")
            .setting("script", "the program (required)")
            .setting("path", "folders to look for it in")
            .setting("pass_env, env NAME", "the program's environment")
            .setting("timeout, max_concurrent", "limits"),
    );
    registry.describe(
        "cgi_directory",
        Description::new("Runs the CGI programs of a folder, a cgi-bin.")
            .setting("directory", "the folder (required)")
            .setting("pass_env, env NAME", "the programs' environment")
            .setting("timeout, max_concurrent", "limits"),
    );
    registry.describe(
        "fastcgi",
        Description::new("Forwards requests to a FastCGI server (php-fpm and others).")
            .setting("address", "host:port or unix:/path (required)")
            .setting("script_filename", "SCRIPT_FILENAME to send")
            .setting("max_connections, connect_timeout", "the connection pool"),
    );
    registry.describe(
        "php",
        Description::new("Serves a folder of PHP scripts through php-cgi or php-fpm (WPHP).")
            .setting("base_dir", "the folder (required)")
            .setting(
                "php_cgi, php_ini, option NAME",
                "the PHP program and its settings",
            )
            .setting("fpm", "an existing php-fpm's address"),
    );
}

/// `key` as a count of at least 1.
fn at_least_one(local: &Conf, key: &str) -> Result<Option<usize>, Error> {
    match local.int::<usize>(key)? {
        Some(0) => Err(local.bad_setting(key, "must be at least 1")),
        other => Ok(other),
    }
}

/// The `value` of setting `key` as a FastCGI address: `unix:/path` (or an
/// absolute path) for a Unix socket, `host:port` for TCP.
fn fastcgi_addr(local: &Conf, key: &str, value: &str) -> Result<FastCgiAddr, Error> {
    let value = value.trim();
    if let Some(path) = value.strip_prefix("unix:") {
        return Ok(FastCgiAddr::unix(path));
    }
    if value.starts_with('/') {
        return Ok(FastCgiAddr::unix(value));
    }
    match value.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(FastCgiAddr::tcp(value))
        }
        _ => Err(local.bad_setting(key, "is not host:port or unix:/path")),
    }
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
