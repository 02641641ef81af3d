//! The follow-up after an exchange: when the scheduling service says it is due
//! (`event.follow_up_due`), this service, which knows who took part, composes it once
//! (`event.follow_up`, in batches of participants) for the notification service to send.

use convene_shared::messages::{Envelope, EventFollowUp};
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

use crate::store::{events, follow_up};

/// Composes the exchange's follow-up unless it was composed before; returns how many
/// messages were enqueued. A cancelled exchange, or one no longer here, is recorded and
/// gets none. Idempotent, also with concurrent deliveries: the `follow_ups` row is
/// written in the transaction that enqueues the messages.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn compose(pool: &PgPool, event_id: Uuid, correlation_id: Uuid) -> sqlx::Result<usize> {
    let mut tx = pool.begin().await?;
    let Some(event) = events::find_by_id(&mut tx, event_id).await? else {
        tracing::warn!(%event_id, "follow-up due for an exchange not known here");
        return Ok(0);
    };
    let participants = if event.status == "cancelled" {
        Vec::new()
    } else {
        follow_up::participants(&mut tx, event_id).await?
    };
    if !follow_up::record(&mut tx, event_id, participants.len()).await? {
        return Ok(0); // composed before
    }
    let envelopes: Vec<Envelope> = participants
        .chunks(EventFollowUp::MAX_BATCH)
        .map(|batch| {
            Envelope::new(
                &EventFollowUp {
                    event: event.snapshot(),
                    materials_url: event.materials_url.clone(),
                    recording_url: event.recording_url.clone(),
                    survey_closes_at: Some(crate::http::survey_closes_at(&event))
                        .filter(|closes| *closes > chrono::Utc::now()),
                    participants: batch.to_vec(),
                },
                correlation_id,
            )
        })
        .collect();
    outbox::enqueue_many(&mut tx, &envelopes).await?;
    tx.commit().await?;
    tracing::info!(
        %event_id,
        participants = participants.len(),
        messages = envelopes.len(),
        "follow-up composed"
    );
    Ok(envelopes.len())
}
