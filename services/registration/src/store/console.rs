//! The organisers' console: its one-time sign-in links (`console_links`), its sessions
//! (`console_sessions`), and who may see which exchange. Secrets are stored only as their
//! SHA-256 (`actions::hash_token`); addresses lower-case.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// SQL that is true when `$1` (a lower-case address) organises or views the exchange.
const MEMBER: &str = "EXISTS (SELECT 1 FROM unnest(organiser_emails || viewer_emails) AS a(email) \
     WHERE lower(a.email) = $1)";

/// Whether `email` organises or views at least one exchange (cancelled and past ones count:
/// their figures stay readable).
///
/// # Errors
/// When Postgres fails.
pub async fn is_member(conn: &mut PgConnection, email: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM events WHERE {MEMBER})"
    ))
    .bind(email)
    .fetch_one(conn)
    .await
}

/// Serialises the link requests of one address until the transaction ends, so that two at
/// once cannot both pass the hourly limit.
///
/// # Errors
/// When Postgres fails.
pub async fn lock_address(conn: &mut PgConnection, email: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('console:' || $1, 0))")
        .bind(email)
        .execute(conn)
        .await
        .map(drop)
}

/// How many links `email` was given in the last hour.
///
/// # Errors
/// When Postgres fails.
pub async fn links_last_hour(conn: &mut PgConnection, email: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM console_links WHERE email = $1 AND created_at > now() - interval '1 hour'",
    )
    .bind(email)
    .fetch_one(conn)
    .await
}

/// Stores a new link; returns when it stops working.
///
/// # Errors
/// When Postgres fails.
pub async fn insert_link(
    conn: &mut PgConnection,
    token_hash: &[u8],
    email: &str,
    next_path: &str,
    minutes: u32,
) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar(
        "INSERT INTO console_links (token_hash, email, next_path, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(mins => $4)) RETURNING expires_at",
    )
    .bind(token_hash)
    .bind(email)
    .bind(next_path)
    .bind(i32::try_from(minutes).unwrap_or(i32::MAX))
    .fetch_one(conn)
    .await
}

/// Forgets links and sessions that ended more than a day ago (the hourly limit only needs
/// the last hour).
///
/// # Errors
/// When Postgres fails.
pub async fn delete_stale(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM console_links WHERE expires_at < now() - interval '1 day'")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM console_sessions WHERE expires_at < now() - interval '1 day'")
        .execute(&mut *conn)
        .await
        .map(drop)
}

/// Forgets every link and session of `email` (its personal data is being erased: it is
/// signed out of the console too).
///
/// # Errors
/// When Postgres fails.
pub async fn erase(conn: &mut PgConnection, email: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM console_links WHERE email = lower($1)")
        .bind(email)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM console_sessions WHERE email = lower($1)")
        .bind(email)
        .execute(&mut *conn)
        .await
        .map(drop)
}

/// Whether a link would still sign in (not used, not expired); changes nothing.
///
/// # Errors
/// When Postgres fails.
pub async fn link_usable(pool: &PgPool, token_hash: &[u8]) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM console_links WHERE token_hash = $1 \
         AND used_at IS NULL AND expires_at > now())",
    )
    .bind(token_hash)
    .fetch_one(pool)
    .await
}

/// Marks a usable link used and returns its address and where to land; `None` when it
/// was used, expired or never existed.
///
/// # Errors
/// When Postgres fails.
pub async fn use_link(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "UPDATE console_links SET used_at = now() \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() \
         RETURNING email, next_path",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Starts a session that ends after `hours` unused.
///
/// # Errors
/// When Postgres fails.
pub async fn insert_session(
    conn: &mut PgConnection,
    token_hash: &[u8],
    email: &str,
    csrf_token: &str,
    hours: u32,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO console_sessions (token_hash, email, csrf_token, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(hours => $4))",
    )
    .bind(token_hash)
    .bind(email)
    .bind(csrf_token)
    .bind(i32::try_from(hours).unwrap_or(i32::MAX))
    .execute(conn)
    .await
    .map(drop)
}

/// A live session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    /// Lower-case.
    pub email: String,
    pub csrf_token: String,
}

/// The session behind a cookie, if it has not ended; its end moves `hours` from now.
///
/// # Errors
/// When Postgres fails.
pub async fn touch_session(
    pool: &PgPool,
    token_hash: &[u8],
    hours: u32,
) -> sqlx::Result<Option<Session>> {
    sqlx::query_as(
        "UPDATE console_sessions SET expires_at = now() + make_interval(hours => $2) \
         WHERE token_hash = $1 AND expires_at > now() RETURNING email, csrf_token",
    )
    .bind(token_hash)
    .bind(i32::try_from(hours).unwrap_or(i32::MAX))
    .fetch_optional(pool)
    .await
}

/// Ends a session (signing out).
///
/// # Errors
/// When Postgres fails.
pub async fn delete_session(pool: &PgPool, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await
        .map(drop)
}

/// One line of "My exchanges": an exchange and its counts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Overview {
    pub slug: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub status: String,
    pub capacity: Option<i32>,
    pub confirmed: i64,
    pub waitlisted: i64,
    pub pending: i64,
    pub open_offers: i64,
}

/// The exchanges `email` may see (every one when `all`), soonest first, with their counts.
///
/// # Errors
/// When Postgres fails.
pub async fn overview(pool: &PgPool, email: &str, all: bool) -> sqlx::Result<Vec<Overview>> {
    sqlx::query_as(&format!(
        "SELECT e.slug, e.title, e.starts_at, e.ends_at, e.timezone, e.status, e.capacity, \
           count(r.id) FILTER (WHERE r.status = 'confirmed') AS confirmed, \
           count(r.id) FILTER (WHERE r.status IN ('waitlisted', 'offered')) AS waitlisted, \
           count(r.id) FILTER (WHERE r.status = 'pending') AS pending, \
           (SELECT count(*) FROM cosponsor_offers o \
             WHERE o.event_id = e.id AND o.status = 'received' AND o.erased_at IS NULL) AS open_offers \
         FROM events e LEFT JOIN registrations r ON r.event_id = e.id \
         WHERE $2 OR {MEMBER} \
         GROUP BY e.id ORDER BY e.starts_at LIMIT 1000"
    ))
    .bind(email)
    .bind(all)
    .fetch_all(pool)
    .await
}
