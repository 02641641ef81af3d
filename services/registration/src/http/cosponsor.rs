//! Offering to co-sponsor an exchange: the HTML form and the JSON API.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use convene_shared::telemetry::CorrelationId;
use serde_json::json;

use super::error::ApiError;
use super::extract::ApiPath;
use super::extract::{ApiForm, ApiJson};
use super::pages::{render, CosponsorPage, MessagePage};
use super::AppState;
use crate::actions::offer::offer;
use crate::domain::{CosponsorOfferInput, FieldErrors, NewCosponsorOffer};
use crate::store::events;

/// `GET /events/{slug}/cosponsor`.
pub async fn form(State(state): State<AppState>, ApiPath(slug): ApiPath<String>) -> Response {
    match events::find_by_slug(&state.pool, &slug).await {
        Ok(Some(event)) => {
            let input = CosponsorOfferInput::default();
            render(
                StatusCode::OK,
                &CosponsorPage::new(&event, &input, &FieldErrors::default()),
            )
        }
        Ok(None) => MessagePage::not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /events/{slug}/cosponsor`.
pub async fn submit_form(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    correlation_id: CorrelationId,
    ApiForm(input): ApiForm<CosponsorOfferInput>,
) -> Response {
    let event = match events::find_by_slug(&state.pool, &slug).await {
        Ok(Some(event)) => event,
        Ok(None) => return MessagePage::not_found(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let thanks = || {
        render(
            StatusCode::OK,
            &MessagePage::new(
                "Thank you for your offer",
                &[&format!(
                    "The organisers of {} have received your offer and will reply to you by email.",
                    event.title
                )],
            ),
        )
    };
    let new = match NewCosponsorOffer::try_from(&input) {
        Ok(new) => new,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CosponsorPage::new(&event, &input, &errors),
            )
        }
    };
    // A bot that filled the hidden field is thanked and nothing is stored. Checked after
    // validation: invalid input is answered alike with or without it.
    if !input.website.trim().is_empty() {
        return thanks();
    }
    match offer(
        &state.pool,
        &event,
        &new,
        &state.settings.public_base_url,
        state.settings.offer_emails_per_hour,
        correlation_id.into(),
    )
    .await
    {
        Ok(_) => {
            state.announce();
            thanks()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /api/events/{slug}/cosponsor-offers`: `201 {id}`, `422` naming bad fields.
pub async fn submit_json(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    correlation_id: CorrelationId,
    ApiJson(input): ApiJson<CosponsorOfferInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let event = events::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    let new = NewCosponsorOffer::try_from(&input).map_err(ApiError::Invalid)?;
    // A bot that filled the hidden field is told it worked (an id like any other, of an
    // offer that does not exist) and nothing is stored or emailed. Checked after
    // validation, as for registrations: invalid input is answered alike with or without it.
    if !input.website.trim().is_empty() {
        return Ok((
            StatusCode::CREATED,
            Json(json!({ "id": uuid::Uuid::now_v7(), "event": event.slug, "status": "received" })),
        ));
    }
    let id = offer(
        &state.pool,
        &event,
        &new,
        &state.settings.public_base_url,
        state.settings.offer_emails_per_hour,
        correlation_id.into(),
    )
    .await?;
    state.announce();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "event": event.slug, "status": "received" })),
    ))
}
