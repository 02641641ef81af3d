//! What organisers' digests read: the `organisers` table (their time zone, their last
//! digest) and, per exchange, what arrived since.

use chrono::{DateTime, Utc};
use convene_shared::messages::{DigestOffer, DigestRegistration};
use sqlx::PgConnection;
use uuid::Uuid;

/// Entries listed per list and exchange; the totals count them all.
pub const LISTED: i64 = 50;

/// An organiser's stored settings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organiser {
    pub email: String,
    pub timezone: Option<String>,
    pub digest_enabled: bool,
    pub last_digest_at: Option<DateTime<Utc>>,
}

/// Every organiser's stored settings.
///
/// # Errors
/// When Postgres fails.
pub async fn all(conn: &mut PgConnection) -> sqlx::Result<Vec<Organiser>> {
    sqlx::query_as("SELECT email, timezone, digest_enabled, last_digest_at FROM organisers")
        .fetch_all(conn)
        .await
}

/// One organiser's settings, if stored.
///
/// # Errors
/// When Postgres fails.
pub async fn find(conn: &mut PgConnection, email: &str) -> sqlx::Result<Option<Organiser>> {
    sqlx::query_as(
        "SELECT email, timezone, digest_enabled, last_digest_at FROM organisers WHERE email = lower($1)",
    )
    .bind(email)
    .fetch_optional(conn)
    .await
}

/// Creates the organiser's row if needed and locks it until the transaction ends, so that
/// two processes never compose the same digest.
///
/// # Errors
/// When Postgres fails.
pub async fn lock(conn: &mut PgConnection, email: &str) -> sqlx::Result<Organiser> {
    sqlx::query("INSERT INTO organisers (email) VALUES (lower($1)) ON CONFLICT DO NOTHING")
        .bind(email)
        .execute(&mut *conn)
        .await?;
    sqlx::query_as(
        "SELECT email, timezone, digest_enabled, last_digest_at FROM organisers \
         WHERE email = lower($1) FOR UPDATE",
    )
    .bind(email)
    .fetch_one(conn)
    .await
}

/// Stores an organiser's settings: `timezone` and `digest_enabled` replace what was there.
///
/// # Errors
/// When Postgres fails.
pub async fn save(
    conn: &mut PgConnection,
    email: &str,
    timezone: Option<&str>,
    digest_enabled: bool,
) -> sqlx::Result<Organiser> {
    sqlx::query_as(
        "INSERT INTO organisers (email, timezone, digest_enabled) VALUES (lower($1), $2, $3) \
         ON CONFLICT (email) DO UPDATE SET timezone = $2, digest_enabled = $3, updated_at = now() \
         RETURNING email, timezone, digest_enabled, last_digest_at",
    )
    .bind(email)
    .bind(timezone)
    .bind(digest_enabled)
    .fetch_one(conn)
    .await
}

/// Records that the organiser's digest was composed (sent or, with nothing new, not).
///
/// # Errors
/// When Postgres fails.
pub async fn composed(conn: &mut PgConnection, email: &str, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE organisers SET last_digest_at = $2 WHERE email = lower($1)")
        .bind(email)
        .bind(at)
        .execute(conn)
        .await
        .map(drop)
}

/// Deletes an organiser's settings (their data erased on request).
///
/// # Errors
/// When Postgres fails.
pub async fn erase(conn: &mut PgConnection, email: &str) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM organisers WHERE email = lower($1)")
        .bind(email)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

/// Registrations of an exchange that arrived in `(since, until]` (up to [`LISTED`]), and
/// how many there are.
///
/// # Errors
/// When Postgres fails.
pub async fn new_registrations(
    conn: &mut PgConnection,
    event_id: Uuid,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> sqlx::Result<(Vec<DigestRegistration>, i64)> {
    const WHERE: &str = "WHERE event_id = $1 AND registered_at > $2 AND registered_at <= $3 \
        AND erased_at IS NULL";
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT id, name, organisation, country, role, status, registered_at FROM registrations \
         {WHERE} ORDER BY registered_at LIMIT {LISTED}"
    ))
    .bind(event_id)
    .bind(since)
    .bind(until)
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar(&format!("SELECT count(*) FROM registrations {WHERE}"))
        .bind(event_id)
        .bind(since)
        .bind(until)
        .fetch_one(conn)
        .await?;
    Ok((rows.into_iter().map(Row::into_digest).collect(), total))
}

/// Registrations of an exchange waiting for approval (up to [`LISTED`], oldest first),
/// how many there are, and when the newest arrived.
///
/// # Errors
/// When Postgres fails.
pub async fn pending(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> sqlx::Result<(Vec<DigestRegistration>, i64, Option<DateTime<Utc>>)> {
    const WHERE: &str = "WHERE event_id = $1 AND status = 'pending' AND erased_at IS NULL";
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT id, name, organisation, country, role, status, registered_at FROM registrations \
         {WHERE} ORDER BY registered_at LIMIT {LISTED}"
    ))
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    let (total, newest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(&format!(
        "SELECT count(*), max(registered_at) FROM registrations {WHERE}"
    ))
    .bind(event_id)
    .fetch_one(conn)
    .await?;
    Ok((
        rows.into_iter().map(Row::into_digest).collect(),
        total,
        newest,
    ))
}

/// Co-sponsorship offers of an exchange not decided yet (up to [`LISTED`]), how many there
/// are, and when the newest arrived or changed.
///
/// # Errors
/// When Postgres fails.
pub async fn open_offers(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> sqlx::Result<(Vec<DigestOffer>, i64, Option<DateTime<Utc>>)> {
    const WHERE: &str = "WHERE event_id = $1 AND status = 'received' AND erased_at IS NULL";
    let rows: Vec<(Uuid, String, String, String, String, DateTime<Utc>)> =
        sqlx::query_as(&format!(
            "SELECT id, organisation, country, contact_name, support_kind, created_at \
             FROM cosponsor_offers {WHERE} ORDER BY created_at LIMIT {LISTED}"
        ))
        .bind(event_id)
        .fetch_all(&mut *conn)
        .await?;
    let (total, newest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(&format!(
        "SELECT count(*), max(updated_at) FROM cosponsor_offers {WHERE}"
    ))
    .bind(event_id)
    .fetch_one(conn)
    .await?;
    let offers = rows
        .into_iter()
        .map(
            |(offer_id, organisation, country, contact_name, support_kind, received_at)| {
                DigestOffer {
                    offer_id,
                    organisation,
                    country,
                    contact_name,
                    support_kind,
                    received_at,
                }
            },
        )
        .collect();
    Ok((offers, total, newest))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    organisation: String,
    country: String,
    role: String,
    status: String,
    registered_at: DateTime<Utc>,
}

impl Row {
    fn into_digest(self) -> DigestRegistration {
        DigestRegistration {
            registration_id: self.id,
            name: self.name,
            organisation: self.organisation,
            country: self.country,
            role: self.role,
            status: self.status,
            registered_at: self.registered_at,
        }
    }
}
