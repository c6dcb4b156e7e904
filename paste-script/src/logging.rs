//! Logging for `paster serve`: `RUST_LOG` when set, else the config's
//! Python-style `[loggers]` sections, else `info`.

use std::io::IsTerminal as _;
use std::path::Path;

use paste_deploy::ini::IniFile;
use tracing_subscriber::EnvFilter;

/// The filter directives of a config's logging sections, Python's
/// `fileConfig` shape: `[loggers] keys = root, x`, then `[logger_root]
/// level = INFO` and `[logger_x] level = DEBUG` with `qualname = target`.
/// `None` when the file has no `[loggers]` section.
pub(crate) fn directives(ini: &IniFile) -> Option<String> {
    let loggers = ini.section("loggers")?;
    let keys = loggers.get("keys").map(|e| e.value()).unwrap_or_default();
    let mut directives = Vec::new();
    for key in keys.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let Some(section) = ini.section(&format!("logger_{key}")) else {
            continue;
        };
        let level = section
            .get("level")
            .map_or("NOTSET", |e| e.value())
            .trim()
            .to_ascii_uppercase();
        let level = match level.as_str() {
            "CRITICAL" | "FATAL" | "ERROR" => "error",
            "WARNING" | "WARN" => "warn",
            "INFO" => "info",
            "DEBUG" => "debug",
            "NOTSET" if key == "root" => "trace",
            "NOTSET" => continue,
            _ => "info",
        };
        if key == "root" {
            directives.insert(0, level.to_owned());
        } else {
            let target = section.get("qualname").map_or(key, |e| e.value()).trim();
            directives.push(format!("{target}={level}"));
        }
    }
    Some(directives.join(","))
}

/// Installs the process's tracing subscriber (once; later calls do
/// nothing), writing to stderr.
pub(crate) fn init(config_file: Option<&Path>) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => EnvFilter::new(value),
        _ => {
            let from_config = config_file
                .and_then(|file| IniFile::read(file).ok())
                .and_then(|ini| directives(&ini))
                .filter(|d| !d.is_empty());
            EnvFilter::new(from_config.unwrap_or_else(|| "info".to_owned()))
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_logging_sections_become_directives() {
        let ini = IniFile::parse(
            "[loggers]\nkeys = root, access, quiet\n\n[logger_root]\nlevel = WARNING\n\n\
             [logger_access]\nlevel = INFO\nqualname = paste.translogger\n\n\
             [logger_quiet]\nlevel = NOTSET\n",
            None,
        )
        .unwrap();
        assert_eq!(
            directives(&ini).as_deref(),
            Some("warn,paste.translogger=info")
        );
        let none = IniFile::parse("[app:main]\nuse = x\n", None).unwrap();
        assert_eq!(directives(&none), None);
    }
}
