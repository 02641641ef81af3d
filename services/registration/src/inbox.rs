//! What the registration service does with the messages it consumes: erase an exchange's
//! personal data when the scheduling service says its retention period is over, compose
//! organisers' digests when its digest clock ticks, and compose an exchange's follow-up
//! when it is due.

use convene_shared::consumer::{Failure, Handler};
use convene_shared::messages::{DigestDue, Envelope, EventFollowUpDue, EventRetentionDue, Message};
use sqlx::PgPool;

use crate::actions::digest::compose_due;
use crate::actions::erase::erase_event;

/// The registration service's message handler.
pub struct Inbox {
    pub pool: PgPool,
    /// Wakes the outbox relay after an erasure commits its `participant.erased` messages.
    pub relay: std::sync::Arc<tokio::sync::Notify>,
    /// `DIGEST_HOUR`: from when in their day organisers get their digest.
    pub digest_hour: u32,
    /// `PUBLIC_BASE_URL`, quoted in digests.
    pub public_base_url: String,
}

impl Handler for Inbox {
    async fn handle(&self, envelope: Envelope) -> Result<(), Failure> {
        match envelope.kind.as_str() {
            EventRetentionDue::KIND => {
                let m: EventRetentionDue = envelope
                    .payload()
                    .map_err(|e| Failure::Permanent(anyhow::anyhow!("malformed payload: {e}")))?;
                // Idempotent: a second delivery finds nothing left to erase.
                // Postgres down holds the message (`Failure::database`): an outage uses up
                // no retry.
                erase_event(&self.pool, m.event_id, envelope.correlation_id)
                    .await
                    .map_err(|e| Failure::database(&e))?;
                self.relay.notify_one();
                Ok(())
            }
            DigestDue::KIND => {
                let m: DigestDue = envelope
                    .payload()
                    .map_err(|e| Failure::Permanent(anyhow::anyhow!("malformed payload: {e}")))?;
                // Idempotent: an organiser done for the day is not done again.
                let announced = compose_due(
                    &self.pool,
                    m.at,
                    self.digest_hour,
                    &self.public_base_url,
                    envelope.correlation_id,
                )
                .await
                .map_err(|e| Failure::database(&e))?;
                if announced > 0 {
                    self.relay.notify_one();
                }
                Ok(())
            }
            EventFollowUpDue::KIND => {
                let m: EventFollowUpDue = envelope
                    .payload()
                    .map_err(|e| Failure::Permanent(anyhow::anyhow!("malformed payload: {e}")))?;
                // Idempotent: an exchange whose follow-up was composed is not composed again.
                let announced = crate::actions::follow_up::compose(
                    &self.pool,
                    m.event_id,
                    envelope.correlation_id,
                )
                .await
                .map_err(|e| Failure::database(&e))?;
                if announced > 0 {
                    self.relay.notify_one();
                }
                Ok(())
            }
            other => Err(Failure::Permanent(anyhow::anyhow!(
                "unexpected message kind {other:?}"
            ))),
        }
    }
}
