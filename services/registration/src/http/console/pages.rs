//! The console's pages, one typed askama template each (`templates/console/`), escaped by
//! default. Organiser-facing, so in English only.

use askama::Template;
use convene_shared::i18n::Lang;

use super::super::pages::Texts;
use super::charts::{Chart, TimeChart};
use super::exchange_form::ExchangeInput;
use super::filters::{query_string, FilterQuery};
use super::session::SignedIn;
use crate::actions::attendance::Imported;
use crate::store::attendance::Tally;
use crate::store::invitations::Invitation;
use crate::store::offers::Offer;
use crate::store::registrations::Listed;
use crate::store::seats::InLine;

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
    /// The query string of a link to another page of the list, with the same filters.
    pub fn page_query(&self, page: i64) -> String {
        query_string(&self.filters, self.status, page)
    }

    /// The query string of a tab: the other filters kept, the status `status`.
    pub fn tab_query(&self, status: &str) -> String {
        query_string(&self.filters, status, 1)
    }

    /// The error beside the filter field `id`, if any.
    pub fn filter_error(&self, id: &str) -> Option<&str> {
        self.filter_errors
            .iter()
            .find(|(field, _)| *field == id)
            .map(|(_, message)| message.as_str())
    }

    /// Whether anything beyond the status narrows the list.
    pub fn narrowed(&self) -> bool {
        !(self.filters.country().is_empty()
            && self.filters.role().is_empty()
            && self.filters.q().is_empty())
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
    /// A reopen button is shown (rejected, and the person may change things).
    pub can_reopen: bool,
    /// The attendance control is shown (confirmed, and the person may change things).
    pub can_mark: bool,
    /// The exchange is cancelled: nobody has an attendance.
    pub exchange_cancelled: bool,
}

impl RegistrationRow {
    /// The registration's attendance as it counts and what it rests on ("attended
    /// (joined)"), "not known yet", or nothing when it is not confirmed.
    pub fn attendance_text(&self) -> String {
        let r = &self.registration;
        let basis = match r.attendance_basis.as_deref() {
            Some("marked") => "marked",
            Some("imported") => "report",
            Some("joined") => "joined",
            Some("not_joined") => "did not join",
            _ => "",
        };
        match (r.attendance.as_deref(), r.status.as_str()) {
            _ if self.exchange_cancelled => String::new(),
            (Some(a), _) if basis.is_empty() => a.to_owned(),
            (Some(a), _) => format!("{a} ({basis})"),
            (None, "confirmed") => "not known yet".to_owned(),
            (None, _) => String::new(),
        }
    }

    /// Whether an organiser marked `value` by hand (the control shows it chosen).
    pub fn is_marked(&self, value: &str) -> bool {
        self.marked() == value
    }

    /// What an organiser marked by hand ("" when nobody did), for the control.
    pub fn marked(&self) -> &str {
        let r = &self.registration;
        match (r.attendance_basis.as_deref(), r.attendance.as_deref()) {
            (Some("marked"), Some(a)) => a,
            _ => "",
        }
    }
}

/// One person on the waiting list.
pub struct WaitingRow {
    pub person: InLine,
    /// Their place in line (1: the next seat is theirs), while waiting.
    pub position: Option<i64>,
    /// While offered a seat: until when, in the exchange's zone.
    pub deadline: Option<String>,
    /// Since when they wait, in the exchange's zone.
    pub since: String,
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
    /// The filters as typed (shown again in the filter form, kept in links).
    pub filters: FilterQuery,
    /// (field, message) for each filter that cannot be used; the list is not shown then.
    pub filter_errors: Vec<(&'static str, String)>,
    /// The countries to filter by: (code, name), those of the exchange's registrations.
    pub countries: Vec<(String, String)>,
    /// The roles to filter by: (value, label).
    pub roles: Vec<(&'static str, &'static str)>,
    pub search_at_most: usize,
    /// The waiting list: those offered a seat first, then those in line, in order.
    pub waiting: Vec<WaitingRow>,
    /// How many are offered a seat or in line in all (the list may show fewer).
    pub waiting_total: i64,
    /// The exchange takes registrations by invitation only.
    pub invitation_only: bool,
    /// How many were invited, and how many of them registered.
    pub invited: i64,
    pub invited_registered: i64,
    /// The registrations-per-day chart (none before the first registration).
    pub per_day: Option<TimeChart>,
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
    /// Attendance of the confirmed participants: overall and by country, then by role
    /// (none while nobody is confirmed).
    pub attendance: Vec<AttendanceTable>,
    /// The feedback survey: its answers and average, or where the external one is.
    pub survey: SurveySection,
    /// Attendance can be marked and imported (organisers and console admins, not
    /// cancelled).
    pub can_mark: bool,
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

/// One invitation in the console's list.
pub struct InvitationRow {
    pub invitation: Invitation,
    /// `invited`, `reminded` or `registered`.
    pub status: &'static str,
    /// When each happened, in the exchange's zone ("" when it has not).
    pub invited_at: String,
    pub reminded_at: String,
    pub registered_at: String,
}

/// `GET /console/events/{slug}/invitations`: who was invited, and the form to invite more;
/// what `POST` answers when the list pasted has bad lines.
#[derive(Template)]
#[template(path = "console/invitations.html")]
pub struct InvitationsPage {
    pub t: Texts,
    pub signed_in: Option<Header>,
    pub slug: String,
    pub title: String,
    pub invitation_only: bool,
    /// The form is offered: organisers and console admins, while invitations can be used.
    pub can_invite: bool,
    /// Why nobody can be invited now (cancelled, registration closed), if so.
    pub closed: Option<&'static str>,
    /// "organiser", "viewer (read only)"…
    pub access: &'static str,
    /// What was pasted, kept when it has bad lines.
    pub invitees: String,
    /// The language chosen for the invitations: `en`, `fr` or `es`.
    pub lang: String,
    /// Each bad line, as a sentence (the form is answered again, as typed).
    pub errors: Vec<String>,
    /// What the last invitation did.
    pub notice: Option<String>,
    pub rows: Vec<InvitationRow>,
    /// (label, count): invited in all, registered, reminded, waiting for an answer.
    pub counts: Vec<(&'static str, usize)>,
    pub max_invitees: usize,
    pub csrf: String,
}

/// `POST /console/events/{slug}/attendance/import`: what the participant report matched,
/// and each row that matched nobody.
#[derive(Template)]
#[template(path = "console/attendance_import.html")]
pub struct ImportPage {
    pub t: Texts,
    pub signed_in: Option<Header>,
    pub slug: String,
    pub title: String,
    pub imported: Imported,
}

/// An attendance table: by country (after everyone), or by role.
pub struct AttendanceTable {
    pub caption: &'static str,
    /// The first column's heading.
    pub column: &'static str,
    pub rows: Vec<AttendanceRow>,
}

/// One line of the attendance tables (overall, by country, by role).
pub struct AttendanceRow {
    /// "All", a country's name, a role's label.
    pub label: String,
    pub tally: Tally,
}

/// The feedback survey as organisers follow it on the exchange's page.
#[derive(Debug, Clone, Default)]
pub struct SurveySection {
    /// The exchange's own survey elsewhere (then nothing else is shown).
    pub external_url: String,
    /// When it stops taking answers, in the exchange's zone.
    pub closes: String,
    pub count: usize,
    /// "4.25", or empty without a rating.
    pub average: String,
    /// Newest first, at most [`SurveySection::SHOWN`].
    pub answers: Vec<SurveyRow>,
}

impl SurveySection {
    /// The most answers the page lists (the admin API has them all).
    pub const SHOWN: usize = 200;
}

/// One answer as the page shows it.
#[derive(Debug, Clone)]
pub struct SurveyRow {
    /// "1"…"5", or "—".
    pub rating: String,
    pub most_useful: String,
    pub should_change: String,
    /// "Name (organisation)" when the participant allowed it, else "—".
    pub who: String,
}
