//! What a signed-in person sees and does in the console: their exchanges, an exchange's
//! figures and registrations, and (organisers and admins) decisions on registrations.
//!
//! An exchange the person may not see answers `404`, as if it did not exist; access is
//! read from the exchange at every request (see `session`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use convene_shared::telemetry::CorrelationId;
use convene_shared::time::span_in_zone;
use serde::Deserialize;
use uuid::Uuid;

use super::super::error::ApiError;
use super::super::extract::{ApiForm, ApiPath};
use super::super::pages::{render, MessagePage, Texts};
use super::super::AppState;
use super::pages::{EventPage, ExchangeRow, ExchangesPage, Header, RegistrationRow, Section};
use super::session::{self, Access, SignedIn};
use super::sign_in::{sign_in_page, CsrfForm, NextQuery};
use crate::actions::decide_registration::{self, Decided};
use crate::store::console::{self, Overview};
use crate::store::events::{self, Event};
use crate::store::registrations::{self, Figures, Filter};

/// How many registrations the exchange page lists.
const FIRST_PAGE: i64 = 100;

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
async fn visible(
    state: &AppState,
    person: &SignedIn,
    slug: &str,
) -> Result<Option<(Event, Access)>, ApiError> {
    let event = events::find_by_slug(&state.pool, slug).await?;
    Ok(event.and_then(|e| person.access(&e).map(|access| (e, access))))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventQuery {
    /// The status a decision just left a registration in (the page says what happened).
    decided: Option<String>,
}

/// `GET /console/events/{slug}`: the exchange's figures and its first registrations.
pub async fn event(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<EventQuery>, QueryRejection>,
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

    // 3. Its figures (the same as the admin API's stats) and first registrations.
    let mut conn = state.pool.acquire().await?;
    let figures = registrations::figures(&mut conn, event.id).await?;
    let (listed, total) =
        registrations::list(&mut conn, event.id, &Filter::default(), FIRST_PAGE, 0).await?;
    drop(conn);

    // 4. The page; decision buttons only for those who may change the exchange.
    let decides = access.may_change() && event.status == "scheduled";
    let notice = query
        .ok()
        .and_then(|Query(q)| q.decided)
        .and_then(|status| notice(&status));
    let page = EventPage {
        t: Texts(convene_shared::i18n::Lang::En),
        signed_in: Some(Header::from(&person)),
        when: span_in_zone(event.starts_at, event.ends_at, &event.timezone),
        cancelled: event.status == "cancelled",
        access: access.label(),
        figures: overview(&figures, event.capacity),
        registrations: listed
            .into_iter()
            .map(|r| RegistrationRow {
                can_decide: decides && r.status == "pending",
                can_reject: decides && r.status == "waitlisted",
                registered_at: convene_shared::time::in_zone(r.registered_at, &event.timezone),
                registration: r,
            })
            .collect(),
        total,
        notice,
        csrf: person.csrf_token.clone(),
        slug: event.slug,
        title: event.title,
    };
    Ok(render(StatusCode::OK, &page))
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

/// What a decision did, as the page tells it.
fn notice(status: &str) -> Option<&'static str> {
    match status {
        "confirmed" => Some("Approved: the participant has a seat, and is emailed."),
        "waitlisted" => Some("Approved: no seat was free, so the participant joined the waiting list, and is emailed."),
        "rejected" => Some("Rejected: the participant is emailed."),
        _ => None,
    }
}

/// `POST /console/events/{slug}/registrations/{id}/approve`.
pub async fn approve(
    state: State<AppState>,
    path: ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    form: ApiForm<CsrfForm>,
) -> Result<Response, ApiError> {
    decide(state, path, headers, correlation_id, form, true).await
}

/// `POST /console/events/{slug}/registrations/{id}/reject`.
pub async fn reject(
    state: State<AppState>,
    path: ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    form: ApiForm<CsrfForm>,
) -> Result<Response, ApiError> {
    decide(state, path, headers, correlation_id, form, false).await
}

/// Approves or rejects one registration of the exchange, as the admin API does.
async fn decide(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    ApiForm(form): ApiForm<CsrfForm>,
    approve: bool,
) -> Result<Response, ApiError> {
    // 1. Signed in, and the form came from their session: otherwise 403, nothing changes.
    let Some(person) = session::current(&state, &headers).await? else {
        return Ok(not_signed_in());
    };
    if !person.sent_csrf(&form.csrf) {
        return Ok(session::csrf_refused());
    }

    // 2. The exchange, if they may see it (404), and change it (403).
    let Some((event, access)) = visible(&state, &person, &slug).await? else {
        return Ok(MessagePage::not_found());
    };
    if !access.may_change() {
        return Ok(render(
            StatusCode::FORBIDDEN,
            &MessagePage::new(
                "You can see this exchange but not change it",
                &["Viewers see an exchange's lists and figures; its organisers decide on registrations."],
            )
            .with_link(&format!("/console/events/{}", event.slug), "Back to the exchange"),
        ));
    }

    // 3. Decide, with the action the admin API uses; a registration of another exchange
    //    is not found here.
    let decided = decide_registration::decide(
        &state.pool,
        id,
        approve,
        |e| {
            if e.id == event.id {
                Ok(())
            } else {
                Err(ApiError::NotFound)
            }
        },
        correlation_id.into(),
    )
    .await;

    // 4. Back to the exchange, saying what happened.
    let back = format!("/console/events/{}", event.slug);
    match decided {
        Ok(Decided::Now(registration)) => {
            state.announce();
            tracing::info!(registration_id = %id, status = %registration.status, "decided in the console");
            Ok(Redirect::to(&format!("{back}?decided={}", registration.status)).into_response())
        }
        Ok(Decided::NotApplicable(status)) => Ok(render(
            StatusCode::CONFLICT,
            &MessagePage::new(
                "Nothing to decide",
                &[&format!("This registration is {status}: only pending registrations can be approved, pending or waitlisted ones rejected.")],
            )
            .with_link(&back, "Back to the exchange"),
        )),
        Ok(Decided::NotFound) | Err(ApiError::NotFound) => Ok(MessagePage::not_found()),
        Err(e) => Err(e),
    }
}

/// A console form sent without a session: refused like one without its CSRF token.
fn not_signed_in() -> Response {
    render(
        StatusCode::FORBIDDEN,
        &MessagePage::new(
            "You are not signed in",
            &["Your console session has ended, so nothing was changed. Sign in again and retry."],
        )
        .with_link("/console", "Sign in"),
    )
}
