//! What the registration service does with the messages it consumes: erase an exchange's
//! personal data when the scheduling service says its retention period is over.

use convene_shared::consumer::{Failure, Handler};
use convene_shared::messages::{Envelope, EventRetentionDue, Message};
use sqlx::PgPool;

use crate::actions::erase::erase_event;

/// The registration service's message handler.
pub struct Inbox {
    pub pool: PgPool,
    /// Wakes the outbox relay after an erasure commits its `participant.erased` messages.
    pub relay: std::sync::Arc<tokio::sync::Notify>,
}

impl Handler for Inbox {
    async fn handle(&self, envelope: Envelope) -> Result<(), Failure> {
        match envelope.kind.as_str() {
            EventRetentionDue::KIND => {
                let m: EventRetentionDue = envelope
                    .payload()
                    .map_err(|e| Failure::Permanent(anyhow::anyhow!("malformed payload: {e}")))?;
                // Idempotent: a second delivery finds nothing left to erase.
                erase_event(&self.pool, m.event_id, envelope.correlation_id)
                    .await
                    .map_err(|e| Failure::Transient(anyhow::anyhow!("Postgres: {e}")))?;
                self.relay.notify_one();
                Ok(())
            }
            other => Err(Failure::Permanent(anyhow::anyhow!(
                "unexpected message kind {other:?}"
            ))),
        }
    }
}
