//! [`RedisStore`]: sessions in Redis (or Valkey), shared by every server
//! that talks to it (feature `redis`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use paste_core::Error;
use paste_core::http::StatusCode;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::store::{Record, SessionData, SessionId, Store, decode_record, encode_record};

/// Sessions kept in Redis, one key per session: `<prefix><id>`, holding
/// the data and expiry as JSON, with a Redis TTL equal to the time left.
///
/// Redis drops a session when its TTL runs out, and a load checks the
/// stored expiry too, so an expired session is never returned even by a
/// server whose keys were restored from a snapshot. Many servers pointed
/// at the same Redis share their sessions.
///
/// [`open`](RedisStore::open) only parses the URL: the connection is made
/// on first use and re-made by the client when it breaks, so an app can
/// start before Redis does. Each command is bounded by
/// [`timeout`](RedisStore::timeout) (1 s by default); a Redis that is down
/// or slow costs the client its session (the middleware logs the error
/// and starts a fresh one), never the response.
///
/// ```no_run
/// use paste_core::{Request, Response, app_fn};
/// use paste_middleware::session::{RedisStore, SessionMiddleware};
///
/// let store = RedisStore::open("redis://127.0.0.1:6379/0")
///     .unwrap()
///     .key_prefix("shop:session:");
/// let app = SessionMiddleware::new(
///     app_fn(|_req: Request| async { Ok(Response::new("hello".into())) }),
///     store,
/// );
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    prefix: Arc<str>,
    timeout: Duration,
    connection: Arc<OnceCell<ConnectionManager>>,
}

impl RedisStore {
    /// A store for the Redis at `url` (`redis://[:password@]host[:port][/db]`,
    /// `rediss://` for TLS if the redis crate was built with it,
    /// `redis+unix:///path/to/socket`). Fails only if the URL is malformed.
    pub fn open(url: &str) -> Result<Self, Error> {
        let client = redis::Client::open(url).map_err(|err| {
            Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("not a Redis URL")
                .with_source(err)
        })?;
        Ok(Self {
            client,
            prefix: Arc::from("paste_session:"),
            timeout: Duration::from_secs(1),
            connection: Arc::new(OnceCell::new()),
        })
    }

    /// The prefix of the store's keys (`paste_session:` by default), so
    /// that several apps can share one Redis database.
    #[must_use]
    pub fn key_prefix(mut self, prefix: &str) -> Self {
        self.prefix = Arc::from(prefix);
        self
    }

    /// How long to wait for Redis to connect or answer a command before
    /// giving up on it for this request (1 s by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The Redis key of session `id`.
    pub fn key_of(&self, id: &SessionId) -> String {
        format!("{}{id}", self.prefix)
    }

    async fn connection(&self) -> Result<ConnectionManager, Error> {
        let manager = self
            .connection
            .get_or_try_init(|| {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(self.client.clone(), config)
            })
            .await
            .map_err(|err| redis_error("connecting to", err))?;
        Ok(manager.clone())
    }
}

impl fmt::Debug for RedisStore {
    /// Shows the server's address but never the URL's password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field(
                "addr",
                &self.client.get_connection_info().addr().to_string(),
            )
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn redis_error(doing: &str, err: redis::RedisError) -> Error {
    Error::new(StatusCode::INTERNAL_SERVER_ERROR)
        .with_message(format!("{doing} the Redis session store failed"))
        .with_source(err)
}

impl Store for RedisStore {
    async fn load(&self, id: &SessionId) -> Result<Option<Record>, Error> {
        let mut redis = self.connection().await?;
        let bytes: Option<Vec<u8>> = redis::cmd("GET")
            .arg(self.key_of(id))
            .query_async(&mut redis)
            .await
            .map_err(|err| redis_error("reading from", err))?;
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        let Some(record) = decode_record(&bytes) else {
            tracing::warn!("Redis key {} is not a session; ignored", self.key_of(id));
            return Ok(None);
        };
        Ok((!record.is_expired_at(SystemTime::now())).then_some(record))
    }

    async fn save(
        &self,
        id: &SessionId,
        data: &SessionData,
        expires: SystemTime,
    ) -> Result<(), Error> {
        let left = expires
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if left.is_zero() {
            return self.delete(id).await;
        }
        let millis = u64::try_from(left.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut redis = self.connection().await?;
        redis::cmd("SET")
            .arg(self.key_of(id))
            .arg(encode_record(data, expires))
            .arg("PX")
            .arg(millis)
            .exec_async(&mut redis)
            .await
            .map_err(|err| redis_error("writing to", err))
    }

    async fn delete(&self, id: &SessionId) -> Result<(), Error> {
        let mut redis = self.connection().await?;
        redis::cmd("DEL")
            .arg(self.key_of(id))
            .exec_async(&mut redis)
            .await
            .map_err(|err| redis_error("deleting from", err))
    }
}
