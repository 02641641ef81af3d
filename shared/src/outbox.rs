//! The transactional outbox: a state change and the message announcing it are written in
//! one Postgres transaction, then a relay publishes the message.
//!
//! Every service that publishes has an `outbox` table in its own schema (created by its
//! own migrations with the DDL in [`OUTBOX_DDL_DOC`]). [`enqueue`] adds a row inside the
//! caller's transaction; [`Relay`] claims rows with `FOR UPDATE SKIP LOCKED` (so any
//! number of processes can relay at once), publishes them with publisher confirms —
//! pipelined, a batch in flight at a time — and deletes them only once RabbitMQ has
//! confirmed them. A broker outage therefore never fails a state change: rows wait.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Connection};
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;

use crate::broker::{self, Backoff, BrokerHealth};
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
    amqp_url: String,
    wake: Arc<Notify>,
    health: BrokerHealth,
}

impl Relay {
    pub fn new(pool: PgPool, amqp_url: String, health: BrokerHealth) -> Self {
        Self {
            pool,
            amqp_url,
            wake: Arc::new(Notify::new()),
            health,
        }
    }

    /// A handle that wakes the relay at once; call it after committing an outbox row.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until `shutdown`, reconnecting to RabbitMQ as often as needed.
    pub async fn run(self, shutdown: Shutdown) {
        let mut backoff = Backoff::default();
        while !shutdown.is_triggered() {
            let session = async {
                let conn = broker::connect(&self.amqp_url).await?;
                let channel = conn.create_channel().await?;
                channel
                    .confirm_select(ConfirmSelectOptions::default())
                    .await?;
                topology::declare_for_publishing(&channel).await?;
                anyhow::Ok((conn, channel))
            };
            let (conn, channel) = match session.await {
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
            let error = self.relay_until_error(&conn, &channel, &shutdown).await;
            if let Err(e) = error {
                self.health.set(false);
                tracing::warn!(error = %format!("{e:#}"), "outbox relay interrupted; reconnecting");
                tokio::select! {
                    _ = tokio::time::sleep(backoff.next_delay()) => {},
                    _ = shutdown.wait() => {},
                }
            }
            let _ = conn.close(200, "relay restarting".into()).await;
        }
    }

    async fn relay_until_error(
        &self,
        conn: &Connection,
        channel: &Channel,
        shutdown: &Shutdown,
    ) -> anyhow::Result<()> {
        loop {
            if !conn.status().connected() {
                anyhow::bail!("connection to RabbitMQ lost");
            }
            let published = self.publish_batch(channel).await?;
            if published as i64 == BATCH {
                continue; // more may be waiting
            }
            tokio::select! {
                _ = self.wake.notified() => {},
                _ = tokio::time::sleep(POLL) => {},
                _ = shutdown.wait() => {
                    // Publish what was committed before the signal, then stop.
                    self.publish_batch(channel).await?;
                    return Ok(());
                }
            }
        }
    }

    /// Claims up to one batch, publishes it with confirms and deletes what was confirmed.
    /// Returns how many rows were published.
    async fn publish_batch(&self, channel: &Channel) -> anyhow::Result<usize> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("opening the outbox transaction")?;
        let rows: Vec<(i64, sqlx::types::Json<Envelope>)> = sqlx::query_as(
            "SELECT id, envelope FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await
        .context("claiming outbox rows")?;
        if rows.is_empty() {
            return Ok(0);
        }

        // Publish the whole batch, then await the confirms: one round trip per batch
        // instead of one per message.
        let mut confirms = Vec::with_capacity(rows.len());
        for (_, envelope) in &rows {
            let body = serde_json::to_vec(&envelope.0)?;
            // Mandatory: a message no queue takes comes back instead of vanishing, and its
            // row stays for the next attempt.
            let confirm = channel
                .basic_publish(
                    topology::EXCHANGE.into(),
                    envelope.kind.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    &body,
                    properties(&envelope.0),
                )
                .await
                .context("publishing an outbox message")?;
            confirms.push(confirm);
        }
        let mut confirmed = Vec::with_capacity(rows.len());
        for ((id, envelope), confirm) in rows.iter().zip(confirms) {
            let confirmation = confirm.await.context("awaiting a publisher confirm")?;
            let acked = confirmation.is_ack();
            let returned = confirmation.take_message().is_some();
            // Each line carries the message's correlation id: the publish is one step of
            // the journey an operator follows by that id.
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

        sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
            .bind(&confirmed)
            .execute(&mut *tx)
            .await
            .context("deleting published outbox rows")?;
        tx.commit().await.context("committing the outbox batch")?;
        tracing::debug!(count = confirmed.len(), "outbox batch published");
        Ok(confirmed.len())
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
