//! `paster create`: a project from a template.

use std::collections::BTreeMap;
use std::io::{BufRead as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use handlebars::Handlebars;

use crate::error::Error;
use crate::paster::CreateArgs;
use crate::template::{self, Template};
use crate::templates;

/// The environment variable naming more template folders (`:`-separated).
const TEMPLATE_PATH_VAR: &str = "PASTE_TEMPLATE_PATH";

pub(crate) fn run(dirs: &[PathBuf], args: &CreateArgs) -> Result<u8, Error> {
    let mut search: Vec<PathBuf> = dirs.to_vec();
    search.extend(args.template_dir.iter().cloned());
    if let Some(path) = std::env::var_os(TEMPLATE_PATH_VAR) {
        search.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
    }
    let templates = all_templates(&search)?;
    if args.list_templates {
        println!("Available templates:");
        let width = templates.keys().map(String::len).max().unwrap_or(0);
        for (name, template) in &templates {
            println!("  {name:<width$}  {}", template.summary);
        }
        return Ok(0);
    }
    let Some(project) = args.name.as_deref() else {
        return Err(Error::usage("the project's name is missing"));
    };
    let template = templates.get(&args.template).ok_or_else(|| {
        Error::usage(format!(
            "no template named {:?} (available: {})",
            args.template,
            templates.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    })?;
    let mut vars = standard_vars(project)?;
    let given = crate::config::vars(&args.vars)?;
    for (name, value) in given.iter() {
        vars.insert(name.to_owned(), value.to_owned());
    }
    ask(template, &mut vars, !args.no_interactive)?;
    let out_dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(vars["project"].clone()));
    let files = render(template, &vars)?;
    write(&out_dir, &files, args.overwrite)?;
    println!(
        "Created {} from the {} template ({} files).",
        out_dir.display(),
        template.name,
        files.len()
    );
    Ok(0)
}

/// Every template: the built-in ones, then those of the folders (a
/// folder's template replaces a built-in one of the same name).
pub(crate) fn all_templates(dirs: &[PathBuf]) -> Result<BTreeMap<String, Template>, Error> {
    let mut all = BTreeMap::new();
    for template in templates::builtin()? {
        all.insert(template.name.clone(), template);
    }
    for dir in dirs {
        let entries = std::fs::read_dir(dir).map_err(|err| {
            Error::usage(format!(
                "cannot read template folder {}: {err}",
                dir.display()
            ))
        })?;
        let mut subdirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        subdirs.sort();
        for sub in subdirs {
            let template = Template::from_dir(&sub)?;
            all.insert(template.name.clone(), template);
        }
    }
    Ok(all)
}

/// The variables every template gets: `project` (the name as given),
/// `crate` (a Cargo package name), `package` (the library's name in
/// Rust code), `paste_path` (this workspace, for path dependencies while
/// the crates are unpublished), `paste_version`, and `secret` (64 random
/// hex digits, for signing keys).
fn standard_vars(project: &str) -> Result<BTreeMap<String, String>, Error> {
    let project = project.trim_start_matches('/').trim_end_matches('/');
    let base = Path::new(project)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let crate_name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .to_owned();
    if crate_name.is_empty() || crate_name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(Error::usage(format!(
            "{project:?} is not a usable project name: start it with a letter"
        )));
    }
    let package = crate_name.replace('-', "_");
    let paste_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .display()
        .to_string();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|err| Error::new(1, format!("cannot draw a random secret: {err}")))?;
    let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    Ok([
        ("project", project.to_owned()),
        ("secret", secret),
        ("crate", crate_name),
        ("package", package),
        ("paste_path", paste_path),
        ("paste_version", env!("CARGO_PKG_VERSION").to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect())
}

/// Fills in the template's variables that were not given: asks for each
/// (an empty answer takes the default), or takes the defaults.
fn ask(
    template: &Template,
    vars: &mut BTreeMap<String, String>,
    interactive: bool,
) -> Result<(), Error> {
    let mut missing = Vec::new();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    for var in &template.vars {
        if vars.contains_key(&var.name) {
            continue;
        }
        let answer = if interactive {
            let mut out = std::io::stdout().lock();
            let default = var
                .default
                .as_deref()
                .map(|d| format!(" [{d}]"))
                .unwrap_or_default();
            let _ = write!(out, "Enter {} ({}){default}: ", var.name, var.description);
            let _ = out.flush();
            let mut line = String::new();
            let read = input.read_line(&mut line).unwrap_or(0);
            if read == 0 {
                let _ = writeln!(out);
            }
            let line = line.trim().to_owned();
            if line.is_empty() {
                var.default.clone()
            } else {
                Some(line)
            }
        } else {
            var.default.clone()
        };
        match answer {
            Some(value) => {
                vars.insert(var.name.clone(), value);
            }
            None => missing.push(var.name.clone()),
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "required variable missing: {} (give it as NAME=value)",
            missing.join(", ")
        )))
    }
}

handlebars::handlebars_helper!(rust_str: |s: str| format!("{s:?}"));
handlebars::handlebars_helper!(toml_str: |s: str| serde_json::to_string(s).unwrap_or_default());

/// A file to write: where, what, and whether it is executable.
struct Rendered {
    path: PathBuf,
    bytes: Vec<u8>,
    executable: bool,
}

/// Renders the `*.hbs` files (dropping the suffix) and substitutes
/// `+var+` in every path.
fn render(template: &Template, vars: &BTreeMap<String, String>) -> Result<Vec<Rendered>, Error> {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(true);
    handlebars.register_escape_fn(handlebars::no_escape);
    handlebars.register_helper("rust_str", Box::new(rust_str));
    handlebars.register_helper("toml_str", Box::new(toml_str));
    let mut out = Vec::new();
    for file in &template.files {
        let mut path = template::substitute_path(&file.path, vars)?;
        let bytes = if let Some(stripped) = path.strip_suffix(".hbs") {
            let source = std::str::from_utf8(&file.bytes)
                .map_err(|_| Error::usage(format!("{}/{}: not UTF-8", template.name, file.path)))?;
            let name = format!("{}/{}", template.name, file.path);
            let text = handlebars
                .render_template_with_context(
                    source,
                    &handlebars::Context::wraps(vars)
                        .map_err(|err| Error::usage(format!("{name}: {err}")))?,
                )
                .map_err(|err| Error::usage(format!("{name}: {err}")))?;
            path = stripped.to_owned();
            text.into_bytes()
        } else {
            file.bytes.clone()
        };
        out.push(Rendered {
            path: PathBuf::from(path),
            bytes,
            executable: file.executable,
        });
    }
    Ok(out)
}

/// Writes the files under `dir`; a file that exists with other content is
/// replaced only with `overwrite` (and nothing is written when one is
/// refused).
fn write(dir: &Path, files: &[Rendered], overwrite: bool) -> Result<(), Error> {
    let mut conflicts = Vec::new();
    for file in files {
        let target = dir.join(&file.path);
        if let Ok(existing) = std::fs::read(&target)
            && existing != file.bytes
        {
            conflicts.push(target.display().to_string());
        }
    }
    if !conflicts.is_empty() && !overwrite {
        return Err(Error::usage(format!(
            "these files exist with other content (use --overwrite to replace them): {}",
            conflicts.join(", ")
        )));
    }
    let io = |path: &Path, err: std::io::Error| {
        Error::new(1, format!("cannot write {}: {err}", path.display()))
    };
    for file in files {
        let target = dir.join(&file.path);
        if std::fs::read(&target).is_ok_and(|existing| existing == file.bytes) {
            println!("  {} (already there, same content)", target.display());
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|err| io(parent, err))?;
        }
        std::fs::write(&target, &file.bytes).map_err(|err| io(&target, err))?;
        if file.executable {
            let mut perms = std::fs::metadata(&target)
                .map_err(|err| io(&target, err))?
                .permissions();
            perms.set_mode(perms.mode() | 0o111);
            std::fs::set_permissions(&target, perms).map_err(|err| io(&target, err))?;
        }
        println!("  {}", target.display());
    }
    Ok(())
}
