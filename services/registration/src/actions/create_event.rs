//! An organiser creates an exchange.

use convene_shared::messages::Envelope;
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::NewEvent;
use crate::store::activity;
use crate::store::events::{self, Event};

/// How creating an exchange ended.
pub enum Created {
    Event(Box<Event>),
    SlugTaken,
}

/// Stores the exchange and announces it (`event.scheduled`) so the scheduler can plan
/// its reminders; the activity log records `actor` as its creator.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn create_event(
    pool: &PgPool,
    new: &NewEvent,
    actor: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Created> {
    let mut tx = pool.begin().await?;
    let Some(event) = events::insert(&mut tx, new).await? else {
        return Ok(Created::SlugTaken);
    };
    let message = event.scheduled(Vec::new());
    outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
    activity::record(
        &mut tx,
        event.id,
        actor,
        "exchange.created",
        event.id,
        "scheduled",
    )
    .await?;
    tx.commit().await?;
    tracing::info!(event_id = %event.id, "exchange created");
    Ok(Created::Event(Box::new(event)))
}
