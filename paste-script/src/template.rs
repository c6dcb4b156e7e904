//! Project templates: a folder of files, some of them handlebars
//! templates (`*.hbs`), and a `template.ini` that names the variables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use paste_deploy::ini::IniFile;

use crate::error::Error;

/// One file of a template: its path inside the template (with `+var+`
/// parts still in), its bytes, and whether it is executable.
#[derive(Debug, Clone)]
pub(crate) struct TemplateFile {
    pub(crate) path: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) executable: bool,
}

/// A variable a template asks for.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub(crate) name: String,
    pub(crate) description: String,
    /// `None`: required.
    pub(crate) default: Option<String>,
}

/// A template: its name, one line about it, its variables and its files.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub(crate) name: String,
    pub(crate) summary: String,
    pub(crate) vars: Vec<Var>,
    pub(crate) files: Vec<TemplateFile>,
}

/// The name of the file that describes a template.
pub(crate) const DESCRIPTION_FILE: &str = "template.ini";

impl Template {
    /// A template from its files; `template.ini` among them describes it:
    ///
    /// ```ini
    /// [template]
    /// summary = A crate with one app
    ///
    /// [var:author]
    /// description = Who wrote it
    /// default = nobody
    /// ```
    ///
    /// (a variable without `default` is required).
    pub(crate) fn from_files(
        name: &str,
        origin: &str,
        files: Vec<TemplateFile>,
    ) -> Result<Self, Error> {
        let mut summary = String::new();
        let mut vars = Vec::new();
        let mut rest = Vec::new();
        for file in files {
            if file.path != DESCRIPTION_FILE {
                rest.push(file);
                continue;
            }
            let text = String::from_utf8(file.bytes)
                .map_err(|_| Error::usage(format!("{origin}/{DESCRIPTION_FILE}: not UTF-8")))?;
            let path = PathBuf::from(format!("{origin}/{DESCRIPTION_FILE}"));
            let ini = IniFile::parse(&text, Some(&path))?;
            for section in ini.sections() {
                if section.name() == "template" {
                    if let Some(entry) = section.get("summary") {
                        summary = entry.value().to_owned();
                    }
                } else if let Some(var) = section.name().strip_prefix("var:") {
                    vars.push(Var {
                        name: var.trim().to_owned(),
                        description: section
                            .get("description")
                            .map(|e| e.value().to_owned())
                            .unwrap_or_default(),
                        default: section.get("default").map(|e| e.value().to_owned()),
                    });
                }
            }
        }
        rest.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Self {
            name: name.to_owned(),
            summary,
            vars,
            files: rest,
        })
    }

    /// A template from a folder on disk.
    pub(crate) fn from_dir(dir: &Path) -> Result<Self, Error> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files = Vec::new();
        read_dir(dir, "", &mut files)?;
        Self::from_files(&name, &dir.display().to_string(), files)
    }
}

fn read_dir(dir: &Path, prefix: &str, files: &mut Vec<TemplateFile>) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    let entries = std::fs::read_dir(dir).map_err(|err| {
        Error::usage(format!(
            "cannot read template folder {}: {err}",
            dir.display()
        ))
    })?;
    for entry in entries {
        let entry =
            entry.map_err(|err| Error::usage(format!("cannot read {}: {err}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if skipped(&name) {
            continue;
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        let meta = std::fs::metadata(&path)
            .map_err(|err| Error::usage(format!("cannot read {}: {err}", path.display())))?;
        if meta.is_dir() {
            read_dir(&path, &format!("{rel}/"), files)?;
        } else {
            let bytes = std::fs::read(&path)
                .map_err(|err| Error::usage(format!("cannot read {}: {err}", path.display())))?;
            files.push(TemplateFile {
                path: rel,
                bytes,
                executable: meta.permissions().mode() & 0o111 != 0,
            });
        }
    }
    Ok(())
}

/// Names a template never copies: hidden files (write `+dot+name` for a
/// dot file), editor backups.
fn skipped(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || name.ends_with(".bak")
}

/// A path of a template with `+var+` parts replaced (`+dot+` is `.`,
/// `+plus+` is `+`); an unknown `+name+` is an error.
pub(crate) fn substitute_path(
    path: &str,
    vars: &BTreeMap<String, String>,
) -> Result<String, Error> {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('+') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('+') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        let value = match name {
            "" => "++",
            "dot" => ".",
            "plus" => "+",
            _ => vars.get(name).map(String::as_str).ok_or_else(|| {
                Error::usage(format!(
                    "the file name {path:?} uses +{name}+, which is not a variable"
                ))
            })?,
        };
        if value.contains('/') || value == ".." || value.contains('\0') {
            return Err(Error::usage(format!(
                "the variable {name} = {value:?} cannot be part of a file name"
            )));
        }
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_take_variables() {
        let vars: BTreeMap<String, String> = [("package".to_owned(), "my_app".to_owned())]
            .into_iter()
            .collect();
        assert_eq!(
            substitute_path("src/+package+.rs", &vars).unwrap(),
            "src/my_app.rs"
        );
        assert_eq!(
            substitute_path("+dot+gitignore", &vars).unwrap(),
            ".gitignore"
        );
        assert_eq!(substitute_path("a+plus+b", &vars).unwrap(), "a+b");
        assert_eq!(substitute_path("c++", &vars).unwrap(), "c++");
        assert!(substitute_path("+nope+", &vars).is_err());
        let evil: BTreeMap<String, String> = [("x".to_owned(), "../../etc".to_owned())]
            .into_iter()
            .collect();
        assert!(substitute_path("+x+/passwd", &evil).is_err());
    }
}
