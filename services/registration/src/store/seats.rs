//! Seat accounting: who holds a seat (`confirmed`, or `offered` until the offer lapses),
//! who waits in line (`waitlisted`, in order of arrival), and whether one more person from
//! a country fits. Every function runs inside the caller's transaction, under the lock on
//! the exchange's row, so two requests can never take the same seat.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::events::Event;

/// Statuses that hold a seat.
const HOLDING: &str = "('confirmed', 'offered')";

/// Whether one more person from `country` fits now (capacity and the country cap).
///
/// # Errors
/// When Postgres fails.
pub async fn has_room(conn: &mut PgConnection, event: &Event, country: &str) -> sqlx::Result<bool> {
    if let Some(capacity) = event.capacity {
        let taken: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM registrations WHERE event_id = $1 AND status IN {HOLDING}"
        ))
        .bind(event.id)
        .fetch_one(&mut *conn)
        .await?;
        if taken >= i64::from(capacity) {
            return Ok(false);
        }
    }
    if let Some(cap) = event.country_cap {
        let taken: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM registrations WHERE event_id = $1 AND country = $2 AND status IN {HOLDING}"
        ))
        .bind(event.id)
        .bind(country)
        .fetch_one(&mut *conn)
        .await?;
        if taken >= i64::from(cap) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A place on the waiting list (1 = next in line).
///
/// # Errors
/// When Postgres fails.
pub async fn position(
    conn: &mut PgConnection,
    event_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM registrations w WHERE w.event_id = r.event_id AND w.status = 'waitlisted' \
                 AND (w.waitlisted_at, w.id) <= (r.waitlisted_at, r.id)) \
         FROM registrations r WHERE r.id = $1 AND r.event_id = $2 AND r.status = 'waitlisted'",
    )
    .bind(id)
    .bind(event_id)
    .fetch_optional(conn)
    .await
}

/// Someone in line, as the seat-filling loop needs them.
#[derive(Debug, sqlx::FromRow)]
pub struct Waiting {
    pub id: Uuid,
    pub country: String,
}

/// The waiting list, first in line first.
///
/// # Errors
/// When Postgres fails.
pub async fn waiting(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<Vec<Waiting>> {
    sqlx::query_as(
        "SELECT id, country FROM registrations WHERE event_id = $1 AND status = 'waitlisted' \
         ORDER BY waitlisted_at, id",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// Someone on the waiting list as organisers follow it: offered a seat (until
/// `offer_expires_at`) or still in line.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InLine {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub country: String,
    /// `offered` or `waitlisted`.
    pub status: String,
    pub waitlisted_at: Option<DateTime<Utc>>,
    pub offer_expires_at: Option<DateTime<Utc>>,
}

/// The waiting list as organisers see it, at most `limit` people: first those offered a
/// seat, soonest deadline first, then those waiting, in the order seats will be offered
/// (the order of [`waiting`]). And how many there are in all.
///
/// # Errors
/// When Postgres fails.
pub async fn line(
    conn: &mut PgConnection,
    event_id: Uuid,
    limit: i64,
) -> sqlx::Result<(Vec<InLine>, i64)> {
    let people = sqlx::query_as(
        "SELECT id, name, email, organisation, country, status, waitlisted_at, offer_expires_at \
         FROM registrations \
         WHERE event_id = $1 AND status IN ('offered', 'waitlisted') AND erased_at IS NULL \
         ORDER BY status = 'waitlisted', offer_expires_at, waitlisted_at, id LIMIT $2",
    )
    .bind(event_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar(
        "SELECT count(*) FROM registrations \
         WHERE event_id = $1 AND status IN ('offered', 'waitlisted') AND erased_at IS NULL",
    )
    .bind(event_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((people, total))
}

/// Holds a seat for someone in line until `expires_at`.
///
/// # Errors
/// When Postgres fails.
pub async fn offer(
    conn: &mut PgConnection,
    id: Uuid,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE registrations SET status = 'offered', offer_expires_at = $2 WHERE id = $1")
        .bind(id)
        .bind(expires_at)
        .execute(conn)
        .await
        .map(drop)
}

/// Sets a registration's status (and when it joined the line, if it now waits).
///
/// # Errors
/// When Postgres fails.
pub async fn set_status(conn: &mut PgConnection, id: Uuid, status: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE registrations SET status = $2, offer_expires_at = NULL, confirm_by = NULL, \
             waitlisted_at = CASE WHEN $2 = 'waitlisted' THEN now() ELSE waitlisted_at END, \
             registered_at = CASE WHEN $2 = 'confirmed' THEN now() ELSE registered_at END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .execute(conn)
    .await
    .map(drop)
}

/// Exchanges with an offer that lapsed.
///
/// # Errors
/// When Postgres fails.
pub async fn events_with_lapsed_offers(conn: &mut PgConnection) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT DISTINCT event_id FROM registrations WHERE status = 'offered' AND offer_expires_at <= now()",
    )
    .fetch_all(conn)
    .await
}

/// Marks an exchange's lapsed offers expired and returns who they were.
///
/// # Errors
/// When Postgres fails.
pub async fn expire_offers(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "UPDATE registrations SET status = 'expired' \
         WHERE event_id = $1 AND status = 'offered' AND offer_expires_at <= now() RETURNING id",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}
