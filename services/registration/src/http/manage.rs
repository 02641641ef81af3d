//! A participant's own page, reached from the link in their confirmation email.
//! A wrong token learns nothing but `404`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use convene_shared::telemetry::CorrelationId;

use super::error::ApiError;
use super::extract::ApiForm;
use super::extract::ApiPath;
use super::pages::{
    cosponsor_names, lang_query, render, CertificatePage, LinkPage, ManagePage, MessagePage, Texts,
};
use super::register::{lang_param, page_lang};
use super::AppState;
use crate::actions::cancel::{cancel as cancel_registration, Cancelled};
use crate::actions::confirm_address::confirm_address;
use crate::actions::decide_registration::{accept_offer, Decided};
use crate::actions::hash_token;
use crate::actions::renew_link::renew_links;
use crate::store::events::{self, Event};
use crate::store::registrations::{self, Registration};
use crate::store::seats;
use crate::store::{attendance, offers};
use convene_shared::i18n::{fill, translate_problem, Lang, Msg};
use uuid::Uuid;

/// `GET /registrations/{token}`: the exchange, its date and time, the status, a cancel button.
/// In the participant's language, as chosen when they registered.
pub async fn page(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    correlation_id: CorrelationId,
    headers: HeaderMap,
) -> Response {
    match find_with_position(&state, &token, correlation_id.into()).await {
        Ok(Some((registration, event, position))) => {
            let lang = Lang::parse(&registration.lang).unwrap_or_default();
            let upcoming = event.starts_at > chrono::Utc::now() && event.status == "scheduled";
            let status = match registration.status.as_str() {
                "confirmed" => Msg::StatusConfirmedLabel.text(lang).to_owned(),
                "waitlisted" => match position {
                    Some(p) => fill(
                        Msg::StatusWaitlistedNumber.text(lang),
                        &[("n", &p.to_string())],
                    ),
                    None => Msg::StatusWaitlistedLabel.text(lang).to_owned(),
                },
                "offered" => match registration.offer_expires_at {
                    Some(t) => fill(
                        Msg::StatusOfferedUntil.text(lang),
                        &[(
                            "when",
                            &convene_shared::time::in_zone_lang(t, &event.timezone, lang),
                        )],
                    ),
                    None => Msg::StatusOfferedLabel.text(lang).to_owned(),
                },
                "pending" => Msg::StatusPendingLabel.text(lang).to_owned(),
                "rejected" => Msg::StatusRejectedLabel.text(lang).to_owned(),
                "expired" => Msg::StatusExpiredLabel.text(lang).to_owned(),
                "unconfirmed" => Msg::StatusUnconfirmedLabel.text(lang).to_owned(),
                "lapsed" => Msg::StatusLapsedLabel.text(lang).to_owned(),
                _ => Msg::StatusCancelledLabel.text(lang).to_owned(),
            };
            // Only a confirmed seat at an exchange that has begun may have been attended.
            let can_certify = registration.status == "confirmed"
                && event.starts_at <= chrono::Utc::now()
                && match attended(&state, &token).await {
                    Ok(attended) => attended,
                    Err(e) => return ApiError::from(e).into_response(),
                };
            let active = matches!(
                registration.status.as_str(),
                "confirmed" | "waitlisted" | "offered" | "pending" | "unconfirmed"
            );
            render(
                StatusCode::OK,
                &ManagePage {
                    t: Texts(lang),
                    lang_query: lang_query(lang),
                    event_title: event.title.clone(),
                    event_slug: event.slug.clone(),
                    when: convene_shared::time::span_in_zone_lang(
                        event.starts_at,
                        event.ends_at,
                        &event.timezone,
                        lang,
                    ),
                    status,
                    can_accept: registration.status == "offered" && upcoming,
                    can_cancel: active && upcoming,
                    can_join: registration.status == "confirmed"
                        && event.is_online()
                        && event.status == "scheduled"
                        && event.ends_at > chrono::Utc::now(),
                    can_certify,
                    token,
                },
            )
        }
        Ok(None) => MessagePage::not_found_in(page_lang(None, &headers)),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /registrations/{token}/calendar.ics`: the exchange as a calendar entry (the same
/// UID as the ones in the emails, so adding it twice updates one entry).
pub async fn calendar(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    correlation_id: CorrelationId,
) -> Response {
    match find(&state, &token, correlation_id.into()).await {
        Ok(Some((registration, event))) => {
            let cancelled = event.status == "cancelled"
                || !matches!(registration.status.as_str(), "confirmed" | "offered");
            let manage_url = format!("{}/registrations/{token}", state.settings.public_base_url);
            // Online: the entry leads to the meeting through this registration's own way in.
            let join_url = (event.is_online() && registration.status == "confirmed")
                .then(|| format!("{manage_url}/join"));
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
                location: join_url.as_deref().unwrap_or(&event.location),
                url: Some(join_url.as_deref().unwrap_or(&manage_url)),
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

/// `GET /registrations/{token}/certificate`: a printable certificate of participation, in
/// the participant's language, for a participant who attended (joined through their link
/// or marked present) an exchange that has begun; a page saying why not otherwise.
pub async fn certificate(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    match participation(&state, &token).await {
        Ok(Certified::Yes(participation, event, cosponsors)) => {
            let lang = Lang::parse(&participation.lang).unwrap_or_default();
            render(
                StatusCode::OK,
                &CertificatePage {
                    name: participation.name,
                    organisation: participation.organisation,
                    event_title: event.title.clone(),
                    date: convene_shared::time::dates_in_zone_lang(
                        event.starts_at,
                        event.ends_at,
                        &event.timezone,
                        lang,
                    ),
                    organised_by: event.organised_by.clone(),
                    cosponsors: cosponsor_names(&cosponsors, lang).join(", "),
                    t: Texts(lang),
                },
            )
        }
        Ok(Certified::No) => {
            let lang = page_lang(None, &headers);
            render(
                StatusCode::NOT_FOUND,
                &MessagePage::new(
                    Msg::CertificateUnavailableHeading.text(lang),
                    &[Msg::CertificateUnavailableText.text(lang)],
                )
                .in_lang(lang),
            )
        }
        Ok(Certified::UnknownToken) => MessagePage::not_found_in(page_lang(None, &headers)),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// What a certificate link leads to.
enum Certified {
    /// They attended: what the certificate says, the exchange and its co-sponsors.
    Yes(attendance::Participation, Box<Event>, Vec<(String, String)>),
    /// A registration that does not count as attended (yet).
    No,
    UnknownToken,
}

async fn participation(state: &AppState, token: &str) -> sqlx::Result<Certified> {
    let mut conn = state.pool.acquire().await?;
    let hash = hash_token(token);
    if registrations::find_by_token(&mut conn, &hash)
        .await?
        .is_none()
    {
        return Ok(Certified::UnknownToken);
    }
    let Some(participation) = attendance::attended_by_token(&mut conn, &hash).await? else {
        return Ok(Certified::No);
    };
    let Some(event) = events::find_by_id(&mut conn, participation.event_id).await? else {
        return Ok(Certified::No);
    };
    let cosponsors = offers::accepted(&mut conn, event.id).await?;
    Ok(Certified::Yes(participation, Box::new(event), cosponsors))
}

/// `POST /registrations/{token}/accept`: take the seat held for you.
pub async fn accept(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    correlation_id: CorrelationId,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let lang = page_lang(lang_param(query.as_deref()), &headers);
    match accept_offer(
        &state.pool,
        &state.settings.link_keys,
        &token,
        correlation_id.into(),
    )
    .await
    {
        Ok(Decided::Now(_)) => {
            state.announce();
            render(
                StatusCode::OK,
                &MessagePage::new(
                    Msg::SeatConfirmedHeading.text(lang),
                    &[Msg::SeatConfirmedText.text(lang)],
                )
                .in_lang(lang),
            )
        }
        Ok(Decided::NotApplicable(status)) => render(
            StatusCode::CONFLICT,
            &MessagePage::new(
                Msg::NoSeatHeading.text(lang),
                &[if status == "confirmed" {
                    Msg::SeatAlreadyConfirmed.text(lang)
                } else {
                    Msg::OfferLapsed.text(lang)
                }],
            )
            .in_lang(lang),
        ),
        Ok(Decided::NotFound) => MessagePage::not_found_in(lang),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Whether the participant behind `token` counts as having attended.
async fn attended(state: &AppState, token: &str) -> sqlx::Result<bool> {
    let mut conn = state.pool.acquire().await?;
    Ok(attendance::attended_by_token(&mut conn, &hash_token(token))
        .await?
        .is_some())
}

/// The registration behind a token, its exchange, and its place on the waiting list.
async fn find_with_position(
    state: &AppState,
    token: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Option<(Registration, Event, Option<i64>)>> {
    let Some((registration, event)) = find(state, token, correlation_id).await? else {
        return Ok(None);
    };
    let mut conn = state.pool.acquire().await?;
    let position = seats::position(&mut conn, event.id, registration.id).await?;
    Ok(Some((registration, event, position)))
}

/// The registration behind a token, with its exchange. Opening a new link (asked for
/// again, not opened before) makes it the registration's only one: the old stops working.
/// Opening the link of a registration waiting for its address to be confirmed confirms it.
async fn find(
    state: &AppState,
    token: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Option<(Registration, Event)>> {
    let mut conn = state.pool.acquire().await?;
    let hash = hash_token(token);
    registrations::open_link(&mut conn, &hash).await?;
    let Some(mut registration) = registrations::find_by_token(&mut conn, &hash).await? else {
        return Ok(None);
    };
    if registration.status == "unconfirmed" {
        let confirmed = confirm_address(
            &state.pool,
            &state.settings.link_keys,
            registration.id,
            correlation_id,
        )
        .await?;
        if confirmed.is_some() {
            state.announce();
            registration = registrations::find(&mut conn, registration.id)
                .await?
                .ok_or(sqlx::Error::RowNotFound)?;
        }
    }
    let event = events::find_by_id(&mut conn, registration.event_id).await?;
    Ok(event.map(|e| (registration, e)))
}

/// `POST /registrations/{token}/cancel`: idempotent; the participant is emailed once.
pub async fn cancel(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    correlation_id: CorrelationId,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let lang = page_lang(lang_param(query.as_deref()), &headers);
    match cancel_registration(&state.pool, &token, correlation_id.into()).await {
        Ok(Cancelled::Now) => {
            state.announce();
            render(
                StatusCode::OK,
                &MessagePage::new(
                    Msg::CancelledHeading.text(lang),
                    &[Msg::CancelledText.text(lang)],
                )
                .in_lang(lang),
            )
        }
        Ok(Cancelled::Already) => render(
            StatusCode::OK,
            &MessagePage::new(
                Msg::CancelledHeading.text(lang),
                &[Msg::AlreadyCancelledText.text(lang)],
            )
            .in_lang(lang),
        ),
        Ok(Cancelled::UnknownToken) => MessagePage::not_found_in(lang),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LinkRequest {
    email: String,
    /// The page's language (a hidden field).
    lang: String,
}

/// `GET /registrations/link`: ask for your link again.
pub async fn link_form(headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let lang = page_lang(lang_param(query.as_deref()), &headers);
    render(
        StatusCode::OK,
        &LinkPage {
            t: Texts(lang),
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
    headers: HeaderMap,
    ApiForm(request): ApiForm<LinkRequest>,
) -> Response {
    let lang = page_lang(Some(&request.lang), &headers);
    let email = match convene_shared::values::Email::parse(&request.email) {
        Ok(email) => email,
        Err(message) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &LinkPage {
                    t: Texts(lang),
                    sent: false,
                    email: request.email,
                    error: Some(translate_problem(&message, lang)),
                },
            )
        }
    };
    match renew_links(
        &state.pool,
        email.as_str(),
        &state.settings.public_base_url,
        &state.settings.link_keys,
        correlation_id.into(),
    )
    .await
    {
        Ok(_) => {
            state.announce();
            render(
                StatusCode::OK,
                &LinkPage {
                    t: Texts(lang),
                    sent: true,
                    email: String::new(),
                    error: None,
                },
            )
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
