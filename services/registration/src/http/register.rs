//! Registering: the HTML form and the JSON API, both calling [`actions::register`].

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use convene_shared::i18n::{fill, Lang, Msg};
use convene_shared::metrics::{self, RegistrationOutcome};
use convene_shared::telemetry::CorrelationId;
use serde_json::json;
use tokio::time::Instant;
use uuid::Uuid;

use super::error::ApiError;
use super::events::details;
use super::extract::ApiPath;
use super::extract::{ApiForm, ApiJson, ApiQuery};
use super::pages::{render, MessagePage, RegisterPage};
use super::AppState;
use crate::actions::hash_token;
use crate::actions::register::{register, Registered};
use crate::domain::{FieldErrors, NewRegistration, RegistrationInput};
use crate::store::events::{self, Event};
use crate::store::invitations;

/// `lang=…` in a query string (anything else in it is ignored, as before).
pub fn lang_param(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
}

/// `invitation=…` in a query string: the secret of an invitation link.
fn invitation_param(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("invitation="))
        .filter(|t| !t.is_empty())
}

/// The browser's `Accept-Language`, if any.
pub fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

/// The participant's choice if it names a language we speak, else the browser's.
pub fn page_lang(choice: Option<&str>, headers: &HeaderMap) -> Lang {
    Lang::choose(
        choice.filter(|c| !c.trim().is_empty()),
        accept_language(headers),
    )
}

/// `GET /events/{slug}` and `GET /events/{slug}/register`: the exchange's page — its
/// description, topics, date and time, co-sponsors, seats left — with the empty form, in
/// the language of `?lang=`, else of `Accept-Language`.
pub async fn form(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let lang = page_lang(lang_param(query.as_deref()), &headers);
    let event = match events::find_by_slug(&state.pool, &slug).await {
        Ok(Some(event)) => event,
        Ok(None) => return MessagePage::not_found_in(lang),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let details = match details(&state, &event).await {
        Ok(details) => details,
        Err(e) => return ApiError::from(e).into_response(),
    };
    // Someone who came with an invitation link finds the form addressed to them.
    let mut input = RegistrationInput::default();
    let mut errors = FieldErrors::default();
    let mut invited = None;
    if let Some(token) = invitation_param(query.as_deref()) {
        let found = match state.pool.acquire().await {
            Ok(mut conn) => {
                invitations::find_by_token(&mut conn, event.id, &hash_token(token), false).await
            }
            Err(e) => Err(e),
        };
        match found {
            Ok(Some(invitation)) => {
                input.invitation = token.to_owned();
                input.email = invitation.email.clone();
                input.name = invitation.name.clone();
                invited = Some(invitation.email);
            }
            Ok(None) => errors.add("invitation", Msg::InvitationUnknown.en()),
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let page = RegisterPage::new(&event, &details, &input, &errors, lang);
    match invited {
        Some(email) => render(StatusCode::OK, &page.invited(&email)),
        None => render(StatusCode::OK, &page),
    }
}

/// An invitation problem as the field it concerns and what is wrong with it.
fn invitation_problem(registered: &Registered) -> FieldErrors {
    let (field, msg) = match registered {
        Registered::InvitationUnknown => ("invitation", Msg::InvitationUnknown),
        Registered::InvitationForAnother => ("email", Msg::InvitationForAnother),
        _ => ("invitation", Msg::InvitationOnlyNote),
    };
    let mut errors = FieldErrors::default();
    errors.add(field, msg.en());
    errors
}

/// `POST /events/{slug}/register`: once taken in, a redirect to the "registration received"
/// page, the same address whether the participant was new, already registered, or a bot
/// that filled the hidden field; on invalid input `422` with the form again, each message
/// beside its field, input kept.
pub async fn submit_form(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    correlation_id: CorrelationId,
    headers: HeaderMap,
    ApiForm(input): ApiForm<RegistrationInput>,
) -> Response {
    let lang = page_lang(Some(&input.lang), &headers);
    // Find the exchange.
    let event = match events::find_by_slug(&state.pool, &slug).await {
        Ok(Some(event)) => event,
        Ok(None) => return MessagePage::not_found_in(lang),
        Err(e) => return ApiError::from(e).into_response(),
    };

    // Where everyone taken in is sent: nothing in it says who was registered before.
    let received = Redirect::to(&format!(
        "/events/{slug}/registered{}",
        lang_suffix(lang, '?')
    ))
    .into_response();

    // Validate.
    let new = match NewRegistration::try_from(&input) {
        Ok(new) => NewRegistration { lang, ..new },
        Err(errors) => {
            metrics::registration(RegistrationOutcome::Invalid);
            let details = match details(&state, &event).await {
                Ok(details) => details,
                Err(e) => return ApiError::from(e).into_response(),
            };
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RegisterPage::new(&event, &details, &input, &errors, lang),
            );
        }
    };

    // A bot that filled the hidden field is told it worked and nothing is stored. Checked
    // after validation, as the JSON API does: invalid input is answered alike with or
    // without it, so the answer never shows that the field was noticed.
    if !input.website.trim().is_empty() {
        metrics::registration(RegistrationOutcome::Spam);
        state.answer_pace.hold_from(Instant::now()).await;
        return received;
    }

    // Register, and answer.
    let registered = register_paced(
        &state,
        &event,
        &new,
        &input.invitation,
        correlation_id.into(),
    )
    .await;
    match registered {
        Ok(Registered::New(_)) => {
            state.announce();
            received
        }
        Ok(Registered::Existing(_)) => received,
        Ok(Registered::NotOpenYet(opens)) => render(
            StatusCode::CONFLICT,
            &MessagePage::new(
                Msg::NotOpenYetHeading.text(lang),
                &[&fill(
                    Msg::RegistrationOpensAt.text(lang),
                    &[(
                        "when",
                        &convene_shared::time::in_zone_lang(opens, &event.timezone, lang),
                    )],
                )],
            )
            .in_lang(lang),
        ),
        Ok(Registered::Closed) => render(
            StatusCode::CONFLICT,
            &MessagePage::new(Msg::ClosedHeading.text(lang), &[Msg::ClosedText.text(lang)])
                .in_lang(lang),
        ),
        // The form again, the problem beside the invitation or the address.
        Ok(
            problem @ (Registered::InvitationRequired
            | Registered::InvitationUnknown
            | Registered::InvitationForAnother),
        ) => match details(&state, &event).await {
            Ok(details) => render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RegisterPage::new(
                    &event,
                    &details,
                    &input,
                    &invitation_problem(&problem),
                    lang,
                ),
            ),
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The query of the "registration received" page: only its language (anything else, such
/// as the `status=` of older links, is ignored).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RegisteredQuery {
    lang: Option<String>,
}

/// `?lang=fr` (or `&lang=fr`) for a page address; nothing for English, so English
/// addresses stay as they were.
fn lang_suffix(lang: Lang, separator: char) -> String {
    if lang == Lang::En {
        String::new()
    } else {
        format!("{separator}lang={}", lang.code())
    }
}

/// `GET /events/{slug}/registered`: what a participant sees after registering. One page
/// for everyone, whether the address was new or already registered (and whatever their
/// status), so it reveals nothing: it says what is true in every case, that the email and
/// the personal link tell where the registration stands.
pub async fn registered(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<RegisteredQuery>,
) -> Response {
    let lang = page_lang(query.lang.as_deref(), &headers);
    match events::find_by_slug(&state.pool, &slug).await {
        Ok(Some(event)) => {
            let when = convene_shared::time::span_in_zone_lang(
                event.starts_at,
                event.ends_at,
                &event.timezone,
                lang,
            );
            let thanks = fill(Msg::ReceivedText.text(lang), &[("title", &event.title)]);
            let page = MessagePage::new(
                Msg::ReceivedHeading.text(lang),
                &[
                    &thanks,
                    &when,
                    Msg::ReceivedEmail.text(lang),
                    Msg::ReceivedAlready.text(lang),
                ],
            )
            .with_link(
                &format!("/registrations/link{}", lang_suffix(lang, '?')),
                Msg::GetLinkAgain.text(lang),
            )
            .in_lang(lang);
            render(StatusCode::OK, &page)
        }
        Ok(None) => MessagePage::not_found_in(lang),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// What the JSON API answers to every registration it takes in: a new address, a known one
/// (nothing changes then, no second email), or a bot that filled the hidden field. The
/// participant learns the outcome by email and on their personal page.
fn received() -> (StatusCode, Json<serde_json::Value>) {
    (StatusCode::ACCEPTED, Json(json!({ "status": "received" })))
}

/// `POST /api/events/{slug}/registrations`: `202 {"status": "received"}` for every
/// registration taken in (see [`received`]), so the answer never tells whether an address
/// was registered; `422` naming every bad field, `409` when registration is not open,
/// `404` for an unknown exchange.
pub async fn submit_json(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    correlation_id: CorrelationId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RegistrationInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let event = events::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    // The messages of a request that names no language stay in English (as before).
    let chosen = Lang::parse(&input.lang);
    let lang = page_lang(Some(&input.lang), &headers);
    let new = NewRegistration::try_from(&input).map_err(|errors| {
        metrics::registration(RegistrationOutcome::Invalid);
        if chosen.is_some() || accept_language(&headers).is_some() {
            ApiError::Invalid(errors.translated(lang))
        } else {
            ApiError::Invalid(errors)
        }
    })?;
    let new = NewRegistration { lang, ..new };
    // A bot that filled the hidden field gets the usual answer and nothing is stored. Checked
    // after validation, so that invalid input is answered alike with or without it and the
    // answer does not tell the bot the field was noticed.
    if !input.website.trim().is_empty() {
        metrics::registration(RegistrationOutcome::Spam);
        state.answer_pace.hold_from(Instant::now()).await;
        return Ok(received());
    }
    let registered = register_paced(
        &state,
        &event,
        &new,
        &input.invitation,
        correlation_id.into(),
    )
    .await;
    match registered? {
        Registered::New(_) => {
            state.announce();
            Ok(received())
        }
        Registered::Existing(_) => Ok(received()),
        Registered::NotOpenYet(opens) => Err(ApiError::Conflict {
            field: None,
            message: format!("Registration opens at {}.", opens.to_rfc3339()),
        }),
        Registered::Closed => Err(ApiError::Conflict {
            field: None,
            message: "Registration for this exchange is closed.".to_owned(),
        }),
        problem @ (Registered::InvitationRequired
        | Registered::InvitationUnknown
        | Registered::InvitationForAnother) => {
            let errors = invitation_problem(&problem);
            Err(if chosen.is_some() || accept_language(&headers).is_some() {
                ApiError::Invalid(errors.translated(lang))
            } else {
                ApiError::Invalid(errors)
            })
        }
    }
}

/// Runs [`register`] and counts its outcome, at an even pace (see [`super::pace`]): a new
/// registration's time is recorded, and a known address's answer, which wrote nothing, is
/// held until a new one would have been taken in.
async fn register_paced(
    state: &AppState,
    event: &Event,
    new: &NewRegistration,
    invitation: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Registered> {
    let started = Instant::now();
    let registered = register(
        &state.pool,
        event,
        new,
        Some(invitation),
        &state.settings,
        correlation_id,
    )
    .await;
    match &registered {
        Ok(Registered::New(_)) => state.answer_pace.record(started.elapsed()),
        Ok(Registered::Existing(_)) => state.answer_pace.hold_from(started).await,
        _ => {}
    }
    metrics::registration(outcome(&registered));
    registered
}

/// What a registration attempt that reached the database counts as in the metrics.
fn outcome(registered: &Result<Registered, sqlx::Error>) -> RegistrationOutcome {
    match registered {
        Ok(Registered::New(r)) if r.status == "waitlisted" => RegistrationOutcome::Waitlisted,
        Ok(Registered::New(r)) if r.status == "pending" => RegistrationOutcome::Pending,
        Ok(Registered::New(r)) if r.status == "unconfirmed" => RegistrationOutcome::Unconfirmed,
        Ok(Registered::New(_)) => RegistrationOutcome::Created,
        Ok(Registered::Existing(_)) => RegistrationOutcome::AlreadyRegistered,
        Ok(Registered::NotOpenYet(_) | Registered::Closed) => RegistrationOutcome::Closed,
        Ok(
            Registered::InvitationRequired
            | Registered::InvitationUnknown
            | Registered::InvitationForAnother,
        ) => RegistrationOutcome::Invalid,
        Err(_) => RegistrationOutcome::Failed,
    }
}
