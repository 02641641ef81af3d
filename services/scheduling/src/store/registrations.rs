//! The `registrations` table: who should be reminded, and since when.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A registration confirmed at `at`, as `registration.confirmed` announces it.
#[derive(Debug, Clone, Copy)]
pub struct Confirmed {
    pub id: Uuid,
    pub event_id: Uuid,
    pub at: DateTime<Utc>,
}

/// Records confirmed registrations in one statement, each unless a newer change of it is
/// already known. A registration named twice counts once, as its newest confirmation; rows
/// are written in id order, so that two batches sharing registrations cannot deadlock.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn confirmed(pool: &PgPool, confirmed: &[Confirmed]) -> sqlx::Result<()> {
    let mut newest: Vec<Confirmed> = confirmed.to_vec();
    newest.sort_by_key(|c| (c.id, std::cmp::Reverse(c.at)));
    newest.dedup_by_key(|c| c.id);
    let ids: Vec<Uuid> = newest.iter().map(|c| c.id).collect();
    let events: Vec<Uuid> = newest.iter().map(|c| c.event_id).collect();
    let ats: Vec<DateTime<Utc>> = newest.iter().map(|c| c.at).collect();
    sqlx::query(
        "INSERT INTO registrations (registration_id, event_id, status, registered_at, status_at) \
         SELECT id, event_id, 'confirmed', at, at \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[]) AS c(id, event_id, at) \
         ON CONFLICT (registration_id) DO UPDATE \
         SET status = 'confirmed', registered_at = EXCLUDED.registered_at, status_at = EXCLUDED.status_at \
         WHERE registrations.status_at < EXCLUDED.status_at AND registrations.status <> 'erased'",
    )
    .bind(ids)
    .bind(events)
    .bind(ats)
    .execute(pool)
    .await
    .map(drop)
}

/// Records a cancellation (creating the row if the confirmation has not arrived yet, so a
/// late confirmation older than the cancellation cannot revive it).
///
/// # Errors
/// When Postgres fails.
pub async fn cancelled(
    pool: &PgPool,
    id: Uuid,
    event_id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO registrations (registration_id, event_id, status, registered_at, status_at) \
         VALUES ($1, $2, 'cancelled', $3, $3) \
         ON CONFLICT (registration_id) DO UPDATE SET status = 'cancelled', status_at = $3 \
         WHERE registrations.status_at <= $3 AND registrations.status <> 'erased'",
    )
    .bind(id)
    .bind(event_id)
    .bind(at)
    .execute(pool)
    .await
    .map(drop)
}

/// Marks registrations erased: they are never reminded again, whatever arrives later.
///
/// # Errors
/// When Postgres fails.
pub async fn erased(pool: &PgPool, ids: &[Uuid], at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE registrations SET status = 'erased', status_at = $2 WHERE registration_id = ANY($1)",
    )
    .bind(ids)
    .bind(at)
    .execute(pool)
    .await
    .map(drop)
}
