//! Where each email's subject and text are rendered, from typed askama templates.
//!
//! Everything here is plain text; values typed by people (names, organisations, messages)
//! were validated as single lines (or text without controls) by the registration service,
//! and lettre encodes headers, so no value can add a header or a recipient.

use askama::Template;
use chrono::{DateTime, Utc};
use convene_shared::messages::{
    CosponsorOfferDecided, CosponsorOfferReceived, EventCancelled, EventChange, EventScheduled,
    EventSnapshot, RegistrationCancelled, RegistrationConfirmed, ReminderDue,
};
use convene_shared::messages::{RegistrationLinkRenewed, RegistrationStatusChanged};
use convene_shared::time::span_in_zone;
use uuid::Uuid;

use super::Outgoing;
use crate::store::recipients::Recipient;

#[derive(Template)]
#[template(path = "confirmation.txt")]
struct Confirmation<'a> {
    name: &'a str,
    title: &'a str,
    when: String,
    manage_url: &'a str,
}

#[derive(Template)]
#[template(path = "cancellation.txt")]
struct Cancellation<'a> {
    name: &'a str,
    title: &'a str,
    when: String,
}

#[derive(Template)]
#[template(path = "reminder.txt")]
struct Reminder<'a> {
    name: &'a str,
    title: &'a str,
    when: String,
    starts_in: String,
    manage_url: &'a str,
}

#[derive(Template)]
#[template(path = "status_changed.txt")]
struct StatusChanged<'a> {
    name: &'a str,
    title: &'a str,
    when: String,
    status: &'a str,
    position: Option<i64>,
    deadline: Option<String>,
    manage_url: &'a str,
}

#[derive(Template)]
#[template(path = "link_renewed.txt")]
struct LinkRenewed<'a> {
    name: &'a str,
    title: &'a str,
    when: String,
    manage_url: &'a str,
}

#[derive(Template)]
#[template(path = "event_changed.txt")]
struct EventChanged<'a> {
    name: &'a str,
    title: &'a str,
    changes: &'a [EventChange],
    manage_url: &'a str,
}

#[derive(Template)]
#[template(path = "event_cancelled.txt")]
struct EventCancelledMail<'a> {
    name: &'a str,
    title: &'a str,
    when: String,
}

#[derive(Template)]
#[template(path = "offer_decision.txt")]
struct OfferDecision<'a> {
    contact_name: &'a str,
    title: &'a str,
    when: String,
    organisation: &'a str,
    accepted: bool,
    note: &'a str,
}

#[derive(Template)]
#[template(path = "cosponsor_offer.txt")]
struct CosponsorOffer<'a> {
    title: &'a str,
    when: String,
    organisation: &'a str,
    country: &'a str,
    country_name: &'a str,
    support_kind: &'a str,
    contact_name: &'a str,
    contact_email: &'a str,
    message: &'a str,
}

/// The exchange's time in its zone and, when the participant gave another, in theirs:
/// `Tuesday 15 December 2026, 14:00–16:00 (Europe/Zurich, CET); for you: Tuesday 15
/// December 2026, 08:00–10:00 (America/Bogota, -05)`.
fn when_for(event: &EventSnapshot, participant_zone: Option<&str>) -> String {
    let theirs = when(event);
    match participant_zone.filter(|z| !z.is_empty() && *z != event.timezone) {
        Some(zone) => format!(
            "{theirs}; for you: {}",
            span_in_zone(event.starts_at, event.ends_at, zone)
        ),
        None => theirs,
    }
}

fn when(event: &EventSnapshot) -> String {
    span_in_zone(event.starts_at, event.ends_at, &event.timezone)
}

/// The confirmation a participant receives on registering.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn confirmation(
    m: &RegistrationConfirmed,
    manage_url: &str,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let body = Confirmation {
        name: &m.name,
        title: &m.event.title,
        when: when_for(&m.event, m.timezone.as_deref()),
        manage_url,
    }
    .render()?;
    Ok(Outgoing {
        key: format!("confirmation:{message_id}"),
        kind: "confirmation",
        to: m.email.clone(),
        to_name: Some(m.name.clone()),
        reply_to: None,
        subject: format!("Registered: {}", m.event.title),
        body,
        calendar: None,
    })
}

/// The confirmation that a registration is cancelled.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn cancellation(
    m: &RegistrationCancelled,
    to: &Recipient,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let body = Cancellation {
        name: &to.name,
        title: &m.event.title,
        when: when_for(&m.event, to.timezone.as_deref()),
    }
    .render()?;
    Ok(Outgoing {
        key: format!("cancellation:{message_id}"),
        kind: "cancellation",
        to: to.email.clone(),
        to_name: Some(to.name.clone()),
        reply_to: None,
        subject: format!("Cancelled: your registration for {}", m.event.title),
        body,
        calendar: None,
    })
}

/// One participant's reminder.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn reminder(m: &ReminderDue, to: &Recipient, now: DateTime<Utc>) -> askama::Result<Outgoing> {
    let starts_in = starts_in(m.event.starts_at, now);
    let body = Reminder {
        name: &to.name,
        title: &m.event.title,
        when: when_for(&m.event, to.timezone.as_deref()),
        starts_in: starts_in.clone(),
        manage_url: &to.manage_url,
    }
    .render()?;
    Ok(Outgoing {
        key: format!("reminder:{}:{}", m.registration_id, m.offset_minutes),
        kind: "reminder",
        to: to.email.clone(),
        to_name: Some(to.name.clone()),
        reply_to: None,
        subject: format!("Reminder: {} starts {starts_in}", m.event.title),
        body,
        calendar: None,
    })
}

/// The email every organiser receives about a co-sponsorship offer.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn cosponsor_offer(
    m: &CosponsorOfferReceived,
    organiser: &str,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let body = CosponsorOffer {
        title: &m.event.title,
        when: when(&m.event),
        organisation: &m.organisation,
        country: &m.country,
        country_name: &m.country_name,
        support_kind: &m.support_kind,
        contact_name: &m.contact_name,
        contact_email: &m.contact_email,
        message: &m.message,
    }
    .render()?;
    Ok(Outgoing {
        // Per message: an updated offer (the same organisation again) is news to organisers.
        key: format!("cosponsor_offer:{message_id}:{}", organiser.to_lowercase()),
        kind: "cosponsor_offer",
        to: organiser.to_owned(),
        to_name: None,
        reply_to: Some(m.contact_email.clone()),
        subject: format!(
            "Co-sponsorship offer: {} ({}) for {}",
            m.organisation, m.country_name, m.event.title
        ),
        body,
        calendar: None,
    })
}

/// A registration that holds no seat changed state (pending, waitlisted, offered,
/// rejected, expired).
///
/// # Errors
/// When a template fails to render (a bug).
pub fn status_changed(
    m: &RegistrationStatusChanged,
    to: &Recipient,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let deadline = m
        .offer_expires_at
        .map(|t| convene_shared::time::in_zone(t, &m.event.timezone));
    let body = StatusChanged {
        name: &to.name,
        title: &m.event.title,
        when: when_for(&m.event, to.timezone.as_deref()),
        status: &m.status,
        position: m.position,
        deadline,
        manage_url: &to.manage_url,
    }
    .render()?;
    let subject = match m.status.as_str() {
        "pending" => format!("Received: your registration for {}", m.event.title),
        "waitlisted" => format!("Waiting list: {}", m.event.title),
        "offered" => format!("A seat is free for you: {}", m.event.title),
        "rejected" => format!("Your registration for {}", m.event.title),
        _ => format!("Your held seat for {} has passed on", m.event.title),
    };
    Ok(Outgoing {
        key: format!("status_changed:{message_id}"),
        kind: "status_changed",
        to: to.email.clone(),
        to_name: Some(to.name.clone()),
        reply_to: None,
        subject,
        body,
        calendar: None,
    })
}

/// A new personal link, asked for by the participant.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn link_renewed(
    m: &RegistrationLinkRenewed,
    to: &Recipient,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let body = LinkRenewed {
        name: &to.name,
        title: &m.event.title,
        when: when_for(&m.event, to.timezone.as_deref()),
        manage_url: &m.manage_url,
    }
    .render()?;
    Ok(Outgoing {
        key: format!("link_renewed:{message_id}"),
        kind: "link_renewed",
        to: to.email.clone(),
        to_name: Some(to.name.clone()),
        reply_to: None,
        subject: format!("Your link for {}", m.event.title),
        body,
        calendar: None,
    })
}

/// What changed in an exchange, for one participant.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn event_changed(
    m: &EventScheduled,
    to: &Recipient,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let body = EventChanged {
        name: &to.name,
        title: &m.event.title,
        changes: &m.changes,
        manage_url: &to.manage_url,
    }
    .render()?;
    Ok(Outgoing {
        key: format!("event_changed:{message_id}:{}", to.registration_id),
        kind: "event_changed",
        to: to.email.clone(),
        to_name: Some(to.name.clone()),
        reply_to: None,
        subject: format!("Changed: {}", m.event.title),
        body,
        calendar: None,
    })
}

/// An exchange is cancelled, for one participant.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn event_cancelled(m: &EventCancelled, to: &Recipient) -> askama::Result<Outgoing> {
    let body = EventCancelledMail {
        name: &to.name,
        title: &m.event.title,
        when: when_for(&m.event, to.timezone.as_deref()),
    }
    .render()?;
    Ok(Outgoing {
        key: format!(
            "event_cancelled:{}:{}",
            m.event.event_id, to.registration_id
        ),
        kind: "event_cancelled",
        to: to.email.clone(),
        to_name: Some(to.name.clone()),
        reply_to: None,
        subject: format!("Cancelled: {}", m.event.title),
        body,
        calendar: None,
    })
}

/// The organisers' decision on an offer, for its contact.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn offer_decision(m: &CosponsorOfferDecided, message_id: Uuid) -> askama::Result<Outgoing> {
    let accepted = m.decision == "accepted";
    let body = OfferDecision {
        contact_name: &m.contact_name,
        title: &m.event.title,
        when: when(&m.event),
        organisation: &m.organisation,
        accepted,
        note: &m.note,
    }
    .render()?;
    Ok(Outgoing {
        key: format!("offer_decision:{message_id}"),
        kind: "offer_decision",
        to: m.contact_email.clone(),
        to_name: Some(m.contact_name.clone()),
        reply_to: None,
        subject: format!(
            "Your offer to co-sponsor {}: {}",
            m.event.title,
            if accepted { "accepted" } else { "not accepted" }
        ),
        body,
        calendar: None,
    })
}

/// "in 1 day", "in 3 hours", "in 45 minutes", "now".
pub fn starts_in(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (starts_at - now).num_minutes();
    let plural = |n: i64, unit: &str| format!("in {n} {unit}{}", if n == 1 { "" } else { "s" });
    match minutes {
        m if m <= 0 => "now".to_owned(),
        m if m < 90 => plural(m, "minute"),
        m if m < 36 * 60 => plural((m + 30) / 60, "hour"),
        m => plural((m + 12 * 60) / (24 * 60), "day"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_in_reads_naturally() {
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let at = |m: i64| now + chrono::Duration::minutes(m);
        assert_eq!(starts_in(at(60), now), "in 60 minutes");
        assert_eq!(starts_in(at(1), now), "in 1 minute");
        assert_eq!(starts_in(at(24 * 60), now), "in 24 hours");
        assert_eq!(starts_in(at(7 * 24 * 60), now), "in 7 days");
        assert_eq!(starts_in(at(-5), now), "now");
    }
}
