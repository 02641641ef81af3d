//! The `events` table: each exchange's start and reminder plan, and whether it is online.

use convene_shared::messages::{EventCancelled, EventScheduled};
use sqlx::PgPool;

/// Stores the exchange, unless a newer version is already stored.
///
/// # Errors
/// When Postgres fails.
pub async fn upsert(pool: &PgPool, m: &EventScheduled) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO events (event_id, slug, title, starts_at, ends_at, timezone, reminder_offsets_minutes, version, online) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (event_id) DO UPDATE SET slug = $2, title = $3, starts_at = $4, ends_at = $5, \
             timezone = $6, reminder_offsets_minutes = $7, version = $8, online = $9 \
         WHERE events.version < $8",
    )
    .bind(m.event.event_id)
    .bind(&m.event.slug)
    .bind(&m.event.title)
    .bind(m.event.starts_at)
    .bind(m.event.ends_at)
    .bind(&m.event.timezone)
    .bind(&m.reminder_offsets_minutes)
    .bind(m.version)
    .bind(m.event.online)
    .execute(pool)
    .await
    .map(drop)
}

/// Marks the exchange cancelled (creating its row if `event.scheduled` has not arrived yet),
/// unless a newer version is already stored.
///
/// # Errors
/// When Postgres fails.
pub async fn cancelled(pool: &PgPool, m: &EventCancelled) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO events (event_id, slug, title, starts_at, ends_at, timezone, reminder_offsets_minutes, version, status) \
         VALUES ($1, $2, $3, $4, $5, $6, '{}', $7, 'cancelled') \
         ON CONFLICT (event_id) DO UPDATE SET status = 'cancelled', version = $7 WHERE events.version < $7",
    )
    .bind(m.event.event_id)
    .bind(&m.event.slug)
    .bind(&m.event.title)
    .bind(m.event.starts_at)
    .bind(m.event.ends_at)
    .bind(&m.event.timezone)
    .bind(m.version)
    .execute(pool)
    .await
    .map(drop)
}
