//! A participant's own page, reached from the link in their confirmation email.
//! A wrong token learns nothing but `404`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use convene_shared::telemetry::CorrelationId;

use super::error::ApiError;
use super::extract::ApiPath;
use super::pages::{render, ManagePage, MessagePage};
use super::AppState;
use crate::actions::cancel::{cancel as cancel_registration, Cancelled};
use crate::actions::hash_token;
use crate::store::events::{self, Event};
use crate::store::registrations::{self, Registration};

/// `GET /registrations/{token}`: the exchange, its date and time, the status, a cancel button.
pub async fn page(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> Response {
    match find(&state, &token).await {
        Ok(Some((registration, event))) => {
            let confirmed = registration.status == "confirmed";
            render(
                StatusCode::OK,
                &ManagePage {
                    event_title: event.title.clone(),
                    event_slug: event.slug.clone(),
                    when: convene_shared::time::span_in_zone(
                        event.starts_at,
                        event.ends_at,
                        &event.timezone,
                    ),
                    status: if confirmed { "Confirmed" } else { "Cancelled" },
                    can_cancel: confirmed && event.starts_at > chrono::Utc::now(),
                    token,
                },
            )
        }
        Ok(None) => MessagePage::not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The registration behind a token, with its exchange.
async fn find(state: &AppState, token: &str) -> sqlx::Result<Option<(Registration, Event)>> {
    let mut conn = state.pool.acquire().await?;
    let Some(registration) = registrations::find_by_token(&mut conn, &hash_token(token)).await?
    else {
        return Ok(None);
    };
    let event = events::find_by_id(&mut conn, registration.event_id).await?;
    Ok(event.map(|e| (registration, e)))
}

/// `POST /registrations/{token}/cancel`: idempotent; the participant is emailed once.
pub async fn cancel(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    correlation_id: CorrelationId,
) -> Response {
    match cancel_registration(&state.pool, &token, correlation_id.into()).await {
        Ok(Cancelled::Now) => {
            state.announce();
            render(
                StatusCode::OK,
                &MessagePage::new(
                    "Your registration is cancelled",
                    &["Your seat is free for someone else. We have sent you an email to confirm."],
                ),
            )
        }
        Ok(Cancelled::Already) => render(
            StatusCode::OK,
            &MessagePage::new(
                "Your registration is cancelled",
                &["It was already cancelled; nothing changed."],
            ),
        ),
        Ok(Cancelled::UnknownToken) => MessagePage::not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
