//! Stopping a server: a [`Handle`] for tests and embedders, and SIGINT /
//! SIGTERM for people.

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
#[derive(Clone, Debug)]
pub struct Handle {
    phase: Arc<watch::Sender<Phase>>,
}

impl Handle {
    pub(crate) fn new() -> Self {
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

    pub(crate) fn stop_now(&self) {
        self.advance(Phase::Stopping);
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
