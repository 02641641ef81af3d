//! The console's pages, one typed askama template each (`templates/console/`), escaped by
//! default. Organiser-facing, so in English only.

use askama::Template;
use convene_shared::i18n::Lang;

use super::super::pages::Texts;
use super::charts::Chart;
use super::exchange_form::ExchangeInput;
use super::session::SignedIn;
use crate::store::offers::Offer;
use crate::store::registrations::Listed;

/// Who is signed in, as the page header shows it (with the sign-out form's token).
pub struct Header {
    pub email: String,
    pub csrf: String,
}

impl From<&SignedIn> for Header {
    fn from(person: &SignedIn) -> Self {
        Self {
            email: person.email.clone(),
            csrf: person.csrf_token.clone(),
        }
    }
}

/// `GET /console` before signing in, and what `POST /console/sign-in` answers.
#[derive(Template)]
#[template(path = "console/sign_in.html")]
pub struct SignInPage {
    pub t: Texts,
    pub signed_in: Option<Header>,
    /// The link was asked for: "check your email".
    pub sent: bool,
    /// What the person typed, shown again with `error`.
    pub email: String,
    pub error: Option<String>,
    /// Where to land after signing in (a hidden field).
    pub next: String,
    /// A line above the form (after signing out).
    pub notice: Option<&'static str>,
}

impl SignInPage {
    pub fn new(next: &str) -> Self {
        Self {
            t: Texts(Lang::En),
            signed_in: None,
            sent: false,
            email: String::new(),
            error: None,
            next: next.to_owned(),
            notice: None,
        }
    }

    #[must_use]
    pub fn with_error(mut self, email: &str, error: String) -> Self {
        email.clone_into(&mut self.email);
        self.error = Some(error);
        self
    }

    pub fn sent() -> Self {
        Self {
            sent: true,
            ..Self::new("/console")
        }
    }

    pub fn signed_out() -> Self {
        Self {
            notice: Some("You are signed out."),
            ..Self::new("/console")
        }
    }
}

/// What opening a sign-in link shows: the button that signs in, or why it cannot.
#[derive(Template)]
#[template(path = "console/link.html")]
pub struct LinkPage {
    pub t: Texts,
    pub signed_in: Option<Header>,
    /// `Some(token)`: the link can still be used.
    pub token: Option<String>,
    pub link_minutes: u32,
}

impl EventPage {
    /// `?status=…&page=…` for a link to another page of the current tab.
    pub fn page_query(&self, page: i64) -> String {
        if self.status.is_empty() {
            format!("?page={page}")
        } else {
            format!("?status={}&page={page}", self.status)
        }
    }
}

impl LinkPage {
    pub fn usable(token: &str) -> Self {
        Self {
            t: Texts(Lang::En),
            signed_in: None,
            token: Some(token.to_owned()),
            link_minutes: 0,
        }
    }

    pub fn unusable(link_minutes: u32) -> Self {
        Self {
            t: Texts(Lang::En),
            signed_in: None,
            token: None,
            link_minutes,
        }
    }
}

/// One exchange in "My exchanges".
pub struct ExchangeRow {
    pub slug: String,
    pub title: String,
    pub when: String,
    pub cancelled: bool,
    /// "12 of 40", or "12" when unlimited.
    pub seats: String,
    pub waiting: i64,
    pub pending: i64,
    pub open_offers: i64,
}

/// `GET /console` when signed in.
#[derive(Template)]
#[template(path = "console/exchanges.html")]
pub struct ExchangesPage {
    pub t: Texts,
    pub signed_in: Option<Header>,
    pub is_admin: bool,
    /// Upcoming, then past.
    pub sections: Vec<Section>,
}

/// A table of exchanges under a caption.
pub struct Section {
    pub caption: &'static str,
    pub rows: Vec<ExchangeRow>,
}

/// One registration in an exchange's list.
pub struct RegistrationRow {
    pub registration: Listed,
    /// When they registered, in the exchange's zone.
    pub registered_at: String,
    /// Approve and reject buttons are shown (pending, and the person may change things).
    pub can_decide: bool,
    /// A reject button alone is shown (waitlisted, and the person may change things).
    pub can_reject: bool,
}

/// One co-sponsorship offer.
pub struct OfferRow {
    pub offer: Offer,
    /// When it arrived, in the exchange's zone.
    pub received_at: String,
    /// Accept and decline buttons are shown (not decided yet, and the person may change
    /// things).
    pub can_decide: bool,
}

/// One decision in the exchange's activity log.
pub struct ActivityRow {
    /// When, in the exchange's zone.
    pub at: String,
    /// Who did what to whom, as a sentence.
    pub what: String,
}

/// `GET /console/events/{slug}`: the figures and the registrations.
#[derive(Template)]
#[template(path = "console/event.html")]
pub struct EventPage {
    pub t: Texts,
    pub signed_in: Option<Header>,
    pub slug: String,
    pub title: String,
    pub when: String,
    pub cancelled: bool,
    /// "organiser", "viewer (read only)"…
    pub access: &'static str,
    /// The overview: (label, figure).
    pub figures: Vec<(&'static str, String)>,
    pub registrations: Vec<RegistrationRow>,
    /// How many registrations match the tab (the list shows one page of them).
    pub total: i64,
    /// The list's tabs: (status, or "" for all; label; whether it is the current one).
    pub tabs: Vec<(&'static str, String, bool)>,
    /// The current tab's status ("" for all).
    pub status: &'static str,
    /// The page shown, from 1, of `pages`.
    pub page: i64,
    pub pages: i64,
    pub offers: Vec<OfferRow>,
    /// The overview's charts (none while nobody is confirmed).
    pub charts: Vec<Chart>,
    /// The latest decisions, newest first.
    pub activity: Vec<ActivityRow>,
    /// What the last action did, as a sentence.
    pub notice: Option<String>,
    /// The session's CSRF token, for the decision forms.
    pub csrf: String,
    /// "Change" and "Cancel exchange" are offered (organisers and admins, not cancelled).
    pub can_change: bool,
    /// Pending registrations can be ticked and decided on together.
    pub can_decide_many: bool,
}

/// The exchange form: a new exchange (`GET /console/new-exchange`) or a change to one
/// (`GET /console/events/{slug}/change`), and either answered again with its errors.
#[derive(Template)]
#[template(path = "console/exchange_form.html")]
pub struct ExchangeFormPage {
    pub t: Texts,
    pub signed_in: Option<Header>,
    /// A new exchange (the slug can be chosen), not a change.
    pub creating: bool,
    /// The exchange's current slug and title (a change), for the heading and links.
    pub slug: String,
    pub title: String,
    pub input: ExchangeInput,
    /// (field id, message), in the form's words, in the order the page lists them.
    pub errors: Vec<(String, String)>,
    pub csrf: String,
}

impl ExchangeFormPage {
    /// The error beside the field `id`, if any.
    pub fn error(&self, id: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(field, _)| field == id)
            .map(|(_, message)| message.as_str())
    }

    /// Where the form is sent.
    pub fn action(&self) -> String {
        if self.creating {
            "/console/new-exchange".to_owned()
        } else {
            format!("/console/events/{}/change", self.slug)
        }
    }
}

/// `GET /console/events/{slug}/cancel`: are you sure?
#[derive(Template)]
#[template(path = "console/cancel.html")]
pub struct CancelPage {
    pub t: Texts,
    pub signed_in: Option<Header>,
    pub slug: String,
    pub title: String,
    pub when: String,
    /// How many people are registered (confirmed, waiting or pending): they are emailed.
    pub told: i64,
    pub csrf: String,
}
