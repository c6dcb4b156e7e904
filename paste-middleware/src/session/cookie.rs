//! [`CookieStore`]: the whole session in a signed cookie.

use std::time::SystemTime;

use paste_core::Error;
use paste_core::http::StatusCode;
use serde::{Deserialize, Serialize};
use webob::cookies::{MAX_COOKIE_SIZE, SignedSerializer, Signer};

use super::store::{Record, SessionData, SessionId, Store, from_millis, to_millis};

/// Sessions kept by the client: the data, the id and the expiry, as JSON
/// signed with HMAC-SHA256 by webob's [`SignedSerializer`].
///
/// - The client can read the data (it is not encrypted) but can't change
///   it: a tampered, truncated or re-signed cookie is no session, and the
///   client gets a fresh one.
/// - The expiry is inside the signed value and checked on every load, so
///   replaying an old cookie after its idle timeout does not work.
/// - A session too big for a cookie (over 4096 bytes, webob's
///   [`MAX_COOKIE_SIZE`]) is not saved: the error is logged and the
///   client keeps its previous cookie. The data is never truncated.
/// - Nothing is kept on the server, so [`delete`](Store::delete) can't
///   revoke a cookie already handed out: it stays valid until it expires
///   (the middleware does tell the browser to drop it). Use a server-side
///   store when logging out must be final.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use paste_middleware::session::{CookieStore, SessionData, SessionId, Store};
/// use webob::cookies::Signer;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
/// let store = CookieStore::new(Signer::new(b"a secret of at least thirty-two bytes")?);
/// let id = SessionId::random()?;
/// let mut data = SessionData::new();
/// data.insert("cart".into(), serde_json::json!([1, 2]));
/// let expires = SystemTime::now() + Duration::from_secs(60);
/// let value = store.cookie_value("paste_session", &id, &data, expires)?;
/// let (loaded_id, record) = store.load_cookie("paste_session", &value).await?.unwrap();
/// assert_eq!((loaded_id, record.data), (id, data));
/// assert!(store.load_cookie("paste_session", &value.replace('.', "A.")).await?.is_none());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct CookieStore {
    serializer: SignedSerializer<Payload>,
}

/// What the signed cookie holds.
#[derive(Serialize, Deserialize)]
struct Payload {
    id: String,
    /// Milliseconds since the Unix epoch.
    expires: u64,
    data: SessionData,
}

impl CookieStore {
    /// A store signing with `signer` (which may hold old secrets too, for
    /// key rotation).
    pub fn new(signer: Signer) -> Self {
        Self {
            serializer: SignedSerializer::new(signer),
        }
    }
}

impl Store for CookieStore {
    /// Nothing is stored on the server: no session.
    async fn load(&self, _id: &SessionId) -> Result<Option<Record>, Error> {
        Ok(None)
    }

    /// Nothing is stored on the server: the data goes out in
    /// [`cookie_value`](Store::cookie_value).
    async fn save(&self, _: &SessionId, _: &SessionData, _: SystemTime) -> Result<(), Error> {
        Ok(())
    }

    /// Nothing is stored on the server, so there is nothing to revoke.
    async fn delete(&self, _id: &SessionId) -> Result<(), Error> {
        Ok(())
    }

    async fn load_cookie(
        &self,
        cookie_name: &str,
        value: &str,
    ) -> Result<Option<(SessionId, Record)>, Error> {
        let Some(payload) = self.serializer.loads(cookie_name, value) else {
            return Ok(None);
        };
        let Some(id) = SessionId::parse(&payload.id) else {
            return Ok(None);
        };
        let record = Record {
            data: payload.data,
            expires: from_millis(payload.expires),
        };
        if record.is_expired_at(SystemTime::now()) {
            return Ok(None);
        }
        Ok(Some((id, record)))
    }

    fn cookie_value(
        &self,
        cookie_name: &str,
        id: &SessionId,
        data: &SessionData,
        expires: SystemTime,
    ) -> Result<String, Error> {
        let payload = Payload {
            id: id.as_str().to_owned(),
            expires: to_millis(expires),
            data: data.clone(),
        };
        let value = self.serializer.dumps(cookie_name, &payload)?;
        let size = cookie_name.len() + 1 + value.len();
        if size > MAX_COOKIE_SIZE {
            return Err(
                Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_message(format!(
                    "the session is {size} bytes as a cookie, over the {MAX_COOKIE_SIZE} \
                 browsers keep; not saved (keep less in it, or use a server-side store)"
                )),
            );
        }
        Ok(value)
    }
}
