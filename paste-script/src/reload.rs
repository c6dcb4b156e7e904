//! `paster serve --reload`: watch the config and the files it includes,
//! and load the app again when one changes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher as _};
use paste_deploy::{Conf, Registry};

use crate::config;
use crate::error::Error;
use crate::swap::SwapApp;

/// What a reload loads, and where the new app goes.
pub(crate) struct Reload {
    pub(crate) registry: Registry,
    pub(crate) uri: String,
    pub(crate) app_name: Option<String>,
    pub(crate) relative_to: PathBuf,
    pub(crate) vars: Conf,
    pub(crate) file: PathBuf,
    pub(crate) swap: SwapApp,
    pub(crate) runtime: tokio::runtime::Handle,
}

/// Starts watching, on a thread of its own that lives as long as the
/// process.
pub(crate) fn watch(reload: Reload) -> Result<(), Error> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    })
    .map_err(|err| Error::new(1, format!("cannot watch files for --reload: {err}")))?;
    let mut files: BTreeSet<PathBuf> = config::included_files(&reload.file).into_iter().collect();
    let mut dirs = BTreeSet::new();
    watch_dirs(&mut watcher, &files, &mut dirs);
    std::thread::Builder::new()
        .name("paster-reload".to_owned())
        .spawn(move || {
            while let Ok(event) = rx.recv() {
                if !relevant(&event, &files) {
                    continue;
                }
                // Editors write in bursts: wait for a quiet moment.
                while rx.recv_timeout(Duration::from_millis(200)).is_ok() {}
                reload.load();
                files = config::included_files(&reload.file).into_iter().collect();
                watch_dirs(&mut watcher, &files, &mut dirs);
            }
        })
        .map_err(|err| Error::new(1, format!("cannot start the --reload thread: {err}")))?;
    Ok(())
}

/// Watches the folder of each file (editors replace files by renaming).
fn watch_dirs(
    watcher: &mut notify::RecommendedWatcher,
    files: &BTreeSet<PathBuf>,
    dirs: &mut BTreeSet<PathBuf>,
) {
    for file in files {
        let Some(dir) = file.parent() else { continue };
        if dirs.contains(dir) {
            continue;
        }
        match watcher.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                dirs.insert(dir.to_owned());
            }
            Err(err) => tracing::warn!("cannot watch {}: {err}", dir.display()),
        }
    }
}

fn relevant(event: &notify::Result<notify::Event>, files: &BTreeSet<PathBuf>) -> bool {
    let Ok(event) = event else { return false };
    !matches!(event.kind, EventKind::Access(_))
        && event
            .paths
            .iter()
            .any(|path| files.contains(path.as_path()))
}

impl Reload {
    fn load(&self) {
        let _runtime = self.runtime.enter();
        match self.registry.load_app(
            &self.uri,
            self.app_name.as_deref(),
            Some(Path::new(&self.relative_to)),
            &self.vars,
        ) {
            Ok(app) => {
                self.swap.swap(app);
                println!("reloaded {}", self.file.display());
            }
            Err(err) => eprintln!(
                "paster: error: {err:#}\npaster: reloading failed; still serving the previous app"
            ),
        }
    }
}
