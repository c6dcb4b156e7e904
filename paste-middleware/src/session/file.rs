//! [`FileStore`]: one JSON file per session in a directory.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use paste_core::Error;

use super::store::{Record, SessionData, SessionId, Store, decode_record, encode_record};

/// How often, at most, a save also sweeps out expired session files.
const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);

/// The file name extension of session files.
const EXTENSION: &str = "json";

/// Sessions kept as files in a directory, one `<id>.json` per session.
///
/// - File names are made only from a validated [`SessionId`] (32 hex
///   digits), never from anything else the client sent.
/// - A save writes a temporary file in the same directory and renames it
///   over the old one, so a reader never sees half a session; on Unix the
///   file is created `0600` and the directory, if the store creates it,
///   `0700`.
/// - The expiry is written in the file and checked on every load; an
///   expired file is deleted when found, and a save sweeps the directory
///   for expired session files at most every 15 minutes (also available as
///   [`FileStore::sweep`]).
/// - A file that can't be read as a session is treated as no session.
///
/// Two processes may share the directory; the last save of a session wins.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use paste_middleware::session::{FileStore, SessionData, SessionId, Store};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
/// let dir = tempfile::tempdir()?;
/// let store = FileStore::new(dir.path());
/// let id = SessionId::random()?;
/// let mut data = SessionData::new();
/// data.insert("n".into(), 1.into());
/// store.save(&id, &data, SystemTime::now() + Duration::from_secs(60)).await?;
/// assert!(dir.path().join(format!("{id}.json")).is_file());
/// assert_eq!(store.load(&id).await?.unwrap().data, data);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FileStore {
    dir: Arc<PathBuf>,
    last_sweep: Arc<Mutex<Option<SystemTime>>>,
}

impl FileStore {
    /// A store in `dir`, which is created (on the first save) if missing.
    /// Give it a directory of its own: [`sweep`](FileStore::sweep) deletes
    /// expired files named like sessions in it.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: Arc::new(dir.into()),
            last_sweep: Arc::new(Mutex::new(None)),
        }
    }

    /// The directory sessions are kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of the session `id`: the only way a path is made.
    fn path_of(&self, id: &SessionId) -> PathBuf {
        self.dir.join(format!("{id}.{EXTENSION}"))
    }

    /// Deletes every expired (or unreadable) session file now; returns how
    /// many were deleted. Files not named like sessions are left alone.
    pub async fn sweep(&self) -> Result<usize, Error> {
        let dir = Arc::clone(&self.dir);
        let swept = tokio::task::spawn_blocking(move || sweep_dir(&dir)).await;
        *self
            .last_sweep
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(SystemTime::now());
        Ok(swept.map_err(io::Error::other)??)
    }

    /// Starts a sweep in the background if the last one is old enough.
    fn maybe_sweep(&self) {
        let now = SystemTime::now();
        {
            let mut last = self
                .last_sweep
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|t| now.duration_since(t).unwrap_or_default() < SWEEP_EVERY) {
                return;
            }
            *last = Some(now);
        }
        let dir = Arc::clone(&self.dir);
        drop(tokio::task::spawn_blocking(move || {
            if let Err(err) = sweep_dir(&dir) {
                tracing::warn!("sweeping session files in {}: {err}", dir.display());
            }
        }));
    }
}

fn read_record(path: &Path) -> io::Result<Option<Record>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(decode_record(&bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

fn sweep_dir(dir: &Path) -> io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let now = SystemTime::now();
    let mut swept = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(stem) = name
            .to_str()
            .and_then(|n| n.strip_suffix(EXTENSION))
            .and_then(|n| n.strip_suffix('.'))
        else {
            continue;
        };
        if SessionId::parse(stem).is_none() {
            continue;
        }
        let path = entry.path();
        let expired = read_record(&path)?.is_none_or(|r| r.is_expired_at(now));
        if expired && remove(&path)? {
            swept += 1;
        }
    }
    Ok(swept)
}

/// Removes `path`; a missing file is fine. Says whether it removed one.
fn remove(path: &Path) -> io::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `bytes` to `path` through a temporary file in the same
/// directory and a rename (0600 on Unix: tempfile's default).
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    create_dir(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(".session-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|err| err.error)?;
    Ok(())
}

impl Store for FileStore {
    async fn load(&self, id: &SessionId) -> Result<Option<Record>, Error> {
        let path = self.path_of(id);
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        let Some(record) = decode_record(&bytes) else {
            tracing::warn!("session file {} is not a session; ignored", path.display());
            return Ok(None);
        };
        if record.is_expired_at(SystemTime::now()) {
            tokio::task::spawn_blocking(move || remove(&path))
                .await
                .map_err(io::Error::other)??;
            return Ok(None);
        }
        Ok(Some(record))
    }

    async fn save(
        &self,
        id: &SessionId,
        data: &SessionData,
        expires: SystemTime,
    ) -> Result<(), Error> {
        let bytes = encode_record(data, expires);
        let dir = Arc::clone(&self.dir);
        let path = self.path_of(id);
        tokio::task::spawn_blocking(move || write_atomically(&dir, &path, &bytes))
            .await
            .map_err(io::Error::other)??;
        self.maybe_sweep();
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), Error> {
        match tokio::fs::remove_file(self.path_of(id)).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_private_and_expired_ones_swept() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("sessions"));
        let live = SessionId::random().unwrap();
        let dead = SessionId::random().unwrap();
        let mut data = SessionData::new();
        data.insert("k".into(), "v".into());
        let later = SystemTime::now() + Duration::from_secs(60);
        let past = SystemTime::now() - Duration::from_secs(1);
        store.save(&live, &data, later).await.unwrap();
        store.save(&dead, &data, past).await.unwrap();
        std::fs::write(store.dir().join("notes.txt"), "keep me").unwrap();
        std::fs::write(store.dir().join(format!("{}.json", "f".repeat(32))), "junk").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path_of(&live))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(store.dir()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        // A sweep may already have started in the background after the
        // first save; either way, after this one only the live file and
        // the foreign one are left.
        store.sweep().await.unwrap();
        assert!(store.path_of(&live).is_file());
        assert!(!store.path_of(&dead).exists());
        assert!(store.dir().join("notes.txt").is_file());
        let names: Vec<_> = std::fs::read_dir(store.dir()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temporary file is left behind");
    }

    #[tokio::test]
    async fn a_corrupt_file_is_no_session() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let id = SessionId::random().unwrap();
        std::fs::write(store.path_of(&id), "{not json").unwrap();
        assert_eq!(store.load(&id).await.unwrap(), None);
    }
}
