//! Erasing personal data: on an organiser's request for one address, or for a whole
//! exchange when its retention period ends.

use chrono::Utc;
use convene_shared::messages::{Envelope, ParticipantErased};
use convene_shared::outbox;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::store::personal_data;

/// What an erasure removed.
#[derive(Debug, serde::Serialize)]
pub struct Erased {
    pub registrations: usize,
    pub cosponsor_offers: u64,
    pub invitations: usize,
    /// 1 when the address was an organiser with stored settings.
    pub organiser_settings: u64,
}

/// Erases everything held under `email` and tells the other services to drop their copies
/// (`participant.erased`), in one transaction.
///
/// # Errors
/// When Postgres fails; nothing is erased then.
pub async fn erase_person(
    pool: &PgPool,
    email: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Erased> {
    let mut tx = pool.begin().await?;
    let (registrations, offers) = personal_data::erase_by_email(&mut tx, email).await?;
    let invitations = personal_data::erase_invitations_by_email(&mut tx, email).await?;
    let organiser_settings = crate::store::digests::erase(&mut tx, email).await?;
    crate::store::console::erase(&mut tx, email).await?;
    crate::store::activity::erase_actor(&mut tx, email).await?;
    crate::store::registrations::erase_link_requests(&mut tx, email).await?;
    announce(&mut tx, &registrations, &invitations, correlation_id).await?;
    tx.commit().await?;
    tracing::info!(
        registrations = registrations.len(),
        offers,
        invitations = invitations.len(),
        "personal data erased on request"
    );
    Ok(Erased {
        registrations: registrations.len(),
        cosponsor_offers: offers,
        invitations: invitations.len(),
        organiser_settings,
    })
}

/// Erases the personal data of everyone registered for one exchange.
///
/// # Errors
/// When Postgres fails; nothing is erased then.
pub async fn erase_event(
    pool: &PgPool,
    event_id: Uuid,
    correlation_id: Uuid,
) -> sqlx::Result<usize> {
    let mut tx = pool.begin().await?;
    let registrations = personal_data::erase_by_event(&mut tx, event_id).await?;
    let invitations = personal_data::erase_invitations_by_event(&mut tx, event_id).await?;
    announce(&mut tx, &registrations, &invitations, correlation_id).await?;
    tx.commit().await?;
    tracing::info!(%event_id, registrations = registrations.len(), "retention period over: personal data erased");
    Ok(registrations.len())
}

async fn announce(
    tx: &mut PgConnection,
    registrations: &[Uuid],
    invitations: &[Uuid],
    correlation_id: Uuid,
) -> sqlx::Result<()> {
    // Large exchanges are announced in slices, to keep each message small.
    for chunk in registrations.chunks(1000) {
        let message = ParticipantErased {
            registration_ids: chunk.to_vec(),
            invitation_ids: Vec::new(),
            erased_at: Utc::now(),
        };
        outbox::enqueue(tx, &Envelope::new(&message, correlation_id)).await?;
    }
    for chunk in invitations.chunks(1000) {
        let message = ParticipantErased {
            registration_ids: Vec::new(),
            invitation_ids: chunk.to_vec(),
            erased_at: Utc::now(),
        };
        outbox::enqueue(tx, &Envelope::new(&message, correlation_id)).await?;
    }
    Ok(())
}
