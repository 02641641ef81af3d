//! What the scheduling service learns from messages: exchanges and who registered.

use convene_shared::batch::Batcher;
use convene_shared::broker::Broker;
use convene_shared::consumer::{self, Failure, Handler};
use convene_shared::messages::{
    Envelope, EventCancelled, EventScheduled, Message, ParticipantErased, RegistrationCancelled,
    RegistrationConfirmed,
};
use convene_shared::topology;
use sqlx::PgPool;
use uuid::Uuid;

use crate::store::registrations::Confirmed;
use crate::store::{events, registrations};

/// The scheduling service's message handler. Every write is an idempotent upsert that
/// keeps the newest state, so redeliveries and reordering are harmless.
pub struct Inbox {
    pool: PgPool,
    /// For erasing a person's dead letters from `scheduling.inbox.dead`.
    broker: Broker,
    /// Confirmations, the one message every registration sends, are recorded together:
    /// those handled side by side share one statement and one commit.
    confirmations: Batcher<Confirmed, Result<(), Failure>>,
}

impl Inbox {
    /// A handler that records up to `batch` confirmations per statement (the consumer's
    /// prefetch: as many as can be handled at once).
    pub fn new(pool: PgPool, broker: Broker, batch: usize) -> Self {
        let writer = pool.clone();
        let confirmations = Batcher::spawn(batch.max(1), 1, move |batch: Vec<Confirmed>| {
            record_confirmations(writer.clone(), batch)
        });
        Self {
            pool,
            broker,
            confirmations,
        }
    }
}

/// Records a batch of confirmations in one statement. If that fails for another reason
/// than Postgres being down, one of them may be at fault: each is then tried on its own,
/// so that only its own message is retried.
async fn record_confirmations(pool: PgPool, batch: Vec<Confirmed>) -> Vec<Result<(), Failure>> {
    match registrations::confirmed(&pool, &batch).await {
        Ok(()) => batch.iter().map(|_| Ok(())).collect(),
        Err(e) if batch.len() > 1 && !convene_shared::db::is_unavailable(&e) => {
            tracing::warn!(error = %e, items = batch.len(), "recording confirmations together failed; recording each on its own");
            let mut results = Vec::with_capacity(batch.len());
            for one in &batch {
                let result = registrations::confirmed(&pool, std::slice::from_ref(one)).await;
                results.push(result.map_err(|e| Failure::database(&e)));
            }
            results
        }
        Err(e) => batch.iter().map(|_| Err(Failure::database(&e))).collect(),
    }
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
                let confirmed = Confirmed {
                    id: m.registration_id,
                    event_id: m.event.event_id,
                    at: m.registered_at,
                };
                return self
                    .confirmations
                    .submit(confirmed)
                    .await
                    .unwrap_or_else(|gone| Err(Failure::Transient(gone.into())));
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
                // A dead letter about them holds their name and address.
                let ids: Vec<String> = m.registration_ids.iter().map(Uuid::to_string).collect();
                let letters =
                    consumer::purge_dead_letters(&self.broker, topology::SCHEDULING_INBOX, &ids)
                        .await
                        .map_err(Failure::Transient)?;
                tracing::info!(letters, "dead letters erased");
                registrations::erased(&self.pool, &m.registration_ids, m.erased_at).await
            }
            other => {
                return Err(Failure::Permanent(anyhow::anyhow!(
                    "unexpected message kind {other:?}"
                )))
            }
        };
        result.map_err(|e| Failure::database(&e))
    }
}

fn payload<M: Message>(envelope: &Envelope) -> Result<M, Failure> {
    envelope
        .payload()
        .map_err(|e| Failure::Permanent(anyhow::anyhow!("malformed {} payload: {e}", M::KIND)))
}
