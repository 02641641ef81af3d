//! What a signed-in person sees in the console: their exchanges, and an exchange's figures
//! and charts, registrations (filtered, a page at a time), waiting list, invitations and
//! co-sponsorship offers.
//!
//! An exchange the person may not see answers `404`, as if it did not exist; access is
//! read from the exchange at every request (see `session`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::Utc;
use convene_shared::time::{in_zone, span_in_zone};
use serde::Deserialize;

use super::super::error::ApiError;
use super::super::extract::ApiPath;
use super::super::pages::{render, MessagePage, Texts};
use super::super::AppState;
use super::charts;
use super::filters::{FilterQuery, SEARCH_AT_MOST};
use super::pages::{
    ActivityRow, AttendanceRow, AttendanceTable, EventPage, ExchangeRow, ExchangesPage, Header,
    OfferRow, RegistrationRow, Section, SurveyRow, SurveySection, WaitingRow,
};
use super::session::{self, Access, SignedIn};
use super::sign_in::{sign_in_page, NextQuery};
use crate::domain::{CountryCode, Role};
use crate::store::activity::{self, Entry};
use crate::store::attendance;
use crate::store::console::{self, Overview};
use crate::store::events::{self, Event};
use crate::store::registrations::{self, Figures};
use crate::store::{invitations, offers, seats};

/// How many of the latest decisions the exchange page shows.
const ACTIVITY_SHOWN: i64 = 20;

/// How many registrations the exchange page lists at a time.
const PER_PAGE: i64 = 100;

/// `GET /console`: "My exchanges" when signed in, the sign-in page otherwise.
pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<NextQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    // 1. Who is signed in; nobody: the sign-in page (keeping where they were heading).
    let Some(person) = session::current(&state, &headers).await? else {
        return Ok(sign_in_page(&query.map(|Query(q)| q).unwrap_or_default()));
    };

    // 2. The exchanges they may see, with their counts.
    let exchanges = console::overview(&state.pool, &person.email, person.is_admin).await?;

    // 3. Upcoming ones first, soonest first; then past ones, latest first.
    let now = Utc::now();
    let (upcoming, mut past): (Vec<Overview>, Vec<Overview>) =
        exchanges.into_iter().partition(|x| x.ends_at > now);
    past.reverse();
    let page = ExchangesPage {
        t: Texts(convene_shared::i18n::Lang::En),
        signed_in: Some(Header::from(&person)),
        is_admin: person.is_admin,
        sections: vec![
            Section {
                caption: "Upcoming",
                rows: upcoming.iter().map(exchange_row).collect(),
            },
            Section {
                caption: "Past",
                rows: past.iter().map(exchange_row).collect(),
            },
        ],
    };
    Ok(render(StatusCode::OK, &page))
}

fn exchange_row(x: &Overview) -> ExchangeRow {
    ExchangeRow {
        slug: x.slug.clone(),
        title: x.title.clone(),
        when: span_in_zone(x.starts_at, x.ends_at, &x.timezone),
        cancelled: x.status == "cancelled",
        seats: seats(x.confirmed, x.capacity),
        waiting: x.waitlisted,
        pending: x.pending,
        open_offers: x.open_offers,
    }
}

/// "12 of 40", or "12" when the exchange has no limit.
fn seats(confirmed: i64, capacity: Option<i32>) -> String {
    match capacity {
        Some(capacity) => format!("{confirmed} of {capacity}"),
        None => confirmed.to_string(),
    }
}

/// The exchange `slug` and what `person` may do with it; `None` when they may not see it.
pub(super) async fn visible(
    state: &AppState,
    person: &SignedIn,
    slug: &str,
) -> Result<Option<(Event, Access)>, ApiError> {
    let event = events::find_by_slug(&state.pool, slug).await?;
    Ok(event.and_then(|e| person.access(&e).map(|access| (e, access))))
}

/// The exchange `slug`, and who acts, if a console form may change it: the person is signed
/// in, the form carries their session's CSRF token, and they organise the exchange or are a
/// console admin. Otherwise the page to answer (403, or 404 for an exchange they may not
/// see).
///
/// # Errors
/// When Postgres fails.
pub(super) async fn changeable(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    slug: &str,
) -> Result<Result<(Event, SignedIn), Response>, ApiError> {
    let Some(person) = session::current(state, headers).await? else {
        return Ok(Err(not_signed_in()));
    };
    if !person.sent_csrf(csrf) {
        return Ok(Err(session::csrf_refused()));
    }
    match visible(state, &person, slug).await? {
        None => Ok(Err(MessagePage::not_found())),
        Some((event, access)) if !access.may_change() => Ok(Err(refused(
            "You can see this exchange but not change it",
            "Viewers see an exchange's lists and figures; its organisers decide.",
            &format!("/console/events/{}", event.slug),
        ))),
        Some((event, _)) => Ok(Ok((event, person))),
    }
}

/// For the actions' `check`: what a console form decides on must belong to the exchange in
/// its address, or it is not found there.
///
/// # Errors
/// `404` when `found` is another exchange.
pub(super) fn same_exchange(found: &Event, expected: &Event) -> Result<(), ApiError> {
    if found.id == expected.id {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// `403` for a form sent without a session: nothing was changed.
pub(super) fn not_signed_in() -> Response {
    refused(
        "You are not signed in",
        "Your console session has ended, so nothing was changed. Sign in again and retry.",
        "/console",
    )
}

/// `403`: nothing was changed, and why.
pub(super) fn refused(heading: &str, why: &str, back: &str) -> Response {
    render(
        StatusCode::FORBIDDEN,
        &MessagePage::new(heading, &[why]).with_link(back, "Back"),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    /// What a decision just did (the page says so): a registration's new status, or an
    /// offer's `accepted` / `declined`.
    decided: Option<String>,
    /// After a many-at-once decision: how many were decided, and how many left as they
    /// were (decided meanwhile). Text, so that a bad number is no notice rather than a
    /// `400`.
    done: Option<String>,
    left: Option<String>,
}

/// How many of the waiting list the exchange page shows.
const WAITING_SHOWN: i64 = 500;

/// `GET /console/events/{slug}`: the exchange's figures, its registrations (filtered, a
/// page at a time), its waiting list, invitations, offers and activity.
pub async fn event(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    uri: Uri,
    headers: HeaderMap,
    filters: Result<Query<FilterQuery>, QueryRejection>,
    notice_query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    // 1. Who is signed in; nobody: sign in first, then back here.
    let Some(person) = session::current(&state, &headers).await? else {
        let here = uri.path_and_query().map_or("/console", |p| p.as_str());
        return Ok(session::to_sign_in(here));
    };

    // 2. The exchange, if they may see it.
    let Some((event, access)) = visible(&state, &person, &slug).await? else {
        return Ok(MessagePage::not_found());
    };

    // 3. The filters asked for: a bad one is said beside its field, and the list is not
    //    shown (rather than a list that is not what was asked for). A query string that
    //    cannot be read at all (a parameter twice) is said the same way.
    let (filters, chosen) = match filters {
        Ok(Query(filters)) => {
            let chosen = filters.chosen();
            (filters, chosen)
        }
        Err(_) => (
            FilterQuery::default(),
            Err(vec![(
                "q",
                "The filters in the address could not be read (a filter given twice?): choose them again.".to_owned(),
            )]),
        ),
    };
    let (filter, page) = match &chosen {
        Ok(chosen) => (Some(&chosen.filter), chosen.page),
        Err(_) => (None, 1),
    };

    // 4. Its figures (the same as the admin API's stats), the page of registrations asked
    //    for, the waiting list, invitations, offers and the latest activity.
    let mut conn = state.pool.acquire().await?;
    let figures = registrations::figures(&mut conn, event.id).await?;
    let (listed, total) = match filter {
        Some(filter) => {
            registrations::list(&mut conn, event.id, filter, PER_PAGE, (page - 1) * PER_PAGE)
                .await?
        }
        None => (Vec::new(), 0),
    };
    let countries = registrations::countries(&mut conn, event.id).await?;
    let arrivals = registrations::arrivals(&mut conn, event.id).await?;
    let (in_line, waiting_total) = seats::line(&mut conn, event.id, WAITING_SHOWN).await?;
    let (invited, invited_registered) = invitations::counts(&mut conn, event.id).await?;
    let offers = offers::list(&mut conn, event.id).await?;
    let activity = activity::for_event(&mut conn, event.id, ACTIVITY_SHOWN).await?;
    let attended = attendance::figures(&mut conn, event.id).await?;
    let (answers, average) = crate::store::survey::answers(&mut conn, event.id).await?;
    drop(conn);

    // 5. The page; decision buttons only for those who may change the exchange.
    let decides = access.may_change() && event.status == "scheduled";
    let marks = decides;
    let notice_query = notice_query.map(|Query(q)| q).unwrap_or_default();
    let count = |n: &Option<String>| n.as_deref().and_then(|n| n.parse().ok()).unwrap_or(0);
    let notice = notice_query.decided.as_deref().and_then(|decided| {
        notice(
            decided,
            count(&notice_query.done),
            count(&notice_query.left),
        )
    });
    let status = filter.and_then(|f| f.status.as_deref()).and_then(|s| {
        registrations::STATUSES
            .into_iter()
            .find(|known| *known == s)
    });
    let zone = event.timezone.as_str();
    let mut position = 0;
    let page = EventPage {
        t: Texts(convene_shared::i18n::Lang::En),
        signed_in: Some(Header::from(&person)),
        when: span_in_zone(event.starts_at, event.ends_at, zone),
        cancelled: event.status == "cancelled",
        access: access.label(),
        figures: overview(&figures, event.capacity),
        charts: charts::overview(&figures),
        per_day: charts::per_day(&arrivals, zone),
        registrations: listed
            .into_iter()
            .map(|r| RegistrationRow {
                can_decide: decides && r.status == "pending",
                can_reject: decides && r.status == "waitlisted",
                can_reopen: decides && r.status == "rejected",
                can_mark: marks && r.status == "confirmed",
                exchange_cancelled: event.status == "cancelled",
                registered_at: in_zone(r.registered_at, zone),
                registration: r,
            })
            .collect(),
        total,
        tabs: tabs(&figures, status),
        status: status.unwrap_or_default(),
        countries: filter_countries(countries, filters.country()),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        search_at_most: SEARCH_AT_MOST,
        filter_errors: chosen.err().unwrap_or_default(),
        filters,
        page,
        pages: (total + PER_PAGE - 1) / PER_PAGE,
        waiting: in_line
            .into_iter()
            .map(|person| {
                // Those offered a seat come first and hold no place in line; the others
                // are numbered as the participant's own page numbers them.
                let offered = person.status == "offered";
                if !offered {
                    position += 1;
                }
                WaitingRow {
                    position: (!offered).then_some(position),
                    deadline: person
                        .offer_expires_at
                        .filter(|_| offered)
                        .map(|at| in_zone(at, zone)),
                    since: person
                        .waitlisted_at
                        .map(|at| in_zone(at, zone))
                        .unwrap_or_default(),
                    person,
                }
            })
            .collect(),
        waiting_total,
        invitation_only: event.invitation_only,
        invited,
        invited_registered,
        offers: offers
            .into_iter()
            .map(|o| OfferRow {
                can_decide: access.may_change() && o.status == "received",
                received_at: in_zone(o.created_at, zone),
                offer: o,
            })
            .collect(),
        activity: activity
            .into_iter()
            .map(|a| ActivityRow {
                at: in_zone(a.at, zone),
                what: describe(&a),
            })
            .collect(),
        notice,
        can_change: access.may_change() && event.status == "scheduled",
        can_decide_many: decides && figures.status("pending") > 0,
        attendance: attendance_tables(&attended),
        survey: SurveySection {
            external_url: event.survey_url.clone(),
            closes: in_zone(super::super::survey_closes_at(&event), zone),
            count: answers.len(),
            average: average.map(|a| format!("{a:.2}")).unwrap_or_default(),
            answers: answers
                .into_iter()
                .take(SurveySection::SHOWN)
                .map(|a| SurveyRow {
                    rating: a.rating.map_or_else(|| "—".to_owned(), |r| r.to_string()),
                    most_useful: a.most_useful,
                    should_change: a.should_change,
                    who: match (a.name, a.organisation) {
                        (Some(name), Some(org)) if !org.is_empty() => format!("{name} ({org})"),
                        (Some(name), _) => name,
                        _ => "—".to_owned(),
                    },
                })
                .collect(),
        },
        can_mark: marks,
        csrf: person.csrf_token.clone(),
        slug: event.slug,
        title: event.title,
    };
    let code = if page.filter_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(code, &page))
}

/// The countries to offer in the filter: those the exchange's registrations come from, by
/// name, and the one asked for even if nobody from there registered (so the form shows
/// what is filtered).
fn filter_countries(codes: Vec<String>, asked: &str) -> Vec<(String, String)> {
    let mut codes = codes;
    if let Ok(asked) = CountryCode::parse(asked) {
        if !codes.iter().any(|c| c == asked.as_str()) {
            codes.push(asked.as_str().to_owned());
        }
    }
    let mut countries: Vec<(String, String)> = codes
        .into_iter()
        .map(|code| {
            let name =
                CountryCode::parse(&code).map_or_else(|_| code.clone(), |c| c.name().to_owned());
            (code, name)
        })
        .collect();
    countries.sort_by(|a, b| a.1.cmp(&b.1));
    countries
}

/// The attendance tables: every confirmed participant then each country by name, and
/// each role; none while nobody is confirmed.
fn attendance_tables(figures: &attendance::Figures) -> Vec<AttendanceTable> {
    if figures.overall.total() == 0 {
        return Vec::new();
    }
    let by_role = figures
        .by_role
        .iter()
        .map(|(role, tally)| AttendanceRow {
            label: Role::parse(role).map_or_else(|_| role.clone(), |r| r.label().to_owned()),
            tally: *tally,
        })
        .collect();
    vec![
        AttendanceTable {
            caption: "Attendance by country",
            column: "Country",
            rows: attendance_by_country(figures),
        },
        AttendanceTable {
            caption: "Attendance by role",
            column: "Role",
            rows: by_role,
        },
    ]
}

/// Every confirmed participant, then each country by name.
fn attendance_by_country(figures: &attendance::Figures) -> Vec<AttendanceRow> {
    let mut by_country: Vec<AttendanceRow> = figures
        .by_country
        .iter()
        .map(|(code, tally)| AttendanceRow {
            label: CountryCode::parse(code).map_or_else(|_| code.clone(), |c| c.name().to_owned()),
            tally: *tally,
        })
        .collect();
    by_country.sort_by(|a, b| a.label.cmp(&b.label));
    std::iter::once(AttendanceRow {
        label: "All confirmed".to_owned(),
        tally: figures.overall,
    })
    .chain(by_country)
    .collect()
}

/// The overview's figures, as the page labels them.
fn overview(figures: &Figures, capacity: Option<i32>) -> Vec<(&'static str, String)> {
    vec![
        ("confirmed", seats(figures.status("confirmed"), capacity)),
        (
            "on the waiting list",
            figures.status("waitlisted").to_string(),
        ),
        ("pending approval", figures.status("pending").to_string()),
        ("cancelled", figures.status("cancelled").to_string()),
        (
            "government officials (confirmed)",
            figures.officials.to_string(),
        ),
        ("countries (confirmed)", figures.countries.to_string()),
    ]
}

/// The registration list's tabs: (status or "" for all, label with its count, current).
fn tabs(figures: &Figures, current: Option<&str>) -> Vec<(&'static str, String, bool)> {
    let all: i64 = figures.by_status.values().sum();
    std::iter::once(("", format!("All ({all})"), current.is_none()))
        .chain(registrations::STATUSES.into_iter().map(|s| {
            (
                s,
                format!("{s} ({})", figures.status(s)),
                current == Some(s),
            )
        }))
        .collect()
}

/// One decision, as a sentence: "ben@un.org approved Ana Pereira (confirmed)", "ben@un.org
/// changed the exchange (starts_at, ends_at)".
fn describe(entry: &Entry) -> String {
    match entry.action.as_str() {
        "exchange.created" => return format!("{} created the exchange", entry.actor),
        "exchange.cancelled" => return format!("{} cancelled the exchange", entry.actor),
        "exchange.changed" => {
            return format!("{} changed the exchange ({})", entry.actor, entry.outcome)
        }
        _ => {}
    }
    let did = match entry.action.as_str() {
        "registration.approved" => "approved",
        "registration.rejected" => "rejected",
        "registration.reopened" => "reopened",
        "offer.accepted" => "accepted the offer of",
        "offer.declined" => "declined the offer of",
        "attendance.marked" => "marked the attendance of",
        "attendance.imported" => {
            return format!(
                "{} imported a participant report ({})",
                entry.actor, entry.outcome
            )
        }
        "invitations.sent" => {
            return format!("{} sent invitations ({})", entry.actor, entry.outcome)
        }
        other => other,
    };
    let subject = if entry.subject.is_empty() {
        "someone whose data was erased"
    } else {
        entry.subject.as_str()
    };
    format!("{} {did} {subject} ({})", entry.actor, entry.outcome)
}

/// What a decision did, as the page tells it (`done` and `left`: of a many-at-once one).
fn notice(status: &str, done: u32, left: u32) -> Option<String> {
    let many = |did: &str| {
        let left = match left {
            0 => String::new(),
            1 => " 1 was left as it was: it had been decided already.".to_owned(),
            n => format!(" {n} were left as they were: they had been decided already."),
        };
        format!("{done} {did}; each participant is emailed.{left}")
    };
    match status {
        "approved-many" => {
            return Some(many(
                "approved (a seat, or the waiting list when none was free)",
            ))
        }
        "rejected-many" => return Some(many("rejected")),
        _ => {}
    }
    let said = match status {
        "accepted" => Some("Offer accepted: its contact is emailed, and the co-sponsor is shown publicly."),
        "declined" => Some("Offer declined: its contact is emailed."),
        "confirmed" => Some("Approved: the participant has a seat, and is emailed."),
        "waitlisted" => Some("Approved: no seat was free, so the participant joined the waiting list, and is emailed."),
        "rejected" => Some("Rejected: the participant is emailed."),
        "reopened-pending" => Some("Reopened: the registration awaits approval again, and the participant is emailed."),
        "reopened-confirmed" => Some("Reopened: the participant has a seat, and is emailed."),
        "reopened-waitlisted" => Some("Reopened: no seat was free, so the participant joined the waiting list, and is emailed."),
        "created" => Some("Exchange created: its registration page is open as you set it."),
        "changed" => Some("Changes saved: participants are emailed any change of title, time, place or link."),
        "cancelled" => Some("Exchange cancelled: everyone registered is emailed."),
        "attendance" => Some("Attendance saved."),
        _ => None,
    };
    said.map(str::to_owned)
}
