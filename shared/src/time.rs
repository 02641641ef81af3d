//! Showing an instant to a person: in a named IANA time zone, unambiguous.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// `Tuesday 15 December 2026, 14:00 (Europe/Zurich, CET)`.
///
/// An unknown zone name falls back to UTC rather than failing an email.
pub fn in_zone(instant: DateTime<Utc>, zone: &str) -> String {
    let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
    let local = instant.with_timezone(&tz);
    format!(
        "{} ({}, {})",
        local.format("%A %-d %B %Y, %H:%M"),
        tz.name(),
        local.format("%Z")
    )
}

/// The start and end of an exchange on one line, in its zone:
/// `Tuesday 15 December 2026, 14:00–16:00 (Europe/Zurich, CET)`.
pub fn span_in_zone(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, zone: &str) -> String {
    let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
    let start = starts_at.with_timezone(&tz);
    let end = ends_at.with_timezone(&tz);
    if start.date_naive() == end.date_naive() {
        format!(
            "{}–{} ({}, {})",
            start.format("%A %-d %B %Y, %H:%M"),
            end.format("%H:%M"),
            tz.name(),
            start.format("%Z")
        )
    } else {
        format!(
            "{} – {} ({}, {})",
            start.format("%A %-d %B %Y, %H:%M"),
            end.format("%A %-d %B %Y, %H:%M"),
            tz.name(),
            start.format("%Z")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_zone_and_converts_the_hour() {
        let instant = "2026-12-15T13:00:00Z".parse().unwrap();
        assert_eq!(
            in_zone(instant, "Europe/Zurich"),
            "Tuesday 15 December 2026, 14:00 (Europe/Zurich, CET)"
        );
        let end = "2026-12-15T15:00:00Z".parse().unwrap();
        assert_eq!(
            span_in_zone(instant, end, "America/Bogota"),
            "Tuesday 15 December 2026, 08:00–10:00 (America/Bogota, -05)"
        );
    }
}
