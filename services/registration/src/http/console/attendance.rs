//! Attendance in the console: the per-row control of the registration list (a select and
//! a button, a plain form) and the upload of a meeting's participant report, both for
//! organisers and console admins, with the action the admin API uses.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::super::error::ApiError;
use super::super::extract::{ApiForm, ApiPath};
use super::super::pages::{render, MessagePage, Texts};
use super::super::AppState;
use super::exchanges::{changeable, not_signed_in, refused, visible};
use super::pages::{Header, ImportPage};
use super::session;
use crate::actions::attendance::{self, Import, Mark, Marked, Refusal};
use crate::domain::{participant_report, Attendance};

/// The per-row form: the session's token, and `attended`, `absent`, `excused`, or empty to
/// remove the organisers' mark.
#[derive(Debug, Deserialize)]
pub struct AttendanceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    attendance: String,
}

/// `POST /console/events/{slug}/registrations/{id}/attendance`: marks one registration, as
/// `PUT /api/admin/events/{slug}/attendance` does.
pub async fn mark(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    ApiForm(form): ApiForm<AttendanceForm>,
) -> Result<Response, ApiError> {
    // 1. Signed in, the form from their session, and theirs to change.
    let (event, person) = match changeable(&state, &headers, &form.csrf, &slug).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let back = format!("/console/events/{}", event.slug);

    // 2. The value chosen.
    let attendance = match form.attendance.trim() {
        "" => None,
        value => match Attendance::parse(value) {
            Ok(a) => Some(a),
            Err(why) => return Ok(not_marked(StatusCode::UNPROCESSABLE_ENTITY, &back, &why)),
        },
    };

    // 3. Mark it, with the admin API's action.
    let marks = [Some(Mark {
        registration_id: id,
        attendance,
    })];
    match attendance::mark(&state.pool, &event, &marks, &person.email).await? {
        Marked::Done(_) => Ok(Redirect::to(&format!(
            "{back}?decided=attendance#registration-{id}"
        ))
        .into_response()),
        Marked::Refused(refused) => match refused.first() {
            Some((_, Refusal::NotOfThisExchange)) | None => Ok(MessagePage::not_found()),
            Some((_, why)) => Ok(not_marked(
                StatusCode::UNPROCESSABLE_ENTITY,
                &back,
                &why.to_string(),
            )),
        },
        Marked::Cancelled => Ok(not_marked(
            StatusCode::CONFLICT,
            &back,
            "This exchange is cancelled: nobody attends it.",
        )),
    }
}

fn not_marked(status: StatusCode, back: &str, why: &str) -> Response {
    render(
        status,
        &MessagePage::new("Attendance not changed", &[why]).with_link(back, "Back to the exchange"),
    )
}

/// `POST /console/events/{slug}/attendance/import` (multipart: `csrf`, `report`): imports
/// a participant report as `POST /api/admin/events/{slug}/attendance/import` does, and
/// shows what matched and each row that matched nobody.
pub async fn import(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    // 1. Someone signed in who may change the exchange, before the body is read (it may be
    //    4 MiB); then the form's fields, the CSRF token among them.
    let Some(person) = session::current(&state, &headers).await? else {
        return Ok(not_signed_in());
    };
    match visible(&state, &person, &slug).await? {
        None => return Ok(MessagePage::not_found()),
        Some((event, access)) if !access.may_change() => {
            return Ok(refused(
                "You can see this exchange but not change it",
                "Viewers see an exchange's lists and figures; its organisers import reports.",
                &format!("/console/events/{}", event.slug),
            ))
        }
        Some(_) => {}
    }
    let mut multipart = multipart.map_err(|e| {
        if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            ApiError::UnsupportedMediaType
        } else {
            ApiError::Malformed(e.body_text())
        }
    })?;
    let (mut csrf, mut report) = (String::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(multipart_error)?,
            Some("report") => report = Some(field.bytes().await.map_err(multipart_error)?),
            _ => {}
        }
    }

    // 2. The form from their session (and still theirs to change).
    let (event, person) = match changeable(&state, &headers, &csrf, &slug).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let back = format!("/console/events/{}", event.slug);

    // 3. The report read; a file that is none is said.
    let report = match report.filter(|r| !r.is_empty()) {
        None => {
            return Ok(not_imported(
                StatusCode::UNPROCESSABLE_ENTITY,
                &back,
                "Choose the participant report's file (CSV from Zoom or Teams), then Import.",
            ))
        }
        Some(bytes) => match participant_report::parse(&bytes) {
            Ok(report) => report,
            Err(why) => return Ok(not_imported(StatusCode::UNPROCESSABLE_ENTITY, &back, &why)),
        },
    };

    // 4. Import it, with the admin API's action, and show what it did.
    match attendance::import(&state.pool, &event, &report, &person.email).await? {
        Import::Done(imported) => Ok(render(
            StatusCode::OK,
            &ImportPage {
                t: Texts(convene_shared::i18n::Lang::En),
                signed_in: Some(Header::from(&person)),
                slug: event.slug,
                title: event.title,
                imported,
            },
        )),
        Import::Cancelled => Ok(not_imported(
            StatusCode::CONFLICT,
            &back,
            "This exchange is cancelled: nobody attends it.",
        )),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge
    } else {
        ApiError::Malformed(e.body_text())
    }
}

fn not_imported(status: StatusCode, back: &str, why: &str) -> Response {
    render(
        status,
        &MessagePage::new("Nothing was imported", &[why]).with_link(back, "Back to the exchange"),
    )
}
