//! What the scheduling service learns from messages: exchanges and who registered.

use convene_shared::consumer::{Failure, Handler};
use convene_shared::messages::{
    Envelope, EventCancelled, EventScheduled, Message, ParticipantErased, RegistrationCancelled,
    RegistrationConfirmed,
};
use sqlx::PgPool;

use crate::store::{events, registrations};

/// The scheduling service's message handler. Every write is an idempotent upsert that
/// keeps the newest state, so redeliveries and reordering are harmless.
pub struct Inbox {
    pub pool: PgPool,
}

impl Handler for Inbox {
    async fn handle(&self, envelope: Envelope) -> Result<(), Failure> {
        let result = match envelope.kind.as_str() {
            EventScheduled::KIND => {
                let m: EventScheduled = payload(&envelope)?;
                events::upsert(&self.pool, &m).await
            }
            RegistrationConfirmed::KIND => {
                let m: RegistrationConfirmed = payload(&envelope)?;
                registrations::confirmed(
                    &self.pool,
                    m.registration_id,
                    m.event.event_id,
                    m.registered_at,
                )
                .await
            }
            RegistrationCancelled::KIND => {
                let m: RegistrationCancelled = payload(&envelope)?;
                registrations::cancelled(
                    &self.pool,
                    m.registration_id,
                    m.event.event_id,
                    m.cancelled_at,
                )
                .await
            }
            EventCancelled::KIND => {
                let m: EventCancelled = payload(&envelope)?;
                events::cancelled(&self.pool, &m).await
            }
            ParticipantErased::KIND => {
                let m: ParticipantErased = payload(&envelope)?;
                registrations::erased(&self.pool, &m.registration_ids, m.erased_at).await
            }
            other => {
                return Err(Failure::Permanent(anyhow::anyhow!(
                    "unexpected message kind {other:?}"
                )))
            }
        };
        result.map_err(|e| {
            // Postgres down holds the message (no retry used up); anything else is retried.
            if convene_shared::db::is_unavailable(&e) {
                Failure::Unavailable(anyhow::anyhow!("Postgres: {e}"))
            } else {
                Failure::Transient(anyhow::anyhow!("Postgres: {e}"))
            }
        })
    }
}

fn payload<M: Message>(envelope: &Envelope) -> Result<M, Failure> {
    envelope
        .payload()
        .map_err(|e| Failure::Permanent(anyhow::anyhow!("malformed {} payload: {e}", M::KIND)))
}
