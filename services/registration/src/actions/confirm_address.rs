//! A participant confirms their address by opening the link emailed to it, for exchanges
//! that ask for it (`confirm_email`). Until then the registration is `unconfirmed` and holds
//! no seat, so addresses nobody reads cannot fill an exchange; one not confirmed within
//! `EMAIL_CONFIRM_HOURS` lapses, and the address may register again.

use chrono::Utc;
use convene_shared::sealed::LinkKeys;
use sqlx::PgPool;
use uuid::Uuid;

use super::seats::{announce_status, move_to, place_for};
use crate::store::{events, registrations};

/// The most registrations one transaction of the sweep lapses.
const LAPSE_BATCH: i64 = 500;

/// Confirms the address of the `unconfirmed` registration `id`: it takes its place now, as
/// it would have on registering (a free seat for its country, the waiting list, or the
/// organisers' approval), and the participant is told by email. Returns the new status, or
/// `None` when there was nothing to confirm (already confirmed, lapsed, or the exchange is
/// over or cancelled).
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn confirm_address(
    pool: &PgPool,
    keys: &LinkKeys,
    id: Uuid,
    correlation_id: Uuid,
) -> sqlx::Result<Option<&'static str>> {
    let mut tx = pool.begin().await?;
    // 1. The exchange, locked first (as registering does) while seats are counted.
    let Some(event_id) = sqlx::query_scalar::<_, Uuid>(
        "SELECT event_id FROM registrations WHERE id = $1 AND status = 'unconfirmed'",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    events::lock(&mut tx, event_id).await?;
    let Some(event) = events::find_by_id(&mut tx, event_id).await? else {
        return Ok(None);
    };
    if event.status != "scheduled" || event.starts_at <= Utc::now() {
        return Ok(None);
    }

    // 2. Still waiting, and in time? (Another tab may have confirmed it a moment ago.)
    let Some(registration) = registrations::unconfirmed_for_update(&mut tx, id).await? else {
        return Ok(None);
    };

    // 3. It takes its place now, as it would have on registering, and the participant is
    //    told (the notification service has the contact and links from the first message).
    let status = place_for(&mut tx, &event, &registration.country).await?;
    let registration = move_to(
        &mut tx,
        keys,
        &event,
        registration.id,
        status,
        correlation_id,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(registration_id = %registration.id, event_id = %event.id, status, "address confirmed");
    Ok(Some(status))
}

/// Lapses every registration whose address was not confirmed in time, and announces each
/// (the notification service records it and emails nobody: the address may be invented).
/// Returns how many lapsed. Safe in several processes (rows are claimed with `SKIP LOCKED`).
///
/// # Errors
/// When Postgres fails.
pub async fn lapse_unconfirmed(pool: &PgPool) -> sqlx::Result<usize> {
    let mut lapsed = 0;
    loop {
        let mut tx = pool.begin().await?;
        let batch = registrations::lapse_unconfirmed(&mut tx, LAPSE_BATCH).await?;
        let correlation_id = Uuid::now_v7();
        let mut event = None;
        for registration in &batch {
            if event
                .as_ref()
                .is_none_or(|e: &events::Event| e.id != registration.event_id)
            {
                event = events::find_by_id(&mut tx, registration.event_id).await?;
            }
            if let Some(event) = &event {
                announce_status(&mut tx, event, registration, None, correlation_id).await?;
            }
        }
        tx.commit().await?;
        lapsed += batch.len();
        if batch.len() < LAPSE_BATCH as usize {
            return Ok(lapsed);
        }
    }
}
