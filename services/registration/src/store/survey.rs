//! The `survey_answers` table: each participant's one answer to an exchange's feedback
//! survey, which they may change until it closes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// One participant's answer, every part optional.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Answer {
    pub rating: Option<i16>,
    pub most_useful: String,
    pub should_change: String,
    /// The organisers may see whose answer it is.
    pub may_name: bool,
}

/// The answer of registration `id`, if it answered.
///
/// # Errors
/// When Postgres fails.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Answer>> {
    sqlx::query_as(
        "SELECT rating, most_useful, should_change, may_name FROM survey_answers \
         WHERE registration_id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Stores registration `id`'s answer, replacing the one it gave before.
///
/// # Errors
/// When Postgres fails.
pub async fn answer(
    conn: &mut PgConnection,
    id: Uuid,
    event_id: Uuid,
    answer: &Answer,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO survey_answers (registration_id, event_id, rating, most_useful, should_change, may_name) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (registration_id) DO UPDATE SET rating = $3, most_useful = $4, \
             should_change = $5, may_name = $6, updated_at = now()",
    )
    .bind(id)
    .bind(event_id)
    .bind(answer.rating)
    .bind(&answer.most_useful)
    .bind(&answer.should_change)
    .bind(answer.may_name)
    .execute(conn)
    .await
    .map(drop)
}

/// An answer as organisers see it: the participant's name and organisation only when they
/// allowed it (and were not erased since).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Seen {
    pub rating: Option<i16>,
    pub most_useful: String,
    pub should_change: String,
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub answered_at: DateTime<Utc>,
}

/// An exchange's answers, newest first, and the average of the ratings given.
///
/// # Errors
/// When Postgres fails.
pub async fn answers(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> sqlx::Result<(Vec<Seen>, Option<f64>)> {
    let seen: Vec<Seen> = sqlx::query_as(
        "SELECT a.rating, a.most_useful, a.should_change, \
             CASE WHEN a.may_name AND r.erased_at IS NULL THEN r.name END AS name, \
             CASE WHEN a.may_name AND r.erased_at IS NULL THEN r.organisation END AS organisation, \
             a.updated_at AS answered_at \
         FROM survey_answers a JOIN registrations r ON r.id = a.registration_id \
         WHERE a.event_id = $1 ORDER BY a.updated_at DESC, a.registration_id",
    )
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    let average: Option<f64> = sqlx::query_scalar(
        "SELECT round(avg(rating), 2)::float8 FROM survey_answers WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_one(conn)
    .await?;
    Ok((seen, average))
}
