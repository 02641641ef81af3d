//! Participants' personal join links (columns of `registrations`): the hash of each link's
//! secret, and when the participant first joined through it. The exchange's meeting link
//! itself is a column of `events`.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// What opening a join link needs to decide: the registration and its exchange.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JoinTarget {
    pub registration_id: Uuid,
    /// `confirmed`, `waitlisted`, `offered`, `pending`, `cancelled`, `rejected`, `expired`.
    pub status: String,
    /// Set once the participant's data was erased.
    pub erased_at: Option<DateTime<Utc>>,
    /// The participant's language (`en`, `fr`, `es`) and own zone, for the pages.
    pub lang: String,
    pub timezone: Option<String>,
    /// When they first joined, if they have.
    pub joined_at: Option<DateTime<Utc>>,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The exchange's own zone.
    pub event_timezone: String,
    /// `scheduled` or `cancelled`.
    pub event_status: String,
    /// Empty: the exchange is not online.
    pub meeting_url: String,
    pub join_opens_minutes: i32,
}

const SELECT: &str = "SELECT r.id AS registration_id, r.status, r.erased_at, r.lang, r.timezone, \
        r.joined_at, e.title, e.starts_at, e.ends_at, e.timezone AS event_timezone, \
        e.status AS event_status, e.meeting_url, e.join_opens_minutes \
    FROM registrations r JOIN events e ON e.id = r.event_id";

/// Gives a registration a new join link (the hash of its secret): when it is stored, and
/// again when a cancelled one is taken anew (the old link stops working).
///
/// # Errors
/// When Postgres fails.
pub async fn set_token(
    conn: &mut PgConnection,
    registration_id: Uuid,
    token_hash: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("UPDATE registrations SET join_token_hash = $2 WHERE id = $1")
        .bind(registration_id)
        .bind(token_hash)
        .execute(conn)
        .await
        .map(drop)
}

/// The registration behind a join link (`/j/{token}`), with its exchange.
///
/// # Errors
/// When Postgres fails.
pub async fn find_by_join_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> sqlx::Result<Option<JoinTarget>> {
    sqlx::query_as(&format!("{SELECT} WHERE r.join_token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(conn)
        .await
}

/// The registration behind a manage link (`/registrations/{token}/join`), with its
/// exchange.
///
/// # Errors
/// When Postgres fails.
pub async fn find_by_manage_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> sqlx::Result<Option<JoinTarget>> {
    sqlx::query_as(&format!("{SELECT} WHERE r.token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(conn)
        .await
}

/// Records that the participant joined, unless they already had: the first time is kept.
/// Returns when they first joined.
///
/// # Errors
/// When Postgres fails.
pub async fn record_joined(
    conn: &mut PgConnection,
    registration_id: Uuid,
) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar(
        "UPDATE registrations SET joined_at = coalesce(joined_at, now()) WHERE id = $1 \
         RETURNING joined_at",
    )
    .bind(registration_id)
    .fetch_one(conn)
    .await
}
