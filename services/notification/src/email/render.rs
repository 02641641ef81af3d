//! Where each email's subject and text are rendered, from typed askama templates.
//!
//! Everything here is plain text; values typed by people (names, organisations, messages)
//! were validated as single lines (or text without controls) by the registration service,
//! and lettre encodes headers, so no value can add a header or a recipient.

use askama::Template;
use chrono::{DateTime, Utc};
use convene_shared::i18n::{fill, Lang, Msg};
use convene_shared::messages::{
    ConsoleSignInRequested, Contact, RegistrationLinkRenewed, RegistrationStatusChanged,
};
use convene_shared::messages::{
    CosponsorOfferDecided, CosponsorOfferReceived, DigestRegistration, EventCancelled,
    EventFollowUp, EventScheduled, EventSnapshot, OrganiserDigest, RegistrationCancelled,
    RegistrationConfirmed, ReminderDue,
};
use convene_shared::time::{span_in_zone, span_in_zone_lang};
use uuid::Uuid;

use super::Outgoing;
use crate::store::invitees::Invitee;
use crate::store::recipients::Recipient;

/// An email's texts in the recipient's language (plain text: nothing to escape).
#[derive(Debug, Clone, Copy)]
struct Tr(Lang);

impl Tr {
    fn get(self, msg: Msg) -> &'static str {
        msg.text(self.0)
    }

    fn with(self, msg: Msg, values: &[(&str, &str)]) -> String {
        fill(msg.text(self.0), values)
    }

    /// What changed, as the scheduling service names it in English (`When`, …), in the
    /// recipient's language; a label not known here stays as it is.
    fn change_label(self, label: &str) -> String {
        let msg = match label {
            "When" => Msg::ChangeWhen,
            "Location" => Msg::ChangeLocation,
            "Online link" => Msg::ChangeOnlineLink,
            "Title" => Msg::ChangeTitle,
            other => return other.to_owned(),
        };
        self.get(msg).to_owned()
    }
}

/// A recipient's stored language; English when unknown.
fn lang_of(code: Option<&str>) -> Lang {
    code.and_then(Lang::parse).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "confirmation.txt")]
struct Confirmation<'a> {
    t: Tr,
    name: &'a str,
    title: &'a str,
    when: String,
    manage_url: &'a str,
    /// The personal join link, for an online exchange.
    join_url: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "cancellation.txt")]
struct Cancellation<'a> {
    t: Tr,
    name: &'a str,
    title: &'a str,
    when: String,
}

#[derive(Template)]
#[template(path = "reminder.txt")]
struct Reminder<'a> {
    t: Tr,
    name: &'a str,
    title: &'a str,
    when: String,
    starts_in: String,
    manage_url: &'a str,
    /// The personal join link, for an online exchange.
    join_url: Option<&'a str>,
    /// The organisers' note for this reminder (empty: none).
    note: &'a str,
}

#[derive(Template)]
#[template(path = "invitation.txt")]
struct Invitation<'a> {
    t: Tr,
    name: &'a str,
    title: &'a str,
    when: String,
    register_url: &'a str,
    /// The one reminder, rather than the invitation itself.
    reminder: bool,
}

#[derive(Template)]
#[template(path = "status_changed.txt")]
struct StatusChanged<'a> {
    t: Tr,
    name: &'a str,
    title: &'a str,
    /// What happened, in one paragraph.
    paragraph: String,
    manage_url: &'a str,
}

#[derive(Template)]
#[template(path = "link_renewed.txt")]
struct LinkRenewed<'a> {
    t: Tr,
    name: &'a str,
    title: &'a str,
    when: String,
    manage_url: &'a str,
}

#[derive(Template)]
#[template(path = "event_changed.txt")]
struct EventChanged<'a> {
    t: Tr,
    name: &'a str,
    title: &'a str,
    changes: Vec<ChangeLine>,
    manage_url: &'a str,
}

/// One change as the participant reads it: times in their language and zone.
struct ChangeLine {
    label: String,
    old: String,
    new: String,
}

#[derive(Template)]
#[template(path = "event_cancelled.txt")]
struct EventCancelledMail<'a> {
    t: Tr,
    name: &'a str,
    title: &'a str,
    when: String,
}

#[derive(Template)]
#[template(path = "follow_up.txt")]
struct FollowUpMail<'a> {
    t: Tr,
    name: &'a str,
    title: &'a str,
    /// They took part: the thank-you; else the "sorry we missed you".
    attended: bool,
    /// Empty: not shared (yet).
    materials_url: &'a str,
    recording_url: &'a str,
    /// The feedback survey (their manage link + `/survey`) and when it closes, for those
    /// who attended while it is open.
    survey: Option<(String, String)>,
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
    /// Where to accept or decline it (empty in older messages).
    decide_url: &'a str,
}

/// The exchange's time in its zone and, when the participant gave another, in theirs:
/// `Tuesday 15 December 2026, 14:00–16:00 (Europe/Zurich, CET); for you: Tuesday 15
/// December 2026, 08:00–10:00 (America/Bogota, -05)`.
fn when_for(event: &EventSnapshot, participant_zone: Option<&str>, lang: Lang) -> String {
    let theirs = span_in_zone_lang(event.starts_at, event.ends_at, &event.timezone, lang);
    match participant_zone.filter(|z| !z.is_empty() && *z != event.timezone) {
        Some(zone) => fill(
            Msg::ForYou.text(lang),
            &[
                ("theirs", &theirs),
                (
                    "yours",
                    &span_in_zone_lang(event.starts_at, event.ends_at, zone, lang),
                ),
            ],
        ),
        None => theirs,
    }
}

fn when(event: &EventSnapshot) -> String {
    span_in_zone(event.starts_at, event.ends_at, &event.timezone)
}

/// The confirmation a participant receives on registering, with their join link when the
/// exchange is online.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn confirmation(
    m: &RegistrationConfirmed,
    contact: &Contact,
    manage_url: &str,
    join_url: Option<&str>,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let lang = lang_of(contact.lang.as_deref());
    let body = Confirmation {
        t: Tr(lang),
        name: &contact.name,
        title: &m.event.title,
        when: when_for(&m.event, contact.timezone.as_deref(), lang),
        manage_url,
        join_url,
    }
    .render()?;
    Ok(Outgoing {
        key: format!("confirmation:{message_id}"),
        kind: "confirmation",
        to: contact.email.clone(),
        to_name: Some(contact.name.clone()),
        reply_to: None,
        subject: Tr(lang).with(Msg::ConfirmationSubject, &[("title", &m.event.title)]),
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
    let lang = lang_of(Some(&to.lang));
    let body = Cancellation {
        t: Tr(lang),
        name: &to.name,
        title: &m.event.title,
        when: when_for(&m.event, to.timezone.as_deref(), lang),
    }
    .render()?;
    Ok(Outgoing::for_recipient(
        format!("cancellation:{message_id}"),
        "cancellation",
        to,
        Tr(lang).with(Msg::CancellationSubject, &[("title", &m.event.title)]),
        body,
    ))
}

/// One participant's reminder, with their join link when the exchange is online.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn reminder(
    m: &ReminderDue,
    to: &Recipient,
    manage_url: &str,
    join_url: Option<&str>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> askama::Result<Outgoing> {
    let lang = lang_of(Some(&to.lang));
    let starts_in = starts_in_lang(m.event.starts_at, now, lang);
    let body = Reminder {
        t: Tr(lang),
        name: &to.name,
        title: &m.event.title,
        when: when_for(&m.event, to.timezone.as_deref(), lang),
        starts_in: starts_in.clone(),
        manage_url,
        join_url,
        note: note.unwrap_or_default(),
    }
    .render()?;
    Ok(Outgoing::for_recipient(
        format!("reminder:{}:{}", to.registration_id, m.offset_minutes),
        "reminder",
        to,
        Tr(lang).with(
            Msg::ReminderSubject,
            &[("title", &m.event.title), ("starts_in", &starts_in)],
        ),
        body,
    ))
}

/// An invitation, or (`reminder`) its one reminder, with the invitee's personal link.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn invitation(
    event: &EventSnapshot,
    to: &Invitee,
    register_url: &str,
    reminder: bool,
) -> askama::Result<Outgoing> {
    let lang = lang_of(Some(&to.lang));
    let body = Invitation {
        t: Tr(lang),
        name: &to.name,
        title: &event.title,
        when: when_for(event, None, lang),
        register_url,
        reminder,
    }
    .render()?;
    let (kind, subject) = if reminder {
        ("invitation_reminder", Msg::InvitationReminderSubject)
    } else {
        ("invitation", Msg::InvitationSubject)
    };
    Ok(Outgoing {
        // One of each per invitation, whatever the redeliveries.
        key: format!("{kind}:{}", to.invitation_id),
        kind,
        to: to.email.clone(),
        to_name: Some(to.name.clone()).filter(|n| !n.is_empty()),
        reply_to: None,
        subject: Tr(lang).with(subject, &[("title", &event.title)]),
        body,
        calendar: None,
    })
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct Digest<'a> {
    organiser: &'a str,
    local_date: &'a str,
    since: String,
    base_url: &'a str,
    exchanges: Vec<DigestSection<'a>>,
}

/// One exchange of a digest, its lines ready to print.
struct DigestSection<'a> {
    title: &'a str,
    slug: &'a str,
    when: String,
    confirmed: String,
    new_total: i64,
    new_lines: Vec<String>,
    pending_total: i64,
    pending_lines: Vec<String>,
    offers_total: i64,
    offer_lines: Vec<String>,
}

/// `1 new registration` / `3 new registrations`.
fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// An organiser's daily digest, times in their zone (organisers' emails are in English).
///
/// # Errors
/// When a template fails to render (a bug).
pub fn digest(m: &OrganiserDigest) -> askama::Result<Outgoing> {
    let zone = m.timezone.as_str();
    let at = |t: DateTime<Utc>| convene_shared::time::in_zone(t, zone);
    let person = |r: &DigestRegistration| {
        format!(
            "{} ({}, {}, {}) — {}, {}",
            r.name,
            r.organisation,
            r.country,
            r.role.replace('_', " "),
            r.status,
            at(r.registered_at)
        )
    };
    let exchanges = m
        .exchanges
        .iter()
        .map(|x| DigestSection {
            title: &x.event.title,
            slug: &x.event.slug,
            when: span_in_zone(x.event.starts_at, x.event.ends_at, zone),
            confirmed: match x.capacity {
                Some(capacity) => format!("{} confirmed of {capacity} seats.", x.confirmed),
                None => format!("{} confirmed.", x.confirmed),
            },
            new_total: x.new_registrations_total,
            new_lines: x.new_registrations.iter().map(person).collect(),
            pending_total: x.pending_total,
            pending_lines: x
                .pending
                .iter()
                .map(|r| format!("{} — id {}", person(r), r.registration_id))
                .collect(),
            offers_total: x.open_offers_total,
            offer_lines: x
                .open_offers
                .iter()
                .map(|o| {
                    format!(
                        "{} ({}): {}, contact {}, received {} — id {}",
                        o.organisation,
                        o.country,
                        o.support_kind,
                        o.contact_name,
                        at(o.received_at),
                        o.offer_id
                    )
                })
                .collect(),
        })
        .collect::<Vec<_>>();
    let total = |f: fn(&DigestSection) -> i64| exchanges.iter().map(f).sum::<i64>();
    let subject = format!(
        "Convene digest: {}, {}, {}",
        count(
            total(|x| x.new_total),
            "new registration",
            "new registrations"
        ),
        count(
            total(|x| x.pending_total),
            "pending approval",
            "pending approvals"
        ),
        count(
            total(|x| x.offers_total),
            "open co-sponsorship offer",
            "open co-sponsorship offers"
        ),
    );
    let body = Digest {
        organiser: &m.organiser_email,
        local_date: &m.local_date,
        since: at(m.since),
        base_url: m.base_url.trim_end_matches('/'),
        exchanges,
    }
    .render()?;
    Ok(Outgoing {
        // One per organiser and day, whatever the redeliveries.
        key: format!(
            "digest:{}:{}",
            m.organiser_email.to_lowercase(),
            m.local_date
        ),
        kind: "digest",
        to: m.organiser_email.clone(),
        to_name: None,
        reply_to: None,
        subject,
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
        decide_url: m.decide_url.as_deref().unwrap_or_default(),
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
/// rejected, expired, unconfirmed: confirm your address by a deadline). A `lapsed`
/// registration is emailed nothing: its address may never have been the participant's.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn status_changed(
    m: &RegistrationStatusChanged,
    to: &Recipient,
    manage_url: &str,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let lang = lang_of(Some(&to.lang));
    let t = Tr(lang);
    let title = m.event.title.as_str();
    let when = when_for(&m.event, to.timezone.as_deref(), lang);
    let deadline = m
        .offer_expires_at
        .map(|d| convene_shared::time::in_zone_lang(d, &m.event.timezone, lang))
        .map(|d| t.with(Msg::StatusDeadline, &[("deadline", &d)]))
        .unwrap_or_default();
    let position = m
        .position
        .map(|p| t.with(Msg::StatusPosition, &[("n", &p.to_string())]))
        .unwrap_or_default();
    let confirm_by = m
        .confirm_by
        .map(|d| convene_shared::time::in_zone_lang(d, &m.event.timezone, lang))
        .map(|d| t.with(Msg::ConfirmDeadline, &[("deadline", &d)]))
        .unwrap_or_default();
    let values = [
        ("title", title),
        ("when", when.as_str()),
        ("position", position.as_str()),
        ("deadline", deadline.as_str()),
    ];
    let paragraph = match m.status.as_str() {
        "pending" => t.with(Msg::StatusPending, &values),
        "waitlisted" => t.with(Msg::StatusWaitlisted, &values),
        "offered" => t.with(Msg::StatusOffered, &values),
        "rejected" => t.with(Msg::StatusRejected, &values),
        "expired" => t.with(Msg::StatusExpired, &values),
        "unconfirmed" => t.with(
            Msg::StatusUnconfirmed,
            &[
                ("title", title),
                ("when", when.as_str()),
                ("deadline", confirm_by.as_str()),
            ],
        ),
        _ => String::new(),
    };
    let body = StatusChanged {
        t,
        name: &to.name,
        title,
        paragraph,
        manage_url,
    }
    .render()?;
    let subject = t.with(
        match m.status.as_str() {
            "pending" => Msg::PendingSubject,
            "waitlisted" => Msg::WaitlistedSubject,
            "offered" => Msg::OfferedSubject,
            "rejected" => Msg::RejectedSubject,
            "unconfirmed" => Msg::UnconfirmedSubject,
            _ => Msg::ExpiredSubject,
        },
        &[("title", title)],
    );
    Ok(Outgoing::for_recipient(
        format!("status_changed:{message_id}"),
        "status_changed",
        to,
        subject,
        body,
    ))
}

/// A new personal link, asked for by the participant.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn link_renewed(
    m: &RegistrationLinkRenewed,
    to: &Recipient,
    manage_url: &str,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let lang = lang_of(Some(&to.lang));
    let body = LinkRenewed {
        t: Tr(lang),
        name: &to.name,
        title: &m.event.title,
        when: when_for(&m.event, to.timezone.as_deref(), lang),
        manage_url,
    }
    .render()?;
    Ok(Outgoing::for_recipient(
        format!("link_renewed:{message_id}"),
        "link_renewed",
        to,
        Tr(lang).with(Msg::LinkRenewedSubject, &[("title", &m.event.title)]),
        body,
    ))
}

/// What changed in an exchange, for one participant.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn event_changed(
    m: &EventScheduled,
    to: &Recipient,
    manage_url: &str,
    message_id: Uuid,
) -> askama::Result<Outgoing> {
    let lang = lang_of(Some(&to.lang));
    // A time travels as instants: shown like every other time in this participant's emails.
    let time = |span: &convene_shared::messages::TimeSpan| {
        let event = EventSnapshot {
            starts_at: span.starts_at,
            ends_at: span.ends_at,
            timezone: span.timezone.clone(),
            ..m.event.clone()
        };
        when_for(&event, to.timezone.as_deref(), lang)
    };
    let changes = m
        .changes
        .iter()
        .map(|c| ChangeLine {
            label: c.label.clone(),
            old: c.old_time.as_ref().map_or_else(|| c.old.clone(), time),
            new: c.new_time.as_ref().map_or_else(|| c.new.clone(), time),
        })
        .collect();
    let body = EventChanged {
        t: Tr(lang),
        name: &to.name,
        title: &m.event.title,
        changes,
        manage_url,
    }
    .render()?;
    Ok(Outgoing::for_recipient(
        format!("event_changed:{message_id}:{}", to.registration_id),
        "event_changed",
        to,
        Tr(lang).with(Msg::EventChangedSubject, &[("title", &m.event.title)]),
        body,
    ))
}

/// An exchange is cancelled, for one participant.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn event_cancelled(m: &EventCancelled, to: &Recipient) -> askama::Result<Outgoing> {
    let lang = lang_of(Some(&to.lang));
    let body = EventCancelledMail {
        t: Tr(lang),
        name: &to.name,
        title: &m.event.title,
        when: when_for(&m.event, to.timezone.as_deref(), lang),
    }
    .render()?;
    Ok(Outgoing::for_recipient(
        format!(
            "event_cancelled:{}:{}",
            m.event.event_id, to.registration_id
        ),
        "event_cancelled",
        to,
        Tr(lang).with(Msg::EventCancelledSubject, &[("title", &m.event.title)]),
        body,
    ))
}

/// The follow-up after an exchange, for one participant: the thank-you when they
/// `attended`, else the "sorry we missed you"; both with the materials and recording
/// links the organisers shared. Sent once per participant and exchange.
///
/// # Errors
/// When a template fails to render (a bug).
pub fn follow_up(
    m: &EventFollowUp,
    to: &Recipient,
    attended: bool,
    manage_url: &str,
) -> askama::Result<Outgoing> {
    let lang = lang_of(Some(&to.lang));
    let survey = m.survey_closes_at.filter(|_| attended).map(|closes| {
        (
            format!("{manage_url}/survey"),
            convene_shared::time::in_zone_lang(closes, &m.event.timezone, lang),
        )
    });
    let body = FollowUpMail {
        t: Tr(lang),
        name: &to.name,
        title: &m.event.title,
        attended,
        materials_url: &m.materials_url,
        recording_url: &m.recording_url,
        survey,
    }
    .render()?;
    let subject = if attended {
        Msg::FollowUpAttendedSubject
    } else {
        Msg::FollowUpAbsentSubject
    };
    Ok(Outgoing::for_recipient(
        format!("follow_up:{}:{}", m.event.event_id, to.registration_id),
        "follow_up",
        to,
        Tr(lang).with(subject, &[("title", &m.event.title)]),
        body,
    ))
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

#[derive(Template)]
#[template(path = "console_sign_in.txt")]
struct ConsoleSignIn<'a> {
    sign_in_url: &'a str,
    until: String,
}

/// The one-time link to the organisers' console (organisers' emails are in English).
///
/// # Errors
/// When a template fails to render (a bug).
pub fn console_sign_in(m: &ConsoleSignInRequested, sign_in_url: &str) -> askama::Result<Outgoing> {
    let body = ConsoleSignIn {
        sign_in_url,
        until: m.expires_at.format("%Y-%m-%d %H:%M").to_string(),
    }
    .render()?;
    Ok(Outgoing {
        // One per link, whatever the redeliveries.
        key: format!("console_sign_in:{}", m.link_id),
        kind: "console_sign_in",
        to: m.email.clone(),
        to_name: None,
        reply_to: None,
        subject: "Your link to sign in to Convene".to_owned(),
        body,
        calendar: None,
    })
}

/// "in 1 day", "in 3 hours", "in 45 minutes", "now".
pub fn starts_in(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    starts_in_lang(starts_at, now, Lang::En)
}

/// [`starts_in`] in a language: "dans 3 heures", "en 45 minutos".
pub fn starts_in_lang(starts_at: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> String {
    let minutes = (starts_at - now).num_minutes();
    let count = |n: i64, one: Msg, many: Msg| {
        if n == 1 {
            one.text(lang).to_owned()
        } else {
            fill(many.text(lang), &[("n", &n.to_string())])
        }
    };
    match minutes {
        m if m <= 0 => Msg::StartsNow.text(lang).to_owned(),
        m if m < 90 => count(m, Msg::InMinute, Msg::InMinutes),
        m if m < 36 * 60 => count((m + 30) / 60, Msg::InHour, Msg::InHours),
        m => count((m + 12 * 60) / (24 * 60), Msg::InDay, Msg::InDays),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_shared::sealed::Sealed;

    fn confirmed(lang: Option<&str>) -> RegistrationConfirmed {
        RegistrationConfirmed {
            registration_id: Uuid::nil(),
            event: EventSnapshot {
                event_id: Uuid::nil(),
                slug: "atd".into(),
                title: "ATD exchange".into(),
                starts_at: "2026-12-15T13:00:00Z".parse().unwrap(),
                ends_at: "2026-12-15T15:00:00Z".parse().unwrap(),
                timezone: "Europe/Zurich".into(),
                version: 1,
                online: false,
            },
            sealed_contact: None,
            name: String::new(),
            email: String::new(),
            timezone: None,
            manage_url: Sealed::default(),
            registered_at: "2026-12-01T12:00:00Z".parse().unwrap(),
            lang: lang.map(str::to_owned),
        }
    }

    fn contact(lang: Option<&str>) -> Contact {
        Contact {
            name: "Ana".into(),
            email: "ana@example.org".into(),
            timezone: None,
            manage_url: Sealed::default(),
            lang: lang.map(str::to_owned),
            join_url: Sealed::default(),
        }
    }

    #[test]
    fn the_confirmation_is_in_the_participants_language() {
        let en = confirmation(
            &confirmed(None),
            &contact(None),
            "https://x.example/m",
            None,
            Uuid::nil(),
        )
        .unwrap();
        assert_eq!(en.subject, "Registered: ATD exchange");
        assert_eq!(
            en.body,
            "Dear Ana,\n\nYou are registered for ATD exchange.\n\nWhen: Tuesday 15 December 2026, \
             14:00–16:00 (Europe/Zurich, CET)\n\nYour personal link, to see or cancel your \
             registration (keep it to yourself):\nhttps://x.example/m\n\nWe will remind you \
             before the exchange starts.\n\nConvene, for the organisers of ATD exchange"
        );
        let fr = confirmation(
            &confirmed(Some("fr")),
            &contact(Some("fr")),
            "https://x.example/m",
            None,
            Uuid::nil(),
        )
        .unwrap();
        assert_eq!(fr.subject, "Inscription confirmée\u{a0}: ATD exchange");
        assert!(fr.body.starts_with("Bonjour Ana,"), "{}", fr.body);
        assert!(
            fr.body.contains("mardi 15 décembre 2026, 14:00–16:00"),
            "{}",
            fr.body
        );
        let es = confirmation(
            &confirmed(Some("es")),
            &contact(Some("es")),
            "https://x.example/m",
            None,
            Uuid::nil(),
        )
        .unwrap();
        assert!(
            es.body.contains("martes 15 de diciembre de 2026"),
            "{}",
            es.body
        );
        let other = confirmation(
            &confirmed(Some("de")),
            &contact(Some("de")),
            "https://x.example/m",
            None,
            Uuid::nil(),
        )
        .unwrap();
        assert_eq!(other.body, en.body);
    }

    #[test]
    fn an_online_exchanges_emails_carry_the_join_link() {
        let join = "https://x.example/j/secret";
        let en = confirmation(
            &confirmed(None),
            &contact(None),
            "https://x.example/m",
            Some(join),
            Uuid::nil(),
        )
        .unwrap();
        assert!(
            en.body.contains(
                "14:00–16:00 (Europe/Zurich, CET)\n\nYour personal link to join online (it \
                 opens the meeting shortly before the start; keep it to yourself):\n\
                 https://x.example/j/secret\n\nYour personal link, to see"
            ),
            "{}",
            en.body
        );
        let m = ReminderDue {
            registration_ids: vec![Uuid::nil()],
            registration_id: None,
            event: confirmed(None).event,
            offset_minutes: 60,
        };
        let to = Recipient {
            registration_id: Uuid::nil(),
            name: "Ana".into(),
            email: "ana@example.org".into(),
            manage_url: Sealed::default(),
            status: "confirmed".into(),
            timezone: None,
            lang: "fr".into(),
            join_url: Sealed::default(),
        };
        let now = "2026-12-15T12:00:00Z".parse().unwrap();
        let with = reminder(&m, &to, "https://x.example/m", Some(join), None, now).unwrap();
        assert!(
            with.body.contains("ne le communiquez à personne)\u{a0}:\nhttps://x.example/j/secret\n\nVotre inscription"),
            "{}",
            with.body
        );
        let without = reminder(&m, &to, "https://x.example/m", None, None, now).unwrap();
        assert!(!without.body.contains("/j/"), "{}", without.body);
        assert!(
            without.body.contains("CET)\n\nVotre inscription, si vous"),
            "{}",
            without.body
        );
    }

    #[test]
    fn later_emails_use_the_recipients_language() {
        let m = RegistrationStatusChanged {
            registration_id: Uuid::nil(),
            event: confirmed(None).event,
            status: "waitlisted".into(),
            sealed_contact: None,
            contact: None,
            position: Some(2),
            offer_expires_at: None,
            confirm_by: None,
            changed_at: "2026-12-01T12:00:00Z".parse().unwrap(),
        };
        let mut to = Recipient {
            registration_id: Uuid::nil(),
            name: "Lucía".into(),
            email: "lucia@example.mx".into(),
            manage_url: Sealed::from_stored("sealed".into()),
            status: "waitlisted".into(),
            timezone: Some("America/Mexico_City".into()),
            lang: "es".into(),
            join_url: Sealed::default(),
        };
        let es = status_changed(&m, &to, "https://x.example/m", Uuid::nil()).unwrap();
        assert_eq!(es.subject, "Lista de espera: ATD exchange");
        assert!(es.body.starts_with("Estimado/a Lucía:"), "{}", es.body);
        assert!(es.body.contains("en el puesto 2"), "{}", es.body);
        assert!(
            es.body
                .contains("; para usted: martes 15 de diciembre de 2026, 07:00–09:00"),
            "{}",
            es.body
        );
        to.lang = "en".into();
        let en = status_changed(&m, &to, "https://x.example/m", Uuid::nil()).unwrap();
        assert_eq!(en.subject, "Waiting list: ATD exchange");
        assert!(
            en.body.contains(", number 2 in line. If a seat frees up"),
            "{}",
            en.body
        );
        assert!(
            en.body
                .contains("; for you: Tuesday 15 December 2026, 07:00–09:00"),
            "{}",
            en.body
        );
    }

    #[test]
    fn an_address_to_confirm_is_asked_for_by_its_deadline_in_each_language() {
        let m = RegistrationStatusChanged {
            registration_id: Uuid::nil(),
            event: confirmed(None).event,
            status: "unconfirmed".into(),
            sealed_contact: None,
            contact: None,
            position: None,
            offer_expires_at: None,
            confirm_by: Some("2026-12-03T12:00:00Z".parse().unwrap()),
            changed_at: "2026-12-01T12:00:00Z".parse().unwrap(),
        };
        let mut to = Recipient {
            registration_id: Uuid::nil(),
            name: "Ana".into(),
            email: "ana@example.org".into(),
            manage_url: Sealed::from_stored("sealed".into()),
            status: "unconfirmed".into(),
            timezone: None,
            lang: "en".into(),
            join_url: Sealed::default(),
        };
        let en = status_changed(&m, &to, "https://x.example/m", Uuid::nil()).unwrap();
        assert_eq!(
            en.subject,
            "Please confirm your registration for ATD exchange"
        );
        assert!(
            en.body
                .contains("open your personal page below by Thursday 3 December 2026"),
            "{}",
            en.body
        );
        assert!(en.body.contains("https://x.example/m"), "{}", en.body);
        for (lang, subject, deadline) in [
            (
                "fr",
                "Veuillez confirmer votre inscription à ATD exchange",
                "avant le jeudi 3 décembre 2026",
            ),
            (
                "es",
                "Confirme su inscripción a ATD exchange",
                "antes del jueves 3 de diciembre de 2026",
            ),
        ] {
            to.lang = lang.into();
            let email = status_changed(&m, &to, "https://x.example/m", Uuid::nil()).unwrap();
            assert_eq!(email.subject, subject);
            assert!(email.body.contains(deadline), "{}", email.body);
        }
    }

    #[test]
    fn starts_in_reads_naturally() {
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let at = |m: i64| now + chrono::Duration::minutes(m);
        assert_eq!(starts_in(at(60), now), "in 60 minutes");
        assert_eq!(starts_in(at(1), now), "in 1 minute");
        assert_eq!(starts_in(at(24 * 60), now), "in 24 hours");
        assert_eq!(starts_in(at(7 * 24 * 60), now), "in 7 days");
        assert_eq!(starts_in(at(-5), now), "now");
        assert_eq!(starts_in_lang(at(180), now, Lang::Fr), "dans 3 heures");
        assert_eq!(starts_in_lang(at(1), now, Lang::Es), "en 1 minuto");
    }

    #[test]
    fn a_digest_lists_what_is_new_in_the_organisers_zone_and_caps_long_lists() {
        let person = |n: usize| DigestRegistration {
            registration_id: Uuid::nil(),
            name: format!("Person {n}"),
            organisation: "Ministry".into(),
            country: "SN".into(),
            role: "government_official".into(),
            status: "pending".into(),
            registered_at: "2026-11-30T13:30:00Z".parse().unwrap(),
        };
        let m = OrganiserDigest {
            organiser_email: "lead@un.example.org".into(),
            timezone: "America/Bogota".into(),
            local_date: "2026-11-30".into(),
            since: "2026-11-29T13:00:00Z".parse().unwrap(),
            until: "2026-11-30T13:00:00Z".parse().unwrap(),
            exchanges: vec![convene_shared::messages::DigestExchange {
                event: confirmed(None).event,
                new_registrations: (0..2).map(person).collect(),
                new_registrations_total: 60,
                pending: vec![person(0)],
                pending_total: 1,
                open_offers: vec![],
                open_offers_total: 0,
                confirmed: 12,
                capacity: Some(40),
            }],
            base_url: "https://convene.example.org/".into(),
        };
        let email = digest(&m).unwrap();
        println!("{}\n\n{}", email.subject, email.body);
        assert_eq!(email.key, "digest:lead@un.example.org:2026-11-30");
        assert_eq!(
            email.subject,
            "Convene digest: 60 new registrations, 1 pending approval, 0 open co-sponsorship offers"
        );
        for expected in [
            "since Sunday 29 November 2026, 08:00 (America/Bogota, -05).",
            "12 confirmed of 40 seats.",
            "  - Person 1 (Ministry, SN, government official) — pending,",
            "  … and 58 more.",
            "Waiting for your approval (1):",
            "https://convene.example.org/api/admin/events/atd/registrations",
        ] {
            assert!(
                email.body.contains(expected),
                "{expected:?} in\n{}",
                email.body
            );
        }
        assert!(!email.body.contains("Co-sponsorship offers to decide"));
    }
}
