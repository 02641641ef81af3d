//! The follow-up: `FOLLOW_UP_DELAY_MINUTES` after an exchange ends, its participants are
//! sent a thank-you (or a "sorry we missed you") with its materials and recording. This
//! service knows when exchanges end, so it decides when (`event.follow_up_due`); the
//! registration service knows who took part and composes the follow-up.

use std::time::Duration;

use chrono::{DateTime, Utc};
use convene_shared::messages::{Envelope, EventFollowUpDue};
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

/// Announces every exchange that ended at least `delay` ago, is not cancelled, and was
/// not announced yet; returns how many. Safe with several schedulers and across restarts:
/// the primary key of `follow_up_announced`, inserted in the transaction that enqueues the
/// announcement, lets one of them announce each exchange, once. An exchange moved later
/// is due later (its new end, from `event.scheduled`); one whose personal data is already
/// past `retention_days` is not announced (there would be nobody left to email).
///
/// # Errors
/// When Postgres fails; nothing is announced then.
pub async fn tick(pool: &PgPool, delay: Duration, retention_days: u32) -> sqlx::Result<usize> {
    let mut tx = pool.begin().await?;
    let due: Vec<(Uuid, DateTime<Utc>)> = sqlx::query_as(
        "WITH due AS ( \
             INSERT INTO follow_up_announced (event_id) \
             SELECT event_id FROM events \
             WHERE status = 'scheduled' \
               AND ends_at + make_interval(secs => $1) <= now() \
               AND ends_at + make_interval(days => $2) > now() \
             ON CONFLICT DO NOTHING RETURNING event_id \
         ) SELECT e.event_id, e.ends_at FROM due JOIN events e USING (event_id)",
    )
    .bind(delay.as_secs_f64())
    .bind(retention_days as i32)
    .fetch_all(&mut *tx)
    .await?;
    let envelopes: Vec<Envelope> = due
        .iter()
        .map(|(event_id, ended_at)| {
            Envelope::new(
                &EventFollowUpDue {
                    event_id: *event_id,
                    ended_at: *ended_at,
                },
                Uuid::now_v7(),
            )
        })
        .collect();
    outbox::enqueue_many(&mut tx, &envelopes).await?;
    tx.commit().await?;
    Ok(due.len())
}
