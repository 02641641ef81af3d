//! An organiser exports, or erases, everything held about one email address (a data
//! subject's request). Only an unrestricted admin token may do this: it crosses exchanges.

use axum::extract::State;
use axum::Json;
use convene_shared::messages::{PersonalDataExportRequested, PersonalDataExported};
use convene_shared::telemetry::CorrelationId;
use convene_shared::{requests, topology};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::extract::{Admin, ApiQuery};
use super::AppState;
use crate::actions::erase::erase_person;
use crate::domain::{Email, FieldErrors};
use crate::store::personal_data;

/// How long an export waits for the notification service's part.
const NOTIFICATION_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

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
    correlation_id: CorrelationId,
    admin: Admin,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<Subject>,
) -> Result<Json<Value>, ApiError> {
    // 1. Which address, and may this token see everything?
    let email = subject(&admin, &query)?;

    // 2. What this service holds.
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
    drop(conn);

    // 3. What the notification service holds: asked over RabbitMQ while the organiser
    //    waits. Without its answer the export says it is incomplete rather than failing.
    let asked = PersonalDataExportRequested {
        email: email.as_str().to_owned(),
    };
    let (notification, incomplete) = match requests::ask::<_, PersonalDataExported>(
        &state.settings.common.broker,
        topology::NOTIFICATION_REQUESTS,
        &asked,
        correlation_id.into(),
        NOTIFICATION_WAIT,
    )
    .await
    {
        Ok(held) => (json!(held), json!([])),
        Err(e) => {
            tracing::warn!(error = %e, "the notification service did not answer an export");
            (
                Value::Null,
                json!([format!("notification: {e}; ask again in a moment")]),
            )
        }
    };
    Ok(Json(json!({
        "email": email.as_str(),
        "registrations": registrations,
        "cosponsor_offers": offers,
        "invitations": invitations,
        "organiser_settings": organiser,
        "notification": notification,
        "incomplete": incomplete,
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
