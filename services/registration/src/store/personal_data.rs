//! Everything the registration service holds about one person, and erasing it.
//!
//! Erasing keeps each registration as an anonymised row (exchange, country, role, status,
//! dates) so the counts organisers quote stay right, and replaces the name, address,
//! organisation, token and consent with nothing that points back to the person.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// A registration as the person would see it in an export.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct RegistrationRecord {
    pub id: Uuid,
    pub event_slug: String,
    pub event_title: String,
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub country: String,
    pub role: String,
    pub status: String,
    pub consent_version: String,
    pub consent_text: String,
    pub consented_at: DateTime<Utc>,
    pub registered_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When they first opened the meeting through their join link.
    pub joined_at: Option<DateTime<Utc>>,
    /// Whether they attended, as it counts (`store::attendance`); none when not known.
    pub attendance: Option<String>,
    /// Their answer to the feedback survey, if they gave one.
    pub survey_rating: Option<i16>,
    pub survey_most_useful: Option<String>,
    pub survey_should_change: Option<String>,
}

/// A co-sponsorship offer the person made as its contact.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct OfferRecord {
    pub id: Uuid,
    pub event_slug: String,
    pub organisation: String,
    pub country: String,
    pub contact_name: String,
    pub contact_email: String,
    pub support_kind: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

/// An invitation sent to the person.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct InvitationRecord {
    pub id: Uuid,
    pub event_slug: String,
    pub email: String,
    pub name: String,
    pub lang: String,
    pub invited_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// Invitations sent to this address (case-insensitive).
///
/// # Errors
/// When Postgres fails.
pub async fn export_invitations(
    conn: &mut PgConnection,
    email: &str,
) -> sqlx::Result<Vec<InvitationRecord>> {
    sqlx::query_as(
        "SELECT i.id, e.slug AS event_slug, i.email, i.name, i.lang, i.invited_at, i.reminded_at, i.answered_at \
         FROM invitations i JOIN events e ON e.id = i.event_id \
         WHERE lower(i.email) = lower($1) AND i.erased_at IS NULL ORDER BY i.invited_at",
    )
    .bind(email)
    .fetch_all(conn)
    .await
}

/// Every registration and offer held under this address (case-insensitive).
///
/// # Errors
/// When Postgres fails.
pub async fn export(
    conn: &mut PgConnection,
    email: &str,
) -> sqlx::Result<(Vec<RegistrationRecord>, Vec<OfferRecord>)> {
    let registrations = sqlx::query_as(&format!(
        "SELECT r.id, e.slug AS event_slug, e.title AS event_title, r.name, r.email, r.organisation, r.country, \
             r.role, r.status, r.consent_version, r.consent_text, r.consented_at, r.registered_at, r.cancelled_at, \
             r.joined_at, {} AS attendance, s.rating AS survey_rating, \
             s.most_useful AS survey_most_useful, s.should_change AS survey_should_change \
         FROM registrations r JOIN events e ON e.id = r.event_id \
         LEFT JOIN survey_answers s ON s.registration_id = r.id \
         WHERE lower(r.email) = lower($1) AND r.erased_at IS NULL ORDER BY r.registered_at",
        crate::store::attendance::effective_sql("r"),
    ))
    .bind(email)
    .fetch_all(&mut *conn)
    .await?;
    let offers = sqlx::query_as(
        "SELECT o.id, e.slug AS event_slug, o.organisation, o.country, o.contact_name, o.contact_email, \
             o.support_kind, o.message, o.created_at \
         FROM cosponsor_offers o JOIN events e ON e.id = o.event_id \
         WHERE lower(o.contact_email) = lower($1) AND o.erased_at IS NULL ORDER BY o.created_at",
    )
    .bind(email)
    .fetch_all(&mut *conn)
    .await?;
    Ok((registrations, offers))
}

/// Anonymises every invitation sent to this address; returns them (their copies elsewhere
/// must go too).
///
/// # Errors
/// When Postgres fails.
pub async fn erase_invitations_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(&format!(
        "{ERASE_INVITATIONS} WHERE lower(email) = lower($1) AND erased_at IS NULL RETURNING id"
    ))
    .bind(email)
    .fetch_all(conn)
    .await
}

/// Anonymises every invitation to one exchange; returns them.
///
/// # Errors
/// When Postgres fails.
pub async fn erase_invitations_by_event(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(&format!(
        "{ERASE_INVITATIONS} WHERE event_id = $1 AND erased_at IS NULL RETURNING id"
    ))
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// Anonymises every registration and offer under this address; returns the registrations
/// erased (their copies elsewhere must go too).
///
/// # Errors
/// When Postgres fails.
pub async fn erase_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> sqlx::Result<(Vec<Uuid>, u64)> {
    let registrations = sqlx::query_scalar(&format!(
        "{ERASE_REGISTRATIONS} WHERE lower(email) = lower($1) AND erased_at IS NULL RETURNING id"
    ))
    .bind(email)
    .fetch_all(&mut *conn)
    .await?;
    forget_survey_words(conn, &registrations).await?;
    let offers = sqlx::query(&format!(
        "{ERASE_OFFERS} WHERE lower(contact_email) = lower($1) AND erased_at IS NULL"
    ))
    .bind(email)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((registrations, offers))
}

/// Anonymises every registration and offer of one exchange (the retention period ended).
///
/// # Errors
/// When Postgres fails.
pub async fn erase_by_event(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    let registrations = sqlx::query_scalar(&format!(
        "{ERASE_REGISTRATIONS} WHERE event_id = $1 AND erased_at IS NULL RETURNING id"
    ))
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    forget_survey_words(conn, &registrations).await?;
    sqlx::query(&format!(
        "{ERASE_OFFERS} WHERE event_id = $1 AND erased_at IS NULL"
    ))
    .bind(event_id)
    .execute(&mut *conn)
    .await?;
    Ok(registrations)
}

/// What erased participants wrote in the feedback survey goes (it may name them), and so
/// does their leave to be named; the rating stays, counted in the average without anyone.
async fn forget_survey_words(conn: &mut PgConnection, registrations: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE survey_answers SET most_useful = '', should_change = '', may_name = false \
         WHERE registration_id = ANY($1)",
    )
    .bind(registrations)
    .execute(conn)
    .await
    .map(drop)
}

/// The address becomes a unique placeholder in the reserved `.invalid` domain (so the
/// one-per-address index holds and nothing can ever be sent to it); the token hash becomes
/// random bytes and a new link not yet opened goes, so every manage link is dead.
const ERASE_REGISTRATIONS: &str = "UPDATE registrations SET name = '', organisation = '', \
    email = 'erased-' || id || '@erased.invalid', token_hash = gen_random_uuid()::text::bytea, \
    pending_token_hash = NULL, consent_text = '', timezone = NULL, erased_at = now()";
/// As for registrations: the address becomes a placeholder, the link dies.
const ERASE_INVITATIONS: &str = "UPDATE invitations SET name = '', \
    email = 'erased-' || id || '@erased.invalid', token_hash = gen_random_uuid()::text::bytea, \
    erased_at = now()";
const ERASE_OFFERS: &str =
    "UPDATE cosponsor_offers SET contact_name = '', contact_email = '', message = '', \
    organisation = '', decision_note = '', erased_at = now()";
