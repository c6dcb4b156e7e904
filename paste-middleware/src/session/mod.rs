//! Sessions: a [`SessionMiddleware`] that gives every request a
//! [`Session`] — a small JSON object tied to the client by a cookie — kept
//! in a [`Store`]: [`MemoryStore`], [`FileStore`], [`CookieStore`], or
//! `RedisStore` (feature `redis`) for many servers sharing sessions.
//!
//! ```
//! use paste_core::{App, Request, Response, app_fn, http::header};
//! use paste_middleware::session::{MemoryStore, Session, SessionMiddleware};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
//! let counter = app_fn(|req: Request| async move {
//!     let session = Session::from_request(&req).expect("inside SessionMiddleware");
//!     let visits = session.get::<u32>("visits").unwrap_or(0) + 1;
//!     session.set("visits", &visits)?;
//!     Ok(Response::new(format!("visit {visits}").into()))
//! });
//! let app = SessionMiddleware::new(counter, MemoryStore::new());
//!
//! // The first visit gets a cookie...
//! let response = app.call(Request::new(().into())).await?;
//! let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
//! assert!(set_cookie.starts_with("paste_session="));
//! assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("Secure"));
//!
//! // ...which brings the session back.
//! let cookie = set_cookie.split(';').next().unwrap();
//! let req = Request::get("/").header(header::COOKIE, cookie).body(().into()).unwrap();
//! let response = app.call(req).await?;
//! assert_eq!(response.into_body().to_bytes(100).await?, "visit 2");
//! # Ok(()) }
//! ```
//!
//! # How it behaves
//!
//! - The session is loaded before the app is called (so the [`Session`]
//!   methods need no `await`), from the first session cookie whose value
//!   the store accepts. A missing, malformed, unknown, tampered or expired
//!   cookie gives a fresh, empty session — never an error page, and never
//!   the id the client proposed (no session fixation by a chosen id).
//! - After the app answers, the session is saved only if it changed and
//!   holds data; a fresh id is drawn when it has none yet. An untouched
//!   session, or a new one left empty, writes nothing and sets no cookie.
//!   A session emptied by the app is deleted and its cookie expired.
//! - The idle timeout (default 30 minutes) is enforced by the store on
//!   load, whatever the cookie's own lifetime. A session used after more
//!   than half of its timeout is saved again with a new expiry, so an
//!   active session lives on.
//! - `Set-Cookie` is added next to the app's own cookies, on responses and
//!   on errors alike. A store error is logged and never replaces the app's
//!   answer.
//! - Concurrent requests of one session each save what they saw: the last
//!   one wins (as in Paste; there is no locking).
//!
//! # Differences from Paste
//!
//! Paste's `paste.session` names sessions `YYYYMMDDhhmmss-<md5>` and
//! puts the cookie value straight into a file path, then unpickles the
//! file: path traversal and code execution. Here ids are 128 random bits,
//! a cookie value is checked to be one before any store sees it, and data
//! is JSON. The session is loaded eagerly rather than on first use, there
//! is no global session factory in the environ but a typed [`Session`] in
//! the request's extensions, the cookie is `paste_session` (not `_SID_`)
//! with `HttpOnly`, `Secure` and `SameSite=Lax` by default and is set
//! whenever the session is saved (Paste sets it only on creation), and
//! expiry is enforced on load (Paste only sweeps files every 15 minutes).

mod cookie;
mod file;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod sent;
mod store;

pub use cookie::CookieStore;
pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;
pub use store::{Record, SessionData, SessionId, Store};
pub use webob::cookies::SameSite;

use std::fmt;
use std::mem;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use paste_core::http::header::SET_COOKIE;
use paste_core::http::{HeaderMap, StatusCode};
use paste_core::{App, Error, Request, Result};
use sent::{SentValues, sent_values};
use serde::Serialize;
use serde::de::DeserializeOwned;
use webob::cookies::CookieOptions;

/// The default name of the session cookie.
pub const DEFAULT_COOKIE_NAME: &str = "paste_session";

/// The default idle timeout: 30 minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// At most this many cookies of the session's name are tried per request.
const MAX_TRIED: usize = 4;

// ===================================================================
// Session
// ===================================================================

/// The session of one request: a handle the app gets from the request's
/// extensions ([`Session::from_request`]). Clones share the same state,
/// which the middleware saves after the app has answered.
///
/// Values are stored as JSON: anything [`Serialize`] goes in, and
/// [`get`](Session::get) gives it back as any [`DeserializeOwned`] type
/// that fits (or `None`).
///
/// ```
/// use paste_core::{App, Request, Response, app_fn};
/// use paste_middleware::session::{MemoryStore, Session, SessionMiddleware};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
/// let login = app_fn(|req: Request| async move {
///     let session = Session::from_request(&req).unwrap();
///     session.regenerate_id(); // a new id at login: no session fixation
///     session.set("user", "alice")?;
///     assert_eq!(session.get::<String>("user").as_deref(), Some("alice"));
///     assert_eq!(session.get::<u32>("user"), None); // not a number
///     Ok(Response::new("welcome".into()))
/// });
/// let store = MemoryStore::new();
/// let app = SessionMiddleware::new(login, store.clone());
/// app.call(Request::new(().into())).await?;
/// assert_eq!(store.len(), 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// The id the session is stored under; `None` while it is new, or
    /// after [`Session::regenerate_id`] and [`Session::invalidate`] (a
    /// fresh one is drawn when it is saved).
    id: Option<SessionId>,
    /// Shared with the store that loaded it (see
    /// [`Store::load_cookie_shared`]) until it changes; `None` for no data
    /// yet, so that a new session allocates nothing.
    data: Option<Arc<SessionData>>,
    /// When the loaded session was due to expire.
    expires: Option<SystemTime>,
    changed: bool,
    /// Ids to delete from the store.
    retired: Vec<SessionId>,
}

/// What [`SessionMiddleware::commit`] is to write.
struct Work {
    id: Option<SessionId>,
    data: Arc<SessionData>,
    changed: bool,
    retired: Vec<SessionId>,
    now: SystemTime,
}

/// The data of a session that has none.
static NO_DATA: LazyLock<SessionData> = LazyLock::new(SessionData::new);

impl State {
    fn data(&self) -> &SessionData {
        self.data.as_deref().unwrap_or(&NO_DATA)
    }

    /// The data, to change: copied first if the store still shares it.
    fn data_mut(&mut self) -> &mut SessionData {
        Arc::make_mut(self.data.get_or_insert_with(Arc::default))
    }

    /// A new session left untouched (most requests): nothing to save,
    /// delete or refresh.
    fn is_untouched_new(&self) -> bool {
        !self.changed && self.id.is_none()
    }
}

impl Session {
    fn new(state: State) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session of `req`, if a [`SessionMiddleware`] is in front.
    pub fn from_request(req: &Request) -> Option<Self> {
        req.extensions().get::<Self>().cloned()
    }

    /// The value under `key`, if there is one of type `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let value = self.lock().data().get(key)?.clone();
        serde_json::from_value(value).ok()
    }

    /// Stores `value` under `key`. Fails (with a 500) only if `value`
    /// can't be made JSON, such as a map with non-string keys.
    pub fn set<T: Serialize + ?Sized>(
        &self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), Error> {
        let value = serde_json::to_value(value)?;
        let key = key.into();
        let mut state = self.lock();
        if state.data().get(&key) != Some(&value) {
            state.data_mut().insert(key, value);
            state.changed = true;
        }
        Ok(())
    }

    /// Removes `key`; says whether it was there.
    pub fn remove(&self, key: &str) -> bool {
        let mut state = self.lock();
        let removed = state.data().contains_key(key) && state.data_mut().remove(key).is_some();
        state.changed |= removed;
        removed
    }

    /// Whether there is a value under `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.lock().data().contains_key(key)
    }

    /// The keys, in order.
    pub fn keys(&self) -> Vec<String> {
        self.lock().data().keys().cloned().collect()
    }

    /// Whether the session holds no data.
    pub fn is_empty(&self) -> bool {
        self.lock().data().is_empty()
    }

    /// Removes every value; the emptied session is deleted from the store
    /// and its cookie expired.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.changed |= !state.data().is_empty();
        state.data = None;
    }

    /// Ends the session (logout): its data is dropped, it is deleted from
    /// the store and its cookie expired. Values set afterwards start a new
    /// session with a new id.
    pub fn invalidate(&self) {
        let mut state = self.lock();
        if let Some(id) = state.id.take() {
            state.retired.push(id);
        }
        state.data = None;
        state.changed = true;
    }

    /// Moves the data to a new id and deletes the old entry. Call it when
    /// the privileges change (login), so that an id an attacker planted or
    /// saw before is worth nothing after. The new id is drawn when the
    /// session is saved; [`id`](Session::id) is `None` until then.
    pub fn regenerate_id(&self) {
        let mut state = self.lock();
        if let Some(id) = state.id.take() {
            state.retired.push(id);
        }
        state.changed = true;
    }

    /// The id the session is stored under; `None` for a session not saved
    /// yet (or whose id is being regenerated).
    pub fn id(&self) -> Option<SessionId> {
        self.lock().id.clone()
    }

    /// Whether the session was not loaded from the store for this request.
    pub fn is_new(&self) -> bool {
        self.lock().expires.is_none()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Session")
            .field("id", &state.id)
            .field("keys", &state.data().len())
            .field("changed", &state.changed)
            .finish_non_exhaustive()
    }
}

// ===================================================================
// The middleware
// ===================================================================

/// Gives each request a [`Session`] kept in the store `S`, tied to the
/// client by a cookie. See the [module docs](self) for how it behaves.
///
/// The cookie defaults to `paste_session`, `Path=/`, `HttpOnly`, `Secure`,
/// `SameSite=Lax`, no `Domain` and no `Max-Age` (it lasts as long as the
/// browser); for plain-HTTP development call `.secure(false)`.
///
/// ```
/// use std::time::Duration;
/// use paste_core::{Response, app_fn};
/// use paste_middleware::session::{FileStore, SameSite, SessionMiddleware};
///
/// # fn main() -> Result<(), paste_core::Error> {
/// let app = app_fn(|_req| async { Ok(Response::new("hi".into())) });
/// let app = SessionMiddleware::new(app, FileStore::new("/var/lib/myapp/sessions"))
///     .cookie_name("myapp_session")?
///     .same_site(SameSite::Strict)
///     .path("/app")?
///     .idle_timeout(Duration::from_secs(15 * 60));
/// # let _ = app; Ok(()) }
/// ```
pub struct SessionMiddleware<A, S> {
    app: A,
    store: S,
    cookie_name: String,
    /// Whether webob keeps cookies of that name (see `sent::keeps_name`).
    name_kept: bool,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    domain: Option<String>,
    path: String,
    max_age: Option<Duration>,
    idle_timeout: Duration,
}

impl<A: App, S: Store> SessionMiddleware<A, S> {
    /// Wraps `app`, keeping sessions in `store`, with the default options.
    pub fn new(app: A, store: S) -> Self {
        Self {
            app,
            store,
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            name_kept: sent::keeps_name(DEFAULT_COOKIE_NAME),
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            domain: None,
            path: "/".to_owned(),
            max_age: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }

    /// The cookie's name (default `paste_session`); refused unless it is
    /// a valid cookie name.
    pub fn cookie_name(mut self, name: &str) -> Result<Self, Error> {
        check_cookie(name, &CookieOptions::new())?;
        self.cookie_name = name.to_owned();
        self.name_kept = sent::keeps_name(name);
        Ok(self)
    }

    /// Whether the cookie is sent over HTTPS only (default `true`).
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Whether the cookie is hidden from scripts (default `true`).
    #[must_use]
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The cookie's `SameSite` (default `Lax`). `None` makes the cookie
    /// `Secure` whatever [`secure`](Self::secure) says, as browsers drop
    /// it otherwise.
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The cookie's `Domain` (default none: only the host that set it);
    /// refused unless it is a host name.
    pub fn domain(mut self, domain: &str) -> Result<Self, Error> {
        check_cookie(DEFAULT_COOKIE_NAME, &CookieOptions::new().domain(domain))?;
        self.domain = Some(domain.to_owned());
        Ok(self)
    }

    /// The cookie's `Path` (default `/`); refused if it has `;` or
    /// control characters.
    pub fn path(mut self, path: &str) -> Result<Self, Error> {
        check_cookie(DEFAULT_COOKIE_NAME, &CookieOptions::new().path(path))?;
        self.path = path.to_owned();
        Ok(self)
    }

    /// The cookie's `Max-Age` (default none: the cookie lasts until the
    /// browser closes). This only asks the browser; the server enforces
    /// the [idle timeout](Self::idle_timeout) whatever it is.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// How long a session lives without being used (default 30 minutes),
    /// enforced by the store.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    fn cookie_options(&self) -> CookieOptions {
        let mut options = CookieOptions::new()
            .path(&self.path)
            .secure(self.secure || self.same_site == SameSite::None)
            .http_only(self.http_only)
            .same_site(self.same_site);
        if let Some(domain) = &self.domain {
            options = options.domain(domain);
        }
        options
    }

    /// The session the first of the cookie `values` the store accepts
    /// stands for, or a new one.
    async fn open(&self, values: &SentValues<'_, MAX_TRIED>) -> Session {
        for value in values.iter() {
            match self
                .store
                .load_cookie_shared(&self.cookie_name, value)
                .await
            {
                Ok(Some((id, data, expires))) => {
                    let state = State {
                        id: Some(id),
                        data: Some(data),
                        expires: Some(expires),
                        ..State::default()
                    };
                    return Session::new(state);
                }
                Ok(None) => {}
                Err(err) => tracing::error!("loading a session failed: {err:#}"),
            }
        }
        Session::new(State::default())
    }

    /// What the store must be told about the session as it now stands:
    /// `None` when nothing (most requests, and every one that only reads
    /// its session), so that they never start [`commit`](Self::commit).
    fn work(&self, session: &Session) -> Option<Work> {
        let mut state = session.lock();
        if state.is_untouched_new() {
            return None;
        }
        let now = SystemTime::now();
        // Less than half of the timeout left (compared, not
        // subtracted: this runs for every loaded session).
        let refresh = state.id.is_some()
            && state.expires.is_some_and(|expires| {
                now.checked_add(self.idle_timeout / 2)
                    .is_none_or(|half_way| expires < half_way)
            });
        let changed = state.changed;
        if !(changed || refresh) {
            return None;
        }
        state.changed = false;
        let retired = mem::take(&mut state.retired);
        // Shared, not copied: the store copies what it keeps.
        let data = state.data.clone().unwrap_or_default();
        Some(Work {
            id: state.id.clone(),
            data,
            changed,
            retired,
            now,
        })
    }

    /// Saves or deletes the session as [`work`](Self::work) said, adding
    /// `Set-Cookie` to `headers` when the cookie changes.
    async fn commit(
        &self,
        work: Work,
        session: &Session,
        cookie_sent: bool,
        headers: &mut HeaderMap,
    ) {
        let Work {
            id,
            data,
            changed,
            retired,
            now,
        } = work;
        for old in &retired {
            if let Err(err) = self.store.delete(old).await {
                tracing::error!("deleting a session failed: {err:#}");
            }
        }
        if data.is_empty() {
            if changed {
                if let Some(id) = &id
                    && let Err(err) = self.store.delete(id).await
                {
                    tracing::error!("deleting a session failed: {err:#}");
                }
                if cookie_sent {
                    self.expire_cookie(headers);
                }
            }
            return;
        }
        let id = match id {
            Some(id) => id,
            None => match SessionId::random() {
                Ok(id) => id,
                Err(err) => {
                    tracing::error!("session not saved: {err:#}");
                    return;
                }
            },
        };
        let expires = now
            .checked_add(self.idle_timeout)
            .unwrap_or(UNIX_EPOCH + Duration::from_secs(253_402_300_799));
        let value = self
            .store
            .cookie_value(&self.cookie_name, &id, &data, expires);
        let value = match value {
            Ok(value) => value,
            Err(err) => {
                tracing::error!("session not saved: {err:#}");
                return;
            }
        };
        if let Err(err) = self.store.save(&id, &data, expires).await {
            tracing::error!("session not saved: {err:#}");
            return;
        }
        session.lock().id.get_or_insert(id);
        let mut options = self.cookie_options();
        if let Some(max_age) = self.max_age {
            options = options.max_age(max_age);
        }
        self.add_cookie(headers, &value, &options);
    }

    /// [`commit`](Self::commit) to the headers of `outcome`.
    async fn commit_into(
        &self,
        work: Work,
        session: Session,
        cookie_sent: bool,
        mut outcome: Result,
    ) -> Result {
        let headers = match &mut outcome {
            Ok(response) => response.headers_mut(),
            Err(err) => err.headers_mut(),
        };
        self.commit(work, &session, cookie_sent, headers).await;
        outcome
    }

    fn expire_cookie(&self, headers: &mut HeaderMap) {
        let options = self
            .cookie_options()
            .max_age(Duration::ZERO)
            .expires(UNIX_EPOCH);
        self.add_cookie(headers, "", &options);
    }

    fn add_cookie(&self, headers: &mut HeaderMap, value: &str, options: &CookieOptions) {
        let mut scratch = webob::Response::new();
        match scratch.set_cookie_with(&self.cookie_name, value, options) {
            Ok(()) => {
                for value in scratch.headers().get_all(SET_COOKIE) {
                    headers.append(SET_COOKIE, value.clone());
                }
            }
            Err(err) => tracing::error!("session cookie not set: {err:#}"),
        }
    }
}

/// Checks that a cookie `name` with `options` can be set.
fn check_cookie(name: &str, options: &CookieOptions) -> Result<(), Error> {
    webob::Response::new()
        .set_cookie_with(name, "x", options)
        .map_err(|err| Error::new(StatusCode::INTERNAL_SERVER_ERROR).with_message(format!("{err}")))
}

impl<A: App, S: Store> App for SessionMiddleware<A, S> {
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn keeps a second copy of its request argument in its future"
    )]
    fn call(&self, mut req: Request) -> impl Future<Output = Result> + Send {
        async move {
            // Most requests bring no cookie and leave the session alone:
            // then there is nothing to load or save.
            let values = sent_values(req.headers(), &self.cookie_name, self.name_kept);
            let cookie_sent = values.iter().next().is_some();
            let session = if cookie_sent {
                self.open(&values).await
            } else {
                Session::new(State::default())
            };
            drop(values);
            req.extensions_mut().insert(session.clone());
            let outcome = self.app.call(req).await;
            match self.work(&session) {
                None => outcome,
                // Boxed, with the answer: writing is the rare case, and
                // its future would otherwise make every request's future
                // larger.
                Some(work) => Box::pin(self.commit_into(work, session, cookie_sent, outcome)).await,
            }
        }
    }
}

impl<A, S: fmt::Debug> fmt::Debug for SessionMiddleware<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("store", &self.store)
            .field("cookie_name", &self.cookie_name)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("same_site", &self.same_site)
            .field("domain", &self.domain)
            .field("path", &self.path)
            .field("max_age", &self.max_age)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}
