//! The public view of exchanges (JSON), and the exchange's page.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::error::ApiError;
use super::extract::ApiPath;
use super::pages::{lang_query, render, EventItem, EventsPage, Texts};
use super::AppState;
use crate::store::events::{self, Event};

/// What anyone may see of an exchange.
pub fn public_view(event: &Event, public_base_url: &str) -> Value {
    let base = public_base_url.trim_end_matches('/');
    json!({
        "id": event.id,
        "slug": event.slug,
        "title": event.title,
        "description": event.description,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "capacity": event.capacity,
        "topics": event.topics,
        "registration_opens_at": event.registration_opens_at,
        "registration_closes_at": event.registration_closes_at,
        "registration_url": format!("{base}/events/{}/register", event.slug),
        "cosponsor_url": format!("{base}/events/{}/cosponsor", event.slug),
    })
}

/// What organisers see: the public view plus the organisers and reminder plan.
pub fn admin_view(event: &Event, public_base_url: &str) -> Value {
    let mut view = public_view(event, public_base_url);
    view["organiser_emails"] = json!(event.organiser_emails);
    view["viewer_emails"] = json!(event.viewer_emails);
    view["reminder_offsets_minutes"] = json!(event.reminder_offsets_minutes);
    view["location"] = json!(event.location);
    view["organised_by"] = json!(event.organised_by);
    view["online_link"] = json!(event.online_link);
    view["status"] = json!(event.status);
    view["version"] = json!(event.version);
    view["requires_approval"] = json!(event.requires_approval);
    view["country_cap"] = json!(event.country_cap);
    view["waitlist_offer_hours"] = json!(event.waitlist_offer_hours);
    // Admin only: a note may hold the private meeting link.
    view["reminder_notes"] = json!(event.reminder_notes.0);
    view["invitation_only"] = json!(event.invitation_only);
    // Admin only: the private meeting link; participants get personal join links.
    view["meeting_url"] = json!(event.meeting_url);
    view["join_opens_minutes"] = json!(event.join_opens_minutes);
    view["confirm_email"] = json!(event.confirm_email);
    view["materials_url"] = json!(event.materials_url);
    view["recording_url"] = json!(event.recording_url);
    view["survey_url"] = json!(event.survey_url);
    view["survey_closes_days"] = json!(event.survey_closes_days);
    view["created_at"] = json!(event.created_at);
    view
}

/// `GET /api/events`: exchanges that have not ended, soonest first.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let events = events::upcoming(&state.pool).await?;
    let views: Vec<Value> = events
        .iter()
        .map(|e| public_view(e, &state.settings.public_base_url))
        .collect();
    Ok(Json(json!({ "events": views })))
}

/// What the public page and `GET /api/events/{slug}` add to an exchange: who
/// co-sponsors it and how many seats are left.
pub struct Details {
    /// (organisation, country code) of the accepted co-sponsors.
    pub cosponsors: Vec<(String, String)>,
    /// `None`: unlimited.
    pub seats_left: Option<i64>,
}

/// Reads an exchange's [`Details`].
///
/// # Errors
/// When Postgres fails.
pub async fn details(state: &AppState, event: &Event) -> sqlx::Result<Details> {
    let mut conn = state.pool.acquire().await?;
    let cosponsors = crate::store::offers::accepted(&mut conn, event.id).await?;
    let seats_left = match event.capacity {
        Some(capacity) => {
            Some((i64::from(capacity) - events::confirmed_count(&mut conn, event.id).await?).max(0))
        }
        None => None,
    };
    Ok(Details {
        cosponsors,
        seats_left,
    })
}

/// `GET /api/events/{slug}`: the exchange, its co-sponsors and the seats left.
pub async fn show(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let event = events::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    let details = details(&state, &event).await?;
    let mut view = public_view(&event, &state.settings.public_base_url);
    view["status"] = json!(event.status);
    view["location"] = json!(event.location);
    view["organised_by"] = json!(event.organised_by);
    view["seats_left"] = json!(details.seats_left);
    view["cosponsors"] = details
        .cosponsors
        .iter()
        .map(|(organisation, country)| json!({ "organisation": organisation, "country": country }))
        .collect();
    Ok(Json(view))
}

/// `GET /events`: upcoming exchanges open for registration.
pub async fn index(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let lang = super::register::page_lang(super::register::lang_param(query.as_deref()), &headers);
    match events::upcoming(&state.pool).await {
        Ok(events) => {
            let items = events
                .iter()
                .map(|e| EventItem {
                    slug: e.slug.clone(),
                    title: e.title.clone(),
                    when: convene_shared::time::span_in_zone_lang(
                        e.starts_at,
                        e.ends_at,
                        &e.timezone,
                        lang,
                    ),
                    topics: e.topics.join(" · "),
                })
                .collect();
            render(
                StatusCode::OK,
                &EventsPage {
                    events: items,
                    t: Texts(lang),
                    lang_query: lang_query(lang),
                },
            )
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
