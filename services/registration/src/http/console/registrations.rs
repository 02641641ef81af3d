//! An exchange's registrations in the console: the CSV export of the filtered list
//! (everyone who may see the exchange), and approving or rejecting one or many at once, or
//! reopening a rejected one (organisers and console admins), with the action the admin API
//! uses.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use convene_shared::telemetry::CorrelationId;
use uuid::Uuid;

use super::super::error::ApiError;
use super::super::extract::{ApiForm, ApiPath};
use super::super::organisers::csv_file;
use super::super::pages::{render, MessagePage};
use super::super::AppState;
use super::exchanges::{changeable, same_exchange, visible};
use super::filters::FilterQuery;
use super::session;
use super::sign_in::CsrfForm;
use crate::actions::decide_registration::{self, Decided, Decision};
use crate::store::registrations;

/// `GET /console/events/{slug}/registrations.csv`: every registration the list's filters
/// keep (status, country, role, search; the page is ignored), as the admin API's CSV (UTF-8
/// with a BOM, spreadsheet-safe cells).
pub async fn csv(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<FilterQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    // 1. Signed in, and allowed to see the exchange (viewers too).
    let Some(person) = session::current(&state, &headers).await? else {
        let here = uri.path_and_query().map_or("/console", |p| p.as_str());
        return Ok(session::to_sign_in(here));
    };
    let Some((event, _)) = visible(&state, &person, &slug).await? else {
        return Ok(MessagePage::not_found());
    };

    // 2. The filters; a bad one is a file nobody asked for, so it is refused and said.
    let back = format!("/console/events/{}#registrations", event.slug);
    let chosen = match query {
        Ok(Query(filters)) => filters
            .chosen()
            .map_err(|errors| errors.into_iter().map(|(_, message)| message).collect()),
        Err(_) => Err(vec![
            "The filters in the address could not be read (a filter given twice?).".to_owned(),
        ]),
    };
    let filter = match chosen {
        Ok(chosen) => chosen.filter,
        Err(messages) => {
            let lines: Vec<&str> = messages.iter().map(String::as_str).collect();
            return Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &MessagePage::new("These filters cannot be used", &lines)
                    .with_link(&back, "Back to the registrations"),
            ));
        }
    };

    // 3. Every matching row, as a file to save.
    let mut conn = state.pool.acquire().await?;
    let (rows, _) = registrations::list(&mut conn, event.id, &filter, i64::MAX, 0).await?;
    Ok(csv_file(&event.slug, &rows))
}

/// `POST /console/events/{slug}/registrations/{id}/approve`.
pub async fn approve(
    state: State<AppState>,
    path: ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    form: ApiForm<CsrfForm>,
) -> Result<Response, ApiError> {
    decide(
        state,
        path,
        headers,
        correlation_id,
        form,
        Decision::Approve,
    )
    .await
}

/// `POST /console/events/{slug}/registrations/{id}/reject`.
pub async fn reject(
    state: State<AppState>,
    path: ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    form: ApiForm<CsrfForm>,
) -> Result<Response, ApiError> {
    decide(state, path, headers, correlation_id, form, Decision::Reject).await
}

/// `POST /console/events/{slug}/registrations/{id}/reopen`: a rejected registration is
/// looked at again, as the admin API's `reopen`.
pub async fn reopen(
    state: State<AppState>,
    path: ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    form: ApiForm<CsrfForm>,
) -> Result<Response, ApiError> {
    decide(state, path, headers, correlation_id, form, Decision::Reopen).await
}

/// Approves, rejects or reopens one registration of the exchange, as the admin API does.
async fn decide(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    ApiForm(form): ApiForm<CsrfForm>,
    decision: Decision,
) -> Result<Response, ApiError> {
    // 1. Signed in, the form from their session, and theirs to change: otherwise 403 or
    //    404, and nothing changes.
    let (event, person) = match changeable(&state, &headers, &form.csrf, &slug).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };

    // 2. Decide, with the action the admin API uses; a registration of another exchange
    //    is not found here.
    let decided = decide_registration::decide(
        &state.pool,
        &state.settings.link_keys,
        id,
        decision,
        |e| same_exchange(e, &event),
        &person.email,
        correlation_id.into(),
    )
    .await;

    // 3. Back to the exchange, saying what happened.
    let back = format!("/console/events/{}", event.slug);
    match decided {
        Ok(Decided::Now(registration)) => {
            state.announce();
            tracing::info!(registration_id = %id, status = %registration.status, "decided in the console");
            let decided = if decision == Decision::Reopen {
                format!("reopened-{}", registration.status)
            } else {
                registration.status
            };
            Ok(Redirect::to(&format!("{back}?decided={decided}")).into_response())
        }
        Ok(Decided::NotApplicable(status)) => Ok(render(
            StatusCode::CONFLICT,
            &MessagePage::new(
                "Nothing to decide",
                &[&format!(
                    "This registration is {status}: {}.",
                    decision.applies_to_text()
                )],
            )
            .with_link(&back, "Back to the exchange"),
        )),
        Ok(Decided::NotFound) | Err(ApiError::NotFound) => Ok(MessagePage::not_found()),
        Err(e) => Err(e),
    }
}

/// The most registrations one form decides on, as the admin API's `approve`/`reject`.
const MANY_AT_MOST: usize = 500;

/// `POST /console/events/{slug}/registrations/decide`: approves (`decision=approve`) or
/// rejects every registration ticked (`id`, repeated), one by one as the admin API's
/// many-at-once decision does; those not open to that decision are counted and left.
pub async fn decide_many(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    ApiForm(pairs): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    // 1. Signed in, the form from their session, and theirs to change: otherwise 403 or
    //    404, and nothing changes.
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let (event, person) = match changeable(&state, &headers, field("csrf"), &slug).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let back = format!("/console/events/{}", event.slug);

    // 2. What to do, to whom.
    let decision = match field("decision") {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => return Ok(nothing_decided(&back, "Choose Approve or Reject.")),
    };
    let ids: Vec<Uuid> = pairs
        .iter()
        .filter(|(n, _)| n == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    if ids.is_empty() || ids.len() > MANY_AT_MOST {
        return Ok(nothing_decided(
            &back,
            "Tick 1 to 500 pending registrations, then press Approve or Reject.",
        ));
    }

    // 3. Each in turn, with the admin API's action; a registration of another exchange is
    //    not found here, one decided meanwhile is left as it is.
    let (mut done, mut left) = (0, 0);
    let correlation_id: Uuid = correlation_id.into();
    for id in &ids {
        match decide_registration::decide(
            &state.pool,
            &state.settings.link_keys,
            *id,
            decision,
            |e| same_exchange(e, &event),
            &person.email,
            correlation_id,
        )
        .await
        {
            Ok(Decided::Now(_)) => done += 1,
            Ok(Decided::NotApplicable(_) | Decided::NotFound) | Err(ApiError::NotFound) => {
                left += 1;
            }
            Err(e) => return Err(e),
        }
    }
    if done > 0 {
        state.announce();
    }
    tracing::info!(done, left, ?decision, "decided many in the console");

    // 4. Back to the exchange, saying how many.
    let decided = if decision == Decision::Approve {
        "approved-many"
    } else {
        "rejected-many"
    };
    Ok(Redirect::to(&format!("{back}?decided={decided}&done={done}&left={left}")).into_response())
}

/// `422`: a many-at-once form that decides nothing, and why.
fn nothing_decided(back: &str, why: &str) -> Response {
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &MessagePage::new("Nothing was decided", &[why]).with_link(back, "Back to the exchange"),
    )
}
