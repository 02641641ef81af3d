//! A participant registers for an exchange.

use convene_shared::messages::{Envelope, RegistrationConfirmed};
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

use super::{manage_url, new_token};
use crate::domain::NewRegistration;
use crate::store::events::{self, Event};
use crate::store::registrations::{self, Registration};

/// How a registration attempt ended.
pub enum Registered {
    /// A new seat (or a cancelled one taken again); a confirmation email is on its way.
    New(Registration),
    /// This address already holds a registration: nothing changes, no second email.
    Existing(Registration),
    /// No seat left.
    Full,
}

/// Registers the participant and announces it (`registration.confirmed`), in one
/// transaction. Seats are counted under a lock on the exchange's row, so concurrent
/// registrations never overbook it.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn register(
    pool: &PgPool,
    event: &Event,
    new: &NewRegistration,
    public_base_url: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Registered> {
    let mut tx = pool.begin().await?;

    // 1. Hold the exchange while we count seats.
    if event.capacity.is_some() {
        events::lock(&mut tx, event.id).await?;
    }

    // 2. One registration per address: a repeat changes nothing, unless it was cancelled.
    let existing =
        registrations::find_by_email_for_update(&mut tx, event.id, new.email.as_str()).await?;
    if let Some(existing) = &existing {
        if existing.status != "cancelled" {
            return Ok(Registered::Existing(existing.clone()));
        }
    }

    // 3. Is there a seat?
    if let Some(capacity) = event.capacity {
        if events::confirmed_count(&mut tx, event.id).await? >= i64::from(capacity) {
            return Ok(Registered::Full);
        }
    }

    // 4. Store it with a fresh manage link.
    let (token, token_hash) = new_token();
    let registration = match existing {
        Some(cancelled) => {
            registrations::reconfirm(&mut tx, cancelled.id, new, &token_hash).await?
        }
        None => match registrations::insert(&mut tx, event.id, new, &token_hash).await? {
            Some(r) => r,
            // A concurrent request with the same address won the race.
            None => {
                tx.rollback().await?;
                let mut conn = pool.acquire().await?;
                let existing = registrations::find_by_email_for_update(
                    &mut conn,
                    event.id,
                    new.email.as_str(),
                )
                .await?
                .ok_or(sqlx::Error::RowNotFound)?;
                return Ok(Registered::Existing(existing));
            }
        },
    };

    // 5. Announce it, in the same transaction.
    let message = RegistrationConfirmed {
        registration_id: registration.id,
        event: event.snapshot(),
        name: new.name.as_str().to_owned(),
        email: new.email.as_str().to_owned(),
        manage_url: manage_url(public_base_url, &token),
        registered_at: registration.registered_at,
    };
    outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
    tx.commit().await?;
    tracing::info!(registration_id = %registration.id, event_id = %event.id, "registration confirmed");
    Ok(Registered::New(registration))
}
