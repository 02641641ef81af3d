//! What organisers follow: who is coming (JSON or CSV), the figures they quote, and the
//! co-sponsorship offers with their decisions. Every route needs a token covering the
//! exchange.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use convene_shared::telemetry::CorrelationId;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{Admin, ApiJson, ApiPath, ApiQuery};
use super::AppState;
use crate::actions::decide_offer::{decide_offer, Decision};
use crate::actions::decide_registration::{self, Decided, Decision as RegistrationDecision};
use crate::domain::{CountryCode, FieldErrors, Role};
use crate::store::activity;
use crate::store::attendance;
use crate::store::events::{self, Event};
use crate::store::offers;
use crate::store::registrations::{self, Filter, Listed};

/// The largest page of the JSON listing.
const MAX_PER_PAGE: i64 = 1000;
/// The last page anyone may ask for: with [`MAX_PER_PAGE`], an offset of at most 10^9,
/// far from overflowing (a fuzzer's `page=2432902008176640000` used to overflow it).
const MAX_PAGE: i64 = 1_000_000;

pub(super) async fn event_for(
    state: &AppState,
    admin: &Admin,
    slug: &str,
) -> Result<Event, ApiError> {
    admin.require(slug)?;
    events::find_by_slug(&state.pool, slug)
        .await?
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: Option<String>,
    country: Option<String>,
    role: Option<String>,
    /// Read as text and bounded here, so that a number too large or not a number is a
    /// `422` naming the parameter, like every other bad field.
    page: Option<String>,
    per_page: Option<String>,
    format: Option<String>,
}

/// One page of a filtered list.
struct Listing {
    filter: Filter,
    page: i64,
    per_page: i64,
}

/// `value` as a whole number within `range`, or `default` when absent or empty.
fn bounded(
    errors: &mut FieldErrors,
    field: &'static str,
    value: Option<&str>,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> i64 {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => default,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                errors.add(
                    field,
                    format!(
                        "Use a whole number from {} to {}.",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        },
    }
}

impl ListQuery {
    fn listing(&self) -> Result<Listing, ApiError> {
        let mut errors = FieldErrors::default();
        let status = self.status.as_deref().filter(|s| !s.is_empty());
        if let Some(s) = status {
            if !crate::store::registrations::STATUSES.contains(&s) {
                errors.add(
                    "status",
                    "Use confirmed, waitlisted, offered, pending, unconfirmed, cancelled, rejected, \
                     expired or lapsed.",
                );
            }
        }
        let country = self
            .country
            .as_deref()
            .filter(|c| !c.is_empty())
            .and_then(|c| errors.check("country", CountryCode::parse(c)))
            .map(|c| c.as_str().to_owned());
        let role = self
            .role
            .as_deref()
            .filter(|r| !r.is_empty())
            .and_then(|r| errors.check("role", Role::parse(r)))
            .map(|r| r.as_str().to_owned());
        let page = bounded(&mut errors, "page", self.page.as_deref(), 1..=MAX_PAGE, 1);
        let per_page = bounded(
            &mut errors,
            "per_page",
            self.per_page.as_deref(),
            1..=MAX_PER_PAGE,
            100,
        );
        errors
            .into_result(|| Listing {
                filter: Filter {
                    status: status.map(str::to_owned),
                    country,
                    role,
                    search: None,
                },
                page,
                per_page,
            })
            .map_err(ApiError::Invalid)
    }
}

/// `GET /api/admin/events/{slug}/registrations`: JSON, or CSV with `Accept: text/csv` or
/// `?format=csv` (UTF-8 with a BOM, so spreadsheet programs read accents); filter by
/// `status`, `country`, `role`; JSON is paginated with `page` and `per_page`, CSV has
/// every matching row.
pub async fn registrations(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    // The query first: a bad one is refused whatever the exchange (and a fuzzer that
    // guesses slugs still reaches these checks).
    let Listing {
        filter,
        page,
        per_page,
    } = query.listing()?;
    let event = event_for(&state, &admin, &slug).await?;
    let wants_csv = query.format.as_deref() == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"));
    let mut conn = state.pool.acquire().await?;
    if wants_csv {
        let (rows, _) = registrations::list(&mut conn, event.id, &filter, i64::MAX, 0).await?;
        return Ok(csv_file(&event.slug, &rows));
    }
    let (rows, total) = registrations::list(
        &mut conn,
        event.id,
        &filter,
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    Ok(Json(json!({
        "event": event.slug,
        "total": total,
        "page": page,
        "per_page": per_page,
        "registrations": rows,
    }))
    .into_response())
}

/// The registrations as a CSV file to save, `{slug}-registrations.csv` (the admin API's
/// and the console's export).
pub(super) fn csv_file(slug: &str, rows: &[Listed]) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-registrations.csv\""),
            ),
        ],
        to_csv(rows),
    )
        .into_response()
}

/// Spreadsheet-safe CSV: a BOM, quoted fields, and cells that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@` first) prefixed with `'`.
fn to_csv(rows: &[Listed]) -> String {
    fn cell(value: &str) -> String {
        let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_owned()
        };
        format!("\"{}\"", value.replace('"', "\"\""))
    }
    let mut out = String::from("\u{FEFF}id,name,email,organisation,country,country_name,role,status,registered_at,cancelled_at,joined_at,attendance,attendance_basis\r\n");
    for r in rows {
        let country_name = CountryCode::parse(&r.country)
            .map(|c| c.name())
            .unwrap_or_default();
        let fields = [
            r.id.to_string(),
            r.name.clone(),
            r.email.clone(),
            r.organisation.clone(),
            r.country.clone(),
            country_name.to_owned(),
            r.role.clone(),
            r.status.clone(),
            r.registered_at.to_rfc3339(),
            r.cancelled_at.map(|c| c.to_rfc3339()).unwrap_or_default(),
            r.joined_at.map(|j| j.to_rfc3339()).unwrap_or_default(),
            r.attendance.clone().unwrap_or_default(),
            r.attendance_basis.clone().unwrap_or_default(),
        ];
        out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// `GET /api/admin/events/{slug}/survey`: the feedback survey's answers, newest first, and
/// the average rating; a participant's name and organisation only where they allowed it.
pub async fn survey(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let event = event_for(&state, &admin, &slug).await?;
    let mut conn = state.pool.acquire().await?;
    let (answers, average) = crate::store::survey::answers(&mut conn, event.id).await?;
    Ok(Json(json!({
        "event": event.slug,
        "external_survey_url": event.survey_url,
        "closes_at": super::survey::closes_at(&event),
        "count": answers.len(),
        "average_rating": average,
        "answers": answers,
    })))
}

/// `GET /api/admin/events/{slug}/stats`: the figures organisers quote ("110 participants,
/// over 60 officials from 32 countries"), anonymised registrations included; with the
/// confirmed participants' attendance (attended, absent: the no-shows, excused, not known
/// yet), overall, by country and by role.
pub async fn stats(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let event = event_for(&state, &admin, &slug).await?;
    let mut conn = state.pool.acquire().await?;
    let figures = registrations::figures(&mut conn, event.id).await?;
    let attendance = attendance::figures(&mut conn, event.id).await?;
    Ok(Json(json!({
        "event": event.slug,
        "capacity": event.capacity,
        "confirmed": figures.status("confirmed"),
        "waitlisted": figures.status("waitlisted"),
        "pending": figures.status("pending"),
        "cancelled": figures.status("cancelled"),
        "offered": figures.status("offered"),
        "rejected": figures.status("rejected"),
        "officials": figures.officials,
        "countries": figures.countries,
        "by_country": figures.by_country.iter().map(|(c, (confirmed, officials))| {
            (c.clone(), json!({ "confirmed": confirmed, "officials": officials }))
        }).collect::<serde_json::Map<_, _>>(),
        "by_role": figures.by_role,
        "attendance": attendance,
    })))
}

/// How many entries the activity log answers with at most.
const ACTIVITY_LIMIT: i64 = 500;

/// `GET /api/admin/events/{slug}/activity`: who decided what on the exchange, newest first
/// (the latest 500).
pub async fn activity(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let event = event_for(&state, &admin, &slug).await?;
    let mut conn = state.pool.acquire().await?;
    let entries = activity::for_event(&mut conn, event.id, ACTIVITY_LIMIT).await?;
    Ok(Json(json!({ "event": event.slug, "activity": entries })))
}

/// `GET /api/admin/events/{slug}/cosponsor-offers`.
pub async fn offers(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let event = event_for(&state, &admin, &slug).await?;
    let mut conn = state.pool.acquire().await?;
    let offers = offers::list(&mut conn, event.id).await?;
    Ok(Json(
        json!({ "event": event.slug, "cosponsor_offers": offers }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionBody {
    note: Option<String>,
}

/// `POST /api/admin/cosponsor-offers/{id}/accept`, optional JSON `{"note": "…"}`.
pub async fn accept(
    correlation_id: CorrelationId,
    admin: Admin,
    state: State<AppState>,
    id: ApiPath<Uuid>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide(correlation_id, admin, state, id, body, Decision::Accept).await
}

/// `POST /api/admin/cosponsor-offers/{id}/decline`, optional JSON `{"note": "…"}`.
pub async fn decline(
    correlation_id: CorrelationId,
    admin: Admin,
    state: State<AppState>,
    id: ApiPath<Uuid>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide(correlation_id, admin, state, id, body, Decision::Decline).await
}

async fn decide(
    correlation_id: CorrelationId,
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    body: Bytes,
    decision: Decision,
) -> Result<Json<Value>, ApiError> {
    // The body is optional: no body, no note.
    let body: DecisionBody = if body.iter().all(u8::is_ascii_whitespace) {
        DecisionBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::Malformed(format!("invalid JSON body: {e}")))?
    };
    let note = body.note.unwrap_or_default();
    let note = crate::domain::BoundedText::parse(&note, 0, 2000, true).map_err(|m| {
        let mut errors = FieldErrors::default();
        errors.add("note", m);
        ApiError::Invalid(errors)
    })?;
    let offer = decide_offer(
        &state.pool,
        id,
        decision,
        note.as_str(),
        |event| admin.require(&event.slug),
        activity::ADMIN_API,
        correlation_id.into(),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    state.announce();
    Ok(Json(json!({ "cosponsor_offer": offer })))
}

/// `POST /api/admin/registrations/{id}/approve`: a pending registration takes a seat if one
/// is free for its country, and joins the waiting list otherwise; the participant is emailed.
pub async fn approve(
    correlation_id: CorrelationId,
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    decide_one(
        &state,
        &admin,
        id,
        RegistrationDecision::Approve,
        correlation_id.into(),
    )
    .await
    .map(Json)
}

/// `POST /api/admin/registrations/{id}/reject`: a pending or waitlisted registration is
/// turned down; the participant is emailed.
pub async fn reject(
    correlation_id: CorrelationId,
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    decide_one(
        &state,
        &admin,
        id,
        RegistrationDecision::Reject,
        correlation_id.into(),
    )
    .await
    .map(Json)
}

/// `POST /api/admin/registrations/{id}/reopen`: a rejected registration is looked at
/// again: `pending` when the exchange requires approval, else confirmed if a seat is free
/// for its country and waitlisted otherwise, as a new registration would be; the
/// participant is emailed. `409` unless it is rejected.
pub async fn reopen(
    correlation_id: CorrelationId,
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    decide_one(
        &state,
        &admin,
        id,
        RegistrationDecision::Reopen,
        correlation_id.into(),
    )
    .await
    .map(Json)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Many {
    ids: Vec<Uuid>,
}

/// `POST /api/admin/registrations/approve` with `{"ids": [...]}`: approve many at once,
/// in the order given (earlier ones take free seats first). Answers each one's outcome.
pub async fn approve_many(
    correlation_id: CorrelationId,
    admin: Admin,
    State(state): State<AppState>,
    ApiJson(many): ApiJson<Many>,
) -> Result<Json<Value>, ApiError> {
    decide_many(
        &state,
        &admin,
        many,
        RegistrationDecision::Approve,
        correlation_id.into(),
    )
    .await
}

/// `POST /api/admin/registrations/reject` with `{"ids": [...]}`.
pub async fn reject_many(
    correlation_id: CorrelationId,
    admin: Admin,
    State(state): State<AppState>,
    ApiJson(many): ApiJson<Many>,
) -> Result<Json<Value>, ApiError> {
    decide_many(
        &state,
        &admin,
        many,
        RegistrationDecision::Reject,
        correlation_id.into(),
    )
    .await
}

async fn decide_many(
    state: &AppState,
    admin: &Admin,
    many: Many,
    decision: RegistrationDecision,
    correlation_id: Uuid,
) -> Result<Json<Value>, ApiError> {
    if many.ids.is_empty() || many.ids.len() > 500 {
        let mut errors = FieldErrors::default();
        errors.add("ids", "Give 1 to 500 registration ids.");
        return Err(ApiError::Invalid(errors));
    }
    let mut results = Vec::with_capacity(many.ids.len());
    for id in many.ids {
        let result = match decide_one(state, admin, id, decision, correlation_id).await {
            Ok(value) => value,
            Err(ApiError::NotFound) => json!({ "id": id, "error": "not found" }),
            Err(ApiError::Conflict { message, .. }) => json!({ "id": id, "error": message }),
            Err(ApiError::Forbidden) => {
                json!({ "id": id, "error": "this token does not cover that exchange" })
            }
            Err(e) => return Err(e),
        };
        results.push(result);
    }
    Ok(Json(json!({ "results": results })))
}

async fn decide_one(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    decision: RegistrationDecision,
    correlation_id: Uuid,
) -> Result<Value, ApiError> {
    match decide_registration::decide(
        &state.pool,
        &state.settings.link_keys,
        id,
        decision,
        |event| admin.require(&event.slug),
        activity::ADMIN_API,
        correlation_id,
    )
    .await?
    {
        Decided::Now(registration) => {
            state.announce();
            Ok(json!({ "id": registration.id, "status": registration.status }))
        }
        Decided::NotApplicable(status) => Err(ApiError::Conflict {
            field: None,
            message: format!(
                "This registration is {status}; {}.",
                decision.applies_to_text()
            ),
        }),
        Decided::NotFound => Err(ApiError::NotFound),
    }
}
