//! Stopping a server: a [`Handle`] for tests and embedders, and SIGINT /
//! SIGTERM for people.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

/// Where a server is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Accepting and serving.
    Running,
    /// Not accepting; in-flight requests finish, up to the drain timeout.
    Draining,
    /// Closing every connection now.
    Stopping,
}

/// Stops a running [`Server`](crate::Server) from elsewhere: another task,
/// a test, an admin endpoint.
///
/// ```no_run
/// use paste_server::Server;
/// use paste_core::{Response, app_fn};
///
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let server = Server::bind("127.0.0.1:0")?;
/// let handle = server.handle();
/// let app = app_fn(|_req| async { Ok(Response::new("bye".into())) });
/// let running = tokio::spawn(server.serve(app));
/// handle.shutdown(); // stop accepting, let in-flight requests finish
/// running.await.unwrap()?;
/// # Ok(()) }
/// ```
///
/// A server of another protocol built on paste-server's
/// [`listen`](crate::listen) sockets (paste-cgi's FastCGI server is one)
/// makes its own handle with [`Handle::new`] and follows the same life:
/// running; then, after [`shutdown`](Handle::shutdown), not accepting and
/// letting the requests in flight finish; then, after
/// [`stop_now`](Handle::stop_now) or its drain timeout, closing every
/// connection. It learns of each step by [`shutting_down`](Handle::shutting_down)
/// and [`stopping`](Handle::stopping):
///
/// ```
/// use paste_server::Handle;
///
/// # #[tokio::main] async fn main() {
/// let handle = Handle::new();
/// let shutting_down = handle.shutting_down();
/// let stopping = handle.stopping();
/// assert!(handle.is_running());
///
/// handle.shutdown();
/// shutting_down.await; // stop accepting; finish what is in flight
/// assert!(!handle.is_running());
///
/// handle.stop_now();
/// stopping.await; // close every connection
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Handle {
    phase: Arc<watch::Sender<Phase>>,
}

impl Default for Handle {
    fn default() -> Self {
        Self::new()
    }
}

impl Handle {
    /// A handle for a server of one's own, running until told otherwise.
    /// ([`Server::handle`](crate::Server::handle) gives the one of a
    /// [`Server`](crate::Server).)
    pub fn new() -> Self {
        Self {
            phase: Arc::new(watch::Sender::new(Phase::Running)),
        }
    }

    /// Starts a graceful shutdown: the server stops accepting, lets the
    /// requests in flight finish (up to its drain timeout), then returns.
    /// Calling it again, or after the server stopped, does nothing.
    pub fn shutdown(&self) {
        self.advance(Phase::Draining);
    }

    /// Stops at once: the server closes every connection, requests in
    /// flight or not, and returns. (What a second SIGINT or SIGTERM does.)
    pub fn stop_now(&self) {
        self.advance(Phase::Stopping);
    }

    /// Whether the server is still accepting: no shutdown has begun.
    pub fn is_running(&self) -> bool {
        *self.phase.borrow() == Phase::Running
    }

    /// Resolves once a shutdown has begun, graceful or not (at once if it
    /// has already): the moment to stop accepting, and to close idle
    /// connections. The future holds no borrow of the handle, so it can
    /// be made once and polled in a loop, or spawned.
    pub fn shutting_down(&self) -> impl Future<Output = ()> + Send + 'static {
        self.reaching(Phase::Draining)
    }

    /// Resolves once the server is to stop at once (at once if it already
    /// is): by [`stop_now`](Self::stop_now) or a second signal. The moment
    /// to close every connection.
    pub fn stopping(&self) -> impl Future<Output = ()> + Send + 'static {
        self.reaching(Phase::Stopping)
    }

    fn reaching(&self, phase: Phase) -> impl Future<Output = ()> + Send + 'static {
        let mut receiver = self.phase.subscribe();
        async move {
            // An error means every handle is gone: so is the server.
            let _ = receiver.wait_for(|p| *p >= phase).await;
        }
    }

    fn advance(&self, to: Phase) {
        self.phase.send_if_modified(|phase| {
            let later = to > *phase;
            if later {
                *phase = to;
            }
            later
        });
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }

    /// Shuts the server down on signals, as [`Server`](crate::Server) does
    /// unless told otherwise: the first SIGINT or SIGTERM starts a graceful
    /// [`shutdown`](Self::shutdown), a second one [stops
    /// now](Self::stop_now). Spawn the future when the server starts and
    /// abort it when the server has stopped; it listens from its first
    /// poll.
    ///
    /// ```no_run
    /// use paste_server::Handle;
    ///
    /// # #[tokio::main] async fn main() {
    /// let handle = Handle::new();
    /// let signals = tokio::spawn(handle.clone().shutdown_on_signals());
    /// handle.shutting_down().await; // Ctrl-C
    /// // … let the requests in flight finish …
    /// signals.abort();
    /// # }
    /// ```
    pub async fn shutdown_on_signals(self) {
        on_signals(self).await;
    }
}

/// The first SIGINT or SIGTERM starts a graceful shutdown; a second one
/// closes every connection at once.
pub(crate) async fn on_signals(handle: Handle) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!("cannot listen for SIGINT/SIGTERM; stop the server by its handle");
        return;
    };
    for phase in [Phase::Draining, Phase::Stopping] {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        match phase {
            Phase::Draining => {
                tracing::info!(
                    "shutting down: finishing requests in flight (signal again to stop now)"
                );
                handle.shutdown();
            }
            _ => {
                tracing::info!("stopping now");
                handle.stop_now();
            }
        }
    }
}
