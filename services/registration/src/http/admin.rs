//! Organisers' JSON API (bearer token).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use convene_shared::telemetry::CorrelationId;
use serde_json::Value;

use super::error::ApiError;
use super::events::admin_view;
use super::extract::ApiPath;
use super::extract::{Admin, ApiJson};
use super::AppState;
use crate::actions::create_event::{create_event as create, Created};
use crate::actions::update_event::{self as update, Updated};
use crate::domain::NewEvent;
use crate::store::activity::ADMIN_API;

/// `POST /api/admin/events`: create an exchange.
pub async fn create_event(
    admin: Admin,
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
    admin.require(new.slug.as_str())?;

    // Store and announce it.
    match create(&state.pool, &new, ADMIN_API, correlation_id.into()).await? {
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

/// `PATCH /api/admin/events/{slug}`: change an exchange; participants are emailed what
/// changed (date, time, place, link, title), and pending reminders move with it.
pub async fn update_event(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    correlation_id: CorrelationId,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    admin.require(&slug)?;
    let Value::Object(patch) = body else {
        return Err(ApiError::Malformed(
            "the body must be a JSON object".to_owned(),
        ));
    };
    match update::update_event(&state.pool, &slug, &patch, ADMIN_API, correlation_id.into()).await?
    {
        Updated::Event(event) => {
            state.announce();
            Ok(Json(admin_view(&event, &state.settings.public_base_url)))
        }
        Updated::NotFound => Err(ApiError::NotFound),
        Updated::Cancelled => Err(ApiError::Conflict {
            field: None,
            message: "This exchange is cancelled; it cannot be changed.".to_owned(),
        }),
        Updated::Invalid(errors) => Err(ApiError::Invalid(errors)),
    }
}

/// `POST /api/admin/events/{slug}/cancel`: everyone registered is told; no reminder goes
/// out after. Idempotent.
pub async fn cancel_event(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    correlation_id: CorrelationId,
) -> Result<Json<Value>, ApiError> {
    admin.require(&slug)?;
    match update::cancel_event(&state.pool, &slug, ADMIN_API, correlation_id.into()).await? {
        None => Err(ApiError::NotFound),
        Some(Some(_)) => {
            state.announce();
            Ok(Json(
                serde_json::json!({ "slug": slug, "status": "cancelled" }),
            ))
        }
        Some(None) => Ok(Json(
            serde_json::json!({ "slug": slug, "status": "cancelled" }),
        )),
    }
}
