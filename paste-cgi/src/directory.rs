//! [`CgiDirectory`]: a cgi-bin folder, where the URL picks the program.

use std::fmt;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use http::StatusCode;
use paste_core::{App, Error, Request, RequestExt, Result};
use percent_encoding::percent_decode_str;

use crate::app::{MAX_LOCAL_REDIRECTS, Outcome, Program, Runner, is_nph, runner_options};

/// A cgi-bin folder: the first segments of the path name an executable
/// file inside the folder, which is run as by [`CgiApp`](crate::CgiApp);
/// the segments after it are its `PATH_INFO`.
///
/// ```
/// use paste_cgi::CgiDirectory;
/// use paste_core::{App, Body, Request, RequestExt};
/// # use std::os::unix::fs::PermissionsExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let bin = tempfile::tempdir()?;
/// std::fs::create_dir(bin.path().join("tools"))?;
/// let script = bin.path().join("tools/where.cgi");
/// std::fs::write(
///     &script,
///     "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n%s %s' \"$SCRIPT_NAME\" \"$PATH_INFO\"\n",
/// )?;
/// std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
///
/// let app = CgiDirectory::new(bin.path());
/// let mut req = Request::get("/cgi-bin/tools/where.cgi/a/b").body(Body::empty()).unwrap();
/// req.set_script_name("/cgi-bin"); // mounted there, as a URL map would do
/// let response = app.call(req).await.unwrap();
/// let body = response.into_body().to_bytes(1024).await.unwrap();
/// assert_eq!(body, "/cgi-bin/tools/where.cgi /a/b");
///
/// let req = Request::get("/../etc/passwd").body(Body::empty()).unwrap();
/// assert_eq!(app.call(req).await.unwrap_err().status(), 404);
/// # Ok(()) }
/// ```
///
/// How a path is mapped, segment by segment from the app's mount point:
/// - each segment is percent-decoded; one that is empty is skipped, one
///   that is `.` or `..`, starts with a dot (hidden files), or decodes to
///   something holding `/`, `\`, a NUL or a control character is refused
///   with a 404 — so `%2e%2e` and `..%2f` go nowhere;
/// - a folder leads on to the next segment; the first regular file ends
///   the walk: it is the program, `SCRIPT_NAME` is the mount point plus
///   the segments so far, `PATH_INFO` the rest;
/// - the file's real path (symlinks resolved) must be inside the folder's
///   real path, with no hidden name below it, or it is a 404 (a symlink
///   can't lead out, nor to `.git/`); a file that is not executable is a 403;
///   a path that ends on a folder, or names nothing, is a 404.
///
/// A local redirect re-enters the folder with the new path. Everything
/// else — timeouts, limits, the environment, errors — is as for
/// [`CgiApp`](crate::CgiApp), with the same builder methods; the
/// concurrency limit covers all the folder's programs together.
#[derive(Clone)]
pub struct CgiDirectory {
    root: PathBuf,
    pub(crate) runner: Runner,
}

impl CgiDirectory {
    /// An app serving the programs under `dir`. A relative path is made
    /// absolute against the current directory now; the folder is resolved
    /// again on each request (a missing folder gives 404s).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let root = dir.into();
        let root = std::path::absolute(&root).unwrap_or(root);
        Self {
            root,
            runner: Runner::default(),
        }
    }

    /// The folder served.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// Finds the program for `req`'s path info and shifts its segments onto
    /// the script name.
    async fn find(&self, req: &mut Request) -> Result<Found> {
        let segments: Vec<String> = req
            .path_info()
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(str::to_owned)
            .collect();
        let root = self.root.clone();
        let lookup = tokio::task::spawn_blocking(move || lookup(&root, &segments));
        let (used, filename, nph) = match lookup.await {
            Ok(Ok(found)) => found,
            Ok(Err(refusal)) => return Err(refusal.into_error(req.path_info())),
            Err(join) => return Err(Error::from(join)),
        };
        for _ in 0..used {
            req.shift_path_info();
        }
        Ok(Found { filename, nph })
    }
}

runner_options!(CgiDirectory);

impl fmt::Debug for CgiDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CgiDirectory")
            .field("root", &self.root)
            .field("runner", &self.runner)
            .finish()
    }
}

impl App for CgiDirectory {
    async fn call(&self, req: Request) -> Result {
        let mount = req.script_name().to_owned();
        let mut req = req;
        for _ in 0..=MAX_LOCAL_REDIRECTS {
            let found = self.find(&mut req).await?;
            let program = Program {
                filename: &found.filename,
                nph: found.nph,
            };
            match self.runner.run(req, &mount, program).await? {
                Outcome::Response(response) => return Ok(response),
                Outcome::Redirect(next) => req = next,
            }
        }
        Err(self.runner.too_many_redirects(&self.root))
    }
}

/// The program a path leads to.
struct Found {
    filename: PathBuf,
    nph: bool,
}

/// Why a path leads to no file to serve (here: no program).
#[derive(Debug)]
pub(crate) enum Refusal {
    NotFound(&'static str),
    Forbidden(&'static str),
    Io(io::Error),
}

impl Refusal {
    pub(crate) fn into_error(self, path: &str) -> Error {
        match self {
            Self::NotFound(why) => {
                tracing::debug!(path, "nothing to serve: {why}");
                Error::new(StatusCode::NOT_FOUND).with_message("Not Found")
            }
            Self::Forbidden(why) => {
                tracing::debug!(path, "refused: {why}");
                Error::new(StatusCode::FORBIDDEN).with_message(format!("Forbidden: {why}"))
            }
            Self::Io(err) => {
                tracing::error!(path, "looking up a file to serve failed: {err}");
                Error::from(err)
            }
        }
    }
}

pub(crate) fn from_io(err: io::Error) -> Refusal {
    match err.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Refusal::NotFound("no such file"),
        io::ErrorKind::PermissionDenied => Refusal::Forbidden("not readable"),
        _ => Refusal::Io(err),
    }
}

/// Where a walk down a folder ended.
#[derive(Debug)]
pub(crate) enum Walked {
    /// At a regular file, named by the first `segments` segments.
    File {
        segments: usize,
        /// Its real path (symlinks resolved), inside the folder.
        real: PathBuf,
        /// Its name as the URL gave it (decoded).
        name: String,
        /// Its metadata.
        meta: std::fs::Metadata,
    },
    /// At a folder, after all the segments.
    Dir {
        /// Its real path, inside the folder (the folder itself for none).
        real: PathBuf,
        /// The folder's own real path.
        root: PathBuf,
    },
}

/// Walks `segments` (percent-encoded) down from `root` to the first
/// regular file, or to the folder that all of them name. Every segment
/// must pass [`decode_segment`], and where the walk ends, symlinks
/// resolved, must be inside `root`'s real path. Blocking: run it off the
/// async threads.
pub(crate) fn walk(root: &Path, segments: &[String]) -> std::result::Result<Walked, Refusal> {
    let root = std::fs::canonicalize(root).map_err(|err| {
        tracing::warn!(root = %root.display(), "the served folder can't be resolved: {err}");
        Refusal::NotFound("the folder is missing")
    })?;
    let mut path = root.clone();
    for (i, raw) in segments.iter().enumerate() {
        let name = decode_segment(raw).ok_or(Refusal::NotFound("a refused path segment"))?;
        path.push(&name);
        let meta = std::fs::metadata(&path).map_err(from_io)?;
        if meta.is_dir() {
            continue;
        }
        if !meta.is_file() {
            return Err(Refusal::NotFound("not a regular file"));
        }
        let real = inside(&root, &path)?;
        return Ok(Walked::File {
            segments: i + 1,
            real,
            name,
            meta,
        });
    }
    let real = inside(&root, &path)?;
    Ok(Walked::Dir { real, root })
}

/// The real path of `path` (symlinks resolved), if it lies inside `root`
/// (a real path) and is not hidden there: a symlink must not lead out of
/// the folder, nor to a name the walk itself refuses (`.git/config`).
pub(crate) fn inside(root: &Path, path: &Path) -> std::result::Result<PathBuf, Refusal> {
    let real = std::fs::canonicalize(path).map_err(from_io)?;
    let Ok(below) = real.strip_prefix(root) else {
        return Err(Refusal::NotFound("a symlink that leads out of the folder"));
    };
    if below
        .components()
        .any(|part| part.as_os_str().as_encoded_bytes().starts_with(b"."))
    {
        return Err(Refusal::NotFound("a symlink to a hidden file"));
    }
    Ok(real)
}

/// Walks `segments` (percent-encoded) down from `root`: how many segments
/// name the program, its real path, and whether it is an NPH program.
/// Blocking: run it off the async threads.
fn lookup(
    root: &Path,
    segments: &[String],
) -> std::result::Result<(usize, PathBuf, bool), Refusal> {
    match walk(root, segments)? {
        Walked::File {
            segments,
            real,
            name,
            meta,
        } => {
            if meta.permissions().mode() & 0o111 == 0 {
                return Err(Refusal::Forbidden("not an executable program"));
            }
            Ok((segments, real, is_nph(Path::new(&name))))
        }
        Walked::Dir { .. } => Err(Refusal::NotFound("a folder, not a program")),
    }
}

/// One decoded path segment that names a plain, visible entry of a
/// folder, or `None`.
pub(crate) fn decode_segment(raw: &str) -> Option<String> {
    let name = percent_decode_str(raw).decode_utf8().ok()?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    plain.then(|| name.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_that_could_leave_the_folder_are_refused() {
        for bad in [
            "..", ".", "%2e%2e", "%2E.", ".hidden", "a%2fb", "a%5cb", "a%00b", "%0a", "%ff",
        ] {
            assert_eq!(decode_segment(bad), None, "{bad}");
        }
        assert_eq!(
            decode_segment("hello%20world.cgi").as_deref(),
            Some("hello world.cgi")
        );
        assert_eq!(decode_segment("nph-x").as_deref(), Some("nph-x"));
    }
}
