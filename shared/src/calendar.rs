//! Calendar entries (iCalendar, RFC 5545) for an exchange: sent with confirmations,
//! reminders and changes, and offered on the participant's page.
//!
//! The UID is the exchange's, so every update lands on the same calendar entry instead of
//! adding one; `SEQUENCE` is the exchange's version, so a calendar knows which update is
//! newer; a cancellation is `METHOD:CANCEL` with `STATUS:CANCELLED`, which removes it.
//! Times are written in UTC (`…Z`): unambiguous in every calendar, which shows them in the
//! reader's own zone; the exchange's zone is named in the description.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::messages::EventSnapshot;

/// Whether the entry is an invitation (or its update) or its withdrawal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
        }
    }
}

/// What a calendar entry needs beyond the exchange.
pub struct Entry<'a> {
    pub event: &'a EventSnapshot,
    pub method: Method,
    /// Who the entry comes from (`ORGANIZER`), e.g. the organisers' shared address.
    pub organizer: &'a str,
    /// The attendee, when the entry is personal.
    pub attendee: Option<&'a str>,
    pub description: &'a str,
    /// Where: a place, or the meeting link.
    pub location: &'a str,
    /// A link the reader can follow (their personal page).
    pub url: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// The iCalendar text of an entry.
pub fn ics(entry: &Entry<'_>) -> String {
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Convene//Peer-learning exchanges//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("METHOD:{}", entry.method.as_str()),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:convene-{}@convene", entry.event.event_id),
        format!("SEQUENCE:{}", entry.event.version.max(0)),
        format!("DTSTAMP:{}", stamp(entry.now)),
        format!("DTSTART:{}", stamp(entry.event.starts_at)),
        format!("DTEND:{}", stamp(entry.event.ends_at)),
        format!("SUMMARY:{}", escape(&entry.event.title)),
        format!("DESCRIPTION:{}", escape(entry.description)),
        format!("ORGANIZER:mailto:{}", entry.organizer),
    ];
    if let Some(attendee) = entry.attendee {
        lines.push(format!(
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:{attendee}"
        ));
    }
    if !entry.location.is_empty() {
        lines.push(format!("LOCATION:{}", escape(entry.location)));
    }
    if let Some(url) = entry.url {
        lines.push(format!("URL:{url}"));
    }
    lines.push(format!(
        "STATUS:{}",
        if entry.method == Method::Cancel {
            "CANCELLED"
        } else {
            "CONFIRMED"
        }
    ));
    lines.push("END:VEVENT".to_owned());
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// Escapes text values (backslash, semicolon, comma, newlines).
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
        .replace('\r', "")
}

/// Folds a content line at 75 octets (never inside a UTF-8 character), CRLF-terminated.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    let _ = write!(out, "\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(version: i64) -> EventSnapshot {
        EventSnapshot {
            event_id: uuid::Uuid::nil(),
            slug: "atd".into(),
            title: "Alternatives to detention; what works, and why".into(),
            starts_at: "2026-12-15T13:00:00Z".parse().unwrap(),
            ends_at: "2026-12-15T15:00:00Z".parse().unwrap(),
            timezone: "Europe/Zurich".into(),
            version,
            online: false,
        }
    }

    #[test]
    fn an_update_keeps_the_uid_and_raises_the_sequence_and_a_cancel_withdraws_it() {
        let entry = |event: &EventSnapshot, method| {
            ics(&Entry {
                event,
                method,
                organizer: "organisers@example.org",
                attendee: Some("ana@example.org"),
                description: "A long description that goes on and on, well past seventy-five octets, with é and ü",
                location: "",
                url: None,
                now: "2026-11-29T12:00:00Z".parse().unwrap(),
            })
        };
        let (first, second) = (event(1), event(2));
        let invite = entry(&first, Method::Request);
        let update = entry(&second, Method::Request);
        let cancel = entry(&second, Method::Cancel);
        let uid = |s: &str| {
            s.lines()
                .find(|l| l.starts_with("UID:"))
                .unwrap()
                .to_owned()
        };
        assert_eq!(uid(&invite), uid(&update));
        assert!(invite.contains("SEQUENCE:1") && update.contains("SEQUENCE:2"));
        assert!(invite.contains("DTSTART:20261215T130000Z"));
        assert!(invite.contains("SUMMARY:Alternatives to detention\\; what works\\, and why"));
        assert!(cancel.contains("METHOD:CANCEL") && cancel.contains("STATUS:CANCELLED"));
        assert!(
            invite.split("\r\n").all(|l| l.len() <= 75),
            "folded:\n{invite}"
        );
        assert!(invite.ends_with("END:VCALENDAR\r\n"));
    }
}
