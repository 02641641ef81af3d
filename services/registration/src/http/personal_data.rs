//! An organiser exports, or erases, everything held about one email address (a data
//! subject's request). Only an unrestricted admin token may do this: it crosses exchanges.

use axum::extract::State;
use axum::Json;
use convene_shared::telemetry::CorrelationId;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::extract::{Admin, ApiQuery};
use super::AppState;
use crate::actions::erase::erase_person;
use crate::domain::{Email, FieldErrors};
use crate::store::personal_data;

#[derive(Deserialize)]
pub struct Subject {
    #[serde(default)]
    email: String,
}

fn subject(admin: &Admin, query: &Subject) -> Result<Email, ApiError> {
    if !admin.is_unrestricted() {
        return Err(ApiError::Forbidden);
    }
    Email::parse(&query.email).map_err(|message| {
        let mut errors = FieldErrors::default();
        errors.add("email", message);
        ApiError::Invalid(errors)
    })
}

/// `GET /api/admin/personal-data?email=…`: every registration and offer under the address.
pub async fn export(
    admin: Admin,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<Subject>,
) -> Result<Json<Value>, ApiError> {
    let email = subject(&admin, &query)?;
    let mut conn = state.pool.acquire().await?;
    let (registrations, offers) = personal_data::export(&mut conn, email.as_str()).await?;
    let invitations = personal_data::export_invitations(&mut conn, email.as_str()).await?;
    let organiser = crate::store::digests::find(&mut conn, email.as_str())
        .await?
        .map(|o| {
            json!({
                "timezone": o.timezone,
                "digest": o.digest_enabled,
                "last_digest_at": o.last_digest_at,
            })
        });
    Ok(Json(json!({
        "email": email.as_str(),
        "registrations": registrations,
        "cosponsor_offers": offers,
        "invitations": invitations,
        "organiser_settings": organiser,
        "note": "The notification service keeps, for registrations not yet erased, the name and address needed to send reminders; erasing removes those too.",
    })))
}

/// `DELETE /api/admin/personal-data?email=…`: erase it all; figures stay right.
pub async fn erase(
    correlation_id: CorrelationId,
    admin: Admin,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<Subject>,
) -> Result<Json<Value>, ApiError> {
    let email = subject(&admin, &query)?;
    let erased = erase_person(&state.pool, email.as_str(), correlation_id.into()).await?;
    state.announce();
    Ok(Json(json!({ "erased": erased })))
}
