//! Connecting to RabbitMQ, and knowing whether we are connected.
//!
//! Services never share a connection between their publishing and consuming loops: each
//! loop owns one and notices when it breaks (heartbeats on). Recovery has two layers:
//! - lapin's own automatic recovery ([`Broker::connect_recovering`]): it reconnects with backoff
//!   and replays the channels, QoS, publisher confirms, declarations and consumers; a loop
//!   that sees an error waits for it with [`recovered`];
//! - the loop itself, as supervisor: when lapin cannot recover, or has not within
//!   [`RECOVERY_LIMIT`], the loop drops the connection and builds a new one with backoff,
//!   re-declaring its topology.
//!
//! [`BrokerHealth`] tells `/readyz` how the loops fare.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lapin::tcp::OwnedTLSConfig;
use lapin::{Channel, Connection, ConnectionProperties};

/// How long a loop waits for lapin's automatic recovery before it rebuilds the connection
/// itself (lapin may also give up sooner: its reconnect backoff is finite).
pub const RECOVERY_LIMIT: Duration = Duration::from_secs(30);

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

/// Where RabbitMQ is and whom to trust there: `AMQP_URL` (`amqp://`, or `amqps://` for
/// TLS, checked against the Mozilla roots) and the extra certificate authorities of
/// `AMQP_CA_FILE` (a private CA, as managed brokers and self-run clusters often use).
/// Every connection a service opens, recovering ones included, goes through one of these.
/// Its `Debug` leaves out the URL, which holds the broker password.
#[derive(Clone)]
pub struct Broker {
    /// The URL with a heartbeat.
    url: String,
    /// PEM certificates trusted besides the Mozilla roots.
    ca_chain: Option<String>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("tls", &self.url.starts_with("amqps://"))
            .field("ca_chain", &self.ca_chain.is_some())
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// `url` as `AMQP_URL` gives it; `ca_chain`, the PEM text of `AMQP_CA_FILE`.
    pub fn new(url: &str, ca_chain: Option<String>) -> Self {
        Self {
            url: with_heartbeat(url),
            ca_chain,
        }
    }

    /// Connects once, without automatic recovery (start-up checks, operator commands).
    ///
    /// # Errors
    /// When the broker is unreachable, its certificate is not trusted, or it refuses the
    /// credentials.
    pub async fn connect(&self) -> lapin::Result<Connection> {
        self.open(properties()).await
    }

    /// Connects for a long-lived loop, with lapin's automatic recovery on: after a network
    /// failure or a broker restart it reconnects (0.1 s doubling to 2 s, a dozen tries a
    /// round, with the same TLS settings) and replays the channels and everything declared
    /// on them.
    ///
    /// # Errors
    /// When the broker is unreachable (after lapin's own retries) or refuses the
    /// credentials.
    pub async fn connect_recovering(&self) -> lapin::Result<Connection> {
        let properties = properties().enable_auto_recover().configure_backoff(|b| {
            b.with_min_delay(Duration::from_millis(100))
                .with_max_delay(Duration::from_secs(2))
                .with_max_times(12)
        });
        self.open(properties).await
    }

    /// Connects, retrying until `wait` has passed (used at start-up, where giving up with a
    /// clear message beats hanging).
    ///
    /// # Errors
    /// When the broker is still unreachable after `wait`.
    pub async fn connect_within(&self, wait: Duration) -> anyhow::Result<Connection> {
        let deadline = Instant::now() + wait;
        loop {
            match self.connect().await {
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

    async fn open(&self, properties: ConnectionProperties) -> lapin::Result<Connection> {
        let tls = OwnedTLSConfig {
            identity: None,
            cert_chain: self.ca_chain.clone(),
        };
        Connection::connect_with_config(
            &self.url,
            properties,
            tls,
            lapin::runtime::default_runtime()?,
        )
        .await
    }
}

/// Waits until lapin's automatic recovery has brought `channel` back.
///
/// With the `error` an operation failed with, lapin's own [`Channel::wait_for_recovery`]
/// is used; without one (a loop that merely saw the channel down), the channel's state is
/// watched.
///
/// # Errors
/// When the error cannot be recovered from, or recovery did not finish within
/// [`RECOVERY_LIMIT`]: the caller then drops the connection and builds a new one.
pub async fn recovered(channel: &Channel, error: Option<lapin::Error>) -> anyhow::Result<()> {
    let wait = async {
        match error {
            Some(error) => channel
                .wait_for_recovery(error)
                .await
                .map_err(|e| anyhow::anyhow!("cannot recover: {e}")),
            None => {
                while !channel.status().connected() {
                    if !channel.status().reconnecting() {
                        anyhow::bail!("the channel is closed, not recovering");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(())
            }
        }
    };
    tokio::time::timeout(RECOVERY_LIMIT, wait)
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "RabbitMQ not recovered within {}s",
                RECOVERY_LIMIT.as_secs()
            )
        })?
}

/// Closes a connection without waiting long for a broker that may be gone.
pub async fn close(conn: &Connection, reason: &str) {
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.close(200, reason.into())).await;
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
