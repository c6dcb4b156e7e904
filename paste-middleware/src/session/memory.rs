//! [`MemoryStore`]: sessions in a map, for one process.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
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
    sessions: HashMap<SessionId, Stored, IdHash>,
    last_sweep: Option<SystemTime>,
}

/// A record as kept: the data shared with the sessions that read it
/// (see [`Store::load_cookie_shared`]).
#[derive(Debug)]
struct Stored {
    data: Arc<SessionData>,
    expires: SystemTime,
}

impl Stored {
    fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires <= now
    }
}

/// The map's hasher: the keys are ids of 128 random bits that the store
/// drew itself (a client can only name ids, never add one), so a keyed
/// multiply-and-rotate over their bytes spreads them as well as SipHash
/// does, for a fraction of the work on every request.
#[derive(Clone, Debug)]
struct IdHash {
    seed: u64,
}

impl Default for IdHash {
    fn default() -> Self {
        Self {
            seed: RandomState::new().hash_one(0x5e55_1011_u64),
        }
    }
}

impl BuildHasher for IdHash {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.seed)
    }
}

#[derive(Debug)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(23) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        // The high bits are the best mixed; hashbrown uses the top ones
        // for its tags and the low ones for the bucket.
        self.0 ^ (self.0 >> 29)
    }
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

    /// The live session `id`, its data shared; an expired one is removed.
    fn get_shared(&self, id: &SessionId) -> Option<(SessionId, Arc<SessionData>, SystemTime)> {
        let now = SystemTime::now();
        let mut inner = self.lock();
        let stored = inner.sessions.get(id)?;
        if stored.is_expired_at(now) {
            inner.sessions.remove(id);
            return None;
        }
        Some((id.clone(), Arc::clone(&stored.data), stored.expires))
    }
}

impl Store for MemoryStore {
    async fn load(&self, id: &SessionId) -> Result<Option<Record>, Error> {
        let now = SystemTime::now();
        let mut inner = self.lock();
        match inner.sessions.get(id) {
            Some(stored) if stored.is_expired_at(now) => {
                inner.sessions.remove(id);
                Ok(None)
            }
            Some(stored) => Ok(Some(Record {
                data: SessionData::clone(&stored.data),
                expires: stored.expires,
            })),
            None => Ok(None),
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
            Stored {
                data: Arc::new(data.clone()),
                expires,
            },
        );
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), Error> {
        self.lock().sessions.remove(id);
        Ok(())
    }

    fn load_cookie_shared(
        &self,
        cookie_name: &str,
        value: &str,
    ) -> impl Future<Output = Result<Option<(SessionId, Arc<SessionData>, SystemTime)>, Error>> + Send
    {
        let _ = cookie_name;
        let found = SessionId::parse(value).and_then(|id| self.get_shared(&id));
        std::future::ready(Ok(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_one_digit_apart_hash_apart_and_stores_are_keyed_differently() {
        let hash = IdHash::default();
        let base = SessionId::random().unwrap();
        let base_hash = hash.hash_one(&base);
        let mut seen = std::collections::HashSet::new();
        for position in 0..32 {
            let mut text = base.as_str().to_owned().into_bytes();
            text[position] = if text[position] == b'0' { b'1' } else { b'0' };
            let id = SessionId::parse(std::str::from_utf8(&text).unwrap()).unwrap();
            let h = hash.hash_one(&id);
            assert_ne!(h, base_hash, "digit {position}");
            // The bits hashbrown uses for the bucket and for the tag.
            seen.insert((h & 0xffff, h >> 57));
        }
        assert!(seen.len() >= 30, "{seen:?}");
        assert_ne!(IdHash::default().hash_one(&base), base_hash);
    }

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
