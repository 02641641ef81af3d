//! The `registrations` table: who should be reminded, and since when.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Records a confirmed registration, unless a newer change is already known.
///
/// # Errors
/// When Postgres fails.
pub async fn confirmed(
    pool: &PgPool,
    id: Uuid,
    event_id: Uuid,
    registered_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO registrations (registration_id, event_id, status, registered_at, status_at) \
         VALUES ($1, $2, 'confirmed', $3, $3) \
         ON CONFLICT (registration_id) DO UPDATE SET status = 'confirmed', registered_at = $3, status_at = $3 \
         WHERE registrations.status_at < $3 AND registrations.status <> 'erased'",
    )
    .bind(id)
    .bind(event_id)
    .bind(registered_at)
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
