//! A participant's own page, reached from the link in their confirmation email.
//! A wrong token learns nothing but `404`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use convene_shared::telemetry::CorrelationId;

use super::error::ApiError;
use super::extract::ApiForm;
use super::extract::ApiPath;
use super::pages::{render, LinkPage, ManagePage, MessagePage, Texts};
use super::AppState;
use crate::actions::cancel::{cancel as cancel_registration, Cancelled};
use crate::actions::decide_registration::{accept_offer, Decided};
use crate::actions::hash_token;
use crate::actions::renew_link::renew_links;
use crate::store::events::{self, Event};
use crate::store::registrations::{self, Registration};
use crate::store::seats;
use convene_shared::i18n::Lang;

/// `GET /registrations/{token}`: the exchange, its date and time, the status, a cancel button.
pub async fn page(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> Response {
    match find_with_position(&state, &token).await {
        Ok(Some((registration, event, position))) => {
            let upcoming = event.starts_at > chrono::Utc::now() && event.status == "scheduled";
            let status = match registration.status.as_str() {
                "confirmed" => "Confirmed".to_owned(),
                "waitlisted" => match position {
                    Some(p) => format!("On the waiting list (number {p} in line)"),
                    None => "On the waiting list".to_owned(),
                },
                "offered" => match registration.offer_expires_at {
                    Some(t) => format!(
                        "A seat is held for you until {}: accept it below",
                        convene_shared::time::in_zone(t, &event.timezone)
                    ),
                    None => "A seat is held for you".to_owned(),
                },
                "pending" => "Waiting for the organisers' approval".to_owned(),
                "rejected" => "Not accepted by the organisers".to_owned(),
                "expired" => "The seat held for you has passed to the next in line".to_owned(),
                _ => "Cancelled".to_owned(),
            };
            let active = matches!(
                registration.status.as_str(),
                "confirmed" | "waitlisted" | "offered" | "pending"
            );
            render(
                StatusCode::OK,
                &ManagePage {
                    t: Texts(Lang::En),
                    event_title: event.title.clone(),
                    event_slug: event.slug.clone(),
                    when: convene_shared::time::span_in_zone(
                        event.starts_at,
                        event.ends_at,
                        &event.timezone,
                    ),
                    status,
                    can_accept: registration.status == "offered" && upcoming,
                    can_cancel: active && upcoming,
                    token,
                },
            )
        }
        Ok(None) => MessagePage::not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /registrations/{token}/calendar.ics`: the exchange as a calendar entry (the same
/// UID as the ones in the emails, so adding it twice updates one entry).
pub async fn calendar(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> Response {
    match find(&state, &token).await {
        Ok(Some((registration, event))) => {
            let cancelled = event.status == "cancelled"
                || !matches!(registration.status.as_str(), "confirmed" | "offered");
            let manage_url = format!("{}/registrations/{token}", state.settings.public_base_url);
            let ics = convene_shared::calendar::ics(&convene_shared::calendar::Entry {
                event: &event.snapshot(),
                method: if cancelled {
                    convene_shared::calendar::Method::Cancel
                } else {
                    convene_shared::calendar::Method::Request
                },
                organizer: event
                    .organiser_emails
                    .first()
                    .map_or("organisers@convene.invalid", String::as_str),
                attendee: None,
                description: &format!("Your registration: {manage_url}"),
                location: &event.location,
                url: Some(&manage_url),
                now: chrono::Utc::now(),
            });
            (
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "text/calendar; charset=utf-8",
                    ),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        "attachment; filename=\"exchange.ics\"",
                    ),
                ],
                ics,
            )
                .into_response()
        }
        Ok(None) => MessagePage::not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /registrations/{token}/accept`: take the seat held for you.
pub async fn accept(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    correlation_id: CorrelationId,
) -> Response {
    match accept_offer(&state.pool, &token, correlation_id.into()).await {
        Ok(Decided::Now(_)) => {
            state.announce();
            render(
                StatusCode::OK,
                &MessagePage::new("Your seat is confirmed", &["Welcome: we have sent you an email to confirm, and will remind you before the exchange."]),
            )
        }
        Ok(Decided::NotApplicable(status)) => render(
            StatusCode::CONFLICT,
            &MessagePage::new(
                "There is no seat to accept",
                &[if status == "confirmed" {
                    "Your seat is already confirmed."
                } else {
                    "The offer has lapsed or was withdrawn."
                }],
            ),
        ),
        Ok(Decided::NotFound) => MessagePage::not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The registration behind a token, its exchange, and its place on the waiting list.
async fn find_with_position(
    state: &AppState,
    token: &str,
) -> sqlx::Result<Option<(Registration, Event, Option<i64>)>> {
    let Some((registration, event)) = find(state, token).await? else {
        return Ok(None);
    };
    let mut conn = state.pool.acquire().await?;
    let position = seats::position(&mut conn, event.id, registration.id).await?;
    Ok(Some((registration, event, position)))
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

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LinkRequest {
    email: String,
}

/// `GET /registrations/link`: ask for your link again.
pub async fn link_form() -> Response {
    render(
        StatusCode::OK,
        &LinkPage {
            t: Texts(Lang::En),
            sent: false,
            email: String::new(),
            error: None,
        },
    )
}

/// `POST /registrations/link`: the same answer whether or not the address is registered.
pub async fn link_request(
    State(state): State<AppState>,
    correlation_id: CorrelationId,
    ApiForm(request): ApiForm<LinkRequest>,
) -> Response {
    let email = match convene_shared::values::Email::parse(&request.email) {
        Ok(email) => email,
        Err(message) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &LinkPage {
                    t: Texts(Lang::En),
                    sent: false,
                    email: request.email,
                    error: Some(message),
                },
            )
        }
    };
    match renew_links(
        &state.pool,
        email.as_str(),
        &state.settings.public_base_url,
        correlation_id.into(),
    )
    .await
    {
        Ok(_) => {
            state.announce();
            render(
                StatusCode::OK,
                &LinkPage {
                    t: Texts(Lang::En),
                    sent: true,
                    email: String::new(),
                    error: None,
                },
            )
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
