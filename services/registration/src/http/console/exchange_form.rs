//! The exchange form of the console, as typed: every field the admin API's create and
//! `PATCH` take, with times in the exchange's own time zone. It only turns the form into
//! the admin API's JSON (`NewEvent::from_json` and `update_event` validate that, as for the
//! API); what it checks itself is what the JSON cannot say: a local time that does not
//! exist or happens twice in the zone, and numbers and durations as typed.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::domain::FieldErrors;
use crate::store::events::Event;

/// How a `datetime-local` input shows a time (browsers send seconds too at times).
const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// The four times of an exchange, as the admin API names them.
const TIMES: [&str; 4] = [
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
];

/// One row of reminder notes as typed.
#[derive(Debug, Clone, Default)]
pub struct NoteInput {
    /// Which reminder, as a duration ("1d").
    pub offset: String,
    /// `en`, `fr` or `es`.
    pub lang: String,
    pub text: String,
}

/// The form's fields as typed, shown again beside their errors.
#[derive(Debug, Clone, Default)]
pub struct ExchangeInput {
    pub slug: String,
    pub title: String,
    pub description: String,
    /// The four times: `YYYY-MM-DDTHH:MM` in `timezone`.
    pub starts_at: String,
    pub ends_at: String,
    pub timezone: String,
    pub location: String,
    pub organised_by: String,
    pub online_link: String,
    /// The private meeting link participants' join links lead to.
    pub meeting_url: String,
    /// Minutes before the start from which join links open the meeting.
    pub join_opens_minutes: String,
    /// Where the materials and the recording are, told in the follow-up email.
    pub materials_url: String,
    pub recording_url: String,
    pub survey_url: String,
    pub survey_closes_days: String,
    pub capacity: String,
    pub country_cap: String,
    pub waitlist_offer_hours: String,
    pub requires_approval: bool,
    pub invitation_only: bool,
    /// Participants confirm their address before they take a seat.
    pub confirm_email: bool,
    pub registration_opens_at: String,
    pub registration_closes_at: String,
    /// Durations before the start: "7d, 1d, 1h".
    pub reminders: String,
    /// One address a line.
    pub organiser_emails: String,
    pub viewer_emails: String,
    /// One topic a line.
    pub topics: String,
    /// The exchange's notes, then empty rows to add one.
    pub notes: Vec<NoteInput>,
}

/// Empty note rows the form offers for new notes.
const SPARE_NOTES: usize = 2;

impl ExchangeInput {
    /// A new exchange's form: the default reminders, and the admin as its organiser.
    pub fn blank(organiser: &str) -> Self {
        Self {
            waitlist_offer_hours: "48".to_owned(),
            join_opens_minutes: "30".to_owned(),
            survey_closes_days: "14".to_owned(),
            reminders: "7d, 1d, 1h".to_owned(),
            organiser_emails: organiser.to_owned(),
            notes: vec![NoteInput::default(); SPARE_NOTES],
            ..Self::default()
        }
    }

    /// The exchange as it is, in its own zone.
    pub fn from_event(event: &Event) -> Self {
        let tz: Option<Tz> = event.timezone.parse().ok();
        let local = |t: DateTime<Utc>| match tz {
            Some(tz) => t.with_timezone(&tz).format(LOCAL_FORMAT).to_string(),
            None => t.format(LOCAL_FORMAT).to_string(),
        };
        let number = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_default();
        let mut notes: Vec<NoteInput> = event
            .reminder_notes
            .0
            .iter()
            .map(|n| NoteInput {
                offset: duration(n.offset_minutes),
                lang: n.lang.clone(),
                text: n.text.clone(),
            })
            .collect();
        notes.extend(std::iter::repeat_n(NoteInput::default(), SPARE_NOTES));
        Self {
            slug: event.slug.clone(),
            title: event.title.clone(),
            description: event.description.clone(),
            starts_at: local(event.starts_at),
            ends_at: local(event.ends_at),
            timezone: event.timezone.clone(),
            location: event.location.clone(),
            organised_by: event.organised_by.clone(),
            online_link: event.online_link.clone(),
            meeting_url: event.meeting_url.clone(),
            join_opens_minutes: event.join_opens_minutes.to_string(),
            materials_url: event.materials_url.clone(),
            recording_url: event.recording_url.clone(),
            survey_url: event.survey_url.clone(),
            survey_closes_days: event.survey_closes_days.to_string(),
            capacity: number(event.capacity),
            country_cap: number(event.country_cap),
            waitlist_offer_hours: event.waitlist_offer_hours.to_string(),
            requires_approval: event.requires_approval,
            invitation_only: event.invitation_only,
            confirm_email: event.confirm_email,
            registration_opens_at: event.registration_opens_at.map(local).unwrap_or_default(),
            registration_closes_at: event.registration_closes_at.map(local).unwrap_or_default(),
            reminders: event
                .reminder_offsets_minutes
                .iter()
                .map(|&m| duration(m))
                .collect::<Vec<_>>()
                .join(", "),
            organiser_emails: event.organiser_emails.join("\n"),
            viewer_emails: event.viewer_emails.join("\n"),
            topics: event.topics.join("\n"),
            notes,
        }
    }

    /// The form as sent (`name=value` pairs, note rows repeated in order) and its CSRF
    /// token.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> (String, Self) {
        let mut csrf = String::new();
        let mut input = Self::default();
        let (mut offsets, mut langs, mut texts) = (Vec::new(), Vec::new(), Vec::new());
        for (name, value) in pairs {
            let field = match name.as_str() {
                "csrf" => &mut csrf,
                "slug" => &mut input.slug,
                "title" => &mut input.title,
                "description" => &mut input.description,
                "starts_at" => &mut input.starts_at,
                "ends_at" => &mut input.ends_at,
                "timezone" => &mut input.timezone,
                "location" => &mut input.location,
                "organised_by" => &mut input.organised_by,
                "online_link" => &mut input.online_link,
                "meeting_url" => &mut input.meeting_url,
                "join_opens_minutes" => &mut input.join_opens_minutes,
                "materials_url" => &mut input.materials_url,
                "recording_url" => &mut input.recording_url,
                "survey_url" => &mut input.survey_url,
                "survey_closes_days" => &mut input.survey_closes_days,
                "capacity" => &mut input.capacity,
                "country_cap" => &mut input.country_cap,
                "waitlist_offer_hours" => &mut input.waitlist_offer_hours,
                "registration_opens_at" => &mut input.registration_opens_at,
                "registration_closes_at" => &mut input.registration_closes_at,
                "reminder_offsets" => &mut input.reminders,
                "organiser_emails" => &mut input.organiser_emails,
                "viewer_emails" => &mut input.viewer_emails,
                "topics" => &mut input.topics,
                "requires_approval" => {
                    input.requires_approval = true;
                    continue;
                }
                "invitation_only" => {
                    input.invitation_only = true;
                    continue;
                }
                "confirm_email" => {
                    input.confirm_email = true;
                    continue;
                }
                "note_offset" => {
                    offsets.push(value);
                    continue;
                }
                "note_lang" => {
                    langs.push(value);
                    continue;
                }
                "note_text" => {
                    texts.push(value);
                    continue;
                }
                _ => continue,
            };
            *field = value;
        }
        let rows = offsets.len().max(langs.len()).max(texts.len());
        let at = |list: &[String], i: usize| list.get(i).cloned().unwrap_or_default();
        input.notes = (0..rows)
            .map(|i| NoteInput {
                offset: at(&offsets, i),
                lang: at(&langs, i),
                text: at(&texts, i),
            })
            .collect();
        (csrf, input)
    }

    /// The admin API's JSON for this form (`slug` only when `creating`), and what the form
    /// itself found wrong: those fields are left out of the JSON, so the API's validation
    /// says nothing of them. Errors are keyed by the page's field ids.
    pub fn to_json(&self, creating: bool) -> (Map<String, Value>, FieldErrors) {
        let mut json = Map::new();
        let mut errors = FieldErrors::default();
        let text = |s: &str| Value::String(s.to_owned());
        if creating {
            json.insert("slug".into(), text(self.slug.trim()));
        }
        for (key, value) in [
            ("title", &self.title),
            ("description", &self.description),
            ("timezone", &self.timezone),
            ("location", &self.location),
            ("organised_by", &self.organised_by),
            ("online_link", &self.online_link),
            ("meeting_url", &self.meeting_url),
            ("materials_url", &self.materials_url),
            ("recording_url", &self.recording_url),
            ("survey_url", &self.survey_url),
        ] {
            json.insert(key.into(), text(value.trim()));
        }

        // Times, in the zone given (or, while it is not a zone, as UTC so that their order
        // is still checked; the zone's own error says what to fix).
        let tz: Option<Tz> = self.timezone.trim().parse().ok();
        for key in TIMES {
            let raw = self.time(key).trim();
            let required = matches!(key, "starts_at" | "ends_at");
            if raw.is_empty() {
                if !required {
                    json.insert(key.into(), Value::Null);
                }
                continue;
            }
            match in_zone(raw, tz) {
                Ok(at) => {
                    json.insert(key.into(), text(&at.to_rfc3339()));
                }
                Err(problem) => errors.add(key, problem),
            }
        }

        // Numbers: empty for none (or the default).
        for (key, raw, empty) in [
            ("capacity", &self.capacity, Some(Value::Null)),
            ("country_cap", &self.country_cap, Some(Value::Null)),
            ("waitlist_offer_hours", &self.waitlist_offer_hours, None),
            ("join_opens_minutes", &self.join_opens_minutes, None),
            ("survey_closes_days", &self.survey_closes_days, None),
        ] {
            let raw = raw.trim();
            if raw.is_empty() {
                if let Some(empty) = empty {
                    json.insert(key.into(), empty);
                }
                continue;
            }
            match raw.parse::<i64>() {
                Ok(n) => {
                    json.insert(key.into(), Value::from(n));
                }
                Err(_) => errors.add(key, "Use a whole number, e.g. 40."),
            }
        }
        json.insert("requires_approval".into(), self.requires_approval.into());
        json.insert("invitation_only".into(), self.invitation_only.into());
        json.insert("confirm_email".into(), self.confirm_email.into());

        // Lists, one a line.
        let lines = |raw: &str, commas: bool| -> Value {
            raw.split(|c| c == '\n' || (commas && c == ','))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| Value::String(l.to_owned()))
                .collect()
        };
        json.insert(
            "organiser_emails".into(),
            lines(&self.organiser_emails, true),
        );
        json.insert("viewer_emails".into(), lines(&self.viewer_emails, true));
        json.insert("topics".into(), lines(&self.topics, false));

        // Reminders and their notes (a row without text is no note).
        match durations(&self.reminders) {
            Ok(minutes) => {
                json.insert("reminder_offsets_minutes".into(), minutes.into());
            }
            Err(problem) => errors.add("reminder_offsets_minutes", problem),
        }
        let mut notes = Vec::new();
        for (row, note) in self.notes.iter().enumerate() {
            if note.text.trim().is_empty() && note.offset.trim().is_empty() {
                continue;
            }
            match durations(&note.offset).as_deref() {
                Ok([minutes]) => notes.push(serde_json::json!({
                    "offset_minutes": minutes,
                    "lang": note.lang,
                    "text": note.text.trim(),
                })),
                _ => errors.add(
                    &format!("note-{row}-offset"),
                    "Name one of the reminders above, e.g. 1d.",
                ),
            }
        }
        // Notes are checked against the reminders: not against the defaults when those
        // could not be read.
        if errors
            .iter()
            .all(|(k, _)| !k.starts_with("note-") && k != "reminder_offsets_minutes")
        {
            json.insert("reminder_notes".into(), Value::Array(notes));
        }
        (json, errors)
    }

    fn time(&self, key: &str) -> &str {
        match key {
            "starts_at" => &self.starts_at,
            "ends_at" => &self.ends_at,
            "registration_opens_at" => &self.registration_opens_at,
            _ => &self.registration_closes_at,
        }
    }

    /// For a change: drops the times left as they were (in an unchanged zone), so that an
    /// exchange under way can still be corrected and a time keeps its seconds.
    pub fn keep_unchanged_times(&self, current: &Self, json: &mut Map<String, Value>) {
        if self.timezone.trim() != current.timezone {
            return;
        }
        for key in TIMES {
            if self.time(key).trim() == current.time(key) {
                json.remove(key);
            }
        }
    }

    /// The page's field id for an error of the admin API's validation
    /// (`reminder_notes[1].text` → the second note row written).
    pub fn field_id(&self, key: &str) -> String {
        let Some(rest) = key.strip_prefix("reminder_notes") else {
            return key.to_owned();
        };
        let written: Vec<usize> = self
            .notes
            .iter()
            .enumerate()
            .filter(|(_, n)| !(n.text.trim().is_empty() && n.offset.trim().is_empty()))
            .map(|(row, _)| row)
            .collect();
        let index = rest
            .strip_prefix('[')
            .and_then(|r| r.split(']').next())
            .and_then(|i| i.parse::<usize>().ok());
        let row = index.and_then(|i| written.get(i)).copied().unwrap_or(0);
        let part = if rest.ends_with(".offset_minutes") {
            "offset"
        } else if rest.ends_with(".lang") {
            "lang"
        } else {
            "text"
        };
        format!("note-{row}-{part}")
    }
}

/// The admin API's message, in the form's words (its fields, not the JSON's).
pub fn in_form_words(message: &str) -> String {
    message
        .replace("registration_opens_at", "the opening of registration")
        .replace("starts_at", "the start")
        .replace("reminder_offsets_minutes", "the reminders")
        .replace(
            ", or null for unlimited",
            ", or leave it empty for no limit",
        )
        .replace("Use en, fr or es.", "Choose a language.")
}

/// A local date and time in `tz` (UTC when there is no zone yet) as an instant.
///
/// # Errors
/// When it is not a date and time, does not exist in the zone (the clocks go forward
/// over it) or happens twice (they go back over it).
fn in_zone(raw: &str, tz: Option<Tz>) -> Result<DateTime<Utc>, String> {
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .ok_or("Enter a date and time, e.g. 2026-12-15T14:00.")?;
    let Some(tz) = tz else {
        return Ok(naive.and_utc());
    };
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "{} does not exist in {tz}: the clocks go forward over it. Choose a time outside that hour.",
            naive.format("%Y-%m-%d %H:%M")
        )),
        LocalResult::Ambiguous(_, _) => Err(format!(
            "{} happens twice in {tz}: the clocks go back over it. Choose a time outside that hour.",
            naive.format("%Y-%m-%d %H:%M")
        )),
    }
}

/// Minutes as the form writes them: "7d", "1h", "90m".
fn duration(minutes: i32) -> String {
    if minutes % 1440 == 0 {
        format!("{}d", minutes / 1440)
    } else if minutes % 60 == 0 {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// "7d, 1d, 1h, 30m" (or bare minutes) as minutes; empty for none.
///
/// # Errors
/// When an item is not a whole number with `d`, `h` or `m`.
fn durations(raw: &str) -> Result<Vec<i64>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let (number, unit) = match d.char_indices().last() {
                Some((i, c)) if c.is_ascii_alphabetic() => (d[..i].trim(), c.to_ascii_lowercase()),
                _ => (d, 'm'),
            };
            let per = match unit {
                'd' => 1440,
                'h' => 60,
                'm' => 1,
                _ => 0,
            };
            match number.parse::<i64>() {
                Ok(n) if per > 0 && (0..=1_000_000).contains(&n) => Ok(n * per),
                _ => Err(
                    "Write each reminder as days, hours or minutes before the start, separated by commas, e.g. 7d, 1d, 1h, 30m."
                        .to_owned(),
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_is_converted_from_its_zone() {
        let zurich: Tz = "Europe/Zurich".parse().unwrap();
        let at = in_zone("2026-12-15T14:00", Some(zurich)).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-15T13:00:00+00:00");
    }

    #[test]
    fn a_time_the_clocks_skip_or_repeat_is_named() {
        let zurich: Tz = "Europe/Zurich".parse().unwrap();
        let gap = in_zone("2026-03-29T02:30", Some(zurich)).unwrap_err();
        assert!(gap.contains("does not exist"), "{gap}");
        let twice = in_zone("2026-10-25T02:30", Some(zurich)).unwrap_err();
        assert!(twice.contains("happens twice"), "{twice}");
    }

    #[test]
    fn reminders_read_as_days_hours_and_minutes() {
        assert_eq!(
            durations("7d, 1d,1h, 30m, 45"),
            Ok(vec![10080, 1440, 60, 30, 45])
        );
        assert_eq!(durations(" "), Ok(vec![]));
        assert!(durations("soon").is_err());
        assert_eq!(duration(10080), "7d");
        assert_eq!(duration(90), "90m");
    }

    #[test]
    fn a_note_error_points_at_the_row_written() {
        let input = ExchangeInput {
            notes: vec![
                NoteInput::default(),
                NoteInput {
                    offset: "1d".into(),
                    lang: "xx".into(),
                    text: "Agenda".into(),
                },
            ],
            ..ExchangeInput::default()
        };
        assert_eq!(input.field_id("reminder_notes[0].lang"), "note-1-lang");
        assert_eq!(input.field_id("title"), "title");
    }
}
