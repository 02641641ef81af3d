//! Organisers' JSON API (bearer token).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use convene_shared::telemetry::CorrelationId;
use serde_json::Value;

use super::error::ApiError;
use super::events::admin_view;
use super::extract::{Admin, ApiJson};
use super::AppState;
use crate::actions::create_event::{create_event as create, Created};
use crate::domain::NewEvent;

/// `POST /api/admin/events`: create an exchange.
pub async fn create_event(
    _admin: Admin,
    State(state): State<AppState>,
    correlation_id: CorrelationId,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // Validate every field.
    let Value::Object(fields) = body else {
        return Err(ApiError::Malformed(
            "the body must be a JSON object".to_owned(),
        ));
    };
    let new = NewEvent::from_json(&fields, Utc::now()).map_err(ApiError::Invalid)?;

    // Store and announce it.
    match create(&state.pool, &new, correlation_id.into()).await? {
        Created::Event(event) => {
            state.announce();
            Ok((
                StatusCode::CREATED,
                Json(admin_view(&event, &state.settings.public_base_url)),
            ))
        }
        Created::SlugTaken => Err(ApiError::Conflict {
            field: Some("slug"),
            message: "This slug is taken by another exchange.".to_owned(),
        }),
    }
}
