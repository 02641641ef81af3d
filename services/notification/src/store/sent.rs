//! The `sent_emails` table: what the SMTP server has accepted, by idempotency key.

use sqlx::PgConnection;
use uuid::Uuid;

/// Serialises work on one key across every notification process for the rest of the
/// transaction: two copies of a message handled at once cannot both send.
///
/// # Errors
/// When Postgres fails.
pub async fn lock(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(key)
        .execute(conn)
        .await
        .map(drop)
}

/// Whether an email with this key was already sent.
///
/// # Errors
/// When Postgres fails.
pub async fn was_sent(conn: &mut PgConnection, key: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sent_emails WHERE key = $1)")
        .bind(key)
        .fetch_one(conn)
        .await
}

/// Records that the email with this key was accepted by the SMTP server.
///
/// # Errors
/// When Postgres fails.
pub async fn record(
    conn: &mut PgConnection,
    key: &str,
    kind: &str,
    message_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO sent_emails (key, kind, message_id) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(kind)
        .bind(message_id)
        .execute(conn)
        .await
        .map(drop)
}
