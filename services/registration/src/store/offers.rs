//! The `cosponsor_offers` table: organisations offering to co-sponsor an exchange.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::NewCosponsorOffer;

/// Stores an offer and returns its id. A second offer from the same organisation
/// (case-insensitive) for the same exchange updates the first, keeping its id and any
/// decision already taken.
///
/// # Errors
/// When Postgres fails.
pub async fn insert(
    conn: &mut PgConnection,
    event_id: Uuid,
    offer: &NewCosponsorOffer,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO cosponsor_offers (id, event_id, organisation, country, contact_name, contact_email, \
             support_kind, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (event_id, lower(organisation)) WHERE erased_at IS NULL DO UPDATE SET \
             organisation = $3, country = $4, contact_name = $5, contact_email = $6, support_kind = $7, \
             message = $8, updated_at = now() \
         RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(event_id)
    .bind(offer.organisation.as_str())
    .bind(offer.country.as_str())
    .bind(offer.contact_name.as_str())
    .bind(offer.contact_email.as_str())
    .bind(offer.support_kind.as_str())
    .bind(offer.message.as_str())
    .fetch_one(conn)
    .await
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
    sqlx::query_as(
        "SELECT organisation, country FROM cosponsor_offers \
         WHERE event_id = $1 AND status = 'accepted' AND erased_at IS NULL ORDER BY decided_at",
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
