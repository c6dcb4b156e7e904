//! The built-in project templates, embedded in the binary: each file's
//! path, bytes and executable bit (a test checks this table against the
//! `templates/` folder).

use crate::error::Error;
use crate::template::{Template, TemplateFile};

/// (path in the template, content, executable).
type Embedded = (&'static str, &'static [u8], bool);

/// The built-in templates, by name.
const BUILTIN: &[(&str, &[Embedded])] = &[("basic", BASIC), ("webapp", WEBAPP)];

const BASIC: &[Embedded] = &[
    (
        "+dot+gitignore",
        include_bytes!("../templates/basic/+dot+gitignore"),
        false,
    ),
    (
        "Cargo.toml.hbs",
        include_bytes!("../templates/basic/Cargo.toml.hbs"),
        false,
    ),
    (
        "README.md.hbs",
        include_bytes!("../templates/basic/README.md.hbs"),
        false,
    ),
    (
        "development.ini.hbs",
        include_bytes!("../templates/basic/development.ini.hbs"),
        false,
    ),
    (
        "template.ini",
        include_bytes!("../templates/basic/template.ini"),
        false,
    ),
    (
        "src/lib.rs.hbs",
        include_bytes!("../templates/basic/src/lib.rs.hbs"),
        false,
    ),
    (
        "src/main.rs.hbs",
        include_bytes!("../templates/basic/src/main.rs.hbs"),
        false,
    ),
    (
        "tests/app.rs.hbs",
        include_bytes!("../templates/basic/tests/app.rs.hbs"),
        false,
    ),
];

const WEBAPP: &[Embedded] = &[
    (
        "+dot+gitignore",
        include_bytes!("../templates/webapp/+dot+gitignore"),
        false,
    ),
    (
        "Cargo.toml.hbs",
        include_bytes!("../templates/webapp/Cargo.toml.hbs"),
        false,
    ),
    (
        "README.md.hbs",
        include_bytes!("../templates/webapp/README.md.hbs"),
        false,
    ),
    (
        "development.ini.hbs",
        include_bytes!("../templates/webapp/development.ini.hbs"),
        false,
    ),
    (
        "template.ini",
        include_bytes!("../templates/webapp/template.ini"),
        false,
    ),
    (
        "src/lib.rs.hbs",
        include_bytes!("../templates/webapp/src/lib.rs.hbs"),
        false,
    ),
    (
        "src/main.rs.hbs",
        include_bytes!("../templates/webapp/src/main.rs.hbs"),
        false,
    ),
    (
        "pages/_layout.html",
        include_bytes!("../templates/webapp/pages/_layout.html"),
        false,
    ),
    (
        "pages/about.html",
        include_bytes!("../templates/webapp/pages/about.html"),
        false,
    ),
    (
        "pages/index.html",
        include_bytes!("../templates/webapp/pages/index.html"),
        false,
    ),
    (
        "static/style.css",
        include_bytes!("../templates/webapp/static/style.css"),
        false,
    ),
    (
        "static/errors/404.html",
        include_bytes!("../templates/webapp/static/errors/404.html"),
        false,
    ),
    (
        "tests/app.rs.hbs",
        include_bytes!("../templates/webapp/tests/app.rs.hbs"),
        false,
    ),
];
/// The built-in templates.
pub(crate) fn builtin() -> Result<Vec<Template>, Error> {
    BUILTIN
        .iter()
        .map(|(name, files)| {
            let files = files
                .iter()
                .map(|(path, bytes, executable)| TemplateFile {
                    path: (*path).to_owned(),
                    bytes: bytes.to_vec(),
                    executable: *executable,
                })
                .collect();
            Template::from_files(name, &format!("(built-in) {name}"), files)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of `templates/` is embedded, with its executable bit,
    /// and nothing else is.
    #[test]
    fn the_table_matches_the_folder() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for (name, files) in BUILTIN {
            let on_disk = Template::from_dir(&root.join(name)).unwrap();
            let mut embedded: Vec<(String, bool)> = files
                .iter()
                .filter(|(path, _, _)| *path != crate::template::DESCRIPTION_FILE)
                .map(|(path, _, exec)| ((*path).to_owned(), *exec))
                .collect();
            embedded.sort();
            let disk: Vec<(String, bool)> = on_disk
                .files
                .iter()
                .map(|f| (f.path.clone(), f.executable))
                .collect();
            assert_eq!(embedded, disk, "template {name}");
        }
        let mut names: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    }

    #[test]
    fn built_in_templates_describe_themselves() {
        for template in builtin().unwrap() {
            assert!(!template.summary.is_empty(), "{}", template.name);
            assert!(template.vars.iter().any(|v| v.name == "description"));
        }
    }
}
