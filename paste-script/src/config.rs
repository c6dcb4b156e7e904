//! What the commands share about a config argument: the URI it stands
//! for, the file behind it, `var=value` overrides, and the files it
//! includes (for `--reload`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use paste_deploy::Conf;
use paste_deploy::ini::IniFile;

use crate::error::Error;

/// A config argument as a URI: a bare path gets `config:` (a scheme is two
/// letters or more, so that `C:` stays a path).
pub(crate) fn uri(arg: &str) -> String {
    match arg.split_once(':') {
        Some((scheme, _))
            if scheme.len() >= 2 && scheme.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            arg.to_owned()
        }
        _ => format!("config:{arg}"),
    }
}

/// The file a `config:` URI names, made absolute against the current
/// folder (`None` for `egg:` and `call:` URIs).
pub(crate) fn file(uri: &str) -> Option<PathBuf> {
    let (scheme, rest) = uri.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("config") {
        return None;
    }
    let path = rest.split('#').next().unwrap_or(rest);
    let path = path.strip_prefix("//").unwrap_or(path);
    let path = Path::new(path);
    Some(if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().ok()?.join(path)
    })
}

/// `var=value` arguments as globals; anything else is an error naming it.
pub(crate) fn vars<'a>(args: impl IntoIterator<Item = &'a String>) -> Result<Conf, Error> {
    let mut conf = Conf::new();
    for arg in args {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(Error::usage(format!(
                "variable assignment {arg:?} invalid (no \"=\")"
            )));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::usage(format!(
                "variable assignment {arg:?} invalid (no name)"
            )));
        }
        conf.insert(name, value, paste_deploy::Location::default());
    }
    Ok(conf)
}

/// `file` and every file it includes through `config:` references, as far
/// as they can be read (an unreadable one is still listed, to be watched
/// until it is fixed).
pub(crate) fn included_files(file: &Path) -> Vec<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![normalize(file)];
    while let Some(file) = todo.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let Ok(ini) = IniFile::read(&file) else {
            continue;
        };
        let here = file.parent().unwrap_or(Path::new("/")).to_owned();
        for section in ini.sections() {
            for entry in section.entries() {
                for token in entry.value().split_whitespace() {
                    if let Some(path) = config_reference(token, &here) {
                        todo.push(path);
                    }
                }
            }
        }
    }
    seen.into_iter().collect()
}

/// `config:other.ini#name` in a value, as the file it names.
fn config_reference(token: &str, here: &Path) -> Option<PathBuf> {
    let (scheme, rest) = token.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("config") {
        return None;
    }
    let here_text = here.to_string_lossy();
    let path = rest.split('#').next().unwrap_or(rest);
    let path = path.replace("%(here)s", &here_text).replace('\\', "/");
    let path = path.strip_prefix("//").unwrap_or(&path).to_owned();
    let path = Path::new(&path);
    Some(normalize(&if path.is_absolute() {
        path.to_owned()
    } else {
        here.join(path)
    }))
}

/// `a/./b/../c` as `a/c`, without asking the file system.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_paths_become_config_uris() {
        assert_eq!(uri("site.ini"), "config:site.ini");
        assert_eq!(uri("C:/site.ini"), "config:C:/site.ini");
        assert_eq!(uri("egg:Paste#test"), "egg:Paste#test");
        assert_eq!(uri("CONFIG:x.ini#main"), "CONFIG:x.ini#main");
    }

    #[test]
    fn variables_need_an_equals_sign() {
        let args = ["port=0".to_owned(), "x = y".to_owned()];
        let conf = vars(&args).unwrap();
        assert_eq!(conf.get("port"), Some("0"));
        assert_eq!(conf.get("x"), Some(" y"));
        let bad = ["oops".to_owned()];
        assert_eq!(
            vars(&bad).unwrap_err().to_string(),
            "variable assignment \"oops\" invalid (no \"=\")"
        );
    }

    #[test]
    fn included_files_follow_config_references() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main.ini");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(
            &main,
            "[composite:main]\nuse = egg:Paste#urlmap\n/ = config:sub/a.ini#x\n/b = config:%(here)s/b.ini\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sub/a.ini"),
            "[app:x]\nuse = config:../main.ini#y\n",
        )
        .unwrap();
        let files = included_files(&main);
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                f.strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["b.ini", "main.ini", "sub/a.ini"]);
    }
}
