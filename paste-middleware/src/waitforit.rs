//! `waitforit`: a request slower than a threshold gets an interim page
//! that polls until the response is ready, then delivers it (WaitForIt).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode, Uri};
use paste_core::{App, Error, Request, Response, Result};
use tokio::task::JoinHandle;
use tokio::time::Instant;

const PARAM: &str = "_waitforit_id";

/// Runs each request in the background; if it takes longer than the time
/// limit, answers with a page that reloads itself every poll interval
/// until the real response is ready, then delivers that response. A
/// response nobody collects is dropped after the expiry time; a failed or
/// panicked request ends the wait with its error page.
///
/// ```
/// use std::time::Duration;
/// use paste_core::{App, Body, Request, Response, app_fn};
/// use paste_middleware::waitforit::WaitForIt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let slow = app_fn(|_req| async {
///     tokio::time::sleep(Duration::from_millis(50)).await;
///     Ok(Response::new("done".into()))
/// });
/// let app = WaitForIt::new(slow).time_limit(Duration::from_millis(10));
/// let first = app.call(Request::get("/report").body(Body::empty()).unwrap()).await.unwrap();
/// let page = first.into_body().to_bytes(4096).await.unwrap();
/// assert!(String::from_utf8_lossy(&page).contains("_waitforit_id="));
/// # }
/// ```
pub struct WaitForIt<A> {
    app: Arc<A>,
    time_limit: Duration,
    poll_interval: Duration,
    expiry: Duration,
    pending: Arc<Mutex<HashMap<String, Pending>>>,
}

struct Pending {
    task: JoinHandle<Result>,
    started: Instant,
}

impl<A: App> WaitForIt<A> {
    /// Wraps `app` with a 10 s time limit, a 5 s poll interval and a
    /// 10 min expiry.
    pub fn new(app: A) -> Self {
        Self {
            app: Arc::new(app),
            time_limit: Duration::from_secs(10),
            poll_interval: Duration::from_secs(5),
            expiry: Duration::from_secs(600),
            pending: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// How long a request may take before the interim page is shown.
    #[must_use]
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// How often the interim page reloads itself.
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long a finished response waits to be collected.
    #[must_use]
    pub fn expiry(mut self, expiry: Duration) -> Self {
        self.expiry = expiry;
        self
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops responses finished and not collected within the expiry.
    fn sweep(&self) {
        let expiry = self.expiry;
        self.pending()
            .retain(|_, p| !(p.task.is_finished() && p.started.elapsed() > expiry));
    }

    async fn collect(&self, id: &str, uri: &Uri) -> Result {
        let ready = {
            let mut pending = self.pending();
            match pending.get(id) {
                None => {
                    return Err(Error::new(StatusCode::NOT_FOUND)
                        .with_message("this response has expired or never existed"));
                }
                Some(p) if p.task.is_finished() => pending.remove(id),
                Some(_) => None,
            }
        };
        match ready {
            Some(p) => outcome(p.task.await),
            None => Ok(self.interim(uri, id)),
        }
    }

    fn interim(&self, uri: &Uri, id: &str) -> Response {
        let path = uri.path();
        let mut query: Vec<&str> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with(&format!("{PARAM}=")))
            .collect();
        let id_pair = format!("{PARAM}={id}");
        query.push(&id_pair);
        let url = format!("{path}?{}", query.join("&"));
        let url = webob::escape_html(&url);
        let seconds = self.poll_interval.as_secs().max(1);
        let mut html = String::new();
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html><head><meta http-equiv=\"refresh\" content=\"{seconds};url={url}\">\
             <title>Please wait</title></head>\n<body><h1>Please wait…</h1>\
             <p>Your request is still being processed; this page reloads every {seconds} s.</p>\
             <p><a href=\"{url}\">Check now</a></p></body></html>\n"
        );
        let mut response = Response::new(html.into());
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

fn outcome(joined: std::result::Result<Result, tokio::task::JoinError>) -> Result {
    match joined {
        Ok(result) => result,
        Err(err) => {
            tracing::error!("a request run by waitforit failed: {err}");
            Err(Error::new(StatusCode::INTERNAL_SERVER_ERROR))
        }
    }
}

fn waiting_id(req: &Request) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let id = pair.strip_prefix(PARAM)?.strip_prefix('=')?;
        (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_owned())
    })
}

fn new_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    crate::token::random_hex128().unwrap_or_else(|_| {
        // No entropy source: the clock and a counter, unique within this
        // process (guessable, but there is nothing better to be had).
        let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        crate::token::hex(&((u128::from(nanos) << 64) | u128::from(count)).to_be_bytes())
    })
}

impl<A: App> App for WaitForIt<A> {
    async fn call(&self, req: Request) -> Result {
        self.sweep();
        let uri = req.uri().clone();
        if let Some(id) = waiting_id(&req) {
            return self.collect(&id, &uri).await;
        }
        let app = Arc::clone(&self.app);
        let mut task = tokio::spawn(async move { app.call(req).await });
        match tokio::time::timeout(self.time_limit, &mut task).await {
            Ok(joined) => outcome(joined),
            Err(_) => {
                let id = new_id();
                self.pending().insert(
                    id.clone(),
                    Pending {
                        task,
                        started: Instant::now(),
                    },
                );
                Ok(self.interim(&uri, &id))
            }
        }
    }
}

impl<A> std::fmt::Debug for WaitForIt<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForIt")
            .field("time_limit", &self.time_limit)
            .field("poll_interval", &self.poll_interval)
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paste_core::{Body, app_fn};

    fn slow(delay_ms: u64) -> impl App {
        app_fn(move |req: Request| async move {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            if req.uri().path() == "/fail" {
                return Err(Error::new(StatusCode::CONFLICT).with_message("no luck"));
            }
            Ok(Response::new(format!("done {}", req.uri().path()).into()))
        })
    }

    async fn text(response: Response) -> String {
        let bytes = response.into_body().to_bytes(1 << 16).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn get(uri: &str) -> Request {
        Request::get(uri).body(Body::empty()).unwrap()
    }

    fn id_in(page: &str) -> String {
        let at = page.find("_waitforit_id=").unwrap() + PARAM.len() + 1;
        page[at..at + 32].to_owned()
    }

    #[tokio::test]
    async fn a_fast_request_is_answered_directly() {
        let app = WaitForIt::new(slow(0));
        let response = app.call(get("/quick")).await.unwrap();
        assert_eq!(text(response).await, "done /quick");
    }

    #[tokio::test]
    async fn a_slow_request_gets_a_page_then_its_response() {
        let app = WaitForIt::new(slow(100)).time_limit(Duration::from_millis(10));
        let page = text(app.call(get("/report?year=2026")).await.unwrap()).await;
        assert!(page.contains("year=2026&amp;_waitforit_id="), "{page}");
        let id = id_in(&page);
        // Still running: the page again.
        let again = text(
            app.call(get(&format!("/report?year=2026&_waitforit_id={id}")))
                .await
                .unwrap(),
        )
        .await;
        assert!(again.contains("Please wait"));
        tokio::time::sleep(Duration::from_millis(150)).await;
        let done = app
            .call(get(&format!("/report?_waitforit_id={id}")))
            .await
            .unwrap();
        assert_eq!(text(done).await, "done /report");
        // Collected once only.
        let gone = app
            .call(get(&format!("/report?_waitforit_id={id}")))
            .await
            .unwrap_err();
        assert_eq!(gone.status(), 404);
    }

    #[tokio::test]
    async fn an_error_ends_the_wait_with_its_status() {
        let app = WaitForIt::new(slow(50)).time_limit(Duration::from_millis(5));
        let page = text(app.call(get("/fail")).await.unwrap()).await;
        let id = id_in(&page);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let err = app
            .call(get(&format!("/fail?_waitforit_id={id}")))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 409);
    }

    #[tokio::test]
    async fn uncollected_responses_expire_and_bad_ids_are_not_found() {
        let app = WaitForIt::new(slow(20))
            .time_limit(Duration::from_millis(1))
            .expiry(Duration::from_millis(30));
        let page = text(app.call(get("/x")).await.unwrap()).await;
        let id = id_in(&page);
        tokio::time::sleep(Duration::from_millis(80)).await;
        app.call(get("/other")).await.ok(); // sweeps
        assert_eq!(
            app.pending().len(),
            1,
            "only the new /other request is pending"
        );
        let err = app
            .call(get(&format!("/x?_waitforit_id={id}")))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 404);
        let err = app.call(get("/x?_waitforit_id=../../etc")).await;
        assert!(err.is_ok(), "a malformed id is just a new request");
    }
}
