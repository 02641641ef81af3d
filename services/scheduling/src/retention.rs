//! Retention: a set time after an exchange ends (`RETENTION_DAYS`), its participants'
//! personal data must go. The scheduling service knows when exchanges end, so it decides
//! when; the services that hold the data erase it on `event.retention_due`.

use convene_shared::messages::{Envelope, EventRetentionDue};
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

/// Announces every exchange whose retention period is over and that was not announced
/// yet; returns how many. Safe with several schedulers: the primary key of
/// `retention_announced` lets one of them announce each exchange.
///
/// # Errors
/// When Postgres fails; nothing is announced then.
pub async fn tick(pool: &PgPool, retention_days: u32) -> sqlx::Result<usize> {
    let mut tx = pool.begin().await?;
    let due: Vec<(Uuid, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "WITH due AS ( \
             INSERT INTO retention_announced (event_id) \
             SELECT event_id FROM events WHERE ends_at + make_interval(days => $1) <= now() \
             ON CONFLICT DO NOTHING RETURNING event_id \
         ) SELECT e.event_id, e.ends_at FROM due JOIN events e USING (event_id)",
    )
    .bind(retention_days as i32)
    .fetch_all(&mut *tx)
    .await?;
    let envelopes: Vec<Envelope> = due
        .iter()
        .map(|(event_id, ended_at)| {
            Envelope::new(
                &EventRetentionDue {
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
