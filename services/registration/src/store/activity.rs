//! The `activity` table: who decided what on an exchange, or changed it, newest first.
//! Rows are written in the transaction of the decision itself, so the log and the state
//! never disagree.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Who acts when a bearer token of the admin API does (tokens have no owner).
pub const ADMIN_API: &str = "admin API";

/// Records one decision.
///
/// # Errors
/// When Postgres fails.
pub async fn record(
    conn: &mut PgConnection,
    event_id: Uuid,
    actor: &str,
    action: &str,
    subject_id: Uuid,
    outcome: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO activity (event_id, actor, action, subject_id, outcome) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(event_id)
    .bind(actor)
    .bind(action)
    .bind(subject_id)
    .bind(outcome)
    .execute(conn)
    .await
    .map(drop)
}

/// One line of the log.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject_id: Uuid,
    /// The participant's name or the offering organisation, as they are now (an erased
    /// participant's is gone), or the exchange's title for a change of the exchange.
    pub subject: String,
    pub outcome: String,
}

/// The exchange's latest `limit` entries, newest first.
///
/// # Errors
/// When Postgres fails.
pub async fn for_event(
    conn: &mut PgConnection,
    event_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(
        "SELECT a.at, a.actor, a.action, a.subject_id, \
           COALESCE(r.name, o.organisation, e.title, '') AS subject, a.outcome \
         FROM activity a \
         LEFT JOIN registrations r ON r.id = a.subject_id \
         LEFT JOIN cosponsor_offers o ON o.id = a.subject_id \
         LEFT JOIN events e ON e.id = a.subject_id \
         WHERE a.event_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2",
    )
    .bind(event_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Replaces an address that is being erased wherever it acted.
///
/// # Errors
/// When Postgres fails.
pub async fn erase_actor(conn: &mut PgConnection, email: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE activity SET actor = 'erased' WHERE actor = lower($1)")
        .bind(email)
        .execute(conn)
        .await
        .map(drop)
}
