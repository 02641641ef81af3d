//! The HTML pages, one typed askama template each (escaped by default).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use convene_shared::i18n::{fill, translate_problem, Lang, Msg};

use super::events::Details;
use crate::domain::CosponsorOfferInput;
use crate::domain::RegistrationInput;
use crate::domain::{CountryCode, FieldErrors, Role, SupportKind, CONSENT_TEXT};
use crate::store::events::Event;

/// The registration form's fields in page order, with their labels.
const REGISTRATION_FIELDS: &[(&str, Msg)] = &[
    ("invitation", Msg::LabelInvitation),
    ("name", Msg::LabelName),
    ("email", Msg::LabelEmail),
    ("organisation", Msg::LabelOrganisation),
    ("country", Msg::LabelCountry),
    ("role", Msg::LabelRole),
    ("timezone", Msg::FieldTimezone),
    ("consent", Msg::FieldConsent),
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

/// The registration form's error summary in `lang`: labels and messages translated.
fn registration_summary(errors: &FieldErrors, lang: Lang) -> Vec<(String, String)> {
    REGISTRATION_FIELDS
        .iter()
        .filter_map(|(field, label)| {
            errors.get(field).map(|m| {
                (
                    (*field).to_owned(),
                    fill(
                        Msg::FieldProblem.text(lang),
                        &[
                            ("label", label.text(lang)),
                            ("problem", &translate_problem(m, lang)),
                        ],
                    ),
                )
            })
        })
        .collect()
}

/// Escapes a value for HTML, for texts the templates print unescaped (`|safe`).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '&' => out.push_str("&#38;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page's texts in its language. Messages are ours (printed with `|safe`); the values
/// put into them are escaped here.
#[derive(Debug, Clone, Copy)]
pub struct Texts(pub Lang);

impl Texts {
    /// A fixed text.
    pub fn get(&self, msg: Msg) -> &'static str {
        msg.text(self.0)
    }

    /// A text with `{placeholders}` filled with escaped values.
    pub fn with(&self, msg: Msg, values: &[(&str, &str)]) -> String {
        let escaped: Vec<(&str, String)> = values.iter().map(|(n, v)| (*n, escape(v))).collect();
        let pairs: Vec<(&str, &str)> = escaped.iter().map(|(n, v)| (*n, v.as_str())).collect();
        fill(msg.text(self.0), &pairs)
    }

    /// "Please correct 1 field" / "Please correct 3 fields".
    pub fn correct(&self, n: usize) -> String {
        if n == 1 {
            self.get(Msg::CorrectOneField).to_owned()
        } else {
            fill(self.get(Msg::CorrectFields), &[("n", &n.to_string())])
        }
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

/// `?lang=fr` to keep a language across a link or a form; nothing for English, so English
/// addresses stay as they were.
pub fn lang_query(lang: Lang) -> String {
    if lang == Lang::En {
        String::new()
    } else {
        format!("?lang={}", lang.code())
    }
}

/// A link of the language switcher.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

fn lang_links(lang: Lang) -> Vec<LangLink> {
    Lang::ALL
        .iter()
        .map(|l| LangLink {
            code: l.code(),
            name: l.name(),
            current: *l == lang,
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
    countries_in(selected, Lang::En)
}

/// A letter without its accent, so that "Émirats" sorts among the E's.
fn sort_key(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'À' | 'Á' | 'Â' | 'Ä' | 'Å' | 'Ã' => 'A',
            'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'Í' | 'Î' | 'Ï' => 'I',
            'Ó' | 'Ô' | 'Ö' => 'O',
            'Ú' | 'Û' | 'Ü' => 'U',
            'à' | 'á' | 'â' | 'ä' | 'å' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'î' | 'ï' => 'i',
            'ó' | 'ô' | 'ö' => 'o',
            'ú' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        })
        .collect()
}

/// Every country as (code, name), named and sorted in `lang`: sorted once per language,
/// not on every page (the form is the most requested page when a drive opens).
fn countries_sorted(lang: Lang) -> &'static [(&'static str, &'static str)] {
    use std::sync::LazyLock;
    static SORTED: LazyLock<Vec<Vec<(&'static str, &'static str)>>> = LazyLock::new(|| {
        Lang::ALL
            .iter()
            .map(|&lang| {
                let mut all = CountryCode::all_by_name();
                if lang != Lang::En {
                    for (code, name) in &mut all {
                        *name = CountryCode::parse(code).map_or(*name, |c| c.name_in(lang));
                    }
                    all.sort_by_cached_key(|(_, name)| sort_key(name));
                }
                all
            })
            .collect()
    });
    let index = Lang::ALL.iter().position(|&l| l == lang).unwrap_or(0);
    &SORTED[index]
}

/// Every country, named and sorted in `lang`.
fn countries_in(selected: &str, lang: Lang) -> Vec<SelectOption> {
    let selected = selected.trim().to_ascii_uppercase();
    countries_sorted(lang)
        .iter()
        .map(|&(value, label)| SelectOption {
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
    pub t: Texts,
    /// `?lang=…` for links, empty in English.
    pub lang_query: String,
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
    pub t: Texts,
    pub langs: Vec<LangLink>,
    /// What is wrong with the invitation link, if anything.
    pub error_invitation: Option<String>,
    /// The address the invitation link is bound to: the email field is fixed to it.
    pub invited_email: Option<String>,
    /// Kept in language links so switching language keeps the invitation (`invitation=…&`).
    pub query_prefix: String,
}

impl<'a> RegisterPage<'a> {
    /// The form for someone who came with an invitation bound to `email`.
    #[must_use]
    pub fn invited(mut self, email: &str) -> Self {
        self.invited_email = Some(email.to_owned());
        self
    }

    pub fn new(
        event: &'a Event,
        details: &Details,
        input: &'a RegistrationInput,
        errors: &FieldErrors,
        lang: Lang,
    ) -> Self {
        let error = |f: &str| errors.get(f).map(|m| translate_problem(m, lang));
        Self {
            event,
            when: convene_shared::time::span_in_zone_lang(
                event.starts_at,
                event.ends_at,
                &event.timezone,
                lang,
            ),
            cosponsors: cosponsor_names(&details.cosponsors, lang),
            seats_left: details.seats_left,
            closed_note: closed_note(event, input, lang),
            input,
            errors: registration_summary(errors, lang),
            error_name: error("name"),
            error_email: error("email"),
            error_organisation: error("organisation"),
            error_country: error("country"),
            error_role: error("role"),
            error_consent: error("consent"),
            error_timezone: error("timezone"),
            countries: countries_in(&input.country, lang),
            roles: Role::ALL
                .iter()
                .map(|r| SelectOption {
                    value: r.as_str(),
                    label: r.label_in(lang),
                    selected: r.as_str() == input.role.trim(),
                })
                .collect(),
            consent_checked: !input.consent.is_empty(),
            consent_text: if lang == Lang::En {
                CONSENT_TEXT
            } else {
                Msg::ConsentText.text(lang)
            },
            t: Texts(lang),
            langs: lang_links(lang),
            error_invitation: error("invitation"),
            invited_email: None,
            query_prefix: invitation_query(&input.invitation),
        }
    }
}

/// `invitation=…&` for a link that must keep the invitation; empty without one.
fn invitation_query(token: &str) -> String {
    let token = token.trim();
    // A secret is hex; anything else is not carried (nor needs escaping).
    if !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("invitation={token}&")
    } else {
        String::new()
    }
}

/// Why registration is not possible now, as the page says it.
fn closed_note(event: &Event, input: &RegistrationInput, lang: Lang) -> Option<String> {
    let now = chrono::Utc::now();
    if event.status == "cancelled" {
        return Some(Msg::EventCancelledNote.text(lang).to_owned());
    }
    if event.invitation_only && input.invitation.trim().is_empty() {
        return Some(Msg::InvitationOnlyNote.text(lang).to_owned());
    }
    if let Some(opens) = event.registration_opens_at.filter(|o| *o > now) {
        return Some(fill(
            Msg::RegistrationOpensAt.text(lang),
            &[(
                "when",
                &convene_shared::time::in_zone_lang(opens, &event.timezone, lang),
            )],
        ));
    }
    let closes = event
        .registration_closes_at
        .unwrap_or(event.starts_at)
        .min(event.starts_at);
    (now >= closes).then(|| Msg::RegistrationClosedNote.text(lang).to_owned())
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
    pub t: Texts,
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
            t: Texts(Lang::En),
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
    /// A confirmed seat at an online exchange not over yet: the page links to
    /// `/registrations/{token}/join`, which opens the meeting during its window.
    pub can_join: bool,
    /// They attended: the page links to their certificate of participation.
    pub can_certify: bool,
    pub token: String,
    pub t: Texts,
    /// `?lang=…` for the forms and links, empty in English.
    pub lang_query: String,
}

/// Accepted co-sponsors as participants read them: "Ministry of Justice (Mexico)", the
/// country named in `lang`.
pub fn cosponsor_names(cosponsors: &[(String, String)], lang: Lang) -> Vec<String> {
    cosponsors
        .iter()
        .map(|(organisation, country)| {
            let country = CountryCode::parse(country)
                .map(|c| c.name_in(lang))
                .unwrap_or_default();
            format!("{organisation} ({country})")
        })
        .collect()
}

/// A certificate of participation, printable, in the participant's language.
#[derive(Template)]
#[template(path = "certificate.html")]
pub struct CertificatePage {
    pub name: String,
    pub organisation: String,
    pub event_title: String,
    /// The day (or days) it was held, in the exchange's zone.
    pub date: String,
    pub organised_by: String,
    /// The accepted co-sponsors, "Ministry of X (Country), …", or empty.
    pub cosponsors: String,
    pub t: Texts,
}

/// Asking for one's link again.
#[derive(Template)]
#[template(path = "link.html")]
pub struct LinkPage {
    pub sent: bool,
    pub email: String,
    pub error: Option<String>,
    pub t: Texts,
}

/// A page that says one thing: a confirmation, or why something cannot be done.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub link: Option<(String, String)>,
    pub t: Texts,
}

impl MessagePage {
    pub fn new(heading: impl Into<String>, paragraphs: &[&str]) -> Self {
        Self {
            heading: heading.into(),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            link: None,
            t: Texts(Lang::En),
        }
    }

    /// A link below the text (`href`, what it says).
    #[must_use]
    pub fn with_link(mut self, href: &str, text: &str) -> Self {
        self.link = Some((href.to_owned(), text.to_owned()));
        self
    }

    /// The page says it in `lang` (its texts must be in it already).
    #[must_use]
    pub fn in_lang(mut self, lang: Lang) -> Self {
        self.t = Texts(lang);
        self
    }

    pub fn not_found() -> Response {
        Self::not_found_in(Lang::En)
    }

    pub fn not_found_in(lang: Lang) -> Response {
        render(
            StatusCode::NOT_FOUND,
            &Self::new(
                Msg::NotFoundHeading.text(lang),
                &[Msg::NotFoundText.text(lang)],
            )
            .in_lang(lang),
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
