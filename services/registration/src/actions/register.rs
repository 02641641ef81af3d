//! A participant registers for an exchange.

use chrono::{DateTime, Utc};
use convene_shared::messages::{
    join_url_context, manage_url_context, Envelope, RegistrationConfirmed,
};
use sqlx::PgPool;
use uuid::Uuid;

use super::seats::{announce_confirmed_to, announce_status, contact_of, place_for};
use super::{hash_token, join_url, manage_url, new_token};
use crate::config::Settings;
use crate::domain::NewRegistration;
use crate::store::events::{self, Event};
use crate::store::invitations;
use crate::store::join_links;
use crate::store::registrations::{self, Registration};

/// How a registration attempt ended.
pub enum Registered {
    /// A new registration (or a cancelled one taken again): `confirmed`, `pending` the
    /// organisers' approval, `waitlisted`, or `unconfirmed` until its emailed link is
    /// opened; an email is on its way.
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
/// An exchange with `confirm_email` holds the registration `unconfirmed`, without a seat,
/// until the link emailed to the address is opened (see [`super::confirm_address`]):
/// whoever types invented addresses fills nothing. An invitation link is proof enough: it
/// was emailed to that address.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn register(
    pool: &PgPool,
    event: &Event,
    new: &NewRegistration,
    invitation: Option<&str>,
    settings: &Settings,
    correlation_id: Uuid,
) -> sqlx::Result<Registered> {
    let (public_base_url, keys) = (settings.public_base_url.as_str(), &settings.link_keys);
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

    // The common case in one round trip: an exchange that counts no seats and asks nothing
    // before confirming (no approval, no invitation, no address to confirm). The general
    // path below handles an address registered before.
    let invited = invitation.filter(|t| !t.trim().is_empty());
    if invited.is_none()
        && !event.invitation_only
        && !event.requires_approval
        && !event.confirm_email
        && event.capacity.is_none()
        && event.country_cap.is_none()
    {
        if let Some(registration) =
            register_at_once(pool, event, new, settings, correlation_id).await?
        {
            return Ok(Registered::New(registration));
        }
    }

    let mut tx = pool.begin().await?;
    // 2. Whoever uses an invitation link must be its addressee.
    match invited {
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

    // 3. Hold the exchange while seats are counted and the line is read (an address yet to
    //    be confirmed counts no seat).
    let confirm_first = event.confirm_email && invited.is_none();
    let seats_counted = event.capacity.is_some() || event.country_cap.is_some();
    if seats_counted && !confirm_first {
        events::lock(&mut tx, event.id).await?;
    }

    // 4. One registration per address: a repeat changes nothing, unless the participant
    //    cancelled, let an offer lapse or never confirmed their address. An organiser's "no" stands: registering again
    //    would put a rejected person back in the organisers' queue as often as they liked.
    let existing =
        registrations::find_by_email_for_update(&mut tx, event.id, new.email.as_str()).await?;
    if let Some(existing) = &existing {
        if !matches!(existing.status.as_str(), "cancelled" | "expired" | "lapsed") {
            return Ok(Registered::Existing(existing.clone()));
        }
    }

    // 5. Where does it stand?
    let status = if confirm_first {
        "unconfirmed"
    } else if !seats_counted && !event.requires_approval {
        "confirmed" // nothing to count: spare the queries
    } else {
        place_for(&mut tx, event, new.country.as_str()).await?
    };

    // 6. Store it with a fresh manage link.
    let (token, token_hash) = new_token();
    let mut registration = match existing {
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

    if confirm_first {
        registration = registrations::await_confirmation(
            &mut tx,
            registration.id,
            settings.email_confirm_hours,
        )
        .await?;
    }

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

/// [`register`]'s common case: a new address for an exchange that counts no seats and asks
/// nothing first. The registration, its links, its invitation answered and its
/// announcement are one statement (see [`registrations::insert_confirmed_at_once`]).
/// `None`, having written nothing, when the address holds a registration already.
async fn register_at_once(
    pool: &PgPool,
    event: &Event,
    new: &NewRegistration,
    settings: &Settings,
    correlation_id: Uuid,
) -> sqlx::Result<Option<Registration>> {
    use chrono::SubsecRound as _;
    let (public_base_url, keys) = (settings.public_base_url.as_str(), &settings.link_keys);
    // As Postgres keeps it (microseconds), so the message and the row agree.
    let registered_at = Utc::now().trunc_subsecs(6);
    let registration = Registration {
        id: Uuid::now_v7(),
        event_id: event.id,
        status: "confirmed".to_owned(),
        registered_at,
        name: new.name.as_str().to_owned(),
        email: new.email.as_str().to_owned(),
        country: new.country.as_str().to_owned(),
        offer_expires_at: None,
        timezone: new.timezone.map(|tz| tz.name().to_owned()),
        lang: new.lang.code().to_owned(),
        confirm_by: None,
    };
    let (token, token_hash) = new_token();
    let (join_token, join_token_hash) = new_token();
    let mut contact = contact_of(
        &registration,
        keys.seal(
            &manage_url_context(registration.id),
            &manage_url(public_base_url, &token),
        ),
    );
    contact.join_url = keys.seal(
        &join_url_context(registration.id),
        &join_url(public_base_url, &join_token),
    );
    let message = RegistrationConfirmed::sealed(
        keys,
        registration.id,
        event.snapshot(),
        &contact,
        registered_at,
    );
    let announcement = Envelope::new(&message, correlation_id);
    let mut conn = pool.acquire().await?;
    let stored = registrations::insert_confirmed_at_once(
        &mut conn,
        &registrations::ConfirmedAtOnce {
            id: registration.id,
            event_id: event.id,
            new,
            token_hash: &token_hash,
            join_token_hash: &join_token_hash,
            registered_at,
            announcement: &announcement,
        },
    )
    .await?;
    if !stored {
        return Ok(None);
    }
    tracing::info!(registration_id = %registration.id, event_id = %event.id, status = "confirmed", "registration received");
    Ok(Some(registration))
}
