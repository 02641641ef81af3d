//! The public view of exchanges (JSON), and the exchange's page.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::{json, Value};

use super::error::ApiError;
use super::pages::MessagePage;
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
        "registration_url": format!("{base}/events/{}/register", event.slug),
        "cosponsor_url": format!("{base}/events/{}/cosponsor", event.slug),
    })
}

/// What organisers see: the public view plus the organisers and reminder plan.
pub fn admin_view(event: &Event, public_base_url: &str) -> Value {
    let mut view = public_view(event, public_base_url);
    view["organiser_emails"] = json!(event.organiser_emails);
    view["reminder_offsets_minutes"] = json!(event.reminder_offsets_minutes);
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

/// `GET /api/events/{slug}`.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let event = events::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(public_view(&event, &state.settings.public_base_url)))
}

/// `GET /events/{slug}`: for now, the registration form is the exchange's page.
pub async fn page(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    match events::find_by_slug(&state.pool, &slug).await {
        Ok(Some(event)) => {
            Redirect::to(&format!("/events/{}/register", event.slug)).into_response()
        }
        Ok(None) => MessagePage::not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
