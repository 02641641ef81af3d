//! The digest clock: on every fire of `DIGEST_SCHEDULE`, announce `digest.due`. The
//! registration service knows the organisers, their time zones and what is new, so it
//! decides whose daily digest is due; this service only says when to look.

use chrono::{DateTime, Utc};
use convene_shared::messages::{DigestDue, Envelope};
use convene_shared::outbox;
use convene_shared::shutdown::Shutdown;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;

/// Waits for each fire of `schedule` and announces it, until `shutdown`.
pub async fn run(pool: PgPool, schedule: cron::Schedule, relay: Arc<Notify>, shutdown: Shutdown) {
    while let Some(next) =
        crate::reminders::next_fire(&schedule, &shutdown, "DIGEST_SCHEDULE").await
    {
        match tick(&pool, next).await {
            Ok(true) => relay.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "the digest tick failed; the next one catches up"),
        }
    }
}

/// Announces the fire at `at` unless another scheduler did; returns whether this one did.
/// Ticks older than a week are forgotten.
///
/// # Errors
/// When Postgres fails; nothing is announced then.
pub async fn tick(pool: &PgPool, at: DateTime<Utc>) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let first = sqlx::query("INSERT INTO digest_ticks (at) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if first {
        sqlx::query("DELETE FROM digest_ticks WHERE at < now() - interval '7 days'")
            .execute(&mut *tx)
            .await?;
        outbox::enqueue(&mut tx, &Envelope::new(&DigestDue { at }, Uuid::now_v7())).await?;
    }
    tx.commit().await?;
    Ok(first)
}
