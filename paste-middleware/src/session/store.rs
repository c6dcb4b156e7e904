//! The [`Store`] trait, session ids and what a store keeps.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use paste_core::Error;
use paste_core::http::StatusCode;

/// The data of a session: a JSON object.
pub type SessionData = serde_json::Map<String, serde_json::Value>;

/// A session id: 128 random bits written as 32 lowercase hex digits.
///
/// The only ways to get one are [`SessionId::random`] and
/// [`SessionId::parse`], which accepts exactly 32 lowercase hex digits; so
/// a store that is handed a `SessionId` can use it in a file name or a key
/// without any further check — a cookie like `../../etc/passwd` never gets
/// this far.
///
/// ```
/// use paste_middleware::session::SessionId;
///
/// let id = SessionId::random().unwrap();
/// assert_eq!(id.as_str().len(), 32);
/// assert_eq!(SessionId::parse(id.as_str()), Some(id));
/// assert_eq!(SessionId::parse("../../etc/passwd"), None);
/// assert_eq!(SessionId::parse("0123456789ABCDEF0123456789abcdef"), None);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId([u8; 32]);

impl SessionId {
    /// A new id from the operating system's random number generator.
    /// Fails (with a 500) only if that generator is unavailable.
    pub fn random() -> Result<Self, Error> {
        let no_randomness = |detail: String| {
            Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("no randomness for a session id")
                .with_source(std::io::Error::other(detail))
        };
        let hex = crate::token::random_hex128().map_err(|err| no_randomness(err.to_string()))?;
        Self::parse(&hex).ok_or_else(|| no_randomness("a malformed random id".to_owned()))
    }

    /// `text` as an id if it is exactly 32 lowercase hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = text.as_bytes().try_into().ok()?;
        // Every byte checked, without a branch per byte: the compiler
        // turns this into a few vector instructions (it is on every
        // request that brings a session cookie).
        bytes
            .iter()
            .fold(true, |ok, &b| {
                ok & (b.is_ascii_digit() | matches!(b, b'a'..=b'f'))
            })
            .then_some(Self(bytes))
    }

    /// The 32 hex digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SessionId {
    /// Only the first 8 digits: enough to tell ids apart in a log, not
    /// enough to hijack the session.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({}…)", &self.as_str()[..8])
    }
}

/// A stored session: its data and when it expires.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The session's data.
    pub data: SessionData,
    /// When the session stops being valid (the idle timeout, enforced by
    /// the store on load).
    pub expires: SystemTime,
}

impl Record {
    /// Whether the record is past its expiry at `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires <= now
    }
}

/// Where sessions live. The middleware only ever hands a store a
/// validated [`SessionId`].
///
/// Server-side stores implement [`load`](Store::load),
/// [`save`](Store::save) and [`delete`](Store::delete); the session cookie
/// then carries the id. A store that keeps the data in the cookie itself
/// (like [`CookieStore`](super::CookieStore)) also overrides
/// [`load_cookie`](Store::load_cookie) and
/// [`cookie_value`](Store::cookie_value).
///
/// A store must never return a record past its `expires`. Errors are
/// logged by the middleware and never replace the app's response; a load
/// error gives the client a fresh session.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::SystemTime;
/// use paste_core::Error;
/// use paste_middleware::session::{Record, SessionData, SessionId, Store};
///
/// /// A store without a sweep, for the example.
/// #[derive(Default)]
/// struct Tiny(Mutex<HashMap<SessionId, Record>>);
///
/// impl Store for Tiny {
///     async fn load(&self, id: &SessionId) -> Result<Option<Record>, Error> {
///         let map = self.0.lock().unwrap();
///         Ok(map.get(id).filter(|r| !r.is_expired_at(SystemTime::now())).cloned())
///     }
///     async fn save(&self, id: &SessionId, data: &SessionData, expires: SystemTime) -> Result<(), Error> {
///         let record = Record { data: data.clone(), expires };
///         self.0.lock().unwrap().insert(id.clone(), record);
///         Ok(())
///     }
///     async fn delete(&self, id: &SessionId) -> Result<(), Error> {
///         self.0.lock().unwrap().remove(id);
///         Ok(())
///     }
/// }
/// ```
pub trait Store: Send + Sync + 'static {
    /// The session stored under `id`, unless it is unknown or expired.
    fn load(&self, id: &SessionId) -> impl Future<Output = Result<Option<Record>, Error>> + Send;

    /// Stores `data` under `id` until `expires`, replacing what was there.
    fn save(
        &self,
        id: &SessionId,
        data: &SessionData,
        expires: SystemTime,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Forgets the session `id`; deleting an unknown id is not an error.
    fn delete(&self, id: &SessionId) -> impl Future<Output = Result<(), Error>> + Send;

    /// The session a session cookie's `value` stands for. The default
    /// parses `value` as a [`SessionId`] — anything else is no session,
    /// without touching the store — and [`load`](Store::load)s it.
    fn load_cookie(
        &self,
        cookie_name: &str,
        value: &str,
    ) -> impl Future<Output = Result<Option<(SessionId, Record)>, Error>> + Send {
        let _ = cookie_name;
        let id = SessionId::parse(value);
        async move {
            let Some(id) = id else {
                return Ok(None);
            };
            Ok(self.load(&id).await?.map(|record| (id, record)))
        }
    }

    /// What [`load_cookie`](Store::load_cookie) gives, the data shared
    /// rather than owned: a session is read far more often than it is
    /// changed, and the middleware copies the data only when it changes.
    /// The default wraps `load_cookie`'s record; a store that keeps its
    /// records in memory ([`MemoryStore`](super::MemoryStore)) hands out
    /// its own, so that reading a session copies nothing.
    fn load_cookie_shared(
        &self,
        cookie_name: &str,
        value: &str,
    ) -> impl Future<Output = Result<Option<(SessionId, Arc<SessionData>, SystemTime)>, Error>> + Send
    {
        let loading = self.load_cookie(cookie_name, value);
        async move {
            Ok(loading
                .await?
                .map(|(id, record)| (id, Arc::new(record.data), record.expires)))
        }
    }

    /// The value of the session cookie once the session `id` is saved.
    /// The default is the id.
    fn cookie_value(
        &self,
        cookie_name: &str,
        id: &SessionId,
        data: &SessionData,
        expires: SystemTime,
    ) -> Result<String, Error> {
        let _ = (cookie_name, data, expires);
        Ok(id.as_str().to_owned())
    }
}

impl<S: Store> Store for Arc<S> {
    fn load(&self, id: &SessionId) -> impl Future<Output = Result<Option<Record>, Error>> + Send {
        (**self).load(id)
    }

    fn save(
        &self,
        id: &SessionId,
        data: &SessionData,
        expires: SystemTime,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        (**self).save(id, data, expires)
    }

    fn delete(&self, id: &SessionId) -> impl Future<Output = Result<(), Error>> + Send {
        (**self).delete(id)
    }

    fn load_cookie(
        &self,
        cookie_name: &str,
        value: &str,
    ) -> impl Future<Output = Result<Option<(SessionId, Record)>, Error>> + Send {
        (**self).load_cookie(cookie_name, value)
    }

    fn load_cookie_shared(
        &self,
        cookie_name: &str,
        value: &str,
    ) -> impl Future<Output = Result<Option<(SessionId, Arc<SessionData>, SystemTime)>, Error>> + Send
    {
        (**self).load_cookie_shared(cookie_name, value)
    }

    fn cookie_value(
        &self,
        cookie_name: &str,
        id: &SessionId,
        data: &SessionData,
        expires: SystemTime,
    ) -> Result<String, Error> {
        (**self).cookie_value(cookie_name, id, data, expires)
    }
}

/// A record as the server-side stores write it: JSON with the expiry in
/// milliseconds since the Unix epoch.
#[derive(serde::Serialize)]
struct EncodeRecord<'a> {
    expires: u64,
    data: &'a SessionData,
}

#[derive(serde::Deserialize)]
struct DecodeRecord {
    expires: u64,
    data: SessionData,
}

/// `data` and `expires` in the stores' JSON form.
pub(crate) fn encode_record(data: &SessionData, expires: SystemTime) -> Vec<u8> {
    let record = EncodeRecord {
        expires: to_millis(expires),
        data,
    };
    // A map of JSON values with string keys always serializes.
    serde_json::to_vec(&record).unwrap_or_default()
}

/// The inverse of [`encode_record`]; `None` for anything else.
pub(crate) fn decode_record(bytes: &[u8]) -> Option<Record> {
    let record: DecodeRecord = serde_json::from_slice(bytes).ok()?;
    Some(Record {
        data: record.data,
        expires: from_millis(record.expires),
    })
}

/// `time` as milliseconds since the Unix epoch (0 before it).
pub(crate) fn to_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The inverse of [`to_millis`], clamped rather than overflowing.
pub(crate) fn from_millis(millis: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_millis(millis))
        .unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_hex_and_parse_is_strict() {
        let a = SessionId::random().unwrap();
        let b = SessionId::random().unwrap();
        assert_ne!(a, b);
        assert!(SessionId::parse(a.as_str()).is_some());
        for bad in [
            "",
            "abc",
            "../../etc/passwd",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdeg0123456789abcdef",
            "0123456789abcdef/123456789abcdef",
            "0123456789abcdef\u{e9}23456789abcde",
        ] {
            assert_eq!(SessionId::parse(bad), None, "{bad:?}");
        }
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn records_round_trip_and_junk_is_none() {
        let mut data = SessionData::new();
        data.insert("user".into(), "alice".into());
        let expires = from_millis(1_700_000_000_123);
        let record = decode_record(&encode_record(&data, expires)).unwrap();
        assert_eq!(record, Record { data, expires });
        assert_eq!(decode_record(b"{not json"), None);
        assert_eq!(decode_record(br#"{"data":{}}"#), None);
    }

    #[test]
    fn millis_round_trip_and_clamp() {
        let now = SystemTime::now();
        let back = from_millis(to_millis(now));
        assert!(now.duration_since(back).unwrap() < Duration::from_millis(1));
        let _ = from_millis(u64::MAX);
    }
}
