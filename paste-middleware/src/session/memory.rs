//! [`MemoryStore`]: sessions in a map, for one process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use paste_core::Error;

use super::store::{Record, SessionData, SessionId, Store};

/// How often, at most, a save also sweeps out expired sessions.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Sessions kept in memory: fast, lost on restart and not shared between
/// processes. Cloning gives another handle on the same sessions.
///
/// Expired sessions are never loaded, and a save sweeps them out (at most
/// once a minute), so the map holds the live sessions plus at most a
/// minute's worth of dead ones.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use paste_middleware::session::{MemoryStore, SessionData, SessionId, Store};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
/// let store = MemoryStore::new();
/// let id = SessionId::random()?;
/// let mut data = SessionData::new();
/// data.insert("user".into(), "alice".into());
/// store.save(&id, &data, SystemTime::now() + Duration::from_secs(60)).await?;
/// assert_eq!(store.load(&id).await?.unwrap().data, data);
/// assert_eq!(store.len(), 1);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<SessionId, Record>,
    last_sweep: Option<SystemTime>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many unexpired sessions are stored.
    pub fn len(&self) -> usize {
        let now = SystemTime::now();
        self.lock()
            .sessions
            .values()
            .filter(|r| !r.is_expired_at(now))
            .count()
    }

    /// Whether no unexpired session is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every expired session now.
    pub fn sweep(&self) {
        let now = SystemTime::now();
        let mut inner = self.lock();
        inner.sessions.retain(|_, r| !r.is_expired_at(now));
        inner.last_sweep = Some(now);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for MemoryStore {
    async fn load(&self, id: &SessionId) -> Result<Option<Record>, Error> {
        let now = SystemTime::now();
        let mut inner = self.lock();
        match inner.sessions.get(id) {
            Some(record) if record.is_expired_at(now) => {
                inner.sessions.remove(id);
                Ok(None)
            }
            other => Ok(other.cloned()),
        }
    }

    async fn save(
        &self,
        id: &SessionId,
        data: &SessionData,
        expires: SystemTime,
    ) -> Result<(), Error> {
        let now = SystemTime::now();
        let mut inner = self.lock();
        let due = inner
            .last_sweep
            .is_none_or(|last| now.duration_since(last).unwrap_or_default() >= SWEEP_EVERY);
        if due {
            inner.sessions.retain(|_, r| !r.is_expired_at(now));
            inner.last_sweep = Some(now);
        }
        inner.sessions.insert(
            id.clone(),
            Record {
                data: data.clone(),
                expires,
            },
        );
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), Error> {
        self.lock().sessions.remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn expired_sessions_are_not_loaded_and_are_swept() {
        let store = MemoryStore::new();
        let dead = SessionId::random().unwrap();
        let past = SystemTime::now() - Duration::from_secs(1);
        store.save(&dead, &SessionData::new(), past).await.unwrap();
        assert_eq!(store.load(&dead).await.unwrap(), None);
        store.save(&dead, &SessionData::new(), past).await.unwrap();
        assert_eq!(store.lock().sessions.len(), 1);
        store.sweep();
        assert_eq!(store.lock().sessions.len(), 0);
        assert!(store.is_empty());
    }
}
