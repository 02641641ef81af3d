//! A participant cancels their registration from their manage link.

use convene_shared::messages::{Envelope, RegistrationCancelled};
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

use super::hash_token;
use crate::store::{events, registrations};

/// How a cancellation ended.
pub enum Cancelled {
    /// Cancelled now; the others are told.
    Now,
    /// It was already cancelled: nothing changes (cancelling is idempotent).
    Already,
    /// No registration has this token.
    UnknownToken,
}

/// Cancels the registration behind `token` and announces it (`registration.cancelled`).
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn cancel(pool: &PgPool, token: &str, correlation_id: Uuid) -> sqlx::Result<Cancelled> {
    let mut tx = pool.begin().await?;
    // Lock the exchange, then the registration: the order every path takes.
    let Some(found) = registrations::find_by_token(&mut tx, &hash_token(token)).await? else {
        return Ok(Cancelled::UnknownToken);
    };
    let Some(event) = events::find_by_id(&mut tx, found.event_id).await? else {
        return Ok(Cancelled::UnknownToken);
    };
    events::lock(&mut tx, event.id).await?;
    let Some(registration) =
        registrations::find_by_token_for_update(&mut tx, &hash_token(token)).await?
    else {
        return Ok(Cancelled::UnknownToken);
    };
    if matches!(
        registration.status.as_str(),
        "cancelled" | "rejected" | "expired" | "lapsed"
    ) {
        return Ok(Cancelled::Already);
    }
    let cancelled_at = registrations::cancel(&mut tx, registration.id).await?;
    let message = RegistrationCancelled {
        registration_id: registration.id,
        event: event.snapshot(),
        cancelled_at,
    };
    outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
    // A seat it held goes to the first in line.
    if matches!(registration.status.as_str(), "confirmed" | "offered") {
        super::seats::fill_free_seats(&mut tx, &event, correlation_id).await?;
    }
    tx.commit().await?;
    tracing::info!(registration_id = %registration.id, "registration cancelled");
    Ok(Cancelled::Now)
}
