//! An organisation offers to co-sponsor an exchange.

use convene_shared::messages::{CosponsorOfferReceived, Envelope};
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::NewCosponsorOffer;
use crate::store::events::Event;
use crate::store::offers;

/// Stores the offer and announces it (`cosponsor_offer.received`) so every organiser of
/// the exchange is emailed.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn offer(
    pool: &PgPool,
    event: &Event,
    offer: &NewCosponsorOffer,
    public_base_url: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Uuid> {
    let mut tx = pool.begin().await?;
    let offer_id = offers::insert(&mut tx, event.id, offer).await?;
    let message = CosponsorOfferReceived {
        offer_id,
        event: event.snapshot(),
        organisation: offer.organisation.as_str().to_owned(),
        country: offer.country.as_str().to_owned(),
        country_name: offer.country.name().to_owned(),
        contact_name: offer.contact_name.as_str().to_owned(),
        contact_email: offer.contact_email.as_str().to_owned(),
        support_kind: offer.support_kind.label().to_owned(),
        message: offer.message.as_str().to_owned(),
        organiser_emails: event.organiser_emails.clone(),
        decide_url: Some(format!(
            "{}/console/events/{}#offers",
            public_base_url.trim_end_matches('/'),
            event.slug
        )),
    };
    outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
    tx.commit().await?;
    tracing::info!(offer_id = %offer_id, event_id = %event.id, "co-sponsorship offer received");
    Ok(offer_id)
}
