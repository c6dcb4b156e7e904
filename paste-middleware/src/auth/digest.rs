//! HTTP Digest authentication (RFC 7616): Paste's `paste.auth.digest`,
//! rebuilt to the current RFC.
//!
//! Nonces are made by the server and verified without state: each is
//! `base64url(issued-at ‖ random ‖ HMAC-SHA256(secret, realm ‖ issued-at ‖ random))`,
//! valid for five minutes by default. The highest nonce count seen for
//! each nonce is kept in a bounded map, so a request can't be replayed.
//!
//! Differences from Paste, on purpose:
//! - nonces Paste never issued are accepted there; here a nonce must carry
//!   the server's MAC;
//! - Paste forgets a nonce after a replay and then accepts the replay with
//!   the count starting over; here a count not above the highest seen is
//!   always refused (401 with `stale=true`, so an honest client retries
//!   with a fresh nonce), and the map of counts is bounded (nonces pushed
//!   out of it are treated as stale, never as new);
//! - expired nonces get `stale=true` (only when the response was right
//!   for them, as RFC 7616 says), in Paste nonces never expire;
//! - the `uri` parameter must equal the request target, where Paste
//!   accepts any substring of the path; a mismatch is a 400, as in
//!   Apache's `mod_auth_digest`;
//! - SHA-256 is offered (first) beside MD5; `qop=auth` is required (no RFC
//!   2069 digests); `-sess` algorithms, `auth-int`, `userhash` and
//!   `username*` are not supported (a 401);
//! - no `opaque` (a stateless nonce does its job); the response is
//!   compared in constant time.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use md5::Md5;
use paste_core::http::StatusCode;
use paste_core::{App, Error, Request, RequestExt, Result};
use sha2::{Digest, Sha256};
use webob::auth::{Authorization, Challenge};

use super::{AuthType, authenticate, call_marked, unauthorized};
use crate::token::hex;

type HmacSha256 = Hmac<Sha256>;

/// Separates this use of the secret from any other.
const NONCE_CONTEXT: &[u8] = b"paste digest nonce v1\0";

/// The hash algorithm of a digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// `MD5`: what every client knows, and the only one of RFC 2617.
    Md5,
    /// `SHA-256` (RFC 7616).
    Sha256,
}

impl DigestAlgorithm {
    /// The name in the `algorithm` parameter.
    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA-256",
        }
    }

    /// The algorithm called `name` (case-insensitive); `None` for others,
    /// `-sess` variants included.
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("MD5") {
            Some(Self::Md5)
        } else if name.eq_ignore_ascii_case("SHA-256") {
            Some(Self::Sha256)
        } else {
            None
        }
    }

    fn hex(self, data: &str) -> String {
        match self {
            Self::Md5 => hex(&Md5::digest(data.as_bytes())),
            Self::Sha256 => hex(&Sha256::digest(data.as_bytes())),
        }
    }
}

/// HA1 = `H(user:realm:password)` in lower-case hex: what the user lookup
/// of [`DigestAuth`] returns, and what a password file stores instead of
/// the password.
///
/// ```
/// use paste_middleware::auth::digest::{DigestAlgorithm, digest_password};
///
/// // The user of RFC 7616 §3.9.1.
/// assert_eq!(
///     digest_password("Mufasa", "http-auth@example.org", "Circle of Life", DigestAlgorithm::Md5),
///     "3d78807defe7de2157e2b0b6573a855f"
/// );
/// ```
pub fn digest_password(
    user: &str,
    realm: &str,
    password: &str,
    algorithm: DigestAlgorithm,
) -> String {
    algorithm.hex(&format!("{user}:{realm}:{password}"))
}

/// The key of a nonce in the map of counts: when it was issued (ms) and
/// its random part, so that the map is ordered oldest first.
type NonceKey = (u64, [u8; 16]);

/// The highest nonce count seen per nonce, bounded.
#[derive(Debug, Default)]
struct NonceCounts {
    seen: BTreeMap<NonceKey, u32>,
    /// The newest nonce pushed out of the map: it and older ones that are
    /// not in the map are stale.
    floor: Option<NonceKey>,
}

/// What checking a nonce count says.
enum Count {
    Fresh,
    Replayed,
}

impl NonceCounts {
    fn record(&mut self, key: NonceKey, nc: u32, oldest_valid: u64, capacity: usize) -> Count {
        if let Some(last) = self.seen.get_mut(&key) {
            if nc <= *last {
                return Count::Replayed;
            }
            *last = nc;
            return Count::Fresh;
        }
        if self.floor.is_some_and(|floor| key <= floor) {
            return Count::Replayed;
        }
        // Drop the expired ones, then the oldest if still full.
        loop {
            let full = self.seen.len() >= capacity;
            let Some(entry) = self.seen.first_entry() else {
                break;
            };
            if entry.key().0 >= oldest_valid && !full {
                break;
            }
            let (evicted, _) = entry.remove_entry();
            self.floor = Some(self.floor.map_or(evicted, |floor| floor.max(evicted)));
        }
        if self.floor.is_some_and(|floor| key <= floor) {
            return Count::Replayed;
        }
        self.seen.insert(key, nc);
        Count::Fresh
    }
}

/// Asks for and checks HTTP Digest credentials (RFC 7616, `qop=auth`).
///
/// `lookup(user, algorithm)` gives the user's HA1 for that algorithm (see
/// [`digest_password`]), or `None` for an unknown user. A request with a
/// remote user already passes through.
///
/// ```
/// use paste_core::{App, Body, Request, RequestExt, Response, app_fn};
/// use paste_middleware::auth::digest::{DigestAlgorithm, DigestAuth, digest_password};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = DigestAuth::new(
///     app_fn(|req: Request| async move {
///         Ok(Response::new(req.remote_user().unwrap().to_owned().into()))
///     }),
///     "api",
///     |user: &str, algorithm: DigestAlgorithm| {
///         (user == "ann").then(|| digest_password("ann", "api", "secret", algorithm))
///     },
/// );
/// let err = app.call(Request::get("/").body(Body::empty()).unwrap()).await.unwrap_err();
/// assert_eq!(err.status(), 401);
/// let challenges: Vec<_> = err.headers().get_all("www-authenticate").iter().collect();
/// assert_eq!(challenges.len(), 2);
/// assert!(challenges[0].to_str().unwrap().starts_with(r#"Digest realm="api", qop="auth", algorithm=SHA-256, nonce=""#));
/// # }
/// ```
pub struct DigestAuth<A, F> {
    app: A,
    realm: String,
    lookup: F,
    key: HmacSha256,
    nonce_ttl: Duration,
    algorithms: Vec<DigestAlgorithm>,
    capacity: usize,
    counts: Mutex<NonceCounts>,
}

/// What a request's credentials come to.
enum Verdict {
    User(String),
    Challenge { stale: bool },
    WrongUri,
}

impl<A, F> DigestAuth<A, F>
where
    A: App,
    F: Fn(&str, DigestAlgorithm) -> Option<String> + Send + Sync + 'static,
{
    /// Protects `app` in `realm`, with a random secret for the nonces
    /// (so nonces don't survive a restart; see
    /// [`with_secret`](DigestAuth::with_secret)), SHA-256 and MD5 offered,
    /// nonces valid five minutes, counts kept for 10 000 nonces.
    ///
    /// # Panics
    ///
    /// If the operating system has no random numbers to give.
    pub fn new(app: A, realm: &str, lookup: F) -> Self {
        let mut secret = [0; 32];
        getrandom::fill(&mut secret).expect("the OS random number generator failed");
        Self {
            app,
            realm: realm.to_owned(),
            lookup,
            key: keyed(&secret),
            nonce_ttl: Duration::from_secs(300),
            algorithms: vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5],
            capacity: 10_000,
            counts: Mutex::new(NonceCounts::default()),
        }
    }

    /// Signs nonces with `secret` (at least 32 bytes), so that several
    /// servers, or a restarted one, accept each other's nonces. (Counts are
    /// kept per process: a nonce used on two servers can be replayed from
    /// one to the other.)
    pub fn with_secret(mut self, secret: &[u8]) -> std::result::Result<Self, Error> {
        if secret.len() < 32 {
            return Err(Error::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_message("a digest nonce secret needs at least 32 bytes"));
        }
        self.key = keyed(secret);
        Ok(self)
    }

    /// How long a nonce is good for (default five minutes).
    #[must_use]
    pub fn nonce_ttl(mut self, ttl: Duration) -> Self {
        self.nonce_ttl = ttl;
        self
    }

    /// The algorithms offered and accepted, in order of preference
    /// (default SHA-256 then MD5). An empty list keeps the default.
    #[must_use]
    pub fn algorithms(mut self, algorithms: &[DigestAlgorithm]) -> Self {
        if !algorithms.is_empty() {
            self.algorithms = algorithms.to_vec();
        }
        self
    }

    /// How many nonces the replay map remembers (default 10 000, at least
    /// 1). When it is full, the oldest nonce is forgotten and treated as
    /// stale from then on.
    #[must_use]
    pub fn max_nonces(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// A fresh nonce.
    fn make_nonce(&self) -> String {
        let mut random = [0; 16];
        // Should the OS fail us, a zero random part still gives a nonce
        // that is unique per millisecond and can't be forged.
        let _ = getrandom::fill(&mut random);
        let issued = now_ms();
        let mut bytes = Vec::with_capacity(40);
        bytes.extend_from_slice(&issued.to_be_bytes());
        bytes.extend_from_slice(&random);
        bytes.extend_from_slice(&self.nonce_mac(issued, &random));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn nonce_mac(&self, issued: u64, random: &[u8; 16]) -> [u8; 16] {
        let mut mac = self.key.clone();
        mac.update(NONCE_CONTEXT);
        mac.update(&(self.realm.len() as u64).to_be_bytes());
        mac.update(self.realm.as_bytes());
        mac.update(&issued.to_be_bytes());
        mac.update(random);
        let tag = mac.finalize().into_bytes();
        let mut out = [0; 16];
        out.copy_from_slice(&tag[..16]);
        out
    }

    /// The issue time and random part of a nonce this server made.
    fn open_nonce(&self, nonce: &str) -> Option<NonceKey> {
        if nonce.len() > 64 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        let bytes: &[u8; 40] = bytes.as_slice().try_into().ok()?;
        let issued = u64::from_be_bytes(bytes[..8].try_into().ok()?);
        let random: [u8; 16] = bytes[8..24].try_into().ok()?;
        let expected = self.nonce_mac(issued, &random);
        super::secret_eq(&expected, &bytes[24..]).then_some((issued, random))
    }

    fn challenges(&self, stale: bool) -> Vec<String> {
        let nonce = self.make_nonce();
        self.algorithms
            .iter()
            .map(|algorithm| {
                let mut challenge = Challenge::new("Digest")
                    .param("realm", &self.realm)
                    .param("qop", "auth")
                    .param("algorithm", algorithm.name())
                    .param("nonce", &nonce);
                if stale {
                    challenge = challenge.param("stale", "true");
                }
                challenge.to_string()
            })
            .collect()
    }

    fn verdict(&self, req: &Request) -> Verdict {
        let refuse = Verdict::Challenge { stale: false };
        let Some(Authorization::Digest(params)) = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(Authorization::parse)
        else {
            return refuse;
        };
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let (
            Some(username),
            Some(realm),
            Some(nonce),
            Some(uri),
            Some(response),
            Some(qop),
            Some(nc),
            Some(cnonce),
        ) = (
            param("username"),
            param("realm"),
            param("nonce"),
            param("uri"),
            param("response"),
            param("qop"),
            param("nc"),
            param("cnonce"),
        )
        else {
            return refuse;
        };
        if realm != self.realm
            || qop != "auth"
            || param("userhash").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return refuse;
        }
        let algorithm = match param("algorithm") {
            None => Some(DigestAlgorithm::Md5),
            Some(name) => DigestAlgorithm::from_name(name),
        };
        let Some(algorithm) = algorithm.filter(|a| self.algorithms.contains(a)) else {
            return refuse;
        };
        let count = match u32::from_str_radix(nc, 16) {
            Ok(count) if nc.len() == 8 && nc.bytes().all(|b| b.is_ascii_hexdigit()) => count,
            _ => return refuse,
        };
        let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        if uri != target && *req.uri() != *uri {
            return Verdict::WrongUri;
        }
        let Some(key) = self.open_nonce(nonce) else {
            return refuse;
        };
        let Some(ha1) = (self.lookup)(username, algorithm) else {
            return refuse;
        };
        let expected = response_hex(
            algorithm,
            &ha1,
            [nonce, nc, cnonce, qop],
            req.method().as_str(),
            uri,
        );
        let given = response.to_ascii_lowercase();
        if !super::secret_eq(expected.as_bytes(), given.as_bytes()) {
            return refuse;
        }
        let now = now_ms();
        let ttl = u64::try_from(self.nonce_ttl.as_millis()).unwrap_or(u64::MAX);
        let oldest_valid = now.saturating_sub(ttl);
        if key.0 < oldest_valid {
            return Verdict::Challenge { stale: true };
        }
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match counts.record(key, count, oldest_valid, self.capacity) {
            Count::Fresh => Verdict::User(username.to_owned()),
            Count::Replayed => Verdict::Challenge { stale: true },
        }
    }
}

impl<A, F> App for DigestAuth<A, F>
where
    A: App,
    F: Fn(&str, DigestAlgorithm) -> Option<String> + Send + Sync + 'static,
{
    async fn call(&self, mut req: Request) -> Result {
        if req.remote_user().is_some() {
            return self.app.call(req).await;
        }
        match self.verdict(&req) {
            Verdict::User(user) => {
                authenticate(&mut req, &user, AuthType::Digest);
                call_marked(&self.app, req).await
            }
            Verdict::Challenge { stale } => Err(unauthorized(&self.challenges(stale))),
            Verdict::WrongUri => Err(Error::new(StatusCode::BAD_REQUEST)
                .with_message("the digest's uri is not the request's target")),
        }
    }
}

impl<A, F> fmt::Debug for DigestAuth<A, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestAuth")
            .field("realm", &self.realm)
            .field("nonce_ttl", &self.nonce_ttl)
            .field("algorithms", &self.algorithms)
            .field("max_nonces", &self.capacity)
            .finish_non_exhaustive()
    }
}

/// The `response` a client must send: `H(HA1:nonce:nc:cnonce:qop:H(method:uri))`.
fn response_hex(
    algorithm: DigestAlgorithm,
    ha1: &str,
    [nonce, nc, cnonce, qop]: [&str; 4],
    method: &str,
    uri: &str,
) -> String {
    let ha2 = algorithm.hex(&format!("{method}:{uri}"));
    algorithm.hex(&format!(
        "{}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}",
        ha1.to_ascii_lowercase()
    ))
}

fn keyed(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 §3.9.1, both algorithms.
    #[test]
    fn rfc_7616_example_responses() {
        let params = [
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            "00000001",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            "auth",
        ];
        for (algorithm, expected) in [
            (DigestAlgorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
            (
                DigestAlgorithm::Sha256,
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
        ] {
            let ha1 = digest_password(
                "Mufasa",
                "http-auth@example.org",
                "Circle of Life",
                algorithm,
            );
            let got = response_hex(algorithm, &ha1, params, "GET", "/dir/index.html");
            assert_eq!(got, expected, "{algorithm:?}");
        }
    }

    #[test]
    fn the_count_map_stays_bounded_and_evicted_nonces_stay_dead() {
        let mut counts = NonceCounts::default();
        let key = |t: u64| (t, [0; 16]);
        for t in 0..5 {
            assert!(matches!(counts.record(key(100 + t), 1, 0, 3), Count::Fresh));
        }
        assert_eq!(counts.seen.len(), 3);
        // 100 and 101 were pushed out: even a higher count is refused.
        assert!(matches!(counts.record(key(100), 2, 0, 3), Count::Replayed));
        assert!(matches!(counts.record(key(104), 1, 0, 3), Count::Replayed));
        assert!(matches!(counts.record(key(104), 2, 0, 3), Count::Fresh));
        // Expired ones go first.
        assert!(matches!(counts.record(key(200), 1, 150, 3), Count::Fresh));
        assert_eq!(counts.seen.len(), 1);
    }
}
