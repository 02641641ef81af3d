//! A participant registers for an exchange.

use chrono::{DateTime, Utc};
use convene_shared::messages::{join_url_context, manage_url_context};
use convene_shared::sealed::LinkKeys;
use sqlx::PgPool;
use uuid::Uuid;

use super::seats::{announce_confirmed_to, announce_status, contact_of};
use super::{hash_token, join_url, manage_url, new_token};
use crate::domain::NewRegistration;
use crate::store::events::{self, Event};
use crate::store::invitations;
use crate::store::join_links;
use crate::store::registrations::{self, Registration};
use crate::store::seats;

/// How a registration attempt ended.
pub enum Registered {
    /// A new registration (or a cancelled one taken again): `confirmed`, `pending` the
    /// organisers' approval, or `waitlisted`; an email is on its way.
    New(Registration),
    /// This address already holds a registration: nothing changes, no second email.
    Existing(Registration),
    /// Registration opens at this time.
    NotOpenYet(DateTime<Utc>),
    /// Registration has closed (or the exchange has started, or was cancelled).
    Closed,
    /// The exchange is by invitation only and no invitation link was used.
    InvitationRequired,
    /// The invitation link is not one of this exchange's (mistyped, or erased).
    InvitationUnknown,
    /// The invitation was sent to another address: a forwarded link registers nobody else.
    InvitationForAnother,
}

/// Registers the participant and announces it, in one transaction. Under the lock on the
/// exchange's row, the registration takes a seat if one is free for its country, waits in
/// line otherwise, or waits for approval when the exchange requires it: concurrent
/// registrations never overbook.
///
/// `invitation` is the secret of the invitation link used, if any: it must be this
/// exchange's and addressed to `new.email`; an exchange by invitation only needs one.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn register(
    pool: &PgPool,
    event: &Event,
    new: &NewRegistration,
    invitation: Option<&str>,
    public_base_url: &str,
    keys: &LinkKeys,
    correlation_id: Uuid,
) -> sqlx::Result<Registered> {
    // 1. Is registration open?
    let now = Utc::now();
    if let Some(opens) = event.registration_opens_at.filter(|o| *o > now) {
        return Ok(Registered::NotOpenYet(opens));
    }
    let closes = event
        .registration_closes_at
        .unwrap_or(event.starts_at)
        .min(event.starts_at);
    if now >= closes || event.status != "scheduled" {
        return Ok(Registered::Closed);
    }

    let mut tx = pool.begin().await?;
    // 2. Whoever uses an invitation link must be its addressee.
    match invitation.filter(|t| !t.trim().is_empty()) {
        Some(token) => {
            let hash = hash_token(token.trim());
            match invitations::find_by_token(&mut tx, event.id, &hash, true).await? {
                None => return Ok(Registered::InvitationUnknown),
                Some(i) if !i.email.eq_ignore_ascii_case(new.email.as_str()) => {
                    return Ok(Registered::InvitationForAnother)
                }
                Some(_) => {}
            }
        }
        None if event.invitation_only => return Ok(Registered::InvitationRequired),
        None => {}
    }

    // 3. Hold the exchange while seats are counted and the line is read.
    let seats_counted = event.capacity.is_some() || event.country_cap.is_some();
    if seats_counted {
        events::lock(&mut tx, event.id).await?;
    }

    // 4. One registration per address: a repeat changes nothing, unless the participant
    //    cancelled or let an offer lapse. An organiser's "no" stands: registering again
    //    would put a rejected person back in the organisers' queue as often as they liked.
    let existing =
        registrations::find_by_email_for_update(&mut tx, event.id, new.email.as_str()).await?;
    if let Some(existing) = &existing {
        if !matches!(existing.status.as_str(), "cancelled" | "expired") {
            return Ok(Registered::Existing(existing.clone()));
        }
    }

    // 5. Where does it stand?
    let status = if event.requires_approval {
        "pending"
    } else if !seats_counted || seats::has_room(&mut tx, event, new.country.as_str()).await? {
        "confirmed"
    } else {
        "waitlisted"
    };

    // 6. Store it with a fresh manage link.
    let (token, token_hash) = new_token();
    let registration = match existing {
        Some(ended) => {
            let taken_again =
                registrations::reconfirm(&mut tx, ended.id, new, &token_hash, status).await?;
            // An organiser's attendance mark belonged to the registration's earlier life.
            crate::store::attendance::forget_mark(&mut tx, taken_again.id).await?;
            taken_again
        }
        None => match registrations::insert(&mut tx, event.id, new, &token_hash, status).await? {
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

    // Its own personal join link, new each time (a cancelled registration taken anew too).
    let (join_token, join_token_hash) = new_token();
    join_links::set_token(&mut tx, registration.id, &join_token_hash).await?;

    // Whoever was invited has answered (with their link or without): no reminder.
    invitations::answered(&mut tx, event.id, &registration.email, registration.id).await?;

    // 7. Announce it, in the same transaction, with the links (their only copies outside
    //    the participant's inbox travel in this first message, sealed: only the
    //    notification service can read them).
    let link = keys.seal(
        &manage_url_context(registration.id),
        &manage_url(public_base_url, &token),
    );
    let mut contact = contact_of(&registration, link);
    contact.join_url = keys.seal(
        &join_url_context(registration.id),
        &join_url(public_base_url, &join_token),
    );
    if status == "confirmed" {
        announce_confirmed_to(
            &mut tx,
            keys,
            event,
            &registration,
            &contact,
            correlation_id,
        )
        .await?;
    } else {
        let contact = contact.seal(keys, registration.id);
        announce_status(&mut tx, event, &registration, Some(contact), correlation_id).await?;
    }
    tx.commit().await?;
    tracing::info!(registration_id = %registration.id, event_id = %event.id, status, "registration received");
    Ok(Registered::New(registration))
}
