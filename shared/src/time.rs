//! Showing an instant to a person: in a named IANA time zone, unambiguous.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use crate::i18n::Lang;

const FR_DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const ES_DAYS: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// `Tuesday 15 December 2026, 14:00`, `mardi 15 décembre 2026, 14:00`,
/// `martes 15 de diciembre de 2026, 14:00`.
fn day_and_time(local: &DateTime<Tz>, lang: Lang) -> String {
    let day = local.weekday().num_days_from_monday() as usize;
    let month = local.month0() as usize;
    match lang {
        Lang::En => local.format("%A %-d %B %Y, %H:%M").to_string(),
        Lang::Fr => format!(
            "{} {} {} {}, {}",
            FR_DAYS[day],
            local.day(),
            FR_MONTHS[month],
            local.year(),
            local.format("%H:%M")
        ),
        Lang::Es => format!(
            "{} {} de {} de {}, {}",
            ES_DAYS[day],
            local.day(),
            ES_MONTHS[month],
            local.year(),
            local.format("%H:%M")
        ),
    }
}

/// `Tuesday 15 December 2026, 14:00 (Europe/Zurich, CET)`.
///
/// An unknown zone name falls back to UTC rather than failing an email.
/// The day an exchange was held, in `zone`, without the time: "15 December 2026",
/// "15 décembre 2026", "15 de diciembre de 2026"; "15 December 2026 – 16 December 2026"
/// when it ended on another day. For certificates, where the hour means nothing.
pub fn dates_in_zone_lang(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    zone: &str,
    lang: Lang,
) -> String {
    let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
    let date = |instant: DateTime<Utc>| {
        let local = instant.with_timezone(&tz);
        let month = local.month0() as usize;
        match lang {
            Lang::En => local.format("%-d %B %Y").to_string(),
            Lang::Fr => format!("{} {} {}", local.day(), FR_MONTHS[month], local.year()),
            Lang::Es => format!(
                "{} de {} de {}",
                local.day(),
                ES_MONTHS[month],
                local.year()
            ),
        }
    };
    let (first, last) = (date(starts_at), date(ends_at));
    if first == last {
        first
    } else {
        format!("{first} – {last}")
    }
}

pub fn in_zone(instant: DateTime<Utc>, zone: &str) -> String {
    in_zone_lang(instant, zone, Lang::En)
}

/// [`in_zone`] in a language.
pub fn in_zone_lang(instant: DateTime<Utc>, zone: &str, lang: Lang) -> String {
    let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
    let local = instant.with_timezone(&tz);
    format!(
        "{} ({}, {})",
        day_and_time(&local, lang),
        tz.name(),
        local.format("%Z")
    )
}

/// The start and end of an exchange on one line, in its zone:
/// `Tuesday 15 December 2026, 14:00–16:00 (Europe/Zurich, CET)`.
pub fn span_in_zone(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, zone: &str) -> String {
    span_in_zone_lang(starts_at, ends_at, zone, Lang::En)
}

/// [`span_in_zone`] in a language.
pub fn span_in_zone_lang(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    zone: &str,
    lang: Lang,
) -> String {
    let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
    let start = starts_at.with_timezone(&tz);
    let end = ends_at.with_timezone(&tz);
    if start.date_naive() == end.date_naive() {
        format!(
            "{}–{} ({}, {})",
            day_and_time(&start, lang),
            end.format("%H:%M"),
            tz.name(),
            start.format("%Z")
        )
    } else {
        format!(
            "{} – {} ({}, {})",
            day_and_time(&start, lang),
            day_and_time(&end, lang),
            tz.name(),
            start.format("%Z")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_only_in_each_language_and_across_midnight() {
        let start = "2026-12-15T13:00:00Z".parse().unwrap();
        let end = "2026-12-15T15:00:00Z".parse().unwrap();
        assert_eq!(
            dates_in_zone_lang(start, end, "Europe/Zurich", Lang::En),
            "15 December 2026"
        );
        assert_eq!(
            dates_in_zone_lang(start, end, "Europe/Zurich", Lang::Fr),
            "15 décembre 2026"
        );
        assert_eq!(
            dates_in_zone_lang(start, end, "Europe/Zurich", Lang::Es),
            "15 de diciembre de 2026"
        );
        // 22:00–00:00 in Zurich ends the next day there.
        let late = "2026-12-15T21:00:00Z".parse().unwrap();
        let midnight = "2026-12-15T23:30:00Z".parse().unwrap();
        assert_eq!(
            dates_in_zone_lang(late, midnight, "Europe/Zurich", Lang::En),
            "15 December 2026 – 16 December 2026"
        );
    }

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
        assert_eq!(
            in_zone_lang(instant, "Europe/Zurich", Lang::Fr),
            "mardi 15 décembre 2026, 14:00 (Europe/Zurich, CET)"
        );
        assert_eq!(
            span_in_zone_lang(instant, end, "Europe/Madrid", Lang::Es),
            "martes 15 de diciembre de 2026, 14:00–16:00 (Europe/Madrid, CET)"
        );
    }
}
