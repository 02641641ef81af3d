//! Organisers accept or decline a co-sponsorship offer; its contact is emailed the decision.

use convene_shared::messages::{CosponsorOfferDecided, Envelope};
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

use crate::store::activity;
use crate::store::events::{self, Event};
use crate::store::offers::{self, Offer};

/// `accepted` or `declined`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Decline,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accepted",
            Self::Decline => "declined",
        }
    }
}

/// Records the decision and announces it (`cosponsor_offer.decided`). `check` sees the
/// offer's exchange first (the admin token's scope) and may refuse. The exchange's
/// activity log records `actor` as the one who decided.
///
/// # Errors
/// When Postgres fails (nothing is written then), or what `check` returns.
pub async fn decide_offer<E: From<sqlx::Error>>(
    pool: &PgPool,
    id: Uuid,
    decision: Decision,
    note: &str,
    check: impl FnOnce(&Event) -> Result<(), E>,
    actor: &str,
    correlation_id: Uuid,
) -> Result<Option<Offer>, E> {
    let mut tx = pool.begin().await?;
    let Some(event_id) = sqlx::query_scalar::<_, Uuid>(
        "SELECT event_id FROM cosponsor_offers WHERE id = $1 AND erased_at IS NULL FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let event = events::find_by_id(&mut tx, event_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    check(&event)?;
    let Some(offer) = offers::decide(&mut tx, id, decision.as_str(), note).await? else {
        return Ok(None);
    };
    let message = CosponsorOfferDecided {
        offer_id: offer.id,
        event: event.snapshot(),
        organisation: offer.organisation.clone(),
        contact_name: offer.contact_name.clone(),
        contact_email: offer.contact_email.clone(),
        decision: decision.as_str().to_owned(),
        note: note.to_owned(),
    };
    outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
    let action = match decision {
        Decision::Accept => "offer.accepted",
        Decision::Decline => "offer.declined",
    };
    activity::record(&mut tx, event.id, actor, action, offer.id, &offer.status).await?;
    tx.commit().await?;
    tracing::info!(offer_id = %offer.id, decision = decision.as_str(), "co-sponsorship offer decided");
    Ok(Some(offer))
}
