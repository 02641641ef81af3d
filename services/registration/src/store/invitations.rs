//! The `invitations` table: who an organiser invited to an exchange, and whether they
//! answered. The personal link's secret is stored only as its SHA-256.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::NewInvitation;

/// An invitation as stored.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Invitation {
    pub id: Uuid,
    pub event_id: Uuid,
    pub email: String,
    pub name: String,
    pub lang: String,
    pub invited_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub registration_id: Option<Uuid>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// `invited`, `reminded` or `registered`, as organisers read it.
    pub fn status(&self) -> &'static str {
        match (self.answered_at, self.reminded_at) {
            (Some(_), _) => "registered",
            (None, Some(_)) => "reminded",
            (None, None) => "invited",
        }
    }
}

const COLUMNS: &str =
    "id, event_id, email, name, lang, invited_at, reminded_at, registration_id, answered_at";

/// Stores an invitation; `None` when this address was already invited to the exchange.
///
/// # Errors
/// When Postgres fails.
pub async fn insert(
    conn: &mut PgConnection,
    event_id: Uuid,
    new: &NewInvitation,
    token_hash: &[u8],
) -> sqlx::Result<Option<Invitation>> {
    sqlx::query_as(&format!(
        "INSERT INTO invitations (id, event_id, email, name, lang, token_hash) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (event_id, lower(email)) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(event_id)
    .bind(new.email.as_str())
    .bind(new.name.as_str())
    .bind(new.lang.code())
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// The invitation to `event_id` whose link holds the token with this hash. With `lock`, it
/// stays locked until the transaction ends, so that two registrations with one link are
/// handled one after the other.
///
/// # Errors
/// When Postgres fails.
pub async fn find_by_token(
    conn: &mut PgConnection,
    event_id: Uuid,
    token_hash: &[u8],
    lock: bool,
) -> sqlx::Result<Option<Invitation>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM invitations \
         WHERE event_id = $1 AND token_hash = $2 AND erased_at IS NULL{}",
        if lock { " FOR UPDATE" } else { "" }
    ))
    .bind(event_id)
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Records that the person invited to `event_id` under `email` registered (with their
/// link or without), if they were invited.
///
/// # Errors
/// When Postgres fails.
pub async fn answered(
    conn: &mut PgConnection,
    event_id: Uuid,
    email: &str,
    registration_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE invitations SET registration_id = $3, answered_at = coalesce(answered_at, now()) \
         WHERE event_id = $1 AND lower(email) = lower($2) AND erased_at IS NULL",
    )
    .bind(event_id)
    .bind(email)
    .bind(registration_id)
    .execute(conn)
    .await
    .map(drop)
}

/// Every invitation to an exchange, oldest first.
///
/// # Errors
/// When Postgres fails.
pub async fn for_event(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<Vec<Invitation>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM invitations WHERE event_id = $1 AND erased_at IS NULL \
         ORDER BY invited_at, email"
    ))
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// How many were invited to an exchange, and how many of them registered.
///
/// # Errors
/// When Postgres fails.
pub async fn counts(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT count(*), count(answered_at) FROM invitations \
         WHERE event_id = $1 AND erased_at IS NULL",
    )
    .bind(event_id)
    .fetch_one(conn)
    .await
}

/// Claims up to `limit` invitations whose one reminder is due, and marks them reminded.
///
/// Due: not answered, not reminded, the exchange still open for registration, and
/// `after` past the invitation — or, when registration closes sooner than that, half
/// of the time the invitee had. Rows other processes hold are skipped.
///
/// # Errors
/// When Postgres fails.
pub async fn claim_due_reminders(
    conn: &mut PgConnection,
    after: std::time::Duration,
    limit: i64,
) -> sqlx::Result<Vec<Invitation>> {
    sqlx::query_as(&format!(
        "WITH due AS ( \
             SELECT i.id FROM invitations i JOIN events e ON e.id = i.event_id \
             WHERE i.answered_at IS NULL AND i.reminded_at IS NULL AND i.erased_at IS NULL \
               AND e.status = 'scheduled' \
               AND now() < least(coalesce(e.registration_closes_at, e.starts_at), e.starts_at) \
               AND now() >= i.invited_at + least( \
                   make_interval(secs => $1), \
                   (least(coalesce(e.registration_closes_at, e.starts_at), e.starts_at) - i.invited_at) / 2) \
             ORDER BY i.invited_at LIMIT $2 FOR UPDATE OF i SKIP LOCKED) \
         UPDATE invitations SET reminded_at = now() FROM due WHERE invitations.id = due.id \
         RETURNING {}",
        COLUMNS
            .split(", ")
            .map(|c| format!("invitations.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(after.as_secs_f64())
    .bind(limit)
    .fetch_all(conn)
    .await
}
