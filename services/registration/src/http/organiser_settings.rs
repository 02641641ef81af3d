//! An organiser's own settings: the time zone of their daily digest, and whether they want
//! it. An organiser is an address in an exchange's `organiser_emails`; a token may change
//! the settings of the organisers of the exchanges it covers.

use axum::extract::State;
use axum::Json;
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::error::ApiError;
use super::extract::{Admin, ApiJson, ApiPath};
use super::AppState;
use crate::actions::digest::zone;
use crate::domain::{Email, FieldErrors};
use crate::store::digests::{self, Organiser};
use crate::store::events::{self, Event};

/// The organiser's exchanges (not over), if this token covers one of them.
async fn organiser(
    state: &AppState,
    admin: &Admin,
    raw: &str,
) -> Result<(Email, Vec<Event>), ApiError> {
    let email = Email::parse(raw).map_err(|m| {
        let mut errors = FieldErrors::default();
        errors.add("email", m);
        ApiError::Invalid(errors)
    })?;
    let mut conn = state.pool.acquire().await?;
    let theirs: Vec<Event> = events::organised_after(&mut conn, chrono::Utc::now())
        .await?
        .into_iter()
        .filter(|e| {
            e.organiser_emails
                .iter()
                .any(|o| o.eq_ignore_ascii_case(email.as_str()))
        })
        .collect();
    if theirs.is_empty() {
        return Err(ApiError::NotFound);
    }
    if !admin.is_unrestricted() && !theirs.iter().any(|e| admin.may_manage(&e.slug)) {
        return Err(ApiError::Forbidden);
    }
    Ok((email, theirs))
}

fn view(email: &Email, stored: Option<&Organiser>, theirs: &[Event]) -> Value {
    json!({
        "email": email.as_str(),
        "timezone": zone(stored, &theirs[0]).name(),
        "timezone_set": stored.and_then(|o| o.timezone.as_deref()).is_some(),
        "digest": stored.is_none_or(|o| o.digest_enabled),
        "last_digest_at": stored.and_then(|o| o.last_digest_at),
        "exchanges": theirs.iter().map(|e| e.slug.as_str()).collect::<Vec<_>>(),
    })
}

/// `GET /api/admin/organisers/{email}`: the organiser's digest settings (the zone used,
/// whether it was set or taken from their soonest exchange) and their exchanges. `404` for
/// an address that organises no upcoming exchange.
pub async fn show(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(raw): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let (email, theirs) = organiser(&state, &admin, &raw).await?;
    let mut conn = state.pool.acquire().await?;
    let stored = digests::find(&mut conn, email.as_str()).await?;
    Ok(Json(view(&email, stored.as_ref(), &theirs)))
}

/// `PUT /api/admin/organisers/{email}` with `{"timezone": "America/Bogota" | null,
/// "digest": true}`: both replace what was set (`null` zone: their soonest exchange's).
pub async fn update(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    // 1. Whose settings, and may this token change them.
    let (email, theirs) = organiser(&state, &admin, &raw).await?;

    // 2. Every field valid.
    let Value::Object(body) = body else {
        return Err(ApiError::Malformed(
            "the body must be a JSON object".to_owned(),
        ));
    };
    let mut errors = FieldErrors::default();
    for key in body.keys() {
        if key != "timezone" && key != "digest" {
            errors.add(key, "Unknown field.");
        }
    }
    let timezone = match body.get("timezone") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.parse::<Tz>().is_ok() => Some(s.clone()),
        Some(_) => {
            errors.add(
                "timezone",
                "Use an IANA time zone name, e.g. America/Bogota, or null.",
            );
            None
        }
    };
    let digest = match body.get("digest") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.add("digest", "Use true or false.");
            true
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }

    // 3. Store them.
    let mut conn = state.pool.acquire().await?;
    let stored = digests::save(&mut conn, email.as_str(), timezone.as_deref(), digest).await?;
    Ok(Json(view(&email, Some(&stored), &theirs)))
}
