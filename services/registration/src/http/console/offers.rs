//! Co-sponsorship offers in the console: organisers and console admins accept or decline
//! an offer, with an optional note to its contact, through the action the admin API uses.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use convene_shared::telemetry::CorrelationId;
use serde::Deserialize;
use uuid::Uuid;

use super::super::error::ApiError;
use super::super::extract::{ApiForm, ApiPath};
use super::super::pages::{render, MessagePage};
use super::super::AppState;
use super::exchanges::{changeable, same_exchange};
use crate::actions::decide_offer::{decide_offer, Decision};
use crate::domain::BoundedText;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OfferForm {
    csrf: String,
    /// To the offer's contact (may be empty).
    note: String,
}

/// `POST /console/events/{slug}/cosponsor-offers/{id}/accept`.
pub async fn accept(
    state: State<AppState>,
    path: ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    form: ApiForm<OfferForm>,
) -> Result<Response, ApiError> {
    decide(state, path, headers, correlation_id, form, Decision::Accept).await
}

/// `POST /console/events/{slug}/cosponsor-offers/{id}/decline`.
pub async fn decline(
    state: State<AppState>,
    path: ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    form: ApiForm<OfferForm>,
) -> Result<Response, ApiError> {
    decide(
        state,
        path,
        headers,
        correlation_id,
        form,
        Decision::Decline,
    )
    .await
}

/// Accepts or declines one offer of the exchange; its contact is emailed.
async fn decide(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    ApiForm(form): ApiForm<OfferForm>,
    decision: Decision,
) -> Result<Response, ApiError> {
    // 1. Signed in, the form from their session, and theirs to change: otherwise 403 or
    //    404, and nothing changes.
    let (event, person) = match changeable(&state, &headers, &form.csrf, &slug).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let back = format!("/console/events/{}", event.slug);

    // 2. The note, as the admin API takes it.
    let note = match BoundedText::parse(&form.note, 0, 2000, true) {
        Ok(note) => note,
        Err(problem) => {
            return Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &MessagePage::new("The note cannot be sent", &[&format!("Note: {problem}")])
                    .with_link(&back, "Back to the exchange"),
            ))
        }
    };

    // 3. Decide; an offer of another exchange is not found here.
    let decided = decide_offer(
        &state.pool,
        id,
        decision,
        note.as_str(),
        |e| same_exchange(e, &event),
        &person.email,
        correlation_id.into(),
    )
    .await;

    // 4. Back to the exchange, saying what happened.
    match decided {
        Ok(Some(offer)) => {
            state.announce();
            tracing::info!(offer_id = %id, status = %offer.status, "offer decided in the console");
            Ok(Redirect::to(&format!("{back}?decided={}", offer.status)).into_response())
        }
        Ok(None) | Err(ApiError::NotFound) => Ok(MessagePage::not_found()),
        Err(e) => Err(e),
    }
}
