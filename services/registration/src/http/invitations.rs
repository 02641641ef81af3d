//! Organisers invite people to an exchange and follow who answered. Each invitee is
//! emailed a personal link bound to their address; those who have not registered get one
//! reminder (`INVITATION_REMINDER_HOURS`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use convene_shared::telemetry::CorrelationId;
use serde_json::{json, Value};

use super::error::ApiError;
use super::extract::{Admin, ApiJson, ApiPath};
use super::organisers::event_for;
use super::AppState;
use crate::actions::invite::{invite, Invited};
use crate::domain::parse_invitees;
use crate::store::activity;
use crate::store::invitations::{self, Invitation};

fn view(invitation: &Invitation) -> Value {
    json!({
        "id": invitation.id,
        "email": invitation.email,
        "name": invitation.name,
        "lang": invitation.lang,
        "status": invitation.status(),
        "invited_at": invitation.invited_at,
        "reminded_at": invitation.reminded_at,
        "registration_id": invitation.registration_id,
    })
}

/// `POST /api/admin/events/{slug}/invitations` with `{"invitees": [{"email", "name"?,
/// "lang"?}]}`: `201 {invited: [...], already_invited: [addresses]}`. An address invited
/// before is not invited (nor emailed) again. `422` names each bad item; `409` when the
/// exchange is cancelled or registration has closed.
pub async fn create(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    correlation_id: CorrelationId,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // 1. The exchange, if this token covers it.
    let event = event_for(&state, &admin, &slug).await?;

    // 2. Every invitee valid, or none is invited.
    let Value::Object(body) = body else {
        return Err(ApiError::Malformed(
            "the body must be a JSON object".to_owned(),
        ));
    };
    let invitees = parse_invitees(&body).map_err(ApiError::Invalid)?;

    // 3. Store them and announce each (its email carries the link).
    match invite(
        &state.pool,
        &event,
        &invitees,
        &state.settings.public_base_url,
        &state.settings.link_keys,
        activity::ADMIN_API,
        correlation_id.into(),
    )
    .await?
    {
        Invited::Done { invited, already } => {
            state.announce();
            Ok((
                StatusCode::CREATED,
                Json(json!({
                    "invited": invited.iter().map(view).collect::<Vec<_>>(),
                    "already_invited": already,
                })),
            ))
        }
        Invited::Closed => Err(ApiError::Conflict {
            field: None,
            message: "This exchange is cancelled or its registration has closed: an invitation could not be used.".to_owned(),
        }),
    }
}

/// `GET /api/admin/events/{slug}/invitations`: everyone invited, with `status` `invited`,
/// `reminded` or `registered`, and counts of each.
pub async fn list(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let event = event_for(&state, &admin, &slug).await?;
    let mut conn = state.pool.acquire().await?;
    let all = invitations::for_event(&mut conn, event.id).await?;
    let count = |status: &str| all.iter().filter(|i| i.status() == status).count();
    Ok(Json(json!({
        "event": event.slug,
        "total": all.len(),
        "registered": count("registered"),
        "reminded": count("reminded"),
        "invited": count("invited"),
        "invitations": all.iter().map(view).collect::<Vec<_>>(),
    })))
}
