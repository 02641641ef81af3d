//! The transactional outbox: a state change and the message announcing it are written in
//! one Postgres transaction, then a relay publishes the message.
//!
//! Every service that publishes has an `outbox` table in its own schema (created by its
//! own migrations with the DDL in [`OUTBOX_DDL_DOC`]). [`enqueue`] adds a row inside the
//! caller's transaction; [`Relay`] claims rows with `FOR UPDATE SKIP LOCKED` (so any
//! number of processes can relay at once), publishes them with publisher confirms —
//! pipelined, a batch in flight at a time, rows of one kind packed into one message — and
//! deletes them only once RabbitMQ has confirmed them. A broker outage therefore never fails a state change: rows wait.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel};
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;

use crate::broker::{self, Backoff, Broker, BrokerHealth};
use crate::messages::Envelope;
use crate::shutdown::Shutdown;
use crate::topology;

/// The table each publishing service creates in its schema (documentation; the DDL
/// itself lives in the service's migrations).
pub const OUTBOX_DDL_DOC: &str = "CREATE TABLE outbox (id BIGSERIAL PRIMARY KEY, \
    message_id UUID NOT NULL UNIQUE, routing_key TEXT NOT NULL, envelope JSONB NOT NULL, \
    created_at TIMESTAMPTZ NOT NULL DEFAULT now())";

/// How many rows one relay claims and keeps in flight at once.
const BATCH: i64 = 256;
/// How often the relay looks for rows when nobody woke it (rows written by another
/// process, or left by a failed attempt).
const POLL: Duration = Duration::from_millis(500);
/// How long a batch waits for RabbitMQ's confirms before it counts as not published.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// Adds `envelope` to the outbox inside the caller's transaction.
///
/// # Errors
/// When the insert fails; the caller's transaction then rolls back as a whole.
pub async fn enqueue(conn: &mut PgConnection, envelope: &Envelope) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO outbox (message_id, routing_key, envelope) VALUES ($1, $2, $3)")
        .bind(envelope.message_id)
        .bind(&envelope.kind)
        .bind(sqlx::types::Json(envelope))
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds many envelopes in one statement (the scheduler's fan-out writes thousands).
///
/// # Errors
/// When the insert fails; the caller's transaction then rolls back as a whole.
pub async fn enqueue_many(conn: &mut PgConnection, envelopes: &[Envelope]) -> sqlx::Result<()> {
    if envelopes.is_empty() {
        return Ok(());
    }
    let ids: Vec<uuid::Uuid> = envelopes.iter().map(|e| e.message_id).collect();
    let keys: Vec<&str> = envelopes.iter().map(|e| e.kind.as_str()).collect();
    let bodies: Vec<sqlx::types::Json<&Envelope>> =
        envelopes.iter().map(sqlx::types::Json).collect();
    sqlx::query(
        "INSERT INTO outbox (message_id, routing_key, envelope) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::jsonb[])",
    )
    .bind(ids)
    .bind(keys)
    .bind(bodies)
    .execute(conn)
    .await?;
    Ok(())
}

/// The AMQP properties every Convene message is published with.
pub fn properties(envelope: &Envelope) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert(
        "correlation_id".into(),
        AMQPValue::LongString(LongString::from(envelope.correlation_id.to_string())),
    );
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(envelope.message_id.to_string().into())
        .with_type(envelope.kind.as_str().into())
        .with_correlation_id(envelope.correlation_id.to_string().into())
        .with_headers(headers)
}

/// Publishes outbox rows to RabbitMQ.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    broker: Broker,
    wake: Arc<Notify>,
    health: BrokerHealth,
}

impl Relay {
    pub fn new(pool: PgPool, broker: Broker, health: BrokerHealth) -> Self {
        Self {
            pool,
            broker,
            wake: Arc::new(Notify::new()),
            health,
        }
    }

    /// A handle that wakes the relay at once; call it after committing an outbox row.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until `shutdown`, reconnecting to RabbitMQ as often as needed.
    ///
    /// lapin recovers a lost connection by itself; this loop is the supervisor that builds
    /// a new one when that recovery gives up. A Postgres outage is not a broker problem:
    /// the relay keeps its connection and tries the database again with backoff.
    pub async fn run(self, shutdown: Shutdown) {
        let mut backoff = Backoff::default();
        while !shutdown.is_triggered() {
            let session = async {
                let conn = self.broker.connect_recovering().await?;
                let channel = conn.create_channel().await?;
                channel
                    .confirm_select(ConfirmSelectOptions::default())
                    .await?;
                topology::declare_for_publishing(&channel).await?;
                anyhow::Ok((conn, channel))
            };
            // A connection lost while it is being set up leaves the setup pending while
            // lapin recovers: bound it.
            let session = tokio::select! {
                session = tokio::time::timeout(broker::RECOVERY_LIMIT, session) => session
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("setting up the connection timed out"))),
                () = shutdown.wait() => return,
            };
            let (conn, channel) = match session {
                Ok(pair) => pair,
                Err(e) => {
                    self.health.set(false);
                    tracing::warn!(error = %e, "outbox relay cannot reach RabbitMQ; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff.next_delay()) => continue,
                        _ = shutdown.wait() => return,
                    }
                }
            };
            self.health.set(true);
            backoff.reset();
            if let Err(e) = self.relay_until_error(&channel, &shutdown).await {
                self.health.set(false);
                tracing::warn!(error = %format!("{e:#}"), "outbox relay lost RabbitMQ for good; building a new connection");
                tokio::select! {
                    _ = tokio::time::sleep(backoff.next_delay()) => {},
                    _ = shutdown.wait() => {},
                }
            }
            broker::close(&conn, "relay restarting").await;
        }
    }

    /// Publishes until `shutdown` (Ok) or until the connection is lost beyond recovery.
    async fn relay_until_error(
        &self,
        channel: &Channel,
        shutdown: &Shutdown,
    ) -> anyhow::Result<()> {
        let mut database_backoff = Backoff::default();
        loop {
            match self.publish_batch(channel).await {
                Ok(published) => {
                    database_backoff.reset();
                    if published as i64 == BATCH {
                        continue; // more may be waiting
                    }
                }
                Err(RelayError::Database(e)) => {
                    // Rows stay where they are; nothing about RabbitMQ changed.
                    tracing::warn!(error = %format!("{e:#}"), "outbox relay cannot use Postgres; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(database_backoff.next_delay()) => continue,
                        _ = shutdown.wait() => return Ok(()),
                    }
                }
                Err(RelayError::Broker(e, cause)) => {
                    // The claimed rows were rolled back: they are published again once
                    // the connection is back (a repeat carries the same message_id).
                    self.health.set(false);
                    tracing::warn!(error = %format!("{e:#}"), "outbox relay lost RabbitMQ; waiting for the connection to recover");
                    tokio::select! {
                        recovered = broker::recovered(channel, cause) => recovered?,
                        () = shutdown.wait() => return Ok(()), // rows wait for the next start
                    }
                    self.health.set(true);
                    tracing::info!("outbox relay reconnected to RabbitMQ");
                    continue;
                }
            }
            // Notice a lost connection even while there is nothing to publish.
            if !channel.status().connected() {
                self.health.set(false);
                tracing::warn!("outbox relay lost RabbitMQ; waiting for the connection to recover");
                tokio::select! {
                    recovered = broker::recovered(channel, None) => recovered?,
                    () = shutdown.wait() => return Ok(()), // rows wait for the next start
                }
                self.health.set(true);
                tracing::info!("outbox relay reconnected to RabbitMQ");
            }
            tokio::select! {
                _ = self.wake.notified() => {},
                _ = tokio::time::sleep(POLL) => {},
                _ = shutdown.wait() => {
                    // Publish what was committed before the signal, then stop.
                    if let Err(RelayError::Database(e) | RelayError::Broker(e, _)) =
                        self.publish_batch(channel).await
                    {
                        tracing::warn!(error = %format!("{e:#}"), "outbox rows left for the next start");
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Claims up to one batch, publishes it with confirms and deletes what was confirmed.
    /// Returns how many rows were published.
    async fn publish_batch(&self, channel: &Channel) -> Result<usize, RelayError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("opening the outbox transaction")
            .map_err(RelayError::Database)?;
        let rows: Vec<(i64, sqlx::types::Json<Envelope>)> = sqlx::query_as(
            "SELECT id, envelope FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await
        .context("claiming outbox rows")
        .map_err(RelayError::Database)?;
        if rows.is_empty() {
            return Ok(0);
        }

        // Publish the whole batch, then await the confirms: one round trip per batch
        // instead of one per message; and rows of one kind go as one message (a pack).
        let packs = pack(&rows)
            .context("serialising an envelope")
            .map_err(RelayError::Database)?;
        let mut confirms = Vec::with_capacity(packs.len());
        for pack in &packs {
            // Mandatory: a message no queue takes comes back instead of vanishing, and its
            // rows stay for the next attempt.
            let publish = channel.basic_publish(
                topology::EXCHANGE.into(),
                pack.kind.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &pack.body,
                pack.properties(),
            );
            // A publish caught by a lost connection may neither complete nor fail while
            // lapin recovers: watch the channel here too.
            let confirm = tokio::select! {
                published = publish => published
                    .map_err(|e| RelayError::broker("publishing an outbox message", e))?,
                () = channel_lost(channel) => {
                    let e = anyhow::anyhow!("connection lost while publishing");
                    return Err(RelayError::Broker(e, None));
                }
            };
            confirms.push(confirm);
        }
        let mut confirmed = Vec::with_capacity(rows.len());
        for (pack, confirm) in packs.iter().zip(confirms) {
            // A broker that stops answering (a memory alarm, a half-open connection) must
            // not hold the claimed rows for ever; and while lapin recovers a lost
            // connection a pending confirm neither arrives nor fails, so watch the channel.
            let confirmation = tokio::select! {
                confirmation = confirm => confirmation
                    .map_err(|e| RelayError::broker("awaiting a publisher confirm", e))?,
                () = channel_lost(channel) => {
                    let e = anyhow::anyhow!("connection lost while awaiting publisher confirms");
                    return Err(RelayError::Broker(e, None));
                }
                () = tokio::time::sleep(CONFIRM_TIMEOUT) => {
                    let e = anyhow::anyhow!("no publisher confirm within {}s", CONFIRM_TIMEOUT.as_secs());
                    return Err(RelayError::Broker(e, None));
                }
            };
            let acked = confirmation.is_ack();
            let returned = confirmation.take_message().is_some();
            // Each line carries the message's correlation id: the publish is one step of
            // the journey an operator follows by that id.
            for (id, envelope) in &pack.rows {
                if acked && !returned {
                    confirmed.push(*id);
                    crate::metrics::published(&envelope.kind);
                    tracing::info!(
                        message_id = %envelope.message_id,
                        correlation_id = %envelope.correlation_id,
                        kind = %envelope.kind,
                        "published"
                    );
                } else {
                    tracing::warn!(
                        message_id = %envelope.message_id,
                        correlation_id = %envelope.correlation_id,
                        kind = %envelope.kind,
                        "RabbitMQ refused a message; will retry"
                    );
                }
            }
        }

        // The delete need not wait for its WAL flush: lost in a crash, it only makes the
        // relay publish those rows again, which delivery at least once already allows
        // (consumers recognise the same message_id). One fsync less per batch, and the
        // registration's own commit stays the only one it waits for.
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await
            .context("relaxing the outbox batch's commit")
            .map_err(RelayError::Database)?;
        sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
            .bind(&confirmed)
            .execute(&mut *tx)
            .await
            .context("deleting published outbox rows")
            .map_err(RelayError::Database)?;
        tx.commit()
            .await
            .context("committing the outbox batch")
            .map_err(RelayError::Database)?;
        tracing::debug!(count = confirmed.len(), "outbox batch published");
        Ok(confirmed.len())
    }
}

/// Envelopes of one kind published as one message: a JSON array of envelopes instead of
/// one envelope (`docs/messages.md`, "Packs"). Under load a relay batch holds many rows of
/// one kind (a confirmation per registration); each message costs RabbitMQ and every
/// consumer about the same whatever its size, so sending them together divides that
/// cost. A row alone is published as a plain envelope, as it always was.
struct Pack<'a> {
    kind: &'a str,
    rows: Vec<(i64, &'a Envelope)>,
    body: Vec<u8>,
}

/// Envelopes per pack at most. Under load a relay batch holds a few to a few dozen rows;
/// a consumer holds up to `PREFETCH` packs at once (their envelopes wait their turn), so
/// this and the size below bound what a backlog costs it in memory.
const PACK_MAX: usize = 20;
/// A pack's body at most; a larger envelope (a batch of reminders) goes alone.
const PACK_MAX_BYTES: usize = 32 * 1024;

impl Pack<'_> {
    /// A lone envelope keeps its own properties; a pack has its own message id, its
    /// envelopes' kind, and says how many it holds (`x-envelopes`).
    fn properties(&self) -> BasicProperties {
        match self.rows.as_slice() {
            [(_, envelope)] => properties(envelope),
            rows => {
                let mut headers = FieldTable::default();
                headers.insert(
                    "x-envelopes".into(),
                    AMQPValue::LongLongInt(rows.len() as i64),
                );
                BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_delivery_mode(2)
                    .with_message_id(uuid::Uuid::now_v7().to_string().into())
                    .with_type(self.kind.into())
                    .with_headers(headers)
            }
        }
    }
}

/// Groups claimed rows into packs: rows of one kind together, in the order they were
/// written, up to [`PACK_MAX`] envelopes and [`PACK_MAX_BYTES`] each.
fn pack(rows: &[(i64, sqlx::types::Json<Envelope>)]) -> serde_json::Result<Vec<Pack<'_>>> {
    let mut packs: Vec<Pack<'_>> = Vec::new();
    // The pack still open for each kind, by index.
    let mut open: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (id, envelope) in rows {
        let envelope = &envelope.0;
        let body = serde_json::to_vec(envelope)?;
        let fits = |pack: &Pack<'_>| {
            pack.rows.len() < PACK_MAX && pack.body.len() + 1 + body.len() < PACK_MAX_BYTES
        };
        match open.get(envelope.kind.as_str()) {
            Some(&i) if fits(&packs[i]) => {
                let pack = &mut packs[i];
                if pack.rows.len() == 1 {
                    // The first envelope becomes the first element of an array.
                    pack.body.insert(0, b'[');
                } else {
                    pack.body.pop(); // the closing bracket
                }
                pack.body.push(b',');
                pack.body.extend_from_slice(&body);
                pack.body.push(b']');
                pack.rows.push((*id, envelope));
            }
            _ => {
                open.insert(envelope.kind.as_str(), packs.len());
                packs.push(Pack {
                    kind: envelope.kind.as_str(),
                    rows: vec![(*id, envelope)],
                    body,
                });
            }
        }
    }
    Ok(packs)
}

/// Resolves once `channel` is no longer connected.
async fn channel_lost(channel: &Channel) {
    while channel.status().connected() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Why a batch was not published, which decides what the relay does next.
enum RelayError {
    /// Postgres failed: retry later on the same broker connection.
    Database(anyhow::Error),
    /// RabbitMQ failed: wait for the connection to recover (with lapin's error, which
    /// knows when recovery is done), or rebuild it.
    Broker(anyhow::Error, Option<lapin::Error>),
}

impl RelayError {
    fn broker(doing: &'static str, e: lapin::Error) -> Self {
        Self::Broker(anyhow::Error::new(e.clone()).context(doing), Some(e))
    }
}

/// How many rows wait in the outbox, and the age in seconds of the oldest (for metrics).
///
/// # Errors
/// When Postgres cannot be queried.
pub async fn backlog(pool: &PgPool) -> sqlx::Result<(i64, f64)> {
    sqlx::query_as(
        "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at))::float8, 0) FROM outbox",
    )
    .fetch_one(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(kind: &str, payload_bytes: usize) -> Envelope {
        Envelope {
            message_id: uuid::Uuid::now_v7(),
            kind: kind.to_owned(),
            occurred_at: chrono::Utc::now(),
            correlation_id: uuid::Uuid::now_v7(),
            payload: serde_json::json!({ "filler": "x".repeat(payload_bytes) }),
        }
    }

    fn rows(envelopes: Vec<Envelope>) -> Vec<(i64, sqlx::types::Json<Envelope>)> {
        envelopes
            .into_iter()
            .enumerate()
            .map(|(i, e)| (i as i64 + 1, sqlx::types::Json(e)))
            .collect()
    }

    #[test]
    fn rows_of_one_kind_go_as_one_array_and_a_lone_row_as_an_envelope() {
        let rows = rows(vec![
            envelope("registration.confirmed", 10),
            envelope("event.scheduled", 10),
            envelope("registration.confirmed", 10),
            envelope("registration.confirmed", 10),
        ]);
        let packs = pack(&rows).unwrap();
        assert_eq!(packs.len(), 2);

        let confirmed = &packs[0];
        assert_eq!(confirmed.kind, "registration.confirmed");
        let ids: Vec<i64> = confirmed.rows.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1, 3, 4], "in the order they were written");
        let body: Vec<Envelope> = serde_json::from_slice(&confirmed.body).unwrap();
        let expected: Vec<uuid::Uuid> = [0, 2, 3].map(|i| rows[i].1 .0.message_id).to_vec();
        let got: Vec<uuid::Uuid> = body.iter().map(|e| e.message_id).collect();
        assert_eq!(got, expected);
        let headers = confirmed.properties().headers().clone().unwrap();
        assert_eq!(topology::header_int(Some(&headers), "x-envelopes"), Some(3));

        let lone = &packs[1];
        let body: Envelope = serde_json::from_slice(&lone.body).unwrap();
        assert_eq!(body.message_id, rows[1].1 .0.message_id);
        assert_eq!(
            lone.properties()
                .message_id()
                .as_ref()
                .map(|m| m.to_string()),
            Some(body.message_id.to_string()),
            "a lone envelope is published as it always was"
        );
    }

    #[test]
    fn packs_stop_at_their_count_and_size() {
        let many = rows((0..PACK_MAX + 1).map(|_| envelope("k", 10)).collect());
        let sizes: Vec<usize> = pack(&many).unwrap().iter().map(|p| p.rows.len()).collect();
        assert_eq!(sizes, [PACK_MAX, 1]);

        // Three envelopes of a third of the limit: two fit, the third starts a new pack;
        // one larger than the limit goes alone.
        let big = rows(vec![
            envelope("k", PACK_MAX_BYTES / 3),
            envelope("k", PACK_MAX_BYTES / 3),
            envelope("k", PACK_MAX_BYTES / 3),
            envelope("k", PACK_MAX_BYTES * 2),
        ]);
        let packs = pack(&big).unwrap();
        let sizes: Vec<usize> = packs.iter().map(|p| p.rows.len()).collect();
        assert_eq!(sizes, [2, 1, 1]);
        assert!(packs[0].body.len() < PACK_MAX_BYTES);
    }
}
