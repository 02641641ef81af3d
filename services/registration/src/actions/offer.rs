//! An organisation offers to co-sponsor an exchange.
//!
//! The form is public, so two things are bounded. A resubmission under the same
//! organisation never changes the contact of the existing offer (another address makes
//! another offer, and the organisers see both), so nobody can redirect the organisers'
//! replies. And organisers are emailed about at most `OFFER_EMAILS_PER_HOUR` offers per
//! exchange in any hour: beyond it an offer is still stored, in the console, the admin API
//! and the digest, but announced to nobody.

use convene_shared::messages::{CosponsorOfferReceived, Envelope};
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::NewCosponsorOffer;
use crate::store::events::Event;
use crate::store::offers::{self, Stored};

/// Stores the offer and, unless it is the same offer again unchanged or the exchange's
/// offer emails are at their hourly limit (`emails_per_hour`; 0: none), announces it
/// (`cosponsor_offer.received`) so that every organiser of the exchange is emailed.
/// Returns the offer's id.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn offer(
    pool: &PgPool,
    event: &Event,
    offer: &NewCosponsorOffer,
    public_base_url: &str,
    emails_per_hour: u32,
    correlation_id: Uuid,
) -> sqlx::Result<Uuid> {
    let mut tx = pool.begin().await?;
    let stored = match offers::insert(&mut tx, event.id, offer).await? {
        Stored::New(stored) | Stored::Updated(stored) => stored,
        Stored::Unchanged(stored) => {
            tx.commit().await?;
            tracing::info!(offer_id = %stored.id, "co-sponsorship offer repeated unchanged");
            return Ok(stored.id);
        }
    };
    // One offer of the exchange at a time past this point, so that two at once cannot
    // both take the last email of the hour.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('offer_emails:' || $1::text, 0))")
        .bind(event.id)
        .execute(&mut *tx)
        .await?;
    let limited = emails_per_hour > 0
        && offers::emails_in_last_hour(&mut tx, event.id).await? >= i64::from(emails_per_hour);
    if limited {
        tracing::warn!(
            offer_id = %stored.id, event_id = %event.id,
            "co-sponsorship offer stored without an email: the exchange's offer emails are at their hourly limit"
        );
    } else {
        // The stored offer's contact, never the submission's: the replies go to whoever
        // made the offer first.
        let message = CosponsorOfferReceived {
            offer_id: stored.id,
            event: event.snapshot(),
            organisation: stored.organisation.clone(),
            country: stored.country.clone(),
            country_name: offer.country.name().to_owned(),
            contact_name: stored.contact_name.clone(),
            contact_email: stored.contact_email.clone(),
            support_kind: offer.support_kind.label().to_owned(),
            message: stored.message.clone(),
            organiser_emails: event.organiser_emails.clone(),
            decide_url: Some(format!(
                "{}/console/events/{}#offers",
                public_base_url.trim_end_matches('/'),
                event.slug
            )),
        };
        outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
        offers::record_email(&mut tx, event.id).await?;
    }
    tx.commit().await?;
    tracing::info!(offer_id = %stored.id, event_id = %event.id, "co-sponsorship offer received");
    Ok(stored.id)
}
