//! Organisers approve or reject registrations of an exchange that requires approval; a
//! participant accepts a seat offered from the waiting list; lapsed offers pass on.

use convene_shared::sealed::{LinkKeys, Sealed};
use sqlx::PgPool;
use uuid::Uuid;

use super::seats::{announce_confirmed, announce_status, fill_free_seats, move_to, place_for};
use crate::store::activity;
use crate::store::events::{self, Event};
use crate::store::registrations::{self, Registration};
use crate::store::seats;

/// What a decision did.
pub enum Decided {
    /// The registration now has this status.
    Now(Registration),
    /// It is not in a state this decision applies to (its current status).
    NotApplicable(String),
    NotFound,
}

/// What organisers decide about a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A pending registration: confirmed if a seat is free for its country, else in line.
    Approve,
    /// A pending or waitlisted registration is turned down.
    Reject,
    /// A rejected registration is looked at again: pending when the exchange requires
    /// approval, else decided as a new registration would be (a seat if one is free for its
    /// country, else in line).
    Reopen,
}

impl Decision {
    /// Whether a registration with `status` is open to this decision.
    pub fn applies_to(self, status: &str) -> bool {
        match self {
            Self::Approve => status == "pending",
            Self::Reject => matches!(status, "pending" | "waitlisted"),
            Self::Reopen => status == "rejected",
        }
    }

    /// The activity log's name for it.
    pub fn action(self) -> &'static str {
        match self {
            Self::Approve => "registration.approved",
            Self::Reject => "registration.rejected",
            Self::Reopen => "registration.reopened",
        }
    }

    /// Which registrations it applies to, for a `409`'s message.
    pub fn applies_to_text(self) -> &'static str {
        match self {
            Self::Approve => "only pending registrations can be approved",
            Self::Reject => "only pending or waitlisted registrations can be rejected",
            Self::Reopen => "only rejected registrations can be reopened",
        }
    }
}

/// Approves, rejects or reopens a registration (see [`Decision`]); pending registrations
/// hold no seat until approved. The participant is told of the new status.
/// `check` sees the exchange first (the admin token's scope). The exchange's
/// activity log records `actor` as the one who decided.
///
/// # Errors
/// When Postgres fails (nothing is written then), or what `check` returns.
pub async fn decide<E: From<sqlx::Error>>(
    pool: &PgPool,
    keys: &LinkKeys,
    id: Uuid,
    decision: Decision,
    check: impl Fn(&Event) -> Result<(), E>,
    actor: &str,
    correlation_id: Uuid,
) -> Result<Decided, E> {
    let mut tx = pool.begin().await?;
    // Lock the exchange first, then the registration: the order every path takes.
    let Some(found) = registrations::find(&mut tx, id).await? else {
        return Ok(Decided::NotFound);
    };
    let event = events::find_by_id(&mut tx, found.event_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    check(&event)?;
    events::lock(&mut tx, event.id).await?;
    let Some(registration) = registrations::find_for_update(&mut tx, id).await? else {
        return Ok(Decided::NotFound);
    };
    if !decision.applies_to(&registration.status) {
        return Ok(Decided::NotApplicable(registration.status));
    }
    let status = match decision {
        Decision::Reject => "rejected",
        // Looked at again as a new registration would be.
        Decision::Reopen => place_for(&mut tx, &event, &registration.country).await?,
        Decision::Approve => {
            if seats::has_room(&mut tx, &event, &registration.country).await? {
                "confirmed"
            } else {
                "waitlisted"
            }
        }
    };
    activity::record(&mut tx, event.id, actor, decision.action(), id, status).await?;
    let registration = move_to(&mut tx, keys, &event, id, status, correlation_id).await?;
    tx.commit().await?;
    tracing::info!(registration_id = %id, status, ?decision, "registration decided");
    Ok(Decided::Now(registration))
}

/// The participant behind `token` takes the seat held for them, if the offer stands.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn accept_offer(
    pool: &PgPool,
    keys: &LinkKeys,
    token: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Decided> {
    let mut tx = pool.begin().await?;
    let Some(found) = registrations::find_by_token(&mut tx, &super::hash_token(token)).await?
    else {
        return Ok(Decided::NotFound);
    };
    let event = events::find_by_id(&mut tx, found.event_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    events::lock(&mut tx, event.id).await?;
    let registration = registrations::find_for_update(&mut tx, found.id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let stands = registration.status == "offered"
        && registration
            .offer_expires_at
            .is_some_and(|t| t > chrono::Utc::now());
    if !stands {
        return Ok(Decided::NotApplicable(registration.status));
    }
    seats::set_status(&mut tx, registration.id, "confirmed").await?;
    let registration = registrations::find(&mut tx, registration.id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    announce_confirmed(
        &mut tx,
        keys,
        &event,
        &registration,
        Sealed::default(),
        correlation_id,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(registration_id = %registration.id, "offered seat accepted");
    Ok(Decided::Now(registration))
}

/// One sweep; returns how many offers lapsed.
///
/// # Errors
/// When Postgres fails.
pub async fn sweep_once(pool: &PgPool) -> sqlx::Result<usize> {
    let mut conn = pool.acquire().await?;
    let event_ids = seats::events_with_lapsed_offers(&mut conn).await?;
    drop(conn);
    let mut lapsed = 0;
    for event_id in event_ids {
        let mut tx = pool.begin().await?;
        let Some(event) = events::find_by_id(&mut tx, event_id).await? else {
            continue;
        };
        events::lock(&mut tx, event.id).await?;
        let correlation_id = Uuid::now_v7();
        for id in seats::expire_offers(&mut tx, event.id).await? {
            let registration = registrations::find(&mut tx, id)
                .await?
                .ok_or(sqlx::Error::RowNotFound)?;
            announce_status(&mut tx, &event, &registration, None, correlation_id).await?;
            lapsed += 1;
        }
        fill_free_seats(&mut tx, &event, correlation_id).await?;
        tx.commit().await?;
    }
    Ok(lapsed)
}
