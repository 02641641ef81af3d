//! The `sent_emails` table: what the SMTP server has accepted, by idempotency key.

use sqlx::PgConnection;
use uuid::Uuid;

/// Claims the key for this transaction: inserts its row, unless an email with this key
/// was sent already (`false`). The uncommitted row serialises work on the key across every
/// notification process: a concurrent copy's claim waits for this transaction, then sees
/// the key taken (committed) or free again (rolled back). One statement where a lock, a
/// check and an insert took three round trips.
///
/// # Errors
/// When Postgres fails.
pub async fn claim(
    conn: &mut PgConnection,
    key: &str,
    kind: &str,
    message_id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar::<_, bool>(
        "INSERT INTO sent_emails (key, kind, message_id) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO NOTHING RETURNING true",
    )
    .bind(key)
    .bind(kind)
    .bind(message_id)
    .fetch_optional(conn)
    .await
    .map(|claimed| claimed.is_some())
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
