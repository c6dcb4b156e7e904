//! Which file a request's path names under a PHP folder, and what is done
//! with it: run by PHP, served as it is, refused, or a redirect to the
//! folder's URL with its trailing slash.
//!
//! The walk is [`CgiDirectory`](crate::CgiDirectory)'s ([`walk`]):
//! decoded segments, no `.`/`..`/hidden names/encoded slashes, and the
//! real path (symlinks resolved) inside the folder's real path.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use crate::directory::{Refusal, Walked, inside, walk};

/// What to do with a request.
#[derive(Debug)]
pub(crate) enum Route {
    /// Run a PHP script.
    Script {
        /// How many path segments name it (to shift onto the script name).
        segments: usize,
        /// Its real path: `SCRIPT_FILENAME`.
        filename: PathBuf,
        /// The index file's name, when the path named its folder.
        index: Option<String>,
    },
    /// Serve a file as it is.
    Static {
        /// How many path segments name it; a path with more is a 404.
        segments: usize,
        path: PathBuf,
        meta: Metadata,
        /// Whether it is the index file of the folder the path named.
        index: bool,
    },
    /// A folder named without its trailing slash.
    AddSlash,
}

/// What a file's name makes of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `.php` (in any case): run.
    Php,
    /// PHP source or configuration under another name, or a backup: never
    /// served.
    Hidden,
    /// Anything else: served as it is.
    Static,
}

/// Extensions of files that hold PHP source or settings.
const HIDDEN_EXTENSIONS: &[&str] = &[
    "inc", "ini", "phps", "phtml", "pht", "phar", "php3", "php4", "php5", "php7", "php8", "bak",
    "orig", "old", "swp", "save",
];

/// Classifies a file by its name.
pub(crate) fn kind(name: &str) -> Kind {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".php") {
        return Kind::Php;
    }
    let extension = lower.rsplit_once('.').map(|(_, ext)| ext);
    if lower.contains(".php")
        || lower.ends_with('~')
        || lower.starts_with('#')
        || extension.is_some_and(|ext| HIDDEN_EXTENSIONS.contains(&ext))
    {
        return Kind::Hidden;
    }
    Kind::Static
}

/// Resolves `segments` (percent-encoded) under `root`. `slash` says
/// whether the path ends with `/` (a folder must be named so). Blocking:
/// run it off the async threads.
pub(crate) fn resolve(
    root: &Path,
    segments: &[String],
    slash: bool,
    index: &[String],
) -> Result<Route, Refusal> {
    match walk(root, segments)? {
        Walked::File {
            segments,
            real,
            name,
            meta,
        } => file(segments, real, &name, meta, None),
        Walked::Dir { .. } if !slash => Ok(Route::AddSlash),
        Walked::Dir { real, root } => {
            for name in index {
                let candidate = real.join(name);
                let Ok(meta) = std::fs::metadata(&candidate) else {
                    continue;
                };
                if !meta.is_file() {
                    continue;
                }
                let real = inside(&root, &candidate)?;
                return file(segments.len(), real, name, meta, Some(name));
            }
            Err(Refusal::NotFound("a folder without an index file"))
        }
    }
}

fn file(
    segments: usize,
    real: PathBuf,
    name: &str,
    meta: Metadata,
    index: Option<&String>,
) -> Result<Route, Refusal> {
    // Through a symlink, the file's own name counts too: `notes.txt ->
    // index.php` must not serve PHP source.
    let real_kind = real
        .file_name()
        .map_or(Kind::Hidden, |real_name| kind(&real_name.to_string_lossy()));
    match kind(name) {
        Kind::Static if real_kind != Kind::Static => Err(Refusal::NotFound(
            "a link to PHP source or settings, never served as a file",
        )),
        Kind::Php => Ok(Route::Script {
            segments,
            filename: real,
            index: index.cloned(),
        }),
        Kind::Hidden => Err(Refusal::NotFound(
            "PHP source or settings, never served as a file",
        )),
        Kind::Static => Ok(Route::Static {
            segments,
            path: real,
            meta,
            index: index.is_some(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_run_hidden_or_served() {
        for php in ["index.php", "A.PHP", "x.y.php"] {
            assert_eq!(kind(php), Kind::Php, "{php}");
        }
        for hidden in [
            "config.inc",
            "php.ini",
            "x.phps",
            "x.phtml",
            "x.PHTML",
            "x.php5",
            "lib.phar",
            "config.php.bak",
            "config.php~",
            "index.php.swp",
            "x.php.txt",
            "#index.php#",
            "notes~",
            "site.orig",
        ] {
            assert_eq!(kind(hidden), Kind::Hidden, "{hidden}");
        }
        for served in ["style.css", "logo.png", "README", "data.json", "page.html"] {
            assert_eq!(kind(served), Kind::Static, "{served}");
        }
    }
}
