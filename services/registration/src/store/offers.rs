//! The `cosponsor_offers` table: organisations offering to co-sponsor an exchange.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::NewCosponsorOffer;

/// What storing an offer did.
pub enum Stored {
    /// A new offer (a first from this organisation, or from another contact address).
    New(Offer),
    /// The same organisation and contact offered again with other details (the kind of
    /// support, the message, the country): the offer keeps its id, contact and decision.
    Updated(Offer),
    /// The same offer again, nothing changed.
    Unchanged(Offer),
}

/// Stores an offer. The same organisation (case-insensitive) with the same contact address
/// for the same exchange is the same offer: its details are updated, keeping its id, its
/// contact (name and address as first given) and any decision already taken. Another
/// contact address makes another offer: a resubmission never changes whom the organisers
/// reply to.
///
/// # Errors
/// When Postgres fails.
pub async fn insert(
    conn: &mut PgConnection,
    event_id: Uuid,
    offer: &NewCosponsorOffer,
) -> sqlx::Result<Stored> {
    let stored: Option<(Offer, bool)> = sqlx::query_as(&format!(
        "INSERT INTO cosponsor_offers AS o (id, event_id, organisation, country, contact_name, \
             contact_email, support_kind, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (event_id, lower(organisation), lower(contact_email)) WHERE erased_at IS NULL \
         DO UPDATE SET organisation = $3, country = $4, support_kind = $7, message = $8, \
             updated_at = now() \
         WHERE (o.organisation, o.country, o.support_kind, o.message) IS DISTINCT FROM ($3, $4, $7, $8) \
         RETURNING {OFFER_COLUMNS}, (xmax = 0) AS inserted"
    ))
    .bind(Uuid::now_v7())
    .bind(event_id)
    .bind(offer.organisation.as_str())
    .bind(offer.country.as_str())
    .bind(offer.contact_name.as_str())
    .bind(offer.contact_email.as_str())
    .bind(offer.support_kind.as_str())
    .bind(offer.message.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .map(|row: StoredRow| (row.offer, row.inserted));
    Ok(match stored {
        Some((offer, true)) => Stored::New(offer),
        Some((offer, false)) => Stored::Updated(offer),
        None => Stored::Unchanged(
            sqlx::query_as(&format!(
                "SELECT {OFFER_COLUMNS} FROM cosponsor_offers \
                 WHERE event_id = $1 AND lower(organisation) = lower($2) \
                   AND lower(contact_email) = lower($3) AND erased_at IS NULL"
            ))
            .bind(event_id)
            .bind(offer.organisation.as_str())
            .bind(offer.contact_email.as_str())
            .fetch_one(conn)
            .await?,
        ),
    })
}

/// A row of [`insert`]: the offer, and whether it is new.
#[derive(sqlx::FromRow)]
struct StoredRow {
    #[sqlx(flatten)]
    offer: Offer,
    inserted: bool,
}

/// How many times organisers were emailed about offers for the exchange in the last hour.
///
/// # Errors
/// When Postgres fails.
pub async fn emails_in_last_hour(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM offer_emails \
         WHERE event_id = $1 AND announced_at > now() - interval '1 hour'",
    )
    .bind(event_id)
    .fetch_one(conn)
    .await
}

/// Counts an email about an offer for the exchange, and forgets those older than an hour.
///
/// # Errors
/// When Postgres fails.
pub async fn record_email(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO offer_emails (event_id) VALUES ($1)")
        .bind(event_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "DELETE FROM offer_emails WHERE event_id = $1 AND announced_at <= now() - interval '1 hour'",
    )
    .bind(event_id)
    .execute(conn)
    .await
    .map(drop)
}

/// An offer as organisers see it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Offer {
    pub id: Uuid,
    pub event_id: Uuid,
    pub organisation: String,
    pub country: String,
    pub contact_name: String,
    pub contact_email: String,
    pub support_kind: String,
    pub message: String,
    /// `received`, `accepted` or `declined`.
    pub status: String,
    pub decision_note: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
}

const OFFER_COLUMNS: &str =
    "id, event_id, organisation, country, contact_name, contact_email, support_kind, \
    message, status, decision_note, created_at, updated_at, decided_at";

/// Every offer for an exchange, oldest first.
///
/// # Errors
/// When Postgres fails.
pub async fn list(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<Vec<Offer>> {
    sqlx::query_as(&format!(
        "SELECT {OFFER_COLUMNS} FROM cosponsor_offers WHERE event_id = $1 AND erased_at IS NULL ORDER BY created_at"
    ))
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// The accepted co-sponsors of an exchange, as the public sees them: (organisation, country).
///
/// # Errors
/// When Postgres fails.
pub async fn accepted(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> sqlx::Result<Vec<(String, String)>> {
    // An organisation whose offers from two contacts were both accepted appears once.
    sqlx::query_as(
        "SELECT organisation, country FROM ( \
             SELECT DISTINCT ON (lower(organisation)) organisation, country, decided_at \
             FROM cosponsor_offers \
             WHERE event_id = $1 AND status = 'accepted' AND erased_at IS NULL \
             ORDER BY lower(organisation), decided_at \
         ) first ORDER BY decided_at",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// Records a decision; `None` if there is no such offer.
///
/// # Errors
/// When Postgres fails.
pub async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    decision: &str,
    note: &str,
) -> sqlx::Result<Option<Offer>> {
    sqlx::query_as(&format!(
        "UPDATE cosponsor_offers SET status = $2, decision_note = $3, decided_at = now(), updated_at = now() \
         WHERE id = $1 AND erased_at IS NULL RETURNING {OFFER_COLUMNS}"
    ))
    .bind(id)
    .bind(decision)
    .bind(note)
    .fetch_optional(conn)
    .await
}
