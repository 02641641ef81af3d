//! A participant who lost their link asks for it again by email address.
//!
//! Tokens are stored hashed, so the old link cannot be sent again: each registration under
//! the address gets a new one (the old stops working) and it is emailed. The answer is the
//! same whether or not the address is registered, so the form reveals nothing; and each
//! registration gets at most one such email every few minutes.

use convene_shared::messages::{manage_url_context, Envelope, RegistrationLinkRenewed};
use convene_shared::outbox;
use convene_shared::sealed::LinkKeys;
use sqlx::PgPool;
use uuid::Uuid;

use super::{manage_url, new_token};
use crate::store::events;

/// The least time between two renewed-link emails for one registration.
const MIN_MINUTES_BETWEEN: i32 = 5;

/// Renews the links of every current registration under `email` (exchanges not yet over)
/// and announces each new link. Returns how many were renewed (for logs, never shown).
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn renew_links(
    pool: &PgPool,
    email: &str,
    public_base_url: &str,
    keys: &LinkKeys,
    correlation_id: Uuid,
) -> sqlx::Result<usize> {
    let mut tx = pool.begin().await?;
    let ids: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT r.id, r.event_id FROM registrations r JOIN events e ON e.id = r.event_id \
         WHERE lower(r.email) = lower($1) AND r.erased_at IS NULL AND e.ends_at > now() \
           AND r.status IN ('confirmed', 'waitlisted', 'offered', 'pending') \
           AND (r.link_sent_at IS NULL OR r.link_sent_at < now() - make_interval(mins => $2)) \
         FOR UPDATE OF r",
    )
    .bind(email)
    .bind(MIN_MINUTES_BETWEEN)
    .fetch_all(&mut *tx)
    .await?;
    for (id, event_id) in &ids {
        let (token, hash) = new_token();
        sqlx::query("UPDATE registrations SET token_hash = $2, link_sent_at = now() WHERE id = $1")
            .bind(id)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        let event = events::find_by_id(&mut tx, *event_id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let message = RegistrationLinkRenewed {
            registration_id: *id,
            event: event.snapshot(),
            manage_url: keys.seal(
                &manage_url_context(*id),
                &manage_url(public_base_url, &token),
            ),
        };
        outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
    }
    tx.commit().await?;
    tracing::info!(renewed = ids.len(), "links requested again");
    Ok(ids.len())
}
