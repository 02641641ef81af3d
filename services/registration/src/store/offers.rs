//! The `cosponsor_offers` table: organisations offering to co-sponsor an exchange.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::NewCosponsorOffer;

/// Stores an offer and returns its id.
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
             support_kind, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
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
