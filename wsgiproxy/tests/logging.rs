//! What the proxy logs: the cause of a failure, which the client never
//! sees. A test program of its own, so that its subscriber is the global
//! one and no other test's thread can change what `tracing` lets through.
#![allow(missing_docs)]

#[path = "proxy/common.rs"]
mod common;

use std::sync::{Arc, Mutex, OnceLock};

use common::{raw_exchange, start};
use wsgiproxy::HostProxy;

/// Everything logged by this program.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        logs
    })
}

#[tokio::test]
async fn the_cause_of_a_502_is_logged_and_not_sent() {
    let logs = logs();
    let dead = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let front = start(HostProxy::new(&format!("http://{dead}")).unwrap());
    let response = raw_exchange(front.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(response.status(), 502);
    let text = response.text();
    assert!(!text.contains(&dead.port().to_string()), "{text}");
    assert!(!text.to_lowercase().contains("refused"), "{text}");

    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logged.contains(&dead.to_string()), "{logged}");
    assert!(logged.to_lowercase().contains("refused"), "{logged}");
}
