//! The `registrations` table: who is coming to which exchange.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{NewRegistration, CONSENT_TEXT, CONSENT_VERSION};
use crate::store::attendance;

/// A registration as stored (without the participant's details, which only the store
/// and the outgoing message need).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Registration {
    pub id: Uuid,
    pub event_id: Uuid,
    pub status: String,
    pub registered_at: DateTime<Utc>,
    pub name: String,
    pub email: String,
    pub country: String,
    /// While `offered`: when the held seat passes to the next in line.
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// The participant's own IANA time zone, if given.
    pub timezone: Option<String>,
    /// The participant's language: `en`, `fr` or `es`.
    pub lang: String,
    /// While `unconfirmed`: when it lapses unless its link has been opened.
    pub confirm_by: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, event_id, status, registered_at, name, email, country, offer_expires_at, \
    timezone, lang, confirm_by";

/// Inserts a registration with `status`; `None` when this address already has one for
/// the exchange (compared case-insensitively).
///
/// # Errors
/// When Postgres fails.
pub async fn insert(
    conn: &mut PgConnection,
    event_id: Uuid,
    new: &NewRegistration,
    token_hash: &[u8],
    status: &str,
) -> sqlx::Result<Option<Registration>> {
    sqlx::query_as(&format!(
        "INSERT INTO registrations (id, event_id, name, email, organisation, country, role, status, \
             token_hash, consent_version, consent_text, consented_at, waitlisted_at, timezone, lang) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $11, $8, $9, $10, now(), \
             CASE WHEN $11 = 'waitlisted' THEN now() END, $12, $13) \
         ON CONFLICT (event_id, lower(email)) DO NOTHING \
         RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(event_id)
    .bind(new.name.as_str())
    .bind(new.email.as_str())
    .bind(new.organisation.as_str())
    .bind(new.country.as_str())
    .bind(new.role.as_str())
    .bind(token_hash)
    .bind(CONSENT_VERSION)
    .bind(CONSENT_TEXT)
    .bind(status)
    .bind(new.timezone.map(|tz| tz.name().to_owned()))
    .bind(new.lang.code())
    .fetch_optional(conn)
    .await
}

/// A new confirmed registration, with everything its one statement writes.
pub struct ConfirmedAtOnce<'a> {
    pub id: Uuid,
    pub event_id: Uuid,
    pub new: &'a NewRegistration,
    pub token_hash: &'a [u8],
    pub join_token_hash: &'a [u8],
    pub registered_at: DateTime<Utc>,
    /// `registration.confirmed`, written to the outbox with the row.
    pub announcement: &'a convene_shared::messages::Envelope,
}

/// Stores a confirmed registration, marks the address's invitation answered and writes its
/// announcement to the outbox, in one statement (one round trip, atomic by itself): the
/// common case of an exchange that counts no seats. `false`, writing nothing, when the
/// address already holds a registration of the exchange.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn insert_confirmed_at_once(
    conn: &mut PgConnection,
    r: &ConfirmedAtOnce<'_>,
) -> sqlx::Result<bool> {
    let inserted: i64 = sqlx::query_scalar(
        "WITH registered AS ( \
             INSERT INTO registrations (id, event_id, name, email, organisation, country, role, \
                 status, token_hash, consent_version, consent_text, consented_at, registered_at, \
                 timezone, lang, join_token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'confirmed', $8, $9, $10, $11, $11, $12, $13, $14) \
             ON CONFLICT (event_id, lower(email)) DO NOTHING RETURNING id), \
         answered AS ( \
             UPDATE invitations SET registration_id = $1, answered_at = coalesce(answered_at, now()) \
             WHERE event_id = $2 AND lower(email) = lower($4) AND erased_at IS NULL \
               AND EXISTS (SELECT 1 FROM registered)), \
         announced AS ( \
             INSERT INTO outbox (message_id, routing_key, envelope) \
             SELECT $15, $16, $17 FROM registered) \
         SELECT count(*) FROM registered",
    )
    .bind(r.id)
    .bind(r.event_id)
    .bind(r.new.name.as_str())
    .bind(r.new.email.as_str())
    .bind(r.new.organisation.as_str())
    .bind(r.new.country.as_str())
    .bind(r.new.role.as_str())
    .bind(r.token_hash)
    .bind(CONSENT_VERSION)
    .bind(CONSENT_TEXT)
    .bind(r.registered_at)
    .bind(r.new.timezone.map(|tz| tz.name().to_owned()))
    .bind(r.new.lang.code())
    .bind(r.join_token_hash)
    .bind(r.announcement.message_id)
    .bind(&r.announcement.kind)
    .bind(sqlx::types::Json(r.announcement))
    .fetch_one(conn)
    .await?;
    Ok(inserted == 1)
}

/// The registration this address already holds for the exchange, locked for update.
///
/// # Errors
/// When Postgres fails.
pub async fn find_by_email_for_update(
    conn: &mut PgConnection,
    event_id: Uuid,
    email: &str,
) -> sqlx::Result<Option<Registration>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registrations \
         WHERE event_id = $1 AND lower(email) = lower($2) FOR UPDATE"
    ))
    .bind(event_id)
    .bind(email)
    .fetch_optional(conn)
    .await
}

/// Takes a cancelled (or rejected, or lapsed) registration again with `status`, the
/// participant's new details and a new manage link (the old one stays dead).
///
/// # Errors
/// When Postgres fails.
pub async fn reconfirm(
    conn: &mut PgConnection,
    id: Uuid,
    new: &NewRegistration,
    token_hash: &[u8],
    status: &str,
) -> sqlx::Result<Registration> {
    sqlx::query_as(&format!(
        "UPDATE registrations SET status = $10, name = $2, email = $3, organisation = $4, \
             country = $5, role = $6, token_hash = $7, consent_version = $8, consent_text = $9, \
             consented_at = now(), registered_at = now(), cancelled_at = NULL, offer_expires_at = NULL, \
             waitlisted_at = CASE WHEN $10 = 'waitlisted' THEN now() END, timezone = $11, \
             lang = $12, pending_token_hash = NULL, confirm_by = NULL \
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(new.name.as_str())
    .bind(new.email.as_str())
    .bind(new.organisation.as_str())
    .bind(new.country.as_str())
    .bind(new.role.as_str())
    .bind(token_hash)
    .bind(CONSENT_VERSION)
    .bind(CONSENT_TEXT)
    .bind(status)
    .bind(new.timezone.map(|tz| tz.name().to_owned()))
    .bind(new.lang.code())
    .fetch_one(conn)
    .await
}

/// Holds a registration `unconfirmed` until its link is opened, at most `hours` from now.
///
/// # Errors
/// When Postgres fails.
pub async fn await_confirmation(
    conn: &mut PgConnection,
    id: Uuid,
    hours: u32,
) -> sqlx::Result<Registration> {
    sqlx::query_as(&format!(
        "UPDATE registrations SET status = 'unconfirmed', \
             confirm_by = now() + make_interval(hours => $2), waitlisted_at = NULL \
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(i32::try_from(hours).unwrap_or(i32::MAX))
    .fetch_one(conn)
    .await
}

/// The `unconfirmed` registration behind `id`, locked, if its time has not run out.
///
/// # Errors
/// When Postgres fails.
pub async fn unconfirmed_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<Registration>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registrations \
         WHERE id = $1 AND status = 'unconfirmed' AND confirm_by > now() FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Ends every `unconfirmed` registration whose time ran out (`lapsed`), at most `limit`,
/// and returns them; rows another process is ending are skipped.
///
/// # Errors
/// When Postgres fails.
pub async fn lapse_unconfirmed(
    conn: &mut PgConnection,
    limit: i64,
) -> sqlx::Result<Vec<Registration>> {
    sqlx::query_as(&format!(
        "UPDATE registrations SET status = 'lapsed' WHERE id IN ( \
             SELECT id FROM registrations WHERE status = 'unconfirmed' AND confirm_by <= now() \
             ORDER BY confirm_by LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING {COLUMNS}"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The registration behind a manage link (its current one, or a new one not opened yet),
/// locked for update.
///
/// # Errors
/// When Postgres fails.
pub async fn find_by_token_for_update(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> sqlx::Result<Option<Registration>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registrations \
         WHERE token_hash = $1 OR pending_token_hash = $1 FOR UPDATE"
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// The registration behind a manage link (its current one, or a new one not opened yet).
///
/// # Errors
/// When Postgres fails.
pub async fn find_by_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> sqlx::Result<Option<Registration>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registrations WHERE token_hash = $1 OR pending_token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Opens a manage link: when `token_hash` is a registration's new link, not opened
/// before, it becomes its only link and the old one stops working. Nothing happens for a
/// current link or an unknown one.
///
/// # Errors
/// When Postgres fails.
pub async fn open_link(conn: &mut PgConnection, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE registrations SET token_hash = pending_token_hash, pending_token_hash = NULL \
         WHERE pending_token_hash = $1",
    )
    .bind(token_hash)
    .execute(conn)
    .await
    .map(drop)
}

/// Gives a registration a new link beside its current one (replacing an earlier new link
/// never opened), and notes when it was sent.
///
/// # Errors
/// When Postgres fails.
pub async fn set_pending_link(
    conn: &mut PgConnection,
    id: Uuid,
    token_hash: &[u8],
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE registrations SET pending_token_hash = $2, link_sent_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(token_hash)
    .execute(conn)
    .await
    .map(drop)
}

/// How the `link_requests` table names an address: the SHA-256 of it, lower-cased.
const ADDRESS_HASH: &str = "sha256(convert_to(lower($1), 'UTF8'))";

/// How many requests under `email` sent links in the last 24 hours.
///
/// # Errors
/// When Postgres fails.
pub async fn link_requests_today(conn: &mut PgConnection, email: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM link_requests \
         WHERE address_hash = {ADDRESS_HASH} AND requested_at > now() - interval '1 day'"
    ))
    .bind(email)
    .fetch_one(conn)
    .await
}

/// Counts a request under `email` that sent links, and forgets those older than a day.
///
/// # Errors
/// When Postgres fails.
pub async fn record_link_request(conn: &mut PgConnection, email: &str) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO link_requests (address_hash) VALUES ({ADDRESS_HASH})"
    ))
    .bind(email)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM link_requests WHERE requested_at < now() - interval '1 day'")
        .execute(conn)
        .await
        .map(drop)
}

/// Forgets the link requests made under `email` (erasing the person).
///
/// # Errors
/// When Postgres fails.
pub async fn erase_link_requests(conn: &mut PgConnection, email: &str) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "DELETE FROM link_requests WHERE address_hash = {ADDRESS_HASH}"
    ))
    .bind(email)
    .execute(conn)
    .await
    .map(drop)
}

/// Marks a registration cancelled.
///
/// # Errors
/// When Postgres fails.
pub async fn cancel(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar(
        "UPDATE registrations SET status = 'cancelled', cancelled_at = now() WHERE id = $1 RETURNING cancelled_at",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

/// A registration as organisers list it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Listed {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub country: String,
    pub role: String,
    pub status: String,
    pub registered_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When they first opened the meeting through their join link.
    pub joined_at: Option<DateTime<Utc>>,
    /// Their attendance as it counts (`store::attendance`): `attended`, `absent`,
    /// `excused`, or none (not confirmed, or not known yet).
    pub attendance: Option<String>,
    /// What it rests on: `marked`, `imported`, `joined`, `not_joined`.
    pub attendance_basis: Option<String>,
}

/// Which registrations to list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub status: Option<String>,
    pub country: Option<String>,
    pub role: Option<String>,
    /// Text the name, email or organisation contains, in any case (the console's search).
    pub search: Option<String>,
}

/// One page of an exchange's registrations (erased ones excluded), oldest first, and how
/// many match in all.
///
/// # Errors
/// When Postgres fails.
pub async fn list(
    conn: &mut PgConnection,
    event_id: Uuid,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Listed>, i64)> {
    // The search is a plain substring (`strpos`), not a LIKE pattern: a `%` or `_` typed
    // into the search box means itself.
    const WHERE: &str =
        "WHERE event_id = $1 AND erased_at IS NULL AND ($2::text IS NULL OR status = $2) \
        AND ($3::text IS NULL OR country = $3) AND ($4::text IS NULL OR role = $4) \
        AND ($5::text IS NULL OR strpos(lower(name), lower($5)) > 0 \
             OR strpos(lower(email), lower($5)) > 0 OR strpos(lower(organisation), lower($5)) > 0)";
    let rows = sqlx::query_as(&format!(
        "SELECT id, name, email, organisation, country, role, status, registered_at, cancelled_at, \
             joined_at, {} AS attendance, {} AS attendance_basis \
         FROM registrations {WHERE} ORDER BY registered_at, id LIMIT $6 OFFSET $7",
        attendance::effective_sql("registrations"),
        attendance::basis_sql("registrations"),
    ))
    .bind(event_id)
    .bind(&filter.status)
    .bind(&filter.country)
    .bind(&filter.role)
    .bind(&filter.search)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar(&format!("SELECT count(*) FROM registrations {WHERE}"))
        .bind(event_id)
        .bind(&filter.status)
        .bind(&filter.country)
        .bind(&filter.role)
        .bind(&filter.search)
        .fetch_one(&mut *conn)
        .await?;
    Ok((rows, total))
}

/// The countries an exchange's registrations come from (erased ones excluded), for the
/// console's filter.
///
/// # Errors
/// When Postgres fails.
pub async fn countries(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT country FROM registrations \
         WHERE event_id = $1 AND erased_at IS NULL ORDER BY country",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// How many registrations arrived in each quarter of an hour (UTC), erased ones included
/// (they stay as counts), oldest first. Quarters, not days: the day depends on the
/// exchange's zone, which the caller applies (some zones are 30 or 45 minutes off UTC),
/// and a quarter-hour count stays small however many registrations there are.
///
/// # Errors
/// When Postgres fails.
pub async fn arrivals(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> sqlx::Result<Vec<(DateTime<Utc>, i64)>> {
    sqlx::query_as(
        "SELECT to_timestamp(floor(extract(epoch FROM registered_at) / 900) * 900) AS quarter, \
                count(*) \
         FROM registrations WHERE event_id = $1 GROUP BY quarter ORDER BY quarter",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// Counts per (status, country, role) for an exchange, erased registrations included (they
/// stay as anonymised counts).
///
/// # Errors
/// When Postgres fails.
pub async fn counts(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> sqlx::Result<Vec<(String, String, String, i64)>> {
    sqlx::query_as(
        "SELECT status, country, role, count(*) FROM registrations WHERE event_id = $1 \
         GROUP BY status, country, role ORDER BY status, country, role",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// The figures organisers quote about an exchange ("110 participants, over 60 officials
/// from 32 countries"), from [`counts`]: the admin API's stats and the console's overview
/// both read them here.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// Registrations per status; every status is present, 0 when none.
    pub by_status: std::collections::BTreeMap<&'static str, i64>,
    /// Confirmed participants per country: (all, government officials).
    pub by_country: std::collections::BTreeMap<String, (i64, i64)>,
    /// Confirmed participants per role.
    pub by_role: std::collections::BTreeMap<String, i64>,
    /// Confirmed government officials.
    pub officials: i64,
    /// Countries with a confirmed participant.
    pub countries: usize,
}

/// Every status a registration can have.
pub const STATUSES: [&str; 9] = [
    "confirmed",
    "waitlisted",
    "offered",
    "pending",
    "unconfirmed",
    "cancelled",
    "rejected",
    "expired",
    "lapsed",
];

impl Figures {
    /// Registrations with this status.
    pub fn status(&self, status: &str) -> i64 {
        self.by_status.get(status).copied().unwrap_or_default()
    }
}

/// An exchange's [`Figures`], anonymised registrations included.
///
/// # Errors
/// When Postgres fails.
pub async fn figures(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<Figures> {
    let mut figures = Figures {
        by_status: STATUSES.into_iter().map(|s| (s, 0)).collect(),
        ..Figures::default()
    };
    let mut countries = std::collections::BTreeSet::new();
    for (status, country, role, n) in counts(conn, event_id).await? {
        if let Some(count) = figures.by_status.get_mut(status.as_str()) {
            *count += n;
        }
        if status == "confirmed" {
            let official = role == crate::domain::Role::GovernmentOfficial.as_str();
            let entry = figures.by_country.entry(country.clone()).or_default();
            entry.0 += n;
            if official {
                entry.1 += n;
                figures.officials += n;
            }
            *figures.by_role.entry(role).or_default() += n;
            countries.insert(country);
        }
    }
    figures.countries = countries.len();
    Ok(figures)
}

/// A registration by id, locked for update.
///
/// # Errors
/// When Postgres fails.
pub async fn find_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<Registration>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registrations WHERE id = $1 AND erased_at IS NULL FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A registration by id.
///
/// # Errors
/// When Postgres fails.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Registration>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registrations WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}
