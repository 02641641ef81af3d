//! The `sent_emails` table: what the SMTP server has accepted, by idempotency key.

use std::collections::HashSet;

use sqlx::PgConnection;
use uuid::Uuid;

/// Claims keys for this transaction: inserts their rows, except for keys whose email was
/// sent already. Returns the keys claimed. The uncommitted rows serialise work on each key
/// across every notification process: a concurrent copy's claim waits for this
/// transaction, then sees the key taken (committed) or free again (rolled back or
/// [released](release)). One statement for a whole batch of emails; each key is recorded
/// with the message its email answers.
///
/// # Errors
/// When Postgres fails.
pub async fn claim(
    conn: &mut PgConnection,
    keys: &[&str],
    kinds: &[&str],
    message_ids: &[Uuid],
) -> sqlx::Result<HashSet<String>> {
    let claimed: Vec<String> = sqlx::query_scalar(
        "INSERT INTO sent_emails (key, kind, message_id) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::uuid[]) \
         ON CONFLICT (key) DO NOTHING RETURNING key",
    )
    .bind(keys)
    .bind(kinds)
    .bind(message_ids)
    .fetch_all(conn)
    .await?;
    Ok(claimed.into_iter().collect())
}

/// Gives back keys claimed in this transaction whose email the SMTP server did not accept,
/// so that the transaction can commit the others.
///
/// # Errors
/// When Postgres fails.
pub async fn release(conn: &mut PgConnection, keys: &[&str]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sent_emails WHERE key = ANY($1)")
        .bind(keys)
        .execute(conn)
        .await
        .map(drop)
}

/// Records that the emails with these keys were accepted by the SMTP server (outside the
/// transaction that claimed them: that one failed to commit). The same statement as
/// [`claim`]; keys already recorded are left as they are.
///
/// # Errors
/// When Postgres fails.
pub async fn record(
    conn: &mut PgConnection,
    keys: &[&str],
    kinds: &[&str],
    message_ids: &[Uuid],
) -> sqlx::Result<()> {
    claim(conn, keys, kinds, message_ids).await.map(drop)
}
