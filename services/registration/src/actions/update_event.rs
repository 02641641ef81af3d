//! An organiser changes or cancels an exchange; participants are told what changed.

use convene_shared::messages::{Envelope, EventCancelled, EventChange, TimeSpan};
use convene_shared::outbox;
use convene_shared::time::span_in_zone;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{FieldErrors, NewEvent};
use crate::store::activity;
use crate::store::events::{self, Event};

/// How a change ended.
pub enum Updated {
    Event(Box<Event>),
    NotFound,
    /// A cancelled exchange cannot be changed.
    Cancelled,
    Invalid(FieldErrors),
}

/// The exchange's current fields, as the admin API takes them.
pub fn current_fields(event: &Event) -> Map<String, Value> {
    let value = json!({
        "slug": event.slug,
        "title": event.title,
        "description": event.description,
        "starts_at": event.starts_at.to_rfc3339(),
        "ends_at": event.ends_at.to_rfc3339(),
        "timezone": event.timezone,
        "capacity": event.capacity,
        "organiser_emails": event.organiser_emails,
        "viewer_emails": event.viewer_emails,
        "topics": event.topics,
        "reminder_offsets_minutes": event.reminder_offsets_minutes,
        "location": event.location,
        "organised_by": event.organised_by,
        "online_link": event.online_link,
        "requires_approval": event.requires_approval,
        "country_cap": event.country_cap,
        "registration_opens_at": event.registration_opens_at.map(|t| t.to_rfc3339()),
        "registration_closes_at": event.registration_closes_at.map(|t| t.to_rfc3339()),
        "waitlist_offer_hours": event.waitlist_offer_hours,
        "reminder_notes": event.reminder_notes.0,
        "invitation_only": event.invitation_only,
        "meeting_url": event.meeting_url,
        "join_opens_minutes": event.join_opens_minutes,
        "confirm_email": event.confirm_email,
        "materials_url": event.materials_url,
        "recording_url": event.recording_url,
        "survey_url": event.survey_url,
        "survey_closes_days": event.survey_closes_days,
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object literal is an object"),
    }
}

/// The fields a change touched, as the admin API names them: "starts_at, ends_at", or
/// "nothing" for a change that left every field as it was.
fn changed_fields(old: &Event, new: &Event) -> String {
    let (old, new) = (current_fields(old), current_fields(new));
    let changed: Vec<&str> = new
        .iter()
        .filter(|(key, value)| old.get(*key) != Some(*value))
        .map(|(key, _)| key.as_str())
        .collect();
    if changed.is_empty() {
        "nothing".to_owned()
    } else {
        changed.join(", ")
    }
}

/// What participants must hear of, old → new, as they read it.
fn changes(old: &Event, new: &Event) -> Vec<EventChange> {
    let (old_event, new_event) = (old, new);
    let mut changes = Vec::new();
    let mut add = |label: &str, old: String, new: String| {
        if old != new {
            let times = (label == "When").then(|| {
                let span = |e: &Event| TimeSpan {
                    starts_at: e.starts_at,
                    ends_at: e.ends_at,
                    timezone: e.timezone.clone(),
                };
                (span(old_event), span(new_event))
            });
            let (old_time, new_time) = times.map_or((None, None), |(o, n)| (Some(o), Some(n)));
            changes.push(EventChange {
                label: label.to_owned(),
                old,
                new,
                old_time,
                new_time,
            });
        }
    };
    add("Title", old.title.clone(), new.title.clone());
    add(
        "When",
        span_in_zone(old.starts_at, old.ends_at, &old.timezone),
        span_in_zone(new.starts_at, new.ends_at, &new.timezone),
    );
    add("Location", old.location.clone(), new.location.clone());
    add(
        "Online link",
        old.online_link.clone(),
        new.online_link.clone(),
    );
    changes
}

/// Applies `patch` to the exchange `slug` and announces it (`event.scheduled` with what
/// changed): the scheduler moves pending reminders with it, and participants are emailed
/// the changes that concern them. The activity log records `actor` and the fields that
/// changed.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn update_event(
    pool: &PgPool,
    slug: &str,
    patch: &Map<String, Value>,
    actor: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Updated> {
    let mut tx = pool.begin().await?;
    let Some(old) = events::find_by_slug_for_update(&mut tx, slug).await? else {
        return Ok(Updated::NotFound);
    };
    if old.status == "cancelled" {
        return Ok(Updated::Cancelled);
    }
    let new = match NewEvent::from_patch(&current_fields(&old), patch, chrono::Utc::now()) {
        Ok(new) => new,
        Err(errors) => return Ok(Updated::Invalid(errors)),
    };
    let event = events::update(&mut tx, old.id, &new).await?;
    let message = event.scheduled(changes(&old, &event));
    outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
    // More seats (or a higher country cap) go to the waiting list at once.
    super::seats::fill_free_seats(&mut tx, &event, correlation_id).await?;
    let outcome = changed_fields(&old, &event);
    activity::record(
        &mut tx,
        event.id,
        actor,
        "exchange.changed",
        event.id,
        &outcome,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(event_id = %event.id, version = event.version, "exchange changed");
    Ok(Updated::Event(Box::new(event)))
}

/// Cancels the exchange and announces it (`event.cancelled`): everyone registered is told
/// and no reminder goes out after; the activity log records `actor`. Idempotent: `None`
/// when it was already cancelled (and nothing is logged).
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn cancel_event(
    pool: &PgPool,
    slug: &str,
    actor: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Option<Option<Event>>> {
    let mut tx = pool.begin().await?;
    let Some(current) = events::find_by_slug_for_update(&mut tx, slug).await? else {
        return Ok(None);
    };
    let Some(event) = events::cancel(&mut tx, current.id).await? else {
        return Ok(Some(None));
    };
    let message = EventCancelled {
        event: event.snapshot(),
        version: event.version,
    };
    outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
    activity::record(
        &mut tx,
        event.id,
        actor,
        "exchange.cancelled",
        event.id,
        "cancelled",
    )
    .await?;
    tx.commit().await?;
    tracing::info!(event_id = %event.id, "exchange cancelled");
    Ok(Some(Some(event)))
}
