//! Creating, changing and cancelling an exchange in the console, with the actions the
//! admin API uses: console admins create; organisers (and admins) change and cancel;
//! viewers see no button and get `403`; anyone else `404`. Each writes one activity row.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use convene_shared::i18n::Lang;
use convene_shared::telemetry::CorrelationId;
use convene_shared::time::span_in_zone;

use super::super::error::ApiError;
use super::super::extract::{ApiForm, ApiPath};
use super::super::pages::{render, MessagePage, Texts};
use super::super::AppState;
use super::exchange_form::{in_form_words, ExchangeInput};
use super::exchanges::{changeable, not_signed_in, refused, visible};
use super::pages::{CancelPage, ExchangeFormPage, Header};
use super::session::{self, SignedIn};
use crate::actions::create_event::{create_event, Created};
use crate::actions::update_event::{cancel_event, current_fields, update_event, Updated};
use crate::domain::{FieldErrors, NewEvent};
use crate::store::events::Event;
use crate::store::registrations;

/// The form's fields as sent: `name=value` pairs (note rows repeat their names).
type Pairs = Vec<(String, String)>;

/// `GET /console/new-exchange`: the empty form, for console admins.
pub async fn new(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(person) = session::current(&state, &headers).await? else {
        return Ok(session::to_sign_in(uri.path()));
    };
    if !person.is_admin {
        return Ok(only_admins());
    }
    let input = ExchangeInput::blank(&person.email);
    Ok(form_page(&person, None, input, Vec::new(), StatusCode::OK))
}

/// `POST /console/new-exchange`: creates the exchange as `POST /api/admin/events` does.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    ApiForm(pairs): ApiForm<Pairs>,
) -> Result<Response, ApiError> {
    // 1. Signed in, the form from their session, and a console admin.
    let (csrf, input) = ExchangeInput::from_pairs(pairs);
    let Some(person) = session::current(&state, &headers).await? else {
        return Ok(not_signed_in());
    };
    if !person.sent_csrf(&csrf) {
        return Ok(session::csrf_refused());
    }
    if !person.is_admin {
        return Ok(only_admins());
    }

    // 2. The form as the admin API's JSON, validated as the API validates it.
    let (json, mut errors) = input.to_json(true);
    let new = match NewEvent::from_json(&json, Utc::now()) {
        Ok(new) if errors.is_empty() => new,
        Ok(_) => return Ok(invalid(&person, None, input, &errors)),
        Err(more) => {
            merge(&mut errors, &more);
            return Ok(invalid(&person, None, input, &errors));
        }
    };

    // 3. Store it; a taken slug is said beside the slug.
    match create_event(&state.pool, &new, &person.email, correlation_id.into()).await? {
        Created::Event(event) => {
            state.announce();
            tracing::info!(event_id = %event.id, "exchange created in the console");
            Ok(
                Redirect::to(&format!("/console/events/{}?decided=created", event.slug))
                    .into_response(),
            )
        }
        Created::SlugTaken => {
            errors.add(
                "slug",
                "Another exchange has this short name: choose another.",
            );
            Ok(invalid(&person, None, input, &errors))
        }
    }
}

/// `GET /console/events/{slug}/change`: the form, filled with the exchange as it is.
pub async fn edit(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (person, event) = match may_change(&state, &headers, &uri, &slug).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let input = ExchangeInput::from_event(&event);
    Ok(form_page(
        &person,
        Some(&event),
        input,
        Vec::new(),
        StatusCode::OK,
    ))
}

/// `POST /console/events/{slug}/change`: changes the exchange as `PATCH
/// /api/admin/events/{slug}` does; participants are emailed what changed.
pub async fn change(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    ApiForm(pairs): ApiForm<Pairs>,
) -> Result<Response, ApiError> {
    // 1. Signed in, the form from their session, and theirs to change: otherwise 403 or
    //    404, and nothing changes.
    let (csrf, input) = ExchangeInput::from_pairs(pairs);
    let (event, person) = match changeable(&state, &headers, &csrf, &slug).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };

    // 2. The form as the admin API's patch; times left as they were stay out of it (an
    //    exchange under way can still be corrected).
    let (mut patch, mut errors) = input.to_json(false);
    input.keep_unchanged_times(&ExchangeInput::from_event(&event), &mut patch);
    if !errors.is_empty() {
        // The API's own checks too, so that every problem is named at once.
        if let Err(more) = NewEvent::from_patch(&current_fields(&event), &patch, Utc::now()) {
            merge(&mut errors, &more);
        }
        return Ok(invalid(&person, Some(&event), input, &errors));
    }

    // 3. Change it, with the action the admin API uses.
    let back = format!("/console/events/{}", event.slug);
    match update_event(
        &state.pool,
        &event.slug,
        &patch,
        &person.email,
        correlation_id.into(),
    )
    .await?
    {
        Updated::Event(changed) => {
            state.announce();
            tracing::info!(event_id = %changed.id, version = changed.version, "exchange changed in the console");
            Ok(Redirect::to(&format!("{back}?decided=changed")).into_response())
        }
        Updated::Invalid(more) => {
            merge(&mut errors, &more);
            Ok(invalid(&person, Some(&event), input, &errors))
        }
        Updated::Cancelled => Ok(is_cancelled(&back)),
        Updated::NotFound => Ok(MessagePage::not_found()),
    }
}

/// `GET /console/events/{slug}/cancel`: asks first.
pub async fn confirm_cancel(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (person, event) = match may_change(&state, &headers, &uri, &slug).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let mut conn = state.pool.acquire().await?;
    let figures = registrations::figures(&mut conn, event.id).await?;
    let page = CancelPage {
        t: Texts(Lang::En),
        signed_in: Some(Header::from(&person)),
        when: span_in_zone(event.starts_at, event.ends_at, &event.timezone),
        told: ["confirmed", "waitlisted", "pending"]
            .iter()
            .map(|s| figures.status(s))
            .sum(),
        csrf: person.csrf_token.clone(),
        slug: event.slug,
        title: event.title,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/events/{slug}/cancel`: cancels as `POST /api/admin/events/{slug}/cancel`
/// does; everyone registered is emailed.
pub async fn cancel(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    ApiForm(form): ApiForm<super::sign_in::CsrfForm>,
) -> Result<Response, ApiError> {
    let (event, person) = match changeable(&state, &headers, &form.csrf, &slug).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let back = format!("/console/events/{}", event.slug);
    match cancel_event(
        &state.pool,
        &event.slug,
        &person.email,
        correlation_id.into(),
    )
    .await?
    {
        None => Ok(MessagePage::not_found()),
        Some(Some(cancelled)) => {
            state.announce();
            tracing::info!(event_id = %cancelled.id, "exchange cancelled in the console");
            Ok(Redirect::to(&format!("{back}?decided=cancelled")).into_response())
        }
        Some(None) => Ok(is_cancelled(&back)),
    }
}

/// For the pages that lead to a change: the person and the exchange when they may change
/// it and it is not cancelled; otherwise the page to answer (sign in, 404, 403, 409).
async fn may_change(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    slug: &str,
) -> Result<Result<(SignedIn, Event), Response>, ApiError> {
    let Some(person) = session::current(state, headers).await? else {
        return Ok(Err(session::to_sign_in(uri.path())));
    };
    let Some((event, access)) = visible(state, &person, slug).await? else {
        return Ok(Err(MessagePage::not_found()));
    };
    let back = format!("/console/events/{}", event.slug);
    if !access.may_change() {
        return Ok(Err(refused(
            "You can see this exchange but not change it",
            "Viewers see an exchange's lists and figures; its organisers change it.",
            &back,
        )));
    }
    if event.status == "cancelled" {
        return Ok(Err(is_cancelled(&back)));
    }
    Ok(Ok((person, event)))
}

/// The form's page; `event` when it changes one.
fn form_page(
    person: &SignedIn,
    event: Option<&Event>,
    input: ExchangeInput,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let page = ExchangeFormPage {
        t: Texts(Lang::En),
        signed_in: Some(Header::from(person)),
        creating: event.is_none(),
        slug: event.map(|e| e.slug.clone()).unwrap_or_default(),
        title: event.map(|e| e.title.clone()).unwrap_or_default(),
        input,
        errors,
        csrf: person.csrf_token.clone(),
    };
    render(status, &page)
}

/// `422`: the form again, as typed, each error beside its field and listed at the top in
/// the order of the page.
fn invalid(
    person: &SignedIn,
    event: Option<&Event>,
    input: ExchangeInput,
    errors: &FieldErrors,
) -> Response {
    let mut listed: Vec<(String, String)> = errors
        .iter()
        .map(|(key, message)| (input.field_id(key), in_form_words(message)))
        .collect();
    listed.sort_by_key(|(id, _)| page_order(id));
    listed.dedup_by(|a, b| a.0 == b.0);
    form_page(
        person,
        event,
        input,
        listed,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// Where a field is on the page, for the summary's order.
fn page_order(id: &str) -> usize {
    const ORDER: [&str; 25] = [
        "slug",
        "title",
        "description",
        "topics",
        "timezone",
        "starts_at",
        "ends_at",
        "location",
        "organised_by",
        "online_link",
        "meeting_url",
        "join_opens_minutes",
        "materials_url",
        "recording_url",
        "survey_url",
        "survey_closes_days",
        "capacity",
        "country_cap",
        "waitlist_offer_hours",
        "requires_approval",
        "invitation_only",
        "confirm_email",
        "registration_opens_at",
        "registration_closes_at",
        "reminder_offsets_minutes",
    ];
    ORDER
        .iter()
        .position(|f| *f == id)
        .unwrap_or(if id.starts_with("note-") {
            ORDER.len()
        } else {
            ORDER.len() + 1
        })
}

/// Adds the errors of `more` for fields `errors` does not name yet (the form's own
/// finding about a field comes first).
fn merge(errors: &mut FieldErrors, more: &FieldErrors) {
    for (field, message) in more.iter() {
        errors.add(field, message);
    }
}

/// `403` for a signed-in person who is not a console admin.
fn only_admins() -> Response {
    refused(
        "Only console admins create exchanges",
        "Ask a console admin to create the exchange and list you as one of its organisers.",
        "/console",
    )
}

/// `409`: a cancelled exchange stays as it is.
fn is_cancelled(back: &str) -> Response {
    render(
        StatusCode::CONFLICT,
        &MessagePage::new(
            "This exchange is cancelled",
            &["A cancelled exchange cannot be changed or cancelled again."],
        )
        .with_link(back, "Back to the exchange"),
    )
}
