//! A participant who lost their link asks for it again by email address.
//!
//! Tokens are stored hashed, so the old link cannot be sent again: each registration under
//! the address gets a new one, emailed. The new link waits beside the current one (both
//! work) until it is first opened, and only then does the old one stop: someone who knows
//! a participant's address can send them a fresh link, but cannot take their link away.
//! The answer is the same whether or not the address is registered or at its limits, so
//! the form reveals nothing; each registration gets at most one such email every few
//! minutes, and each address at most [`LINK_REQUESTS_PER_DAY`] requests that send links.

use convene_shared::messages::{manage_url_context, Envelope, RegistrationLinkRenewed};
use convene_shared::outbox;
use convene_shared::sealed::LinkKeys;
use sqlx::PgPool;
use uuid::Uuid;

use super::{manage_url, new_token};
use crate::store::{events, registrations};

/// The least time between two renewed-link emails for one registration.
const MIN_MINUTES_BETWEEN: i32 = 5;

/// How many requests that send links one address may make in any 24 hours (requests that
/// send nothing, for an unknown address or inside the minutes above, do not count).
pub const LINK_REQUESTS_PER_DAY: i64 = 5;

/// Gives every current registration under `email` (exchanges not yet over) a new link,
/// pending until it is opened, and announces each. Returns how many were renewed (for
/// logs, never shown).
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
    // One request per address at a time, so that two at once cannot both pass the limit.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('link_requests:' || lower($1), 0))")
        .bind(email)
        .execute(&mut *tx)
        .await?;
    if registrations::link_requests_today(&mut tx, email).await? >= LINK_REQUESTS_PER_DAY {
        tracing::info!("link requests for this address are at their daily limit");
        return Ok(0);
    }
    let ids: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT r.id, r.event_id FROM registrations r JOIN events e ON e.id = r.event_id \
         WHERE lower(r.email) = lower($1) AND r.erased_at IS NULL AND e.ends_at > now() \
           AND r.status IN ('confirmed', 'waitlisted', 'offered', 'pending', 'unconfirmed') \
           AND (r.link_sent_at IS NULL OR r.link_sent_at < now() - make_interval(mins => $2)) \
         FOR UPDATE OF r",
    )
    .bind(email)
    .bind(MIN_MINUTES_BETWEEN)
    .fetch_all(&mut *tx)
    .await?;
    for (id, event_id) in &ids {
        let (token, hash) = new_token();
        registrations::set_pending_link(&mut tx, *id, &hash).await?;
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
    if !ids.is_empty() {
        registrations::record_link_request(&mut tx, email).await?;
    }
    tx.commit().await?;
    tracing::info!(renewed = ids.len(), "links requested again");
    Ok(ids.len())
}
