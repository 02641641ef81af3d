//! An exchange as an organiser creates it through the admin API.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use convene_shared::i18n::Lang;

use super::{BoundedText, Email, FieldErrors, Slug};

/// One week, one day and one hour before the start.
pub const DEFAULT_REMINDER_OFFSETS: [i32; 3] = [10080, 1440, 60];
/// The fields `POST /api/admin/events` accepts; any other is rejected, not ignored.
const FIELDS: [&str; 29] = [
    "survey_url",
    "survey_closes_days",
    "organised_by",
    "materials_url",
    "recording_url",
    "confirm_email",
    "meeting_url",
    "join_opens_minutes",
    "viewer_emails",
    "reminder_notes",
    "invitation_only",
    "requires_approval",
    "country_cap",
    "registration_opens_at",
    "registration_closes_at",
    "waitlist_offer_hours",
    "location",
    "online_link",
    "slug",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "timezone",
    "capacity",
    "organiser_emails",
    "topics",
    "reminder_offsets_minutes",
    "id",
];

/// An exchange that passed validation.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub slug: Slug,
    pub title: BoundedText,
    pub description: BoundedText,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: Tz,
    /// `None`: unlimited.
    pub capacity: Option<i32>,
    pub organiser_emails: Vec<Email>,
    /// People who may see the exchange in the organisers' console (its lists and figures)
    /// but change nothing.
    pub viewer_emails: Vec<Email>,
    pub topics: Vec<BoundedText>,
    /// Distinct, sorted from the furthest to the closest to the start.
    pub reminder_offsets_minutes: Vec<i32>,
    /// Where it is held, if anywhere physical (free text, may be empty).
    pub location: BoundedText,
    /// Who organises it, as participants read it (free text, may be empty): on its public
    /// page and on certificates of participation.
    pub organised_by: BoundedText,
    /// The meeting link for online exchanges (may be empty).
    pub online_link: BoundedText,
    /// Registrations wait as `pending` until an organiser approves them.
    pub requires_approval: bool,
    /// At most this many confirmed seats per country (`None`: no cap).
    pub country_cap: Option<i32>,
    /// Registration is open from (`None`: now) until (`None`: the start).
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    /// How long a freed seat is held for the first in line before it passes on.
    pub waitlist_offer_hours: i32,
    /// The organisers' words added to a reminder, per offset and language.
    pub reminder_notes: Vec<ReminderNote>,
    /// Only people the organisers invited can register, each with their personal link.
    pub invitation_only: bool,
    /// The private meeting link of an online exchange (empty: not online). Participants
    /// never see it: their personal join links redirect to it during the exchange.
    pub meeting_url: MeetingUrl,
    /// How many minutes before the start the join links open the meeting.
    pub join_opens_minutes: i32,
    /// A registration takes a seat only once its emailed link has been opened (within
    /// `EMAIL_CONFIRM_HOURS`): invented addresses cannot fill the exchange.
    pub confirm_email: bool,
    /// Where participants find the exchange's materials (slides, documents), told in the
    /// follow-up email after it; organisers may set it before or after the exchange.
    pub materials_url: FollowUpUrl,
    /// Where participants watch the exchange's recording, told in the follow-up email.
    pub recording_url: FollowUpUrl,
    /// An external feedback survey, used instead of Convene's own (empty: Convene's).
    pub survey_url: FollowUpUrl,
    /// How many days after the end the survey takes answers.
    pub survey_closes_days: i32,
}

/// The default of [`NewEvent::join_opens_minutes`].
pub const DEFAULT_JOIN_OPENS_MINUTES: i32 = 30;

/// An online exchange's private meeting link: empty, or an `https://` URL with a host, in
/// printable ASCII, of at most 1000 characters (a Zoom or Teams link with its passcode fits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingUrl(String);

impl MeetingUrl {
    /// Parses a meeting link as organisers give it (surrounding spaces ignored).
    ///
    /// # Errors
    /// Anything that is not empty nor an absolute `https://` URL with a host.
    pub fn parse(raw: &str) -> Result<Self, String> {
        https_url(
            raw,
            "Use the meeting's web address starting with https://, e.g. https://meet.example.org/abc, or leave it empty.",
        )
        .map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest link accepted (a Zoom or Teams link with its passcode fits).
const MAX_URL_CHARS: usize = 1000;

/// Parses a link as organisers give it (surrounding spaces ignored): empty, or an absolute
/// `https://` URL with a host, in printable ASCII, of at most [`MAX_URL_CHARS`].
///
/// # Errors
/// `problem` for anything else (or the length, when too long).
fn https_url(raw: &str, problem: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    let problem = || problem.to_owned();
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(format!(
            "Use at most {} characters (this has {}).",
            MAX_URL_CHARS,
            raw.chars().count()
        ));
    }
    let Some(rest) = raw
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .and_then(|_| raw.get(8..))
    else {
        return Err(problem());
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_ok = !host.is_empty()
        && !host.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    // Printable ASCII only: it goes into a `Location` header as it is (a meeting link
    // with other characters is given percent-encoded).
    let chars_ok = raw.chars().all(|c| c.is_ascii_graphic());
    if host_ok && chars_ok {
        Ok(raw.to_owned())
    } else {
        Err(problem())
    }
}

/// A link told to participants in the follow-up email after the exchange (its materials,
/// its recording): empty, or an `https://` URL as [`MeetingUrl`] is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpUrl(String);

impl FollowUpUrl {
    /// Parses a link as organisers give it (surrounding spaces ignored).
    ///
    /// # Errors
    /// Anything that is not empty nor an absolute `https://` URL with a host.
    pub fn parse(raw: &str) -> Result<Self, String> {
        https_url(
            raw,
            "Use a web address starting with https://, e.g. https://files.example.org/atd, or leave it empty.",
        )
        .map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Organisers' words added to one reminder (say, the meeting link or the agenda) in one
/// language; a participant gets the note in their language, else the English one.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderNote {
    /// Which reminder: one of the exchange's `reminder_offsets_minutes`.
    pub offset_minutes: i32,
    pub lang: Lang,
    pub text: BoundedText,
}

/// Parses a list of email addresses, naming the first bad one.
fn addresses(list: &[String]) -> Result<Vec<Email>, String> {
    list.iter()
        .map(|e| Email::parse(e).map_err(|m| format!("{e:?}: {m}")))
        .collect()
}

/// The longest note, in characters: an agenda fits, a document does not.
const MAX_NOTE_CHARS: usize = 2000;

/// Parses `reminder_notes`: a list of `{offset_minutes, lang, text}`, naming the bad item
/// (`reminder_notes[2].lang`). Each offset must be one of `offsets`; one note per offset
/// and language.
fn reminder_notes(
    errors: &mut FieldErrors,
    value: Option<&Value>,
    offsets: Option<&[i32]>,
) -> Option<Vec<ReminderNote>> {
    let items = match value {
        None | Some(Value::Null) => return Some(Vec::new()),
        Some(Value::Array(items)) if items.len() <= 60 => items,
        Some(_) => {
            errors.add(
                "reminder_notes",
                "Must be a list of at most 60 notes, each {\"offset_minutes\", \"lang\", \"text\"}.",
            );
            return None;
        }
    };
    let before = errors.len();
    let mut notes = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| format!("reminder_notes[{i}].{name}");
        let Some(note) = item.as_object() else {
            errors.add(&format!("reminder_notes[{i}]"), "Must be an object.");
            continue;
        };
        for key in note.keys() {
            if !["offset_minutes", "lang", "text"].contains(&key.as_str()) {
                errors.add(&field(key), "Unknown field.");
            }
        }
        let offset = match note.get("offset_minutes").and_then(Value::as_i64) {
            Some(m) if offsets.is_none_or(|o| o.iter().any(|&x| i64::from(x) == m)) => {
                Some(m as i32)
            }
            Some(_) => {
                errors.add(
                    &field("offset_minutes"),
                    "Must be one of the exchange's reminder_offsets_minutes.",
                );
                None
            }
            None => {
                errors.add(&field("offset_minutes"), "Use a whole number of minutes.");
                None
            }
        };
        let lang = match note
            .get("lang")
            .and_then(Value::as_str)
            .and_then(Lang::parse)
        {
            Some(lang) => Some(lang),
            None => {
                errors.add(&field("lang"), "Use en, fr or es.");
                None
            }
        };
        let text = match note.get("text").and_then(Value::as_str) {
            Some(t) => errors.check(
                &field("text"),
                BoundedText::parse(t, 1, MAX_NOTE_CHARS, true),
            ),
            None => {
                errors.add(&field("text"), "This field is required.");
                None
            }
        };
        if let (Some(offset_minutes), Some(lang), Some(text)) = (offset, lang, text) {
            if notes
                .iter()
                .any(|n: &ReminderNote| n.offset_minutes == offset_minutes && n.lang == lang)
            {
                errors.add(
                    &format!("reminder_notes[{i}]"),
                    "There is already a note for this reminder in this language.",
                );
            }
            notes.push(ReminderNote {
                offset_minutes,
                lang,
                text,
            });
        }
    }
    (errors.len() == before).then_some(notes)
}

impl NewEvent {
    /// Validates a JSON object, naming every bad field.
    ///
    /// # Errors
    /// Every field that is missing, of the wrong type, or breaks a rule.
    pub fn from_json(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        for key in body.keys() {
            if !FIELDS.contains(&key.as_str()) || key == "id" {
                errors.add(key, "Unknown field.");
            }
        }
        let text = |errors: &mut FieldErrors, key: &str, required: bool| -> Option<String> {
            match body.get(key) {
                Some(Value::String(s)) => Some(s.clone()),
                None | Some(Value::Null) if !required => Some(String::new()),
                None | Some(Value::Null) => {
                    errors.add(key, "This field is required.");
                    None
                }
                Some(_) => {
                    errors.add(key, "Must be a string.");
                    None
                }
            }
        };

        let slug =
            text(&mut errors, "slug", true).and_then(|s| errors.check("slug", Slug::parse(&s)));
        let title = text(&mut errors, "title", true)
            .and_then(|s| errors.check("title", BoundedText::parse(&s, 1, 200, false)));
        let description = text(&mut errors, "description", false)
            .and_then(|s| errors.check("description", BoundedText::parse(&s, 0, 10_000, true)));
        let instant = |errors: &mut FieldErrors, key: &str| {
            text(errors, key, true).and_then(|s| {
                errors.check(
                    key,
                    DateTime::parse_from_rfc3339(&s)
                        .map(|d| d.with_timezone(&Utc))
                        .map_err(|_| "Use an RFC 3339 date and time with an offset, e.g. 2026-12-15T13:00:00Z.".to_owned()),
                )
            })
        };
        let starts_at = instant(&mut errors, "starts_at");
        let ends_at = instant(&mut errors, "ends_at");
        if let Some(start) = starts_at {
            if start <= now {
                errors.add("starts_at", "Must be in the future.");
            }
        }
        if let (Some(start), Some(end)) = (starts_at, ends_at) {
            if end <= start {
                errors.add("ends_at", "Must be after starts_at.");
            }
        }
        let location = text(&mut errors, "location", false)
            .and_then(|s| errors.check("location", BoundedText::parse(&s, 0, 300, false)));
        let organised_by = text(&mut errors, "organised_by", false)
            .and_then(|s| errors.check("organised_by", BoundedText::parse(&s, 0, 300, false)));
        let online_link = text(&mut errors, "online_link", false).and_then(|s| {
            let link = errors.check("online_link", BoundedText::parse(&s, 0, 500, false))?;
            let ok = link.as_str().is_empty()
                || link.as_str().starts_with("https://")
                || link.as_str().starts_with("http://");
            if ok {
                Some(link)
            } else {
                errors.add("online_link", "Use a web address starting with https://.");
                None
            }
        });
        let meeting_url = text(&mut errors, "meeting_url", false)
            .and_then(|s| errors.check("meeting_url", MeetingUrl::parse(&s)));
        let materials_url = text(&mut errors, "materials_url", false)
            .and_then(|s| errors.check("materials_url", FollowUpUrl::parse(&s)));
        let recording_url = text(&mut errors, "recording_url", false)
            .and_then(|s| errors.check("recording_url", FollowUpUrl::parse(&s)));
        let survey_url = text(&mut errors, "survey_url", false)
            .and_then(|s| errors.check("survey_url", FollowUpUrl::parse(&s)));
        let timezone = text(&mut errors, "timezone", true).and_then(|s| {
            errors.check(
                "timezone",
                s.parse::<Tz>()
                    .map_err(|_| "Use an IANA time zone name, e.g. Europe/Zurich.".to_owned()),
            )
        });

        let capacity = match body.get("capacity") {
            None | Some(Value::Null) => Some(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(c) if (1..=1_000_000).contains(&c) => Some(Some(c as i32)),
                _ => {
                    errors.add(
                        "capacity",
                        "Use a whole number from 1 to 1000000, or null for unlimited.",
                    );
                    None
                }
            },
            Some(_) => {
                errors.add("capacity", "Use a whole number, or null for unlimited.");
                None
            }
        };

        let whole = |errors: &mut FieldErrors,
                     key: &str,
                     range: std::ops::RangeInclusive<i64>,
                     default: Option<i64>| {
            match body.get(key) {
                None | Some(Value::Null) => Some(default),
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(v) if range.contains(&v) => Some(Some(v)),
                    _ => {
                        errors.add(
                            key,
                            format!(
                                "Use a whole number from {} to {}.",
                                range.start(),
                                range.end()
                            ),
                        );
                        None
                    }
                },
                Some(_) => {
                    errors.add(key, "Use a whole number.");
                    None
                }
            }
        };
        let country_cap =
            whole(&mut errors, "country_cap", 1..=10_000, None).map(|c| c.map(|c| c as i32));
        let waitlist_offer_hours =
            whole(&mut errors, "waitlist_offer_hours", 1..=24 * 30, Some(48))
                .map(|h| h.unwrap_or(48) as i32);
        let join_opens_minutes = whole(
            &mut errors,
            "join_opens_minutes",
            0..=24 * 60,
            Some(i64::from(DEFAULT_JOIN_OPENS_MINUTES)),
        )
        .map(|m| m.map_or(DEFAULT_JOIN_OPENS_MINUTES, |m| m as i32));
        let survey_closes_days = whole(&mut errors, "survey_closes_days", 1..=90, Some(14))
            .map(|d| d.unwrap_or(14) as i32);
        let requires_approval = match body.get("requires_approval") {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                errors.add("requires_approval", "Use true or false.");
                None
            }
        };
        let optional_instant = |errors: &mut FieldErrors, key: &str| match body.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => errors.check(
                key,
                DateTime::parse_from_rfc3339(s)
                    .map(|d| Some(d.with_timezone(&Utc)))
                    .map_err(|_| {
                        "Use an RFC 3339 date and time with an offset, or null.".to_owned()
                    }),
            ),
            Some(_) => {
                errors.add(key, "Use an RFC 3339 date and time, or null.");
                None
            }
        };
        let registration_opens_at = optional_instant(&mut errors, "registration_opens_at");
        let registration_closes_at = optional_instant(&mut errors, "registration_closes_at");
        if let (Some(Some(open)), Some(Some(close))) =
            (registration_opens_at, registration_closes_at)
        {
            if close <= open {
                errors.add(
                    "registration_closes_at",
                    "Must be after registration_opens_at.",
                );
            }
        }

        let strings = |errors: &mut FieldErrors, key: &str| -> Option<Vec<String>> {
            match body.get(key) {
                None | Some(Value::Null) => Some(Vec::new()),
                Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                ),
                Some(_) => {
                    errors.add(key, "Must be a list of strings.");
                    None
                }
            }
        };
        let organiser_emails = strings(&mut errors, "organiser_emails").and_then(|list| {
            if list.is_empty() || list.len() > 20 {
                errors.add(
                    "organiser_emails",
                    "Give 1 to 20 organiser email addresses.",
                );
                return None;
            }
            errors.check("organiser_emails", addresses(&list))
        });
        let viewer_emails = strings(&mut errors, "viewer_emails").and_then(|list| {
            if list.len() > 50 {
                errors.add("viewer_emails", "Give at most 50 viewer email addresses.");
                return None;
            }
            errors.check("viewer_emails", addresses(&list))
        });
        let topics = strings(&mut errors, "topics").and_then(|list| {
            if list.len() > 20 {
                errors.add("topics", "Give at most 20 topics.");
                return None;
            }
            let parsed: Result<Vec<BoundedText>, String> = list
                .iter()
                .map(|t| BoundedText::parse(t, 1, 100, false))
                .collect();
            errors.check("topics", parsed.map_err(|m| format!("Each topic: {m}")))
        });
        let reminder_offsets_minutes = match body.get("reminder_offsets_minutes") {
            None | Some(Value::Null) => Some(DEFAULT_REMINDER_OFFSETS.to_vec()),
            Some(Value::Array(items)) => {
                let mut offsets: Vec<i32> = Vec::new();
                let mut ok = items.len() <= 10;
                for item in items {
                    match item.as_i64() {
                        Some(m) if (1..=60 * 24 * 90).contains(&m) => offsets.push(m as i32),
                        _ => ok = false,
                    }
                }
                if ok {
                    offsets.sort_unstable_by(|a, b| b.cmp(a));
                    offsets.dedup();
                    Some(offsets)
                } else {
                    errors.add(
                        "reminder_offsets_minutes",
                        "Give at most 10 whole numbers of minutes, each from 1 to 129600 (90 days).",
                    );
                    None
                }
            }
            Some(_) => {
                errors.add(
                    "reminder_offsets_minutes",
                    "Must be a list of whole numbers of minutes.",
                );
                None
            }
        };

        let reminder_notes = reminder_notes(
            &mut errors,
            body.get("reminder_notes"),
            reminder_offsets_minutes.as_deref(),
        );
        let invitation_only = match body.get("invitation_only") {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                errors.add("invitation_only", "Use true or false.");
                None
            }
        };
        let confirm_email = match body.get("confirm_email") {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                errors.add("confirm_email", "Use true or false.");
                None
            }
        };

        let event = (|| {
            Some(Self {
                slug: slug?,
                title: title?,
                description: description?,
                starts_at: starts_at?,
                ends_at: ends_at?,
                timezone: timezone?,
                capacity: capacity?,
                organiser_emails: organiser_emails?,
                viewer_emails: viewer_emails?,
                topics: topics?,
                reminder_offsets_minutes: reminder_offsets_minutes?,
                location: location?,
                organised_by: organised_by?,
                online_link: online_link?,
                requires_approval: requires_approval?,
                country_cap: country_cap?,
                registration_opens_at: registration_opens_at?,
                registration_closes_at: registration_closes_at?,
                waitlist_offer_hours: waitlist_offer_hours?,
                reminder_notes: reminder_notes?,
                invitation_only: invitation_only?,
                meeting_url: meeting_url?,
                join_opens_minutes: join_opens_minutes?,
                confirm_email: confirm_email?,
                materials_url: materials_url?,
                recording_url: recording_url?,
                survey_url: survey_url?,
                survey_closes_days: survey_closes_days?,
            })
        })();
        match event {
            Some(event) if errors.is_empty() => Ok(event),
            _ => Err(errors),
        }
    }

    /// Applies an organiser's partial change to the exchange's current fields, validating
    /// the result as a whole (an end before the new start is caught).
    ///
    /// # Errors
    /// Every bad field; the slug cannot change; unknown fields are rejected.
    pub fn from_patch(
        current: &Map<String, Value>,
        patch: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        for key in patch.keys() {
            if key == "slug" {
                errors.add("slug", "The slug cannot be changed.");
            } else if !FIELDS.contains(&key.as_str()) || key == "id" {
                errors.add(key, "Unknown field.");
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut merged = current.clone();
        merged.extend(patch.iter().map(|(k, v)| (k.clone(), v.clone())));
        // A start that is not being changed may already be past (say, correcting the link
        // during the exchange): only a new start must lie in the future.
        let now = if patch.contains_key("starts_at") {
            now
        } else {
            DateTime::<Utc>::MIN_UTC
        };
        Self::from_json(&merged, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-11-29T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_complete_event_parses_with_default_offsets() {
        let body = json!({
            "slug": "atd-2026", "title": "Alternatives to detention",
            "starts_at": "2026-12-15T13:00:00Z", "ends_at": "2026-12-15T15:00:00Z",
            "timezone": "Europe/Zurich", "capacity": null,
            "organiser_emails": ["a@un.org"], "topics": ["Case management"]
        });
        let event = NewEvent::from_json(body.as_object().unwrap(), now()).unwrap();
        assert_eq!(event.reminder_offsets_minutes, vec![10080, 1440, 60]);
        assert_eq!(event.capacity, None);
    }

    #[test]
    fn materials_and_recording_urls_are_optional_https_addresses_named_when_bad() {
        let mut body = json!({
            "slug": "atd-2026", "title": "Alternatives to detention",
            "starts_at": "2026-12-15T13:00:00Z", "ends_at": "2026-12-15T15:00:00Z",
            "timezone": "Europe/Zurich", "capacity": null,
            "organiser_emails": ["a@un.org"], "topics": ["Case management"]
        });
        let event = NewEvent::from_json(body.as_object().unwrap(), now()).unwrap();
        assert_eq!(event.materials_url.as_str(), "");
        assert_eq!(event.recording_url.as_str(), "");
        body["materials_url"] = json!(" https://files.example.org/atd ");
        body["recording_url"] = json!("https://video.example.org/atd?t=1");
        let event = NewEvent::from_json(body.as_object().unwrap(), now()).unwrap();
        assert_eq!(
            event.materials_url.as_str(),
            "https://files.example.org/atd"
        );
        assert_eq!(
            event.recording_url.as_str(),
            "https://video.example.org/atd?t=1"
        );
        body["materials_url"] = json!("http://files.example.org/atd");
        body["recording_url"] = json!(42);
        let errors = NewEvent::from_json(body.as_object().unwrap(), now()).unwrap_err();
        assert!(errors.get("materials_url").is_some(), "{errors:?}");
        assert!(errors.get("recording_url").is_some(), "{errors:?}");
    }

    #[test]
    fn a_meeting_url_must_be_an_https_address() {
        for good in [
            "",
            "https://meet.example.org/atd",
            "https://zoom.example.org/j/123?pwd=abc#x",
            "HTTPS://Meet.Example.org:8443/a",
        ] {
            assert!(MeetingUrl::parse(good).is_ok(), "{good:?} refused");
        }
        for bad in [
            "meet.example.org/atd",
            "http://meet.example.org/atd",
            "https://",
            "https:///path",
            "https://user@evil.example.org/",
            "https://meet.example.org/a b",
            "https://meet.example.org/réunion",
            "https://meet.example.org/a\nb",
            "javascript:alert(1)",
        ] {
            assert!(MeetingUrl::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(MeetingUrl::parse(&format!("https://x.org/{}", "a".repeat(1000))).is_err());
    }

    #[test]
    fn join_opens_minutes_defaults_to_30_and_is_bounded() {
        let mut body = json!({
            "slug": "atd-2026", "title": "Alternatives to detention",
            "starts_at": "2026-12-15T13:00:00Z", "ends_at": "2026-12-15T15:00:00Z",
            "timezone": "Europe/Zurich", "organiser_emails": ["a@un.org"],
            "meeting_url": "https://meet.example.org/atd"
        });
        let event = NewEvent::from_json(body.as_object().unwrap(), now()).unwrap();
        assert_eq!(event.join_opens_minutes, 30);
        assert_eq!(event.meeting_url.as_str(), "https://meet.example.org/atd");
        for bad in [json!(-1), json!(1441), json!("10")] {
            body["join_opens_minutes"] = bad;
            let errors = NewEvent::from_json(body.as_object().unwrap(), now()).unwrap_err();
            assert!(errors.get("join_opens_minutes").is_some());
        }
        body["join_opens_minutes"] = json!(0);
        body["meeting_url"] = json!("ftp://x.org");
        let errors = NewEvent::from_json(body.as_object().unwrap(), now()).unwrap_err();
        assert!(errors.get("meeting_url").is_some(), "{errors:?}");
        assert!(errors.get("join_opens_minutes").is_none());
    }

    #[test]
    fn every_bad_field_is_named() {
        let body = json!({
            "slug": "Bad Slug", "title": "", "starts_at": "2026-12-15T13:00:00Z",
            "ends_at": "2026-12-15T12:00:00Z", "timezone": "Mars/Olympus",
            "capacity": 0, "organiser_emails": ["not-an-email"], "colour": "red",
            "viewer_emails": ["also-not-an-email"]
        });
        let errors = NewEvent::from_json(body.as_object().unwrap(), now()).unwrap_err();
        for field in [
            "slug",
            "title",
            "ends_at",
            "timezone",
            "capacity",
            "organiser_emails",
            "viewer_emails",
            "colour",
        ] {
            assert!(
                errors.get(field).is_some(),
                "{field} not named in {errors:?}"
            );
        }
    }
}
