//! The HTML pages, one typed askama template each (escaped by default).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::events::Details;
use crate::domain::CosponsorOfferInput;
use crate::domain::RegistrationInput;
use crate::domain::{CountryCode, FieldErrors, Role, SupportKind, CONSENT_TEXT};
use crate::store::events::Event;

/// The registration form's fields in page order, with their labels.
const REGISTRATION_FIELDS: &[(&str, &str)] = &[
    ("name", "Full name"),
    ("email", "Email address"),
    ("organisation", "Organisation"),
    ("country", "Country"),
    ("role", "You take part as"),
    ("timezone", "Your time zone"),
    ("consent", "Consent"),
];

/// The co-sponsorship form's fields in page order, with their labels.
const OFFER_FIELDS: &[(&str, &str)] = &[
    ("organisation", "Organisation"),
    ("country", "Country"),
    ("contact_name", "Contact name"),
    ("contact_email", "Contact email"),
    ("support_kind", "Kind of support"),
    ("message", "Message"),
];

/// The error summary at the top of a form: in the order the fields appear, each message
/// prefixed with its field's label (a list of "This field is required." says nothing).
fn summary(errors: &FieldErrors, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .filter_map(|(field, label)| {
            errors
                .get(field)
                .map(|m| ((*field).to_owned(), format!("{label}: {m}")))
        })
        .collect()
}

/// One `<option>` of a select list.
pub struct SelectOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn countries(selected: &str) -> Vec<SelectOption> {
    let selected = selected.trim().to_ascii_uppercase();
    CountryCode::all_by_name()
        .into_iter()
        .map(|(value, label)| SelectOption {
            value,
            label,
            selected: value == selected,
        })
        .collect()
}

/// One exchange in the list of upcoming ones.
pub struct EventItem {
    pub slug: String,
    pub title: String,
    pub when: String,
    pub topics: String,
}

#[derive(Template)]
#[template(path = "events.html")]
pub struct EventsPage {
    pub events: Vec<EventItem>,
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage<'a> {
    pub event: &'a Event,
    pub when: String,
    /// Accepted co-sponsors: "Organisation (Country)".
    pub cosponsors: Vec<String>,
    /// `None`: unlimited.
    pub seats_left: Option<i64>,
    /// Why the form is not offered (not open yet, closed, cancelled); `None`: it is.
    pub closed_note: Option<String>,
    pub input: &'a RegistrationInput,
    pub errors: Vec<(String, String)>,
    pub error_name: Option<String>,
    pub error_email: Option<String>,
    pub error_organisation: Option<String>,
    pub error_country: Option<String>,
    pub error_role: Option<String>,
    pub error_consent: Option<String>,
    pub error_timezone: Option<String>,
    pub countries: Vec<SelectOption>,
    pub roles: Vec<SelectOption>,
    pub consent_checked: bool,
    pub consent_text: &'static str,
}

impl<'a> RegisterPage<'a> {
    pub fn new(
        event: &'a Event,
        details: &Details,
        input: &'a RegistrationInput,
        errors: &FieldErrors,
    ) -> Self {
        let error = |f: &str| errors.get(f).map(str::to_owned);
        Self {
            event,
            when: convene_shared::time::span_in_zone(
                event.starts_at,
                event.ends_at,
                &event.timezone,
            ),
            cosponsors: details
                .cosponsors
                .iter()
                .map(|(organisation, country)| {
                    let country = CountryCode::parse(country)
                        .map(|c| c.name())
                        .unwrap_or_default();
                    format!("{organisation} ({country})")
                })
                .collect(),
            seats_left: details.seats_left,
            closed_note: closed_note(event),
            input,
            errors: summary(errors, REGISTRATION_FIELDS),
            error_name: error("name"),
            error_email: error("email"),
            error_organisation: error("organisation"),
            error_country: error("country"),
            error_role: error("role"),
            error_consent: error("consent"),
            error_timezone: error("timezone"),
            countries: countries(&input.country),
            roles: Role::ALL
                .iter()
                .map(|r| SelectOption {
                    value: r.as_str(),
                    label: r.label(),
                    selected: r.as_str() == input.role.trim(),
                })
                .collect(),
            consent_checked: !input.consent.is_empty(),
            consent_text: CONSENT_TEXT,
        }
    }
}

/// Why registration is not possible now, as the page says it.
fn closed_note(event: &Event) -> Option<String> {
    let now = chrono::Utc::now();
    if event.status == "cancelled" {
        return Some("This exchange is cancelled.".to_owned());
    }
    if let Some(opens) = event.registration_opens_at.filter(|o| *o > now) {
        return Some(format!(
            "Registration opens {}.",
            convene_shared::time::in_zone(opens, &event.timezone)
        ));
    }
    let closes = event
        .registration_closes_at
        .unwrap_or(event.starts_at)
        .min(event.starts_at);
    (now >= closes).then(|| "Registration for this exchange has closed.".to_owned())
}

#[derive(Template)]
#[template(path = "cosponsor.html")]
pub struct CosponsorPage<'a> {
    pub event: &'a Event,
    pub when: String,
    pub input: &'a CosponsorOfferInput,
    pub errors: Vec<(String, String)>,
    pub error_organisation: Option<String>,
    pub error_country: Option<String>,
    pub error_contact_name: Option<String>,
    pub error_contact_email: Option<String>,
    pub error_support_kind: Option<String>,
    pub error_message: Option<String>,
    pub countries: Vec<SelectOption>,
    pub kinds: Vec<SelectOption>,
}

impl<'a> CosponsorPage<'a> {
    pub fn new(event: &'a Event, input: &'a CosponsorOfferInput, errors: &FieldErrors) -> Self {
        let error = |f: &str| errors.get(f).map(str::to_owned);
        Self {
            event,
            when: convene_shared::time::span_in_zone(
                event.starts_at,
                event.ends_at,
                &event.timezone,
            ),
            input,
            errors: summary(errors, OFFER_FIELDS),
            error_organisation: error("organisation"),
            error_country: error("country"),
            error_contact_name: error("contact_name"),
            error_contact_email: error("contact_email"),
            error_support_kind: error("support_kind"),
            error_message: error("message"),
            countries: countries(&input.country),
            kinds: SupportKind::ALL
                .iter()
                .map(|k| SelectOption {
                    value: k.as_str(),
                    label: k.label(),
                    selected: k.as_str() == input.support_kind.trim(),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "manage.html")]
pub struct ManagePage {
    pub event_title: String,
    pub event_slug: String,
    pub when: String,
    pub status: String,
    pub can_accept: bool,
    pub can_cancel: bool,
    pub token: String,
}

/// Asking for one's link again.
#[derive(Template)]
#[template(path = "link.html")]
pub struct LinkPage {
    pub sent: bool,
    pub email: String,
    pub error: Option<String>,
}

/// A page that says one thing: a confirmation, or why something cannot be done.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub link: Option<(String, String)>,
}

impl MessagePage {
    pub fn new(heading: impl Into<String>, paragraphs: &[&str]) -> Self {
        Self {
            heading: heading.into(),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            link: None,
        }
    }

    pub fn not_found() -> Response {
        render(
            StatusCode::NOT_FOUND,
            &Self::new(
                "Page not found",
                &["There is nothing at this address. Check the link you followed."],
            ),
        )
    }
}

/// Renders a template with a status; a rendering failure (a bug) becomes a plain 500.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}
