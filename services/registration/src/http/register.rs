//! Registering: the HTML form and the JSON API, both calling [`actions::register`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use convene_shared::metrics::{self, RegistrationOutcome};
use convene_shared::telemetry::CorrelationId;
use serde_json::json;

use super::error::ApiError;
use super::events::details;
use super::extract::ApiPath;
use super::extract::{ApiForm, ApiJson, ApiQuery};
use super::pages::{render, MessagePage, RegisterPage};
use super::AppState;
use crate::actions::register::{register, Registered};
use crate::domain::{FieldErrors, NewRegistration, RegistrationInput};
use crate::store::events;

/// `GET /events/{slug}` and `GET /events/{slug}/register`: the exchange's page — its
/// description, topics, date and time, co-sponsors, seats left — with the empty form.
pub async fn form(State(state): State<AppState>, ApiPath(slug): ApiPath<String>) -> Response {
    let event = match events::find_by_slug(&state.pool, &slug).await {
        Ok(Some(event)) => event,
        Ok(None) => return MessagePage::not_found(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let details = match details(&state, &event).await {
        Ok(details) => details,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let input = RegistrationInput::default();
    render(
        StatusCode::OK,
        &RegisterPage::new(&event, &details, &input, &FieldErrors::default()),
    )
}

/// `POST /events/{slug}/register`: on success a redirect to the "you are registered" page;
/// on invalid input `422` with the form again, each message beside its field, input kept.
pub async fn submit_form(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    correlation_id: CorrelationId,
    ApiForm(input): ApiForm<RegistrationInput>,
) -> Response {
    // Find the exchange.
    let event = match events::find_by_slug(&state.pool, &slug).await {
        Ok(Some(event)) => event,
        Ok(None) => return MessagePage::not_found(),
        Err(e) => return ApiError::from(e).into_response(),
    };

    // Validate; a bot that filled the hidden field is told it worked and nothing is stored.
    if !input.website.trim().is_empty() {
        metrics::registration(RegistrationOutcome::Spam);
        return Redirect::to(&format!("/events/{slug}/registered")).into_response();
    }
    let new = match NewRegistration::try_from(&input) {
        Ok(new) => new,
        Err(errors) => {
            metrics::registration(RegistrationOutcome::Invalid);
            let details = match details(&state, &event).await {
                Ok(details) => details,
                Err(e) => return ApiError::from(e).into_response(),
            };
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RegisterPage::new(&event, &details, &input, &errors),
            );
        }
    };

    // Register, and answer.
    let registered = register(
        &state.pool,
        &event,
        &new,
        &state.settings.public_base_url,
        correlation_id.into(),
    )
    .await;
    metrics::registration(outcome(&registered));
    match registered {
        Ok(Registered::New(r)) => {
            state.announce();
            Redirect::to(&format!("/events/{slug}/registered?status={}", r.status)).into_response()
        }
        // The same page as a first registration says nothing about who is registered.
        Ok(Registered::Existing(_)) => {
            Redirect::to(&format!("/events/{slug}/registered")).into_response()
        }
        Ok(Registered::NotOpenYet(opens)) => render(
            StatusCode::CONFLICT,
            &MessagePage::new(
                "Registration is not open yet",
                &[&format!(
                    "Registration opens {}.",
                    convene_shared::time::in_zone(opens, &event.timezone)
                )],
            ),
        ),
        Ok(Registered::Closed) => render(
            StatusCode::CONFLICT,
            &MessagePage::new(
                "Registration is closed",
                &["This exchange no longer takes registrations."],
            ),
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RegisteredQuery {
    status: Option<String>,
}

/// `GET /events/{slug}/registered`: what a participant sees after registering. The same
/// page whether the address was new or already registered, so it reveals nothing.
pub async fn registered(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<RegisteredQuery>,
) -> Response {
    match events::find_by_slug(&state.pool, &slug).await {
        Ok(Some(event)) => {
            let when =
                convene_shared::time::span_in_zone(event.starts_at, event.ends_at, &event.timezone);
            let (heading, first) = match query.status.as_deref() {
                Some("waitlisted") => (
                    "You are on the waiting list",
                    format!("{} is full for now. You are on its waiting list; if a seat frees up we email you and hold it for you.", event.title),
                ),
                Some("pending") => (
                    "Your registration is received",
                    format!("The organisers of {} review each registration; we will email you their answer.", event.title),
                ),
                _ => ("You are registered", format!("Thank you. You are registered for {}.", event.title)),
            };
            let page = MessagePage::new(
                heading,
                &[
                    &first,
                    &when,
                    "We have sent you an email with a personal link where you can see or cancel your registration. If it does not arrive within a few minutes, check your spam folder.",
                ],
            );
            render(StatusCode::OK, &page)
        }
        Ok(None) => MessagePage::not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /api/events/{slug}/registrations`: `201 {id, status}` for a new registration,
/// `200` with the same body when this address was already registered, `422` naming
/// every bad field, `409` when the exchange is full, `404` for an unknown exchange.
pub async fn submit_json(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    correlation_id: CorrelationId,
    ApiJson(input): ApiJson<RegistrationInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let event = events::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    let new = NewRegistration::try_from(&input).map_err(|errors| {
        metrics::registration(RegistrationOutcome::Invalid);
        ApiError::Invalid(errors)
    })?;
    let body = |r: &crate::store::registrations::Registration| {
        Json(json!({
            "id": r.id,
            "event": event.slug,
            "status": r.status,
            "registered_at": r.registered_at,
        }))
    };
    let registered = register(
        &state.pool,
        &event,
        &new,
        &state.settings.public_base_url,
        correlation_id.into(),
    )
    .await;
    metrics::registration(outcome(&registered));
    match registered? {
        Registered::New(r) => {
            state.announce();
            Ok((StatusCode::CREATED, body(&r)))
        }
        Registered::Existing(r) => Ok((StatusCode::OK, body(&r))),
        Registered::NotOpenYet(opens) => Err(ApiError::Conflict {
            field: None,
            message: format!("Registration opens at {}.", opens.to_rfc3339()),
        }),
        Registered::Closed => Err(ApiError::Conflict {
            field: None,
            message: "Registration for this exchange is closed.".to_owned(),
        }),
    }
}

/// What a registration attempt that reached the database counts as in the metrics.
fn outcome(registered: &Result<Registered, sqlx::Error>) -> RegistrationOutcome {
    match registered {
        Ok(Registered::New(r)) if r.status == "waitlisted" => RegistrationOutcome::Waitlisted,
        Ok(Registered::New(r)) if r.status == "pending" => RegistrationOutcome::Pending,
        Ok(Registered::New(_)) => RegistrationOutcome::Created,
        Ok(Registered::Existing(_)) => RegistrationOutcome::AlreadyRegistered,
        Ok(Registered::NotOpenYet(_) | Registered::Closed) => RegistrationOutcome::Closed,
        Err(_) => RegistrationOutcome::Failed,
    }
}
