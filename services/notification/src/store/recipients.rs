//! The `recipients` table: how to reach the participant behind a registration.

use chrono::{DateTime, Utc};
use convene_shared::sealed::Sealed;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A participant we can email.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub registration_id: Uuid,
    pub name: String,
    pub email: String,
    /// Their personal link, sealed as registration sent it (opened only to render an
    /// email); empty once erased.
    pub manage_url: Sealed,
    pub status: String,
    /// The participant's own IANA time zone, if they gave one.
    pub timezone: Option<String>,
    /// The participant's language: `en`, `fr` or `es`.
    pub lang: String,
    /// Their personal join link, sealed as registration sent it (opened only to render an
    /// email about an online exchange); empty when none was sent, and once erased.
    pub join_url: Sealed,
}

/// A participant confirmed at `at`, as `registration.confirmed` tells it.
#[derive(Debug, Clone, Copy)]
pub struct Confirmed<'a> {
    pub registration_id: Uuid,
    pub event_id: Uuid,
    pub name: &'a str,
    pub email: &'a str,
    /// Sealed. Empty in a later confirmation (approved, or a freed seat taken): the link
    /// sent with the first message is kept.
    pub manage_url: &'a Sealed,
    /// Sealed; empty in a later confirmation, as `manage_url`.
    pub join_url: &'a Sealed,
    pub details: Details<'a>,
    pub at: DateTime<Utc>,
}

/// Records (or refreshes) confirmed participants in one statement, with their own zone and
/// language when the message gives them, each unless a newer change of them is already
/// known. Returns the participants as recorded; those left as they were (a newer change,
/// or erased) are not returned. Each registration may appear once (one statement cannot
/// change a row twice); rows are written in id order, so that two concurrent batches
/// cannot deadlock.
///
/// # Errors
/// When Postgres fails, or a registration appears twice.
pub async fn confirmed(
    conn: &mut PgConnection,
    participants: &[Confirmed<'_>],
) -> sqlx::Result<Vec<Recipient>> {
    let mut rows: Vec<&Confirmed> = participants.iter().collect();
    rows.sort_by_key(|c| c.registration_id);
    // The language as given (NULL: keep the recorded one); a new row takes English.
    sqlx::query_as(
        "WITH c AS (SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], \
                 $6::timestamptz[], $7::text[], $8::text[], $9::text[]) \
                 AS c(id, event_id, name, email, manage_url, at, timezone, lang, join_url)) \
         INSERT INTO recipients (registration_id, event_id, name, email, manage_url, status, status_at, timezone, lang, join_url) \
         SELECT id, event_id, name, email, manage_url, 'confirmed', at, timezone, coalesce(lang, 'en'), join_url FROM c ORDER BY id \
         ON CONFLICT (registration_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, \
             manage_url = CASE WHEN EXCLUDED.manage_url = '' THEN recipients.manage_url ELSE EXCLUDED.manage_url END, \
             join_url = CASE WHEN EXCLUDED.join_url = '' THEN recipients.join_url ELSE EXCLUDED.join_url END, \
             status = 'confirmed', status_at = EXCLUDED.status_at, \
             timezone = coalesce(EXCLUDED.timezone, recipients.timezone), \
             lang = coalesce((SELECT c.lang FROM c WHERE c.id = EXCLUDED.registration_id), recipients.lang) \
         WHERE recipients.status_at < EXCLUDED.status_at AND recipients.status <> 'erased' \
         RETURNING registration_id, name, email, manage_url, status, timezone, lang, join_url",
    )
    .bind(rows.iter().map(|c| c.registration_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.event_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.name).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.email).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.manage_url.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.at).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.details.timezone).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.details.lang()).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.join_url.as_str()).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await
}

/// What a message may tell about a participant besides how to reach them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Details<'a> {
    /// Their own IANA time zone, if they gave one.
    pub timezone: Option<&'a str>,
    /// Their language as the message gives it (an unknown one is stored as English).
    pub lang: Option<&'a str>,
}

impl Details<'_> {
    fn lang(&self) -> Option<&'static str> {
        self.lang.map(|l| {
            convene_shared::i18n::Lang::parse(l)
                .unwrap_or_default()
                .code()
        })
    }
}

/// Marks a participant cancelled, unless a newer confirmation is already known.
///
/// # Errors
/// When Postgres fails.
pub async fn cancelled(
    pool: &PgPool,
    registration_id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE recipients SET status = 'cancelled', status_at = $2 \
         WHERE registration_id = $1 AND status_at <= $2 AND status <> 'erased'",
    )
    .bind(registration_id)
    .bind(at)
    .execute(pool)
    .await
    .map(drop)
}

/// The participant behind a registration.
///
/// # Errors
/// When Postgres fails.
pub async fn find(
    db: impl sqlx::PgExecutor<'_>,
    registration_id: Uuid,
) -> sqlx::Result<Option<Recipient>> {
    sqlx::query_as("SELECT registration_id, name, email, manage_url, status, timezone, lang, join_url FROM recipients WHERE registration_id = $1")
        .bind(registration_id)
        .fetch_optional(db)
        .await
}

/// The participants behind several registrations, in one query (a reminder batch); those
/// not known are left out.
///
/// # Errors
/// When Postgres fails.
pub async fn find_many(
    db: impl sqlx::PgExecutor<'_>,
    registration_ids: &[Uuid],
) -> sqlx::Result<Vec<Recipient>> {
    sqlx::query_as("SELECT registration_id, name, email, manage_url, status, timezone, lang, join_url FROM recipients WHERE registration_id = ANY($1)")
        .bind(registration_ids)
        .fetch_all(db)
        .await
}

/// Erases participants: the row stays as a tombstone without name, address or link, so a
/// late message about them is dropped rather than retried.
///
/// # Errors
/// When Postgres fails.
pub async fn erase(
    pool: &PgPool,
    registration_ids: &[Uuid],
    at: DateTime<Utc>,
) -> sqlx::Result<u64> {
    sqlx::query(
        "INSERT INTO recipients (registration_id, event_id, name, email, manage_url, status, status_at) \
         SELECT id, '00000000-0000-0000-0000-000000000000', '', '', '', 'erased', $2 FROM UNNEST($1::uuid[]) AS id \
         ON CONFLICT (registration_id) DO UPDATE SET name = '', email = '', manage_url = '', join_url = '', \
             status = 'erased', status_at = $2",
    )
    .bind(registration_ids)
    .bind(at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
}

/// The addresses on record for these registrations (before they are erased).
///
/// # Errors
/// When Postgres fails.
pub async fn addresses(pool: &PgPool, registration_ids: &[Uuid]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT email FROM recipients WHERE registration_id = ANY($1) AND email <> ''",
    )
    .bind(registration_ids)
    .fetch_all(pool)
    .await
}

/// Everyone confirmed for an exchange.
///
/// # Errors
/// When Postgres fails.
pub async fn confirmed_for_event(pool: &PgPool, event_id: Uuid) -> sqlx::Result<Vec<Recipient>> {
    sqlx::query_as(
        "SELECT registration_id, name, email, manage_url, status, timezone, lang, join_url FROM recipients \
         WHERE event_id = $1 AND status = 'confirmed' ORDER BY registration_id",
    )
    .bind(event_id)
    .fetch_all(pool)
    .await
}

/// The contact a registration's first status change carries.
#[derive(Debug, Clone, Copy)]
pub struct StatusContact<'a> {
    pub name: &'a str,
    pub email: &'a str,
    /// Sealed, as every link here.
    pub manage_url: &'a Sealed,
    pub join_url: &'a Sealed,
    pub details: Details<'a>,
}

/// Records a status change without a seat (pending, waitlisted, offered, rejected,
/// expired): with the contact details when the message carries them (its first message),
/// the status alone otherwise; never over a newer change or an erasure.
///
/// # Errors
/// When Postgres fails.
pub async fn status_changed(
    conn: &mut PgConnection,
    registration_id: Uuid,
    event_id: Uuid,
    status: &str,
    contact: Option<StatusContact<'_>>,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    match contact {
        Some(StatusContact {
            name,
            email,
            manage_url,
            join_url,
            details,
        }) => {
            sqlx::query(
                "INSERT INTO recipients (registration_id, event_id, name, email, manage_url, status, status_at, timezone, lang, join_url) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, 'en'), $10) \
                 ON CONFLICT (registration_id) DO UPDATE SET name = $3, email = $4, manage_url = $5, join_url = $10, \
                     status = $6, status_at = $7, \
                     timezone = coalesce($8, recipients.timezone), lang = coalesce($9, recipients.lang) \
                 WHERE recipients.status_at < $7 AND recipients.status <> 'erased'",
            )
            .bind(registration_id)
            .bind(event_id)
            .bind(name)
            .bind(email)
            .bind(manage_url.as_str())
            .bind(status)
            .bind(at)
            .bind(details.timezone)
            .bind(details.lang())
            .bind(join_url.as_str())
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query(
                "UPDATE recipients SET status = $2, status_at = $3 \
                 WHERE registration_id = $1 AND status_at < $3 AND status <> 'erased'",
            )
            .bind(registration_id)
            .bind(status)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Replaces a participant's personal link (they asked for a new one).
///
/// # Errors
/// When Postgres fails.
pub async fn set_manage_url(
    pool: &PgPool,
    registration_id: Uuid,
    manage_url: &Sealed,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE recipients SET manage_url = $2 WHERE registration_id = $1 AND status <> 'erased'",
    )
    .bind(registration_id)
    .bind(manage_url.as_str())
    .execute(pool)
    .await
    .map(drop)
}

/// Everything kept about the participants under `email` (lower-case), for an export.
///
/// # Errors
/// When Postgres fails.
pub async fn export(
    pool: &PgPool,
    email: &str,
) -> sqlx::Result<Vec<convene_shared::messages::ExportedRecipient>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        registration_id: Uuid,
        event_id: Uuid,
        name: String,
        email: String,
        status: String,
        status_at: DateTime<Utc>,
        timezone: Option<String>,
        lang: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT registration_id, event_id, name, email, status, status_at, timezone, lang \
         FROM recipients WHERE lower(email) = $1 ORDER BY status_at",
    )
    .bind(email)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| convene_shared::messages::ExportedRecipient {
            registration_id: r.registration_id,
            event_id: r.event_id,
            name: r.name,
            email: r.email,
            status: r.status,
            status_at: r.status_at,
            timezone: r.timezone,
            lang: r.lang,
        })
        .collect())
}
