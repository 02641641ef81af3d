//! Moving people between the waiting list and seats, and telling them. Every function runs
//! in the caller's transaction, which holds the lock on the exchange's row.

use chrono::{Duration, Utc};
use convene_shared::messages::{
    Contact, Envelope, RegistrationConfirmed, RegistrationStatusChanged,
};
use convene_shared::outbox;
use convene_shared::sealed::{LinkKeys, Sealed};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::events::Event;
use crate::store::registrations::{self, Registration};
use crate::store::seats;

/// How to reach the participant behind `registration`, with their manage link (sealed)
/// or none.
pub fn contact_of(registration: &Registration, manage_url: Sealed) -> Contact {
    Contact {
        name: registration.name.clone(),
        email: registration.email.clone(),
        timezone: registration.timezone.clone(),
        manage_url,
        lang: Some(registration.lang.clone()),
        join_url: Sealed::default(),
    }
}

/// Announces that `registration` now holds a confirmed seat, its contact sealed with
/// `keys`. `manage_url` (sealed) is given with a registration's first message only;
/// later ones leave it empty (the notification service has it).
///
/// # Errors
/// When Postgres fails.
pub async fn announce_confirmed(
    conn: &mut PgConnection,
    keys: &LinkKeys,
    event: &Event,
    registration: &Registration,
    manage_url: Sealed,
    correlation_id: Uuid,
) -> sqlx::Result<()> {
    let contact = contact_of(registration, manage_url);
    announce_confirmed_to(conn, keys, event, registration, &contact, correlation_id).await
}

/// [`announce_confirmed`] with the whole contact (a registration's first message, which
/// carries its links).
///
/// # Errors
/// When Postgres fails.
pub async fn announce_confirmed_to(
    conn: &mut PgConnection,
    keys: &LinkKeys,
    event: &Event,
    registration: &Registration,
    contact: &Contact,
    correlation_id: Uuid,
) -> sqlx::Result<()> {
    let message = RegistrationConfirmed::sealed(
        keys,
        registration.id,
        event.snapshot(),
        contact,
        registration.registered_at,
    );
    outbox::enqueue(conn, &Envelope::new(&message, correlation_id)).await
}

/// Announces a registration's new status when it holds no confirmed seat (pending,
/// waitlisted with its place in line, offered with the deadline, rejected, expired,
/// unconfirmed with its deadline, lapsed).
///
/// # Errors
/// When Postgres fails.
pub async fn announce_status(
    conn: &mut PgConnection,
    event: &Event,
    registration: &Registration,
    sealed_contact: Option<Sealed>,
    correlation_id: Uuid,
) -> sqlx::Result<()> {
    let position = if registration.status == "waitlisted" {
        seats::position(conn, event.id, registration.id).await?
    } else {
        None
    };
    let message = RegistrationStatusChanged {
        registration_id: registration.id,
        event: event.snapshot(),
        status: registration.status.clone(),
        sealed_contact,
        contact: None,
        position,
        offer_expires_at: registration.offer_expires_at,
        confirm_by: registration.confirm_by,
        changed_at: Utc::now(),
    };
    outbox::enqueue(conn, &Envelope::new(&message, correlation_id)).await
}

/// Where a registration from `country` stands when it arrives (or is looked at again): the
/// organisers' approval when the exchange requires it, else a seat if one is free for its
/// country, else the waiting list.
///
/// # Errors
/// When Postgres fails.
pub async fn place_for(
    conn: &mut PgConnection,
    event: &Event,
    country: &str,
) -> sqlx::Result<&'static str> {
    Ok(if event.requires_approval {
        "pending"
    } else if seats::has_room(conn, event, country).await? {
        "confirmed"
    } else {
        "waitlisted"
    })
}

/// Moves registration `id` to `status` and announces it: `registration.confirmed` for a
/// seat, `registration.status_changed` otherwise. Neither carries a contact: the
/// notification service has it from the registration's first message.
///
/// # Errors
/// When Postgres fails.
pub async fn move_to(
    conn: &mut PgConnection,
    keys: &LinkKeys,
    event: &Event,
    id: Uuid,
    status: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Registration> {
    seats::set_status(conn, id, status).await?;
    let registration = registrations::find(conn, id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    if status == "confirmed" {
        announce_confirmed(
            conn,
            keys,
            event,
            &registration,
            Sealed::default(),
            correlation_id,
        )
        .await?;
    } else {
        announce_status(conn, event, &registration, None, correlation_id).await?;
    }
    Ok(registration)
}

/// Offers every free seat to the first in line who fits (capacity and country cap), each
/// held for `waitlist_offer_hours`. Returns how many were offered.
///
/// # Errors
/// When Postgres fails.
pub async fn fill_free_seats(
    conn: &mut PgConnection,
    event: &Event,
    correlation_id: Uuid,
) -> sqlx::Result<usize> {
    if event.status != "scheduled" || event.starts_at <= Utc::now() {
        return Ok(0);
    }
    let mut offered = 0;
    for waiting in seats::waiting(conn, event.id).await? {
        if !seats::has_room(conn, event, &waiting.country).await? {
            // Either the exchange is full (nobody further fits) or this country is at its
            // cap (someone from elsewhere further down may fit).
            if event.capacity.is_some() && !seats::has_room(conn, event, "").await? {
                break;
            }
            continue;
        }
        let expires_at = Utc::now() + Duration::hours(i64::from(event.waitlist_offer_hours));
        seats::offer(conn, waiting.id, expires_at).await?;
        let registration = registrations::find(conn, waiting.id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        announce_status(conn, event, &registration, None, correlation_id).await?;
        offered += 1;
    }
    if offered > 0 {
        tracing::info!(event_id = %event.id, offered, "freed seats offered to the waiting list");
    }
    Ok(offered)
}
