//! Connecting to RabbitMQ, and knowing whether we are connected.
//!
//! Services never share a connection between their publishing and consuming loops: each
//! loop owns one, notices when it breaks (heartbeats on), and rebuilds it with backoff,
//! re-declaring the topology it needs. [`BrokerHealth`] tells `/readyz` how they fare.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lapin::{Connection, ConnectionProperties};

/// Whether this process's broker connections are up (for `/readyz`).
#[derive(Clone, Default)]
pub struct BrokerHealth(Arc<AtomicBool>);

impl BrokerHealth {
    pub fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

fn properties() -> ConnectionProperties {
    ConnectionProperties::default().with_connection_name(
        format!(
            "{}@{}",
            std::env::args()
                .next()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default(),
            std::process::id()
        )
        .into(),
    )
}

/// Adds a heartbeat to the URL unless it sets one, so a dead TCP connection is noticed in
/// seconds rather than when the kernel gives up.
fn with_heartbeat(url: &str) -> String {
    if url.contains("heartbeat=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&heartbeat=10")
    } else {
        format!("{url}?heartbeat=10")
    }
}

/// Connects once.
///
/// # Errors
/// When the broker is unreachable or refuses the credentials.
pub async fn connect(url: &str) -> lapin::Result<Connection> {
    Connection::connect(&with_heartbeat(url), properties()).await
}

/// Connects, retrying until `wait` has passed (used at start-up, where giving up with a
/// clear message beats hanging).
///
/// # Errors
/// When the broker is still unreachable after `wait`.
pub async fn connect_within(url: &str, wait: Duration) -> anyhow::Result<Connection> {
    let deadline = Instant::now() + wait;
    loop {
        match connect(url).await {
            Ok(conn) => return Ok(conn),
            Err(e) if Instant::now() < deadline => {
                tracing::warn!(error = %e, "RabbitMQ not reachable yet; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "RabbitMQ unreachable after {}s: {e}",
                    wait.as_secs()
                ))
            }
        }
    }
}

/// Exponential backoff between reconnection attempts: 0.2 s doubling to 5 s.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            next: Duration::from_millis(200),
        }
    }
}

impl Backoff {
    /// The delay to wait now; the next one will be longer.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Duration::from_secs(5));
        delay
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }
}
