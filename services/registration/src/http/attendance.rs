//! Attendance in the admin API: marking registrations by hand, and importing a meeting's
//! participant report (Zoom, Teams). Both need a token covering the exchange; the rules
//! are the action's (`actions/attendance.rs`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{Admin, ApiJson, ApiPath};
use super::organisers::event_for;
use super::AppState;
use crate::actions::attendance::{self, Import, Mark, Marked};
use crate::domain::{participant_report, Attendance, FieldErrors};
use crate::store::activity::ADMIN_API;

/// The most marks one request sets.
pub const MAX_MARKS: usize = 5000;

/// The largest participant report taken (the service's usual body limit is smaller: a
/// Teams report of a few hundred people, in UTF-16, is larger than that).
pub const REPORT_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Reads `{"attendance": [{"registration_id": "…", "attendance": "attended" | "absent" |
/// "excused" | null}, …]}`: each entry read (`None` where it cannot be), and the problems
/// by field, naming each bad entry (`attendance[2].attendance`).
///
/// # Errors
/// When the body is not such a list at all.
pub fn parse_marks(body: &Value) -> Result<(Vec<Option<Mark>>, FieldErrors), FieldErrors> {
    let mut errors = FieldErrors::default();
    let shape = "Give {\"attendance\": [{\"registration_id\": \"…\", \"attendance\": \"attended\"}, …]}, 1 to 5000 entries.";
    let Some(fields) = body.as_object() else {
        errors.add("attendance", shape);
        return Err(errors);
    };
    for key in fields.keys().filter(|k| *k != "attendance") {
        errors.add(key, "Unknown field: the body holds only \"attendance\".");
    }
    let entries = match fields.get("attendance").and_then(Value::as_array) {
        Some(entries) if (1..=MAX_MARKS).contains(&entries.len()) => entries,
        _ => {
            errors.add("attendance", shape);
            return Err(errors);
        }
    };
    let mut marks = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let Some(entry) = entry.as_object() else {
            errors.add(
                &format!("attendance[{i}]"),
                "Each entry is {\"registration_id\": \"…\", \"attendance\": \"attended\"}.",
            );
            marks.push(None);
            continue;
        };
        for key in entry
            .keys()
            .filter(|k| !["registration_id", "attendance"].contains(&k.as_str()))
        {
            errors.add(
                &format!("attendance[{i}].{key}"),
                "Unknown field: an entry holds registration_id and attendance.",
            );
        }
        let id = entry
            .get("registration_id")
            .and_then(Value::as_str)
            .and_then(|s| s.trim().parse::<Uuid>().ok());
        if id.is_none() {
            errors.add(
                &format!("attendance[{i}].registration_id"),
                "Give the id of a registration of this exchange.",
            );
        }
        let value = match entry.get("attendance") {
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => errors
                .check(&format!("attendance[{i}].attendance"), Attendance::parse(s))
                .map(Some),
            _ => {
                errors.add(
                    &format!("attendance[{i}].attendance"),
                    Attendance::parse("").unwrap_err(),
                );
                None
            }
        };
        let unknown_fields = entry
            .keys()
            .any(|k| !["registration_id", "attendance"].contains(&k.as_str()));
        marks.push(match (id, value) {
            (Some(registration_id), Some(attendance)) if !unknown_fields => Some(Mark {
                registration_id,
                attendance,
            }),
            _ => None,
        });
    }
    Ok((marks, errors))
}

/// `PUT /api/admin/events/{slug}/attendance`: marks confirmed registrations `attended`,
/// `absent` or `excused` (`null` removes a mark), all or none; `422` naming each entry
/// that cannot be marked.
pub async fn mark(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    // 1. The marks, each bad entry named; then the exchange.
    let (marks, mut errors) = parse_marks(&body).map_err(ApiError::Invalid)?;
    if !fields_known(&body) {
        return Err(ApiError::Invalid(errors));
    }
    let event = event_for(&state, &admin, &slug).await?;

    // 2. Set them all, or none; the entries that cannot be marked are named with those
    //    that could not be read.
    match attendance::mark(&state.pool, &event, &marks, ADMIN_API).await? {
        Marked::Done(effective) => Ok(Json(json!({
            "event": event.slug,
            "marked": effective.len(),
            "attendance": effective,
        }))),
        Marked::Refused(refused) => {
            for (i, why) in refused {
                errors.add(&format!("attendance[{i}].registration_id"), why.to_string());
            }
            Err(ApiError::Invalid(errors))
        }
        Marked::Cancelled => Err(cancelled()),
    }
}

/// `POST /api/admin/events/{slug}/attendance/import`: the participant report Zoom or Teams
/// exports, as the body (the file's bytes, any encoding the exporters use); its rows are
/// matched to registrations by address and those confirmed marked `attended` unless an
/// organiser marked them by hand. Answers what matched and each row that matched nobody.
pub async fn import(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::Malformed(e.body_text())
        }
    })?;
    let event = event_for(&state, &admin, &slug).await?;
    let report = participant_report::parse(&body).map_err(|why| {
        let mut errors = FieldErrors::default();
        errors.add("report", why);
        ApiError::Invalid(errors)
    })?;
    match attendance::import(&state.pool, &event, &report, ADMIN_API).await? {
        Import::Done(imported) => {
            let mut answer = json!({ "event": event.slug });
            if let (Value::Object(a), Ok(Value::Object(b))) =
                (&mut answer, serde_json::to_value(&imported))
            {
                a.extend(b);
            }
            Ok(Json(answer))
        }
        Import::Cancelled => Err(cancelled()),
    }
}

/// Whether the body holds only `attendance` (an unknown field is refused at once).
fn fields_known(body: &Value) -> bool {
    body.as_object()
        .is_some_and(|fields| fields.keys().all(|k| k == "attendance"))
}

fn cancelled() -> ApiError {
    ApiError::Conflict {
        field: None,
        message: "This exchange is cancelled: nobody attends it.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_bad_entry() {
        let id = Uuid::now_v7();
        let body = json!({"attendance": [
            {"registration_id": id, "attendance": "attended"},
            {"registration_id": "nope", "attendance": "present"},
            {"registration_id": id},
            "x",
        ]});
        let (marks, errors) = parse_marks(&body).unwrap();
        assert_eq!(
            marks,
            vec![
                Some(Mark {
                    registration_id: id,
                    attendance: Some(Attendance::Attended)
                }),
                None,
                None,
                None
            ]
        );
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "attendance[1].attendance",
                "attendance[1].registration_id",
                "attendance[2].attendance",
                "attendance[3]"
            ]
        );
    }

    #[test]
    fn reads_marks_and_removals() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let body = json!({"attendance": [
            {"registration_id": a, "attendance": "excused"},
            {"registration_id": b, "attendance": null},
        ]});
        let (marks, errors) = parse_marks(&body).unwrap();
        assert!(errors.is_empty());
        assert_eq!(
            marks,
            vec![
                Some(Mark {
                    registration_id: a,
                    attendance: Some(Attendance::Excused)
                }),
                Some(Mark {
                    registration_id: b,
                    attendance: None
                }),
            ]
        );
        assert!(parse_marks(&json!({"attendance": []})).is_err());
        assert!(parse_marks(&json!([])).is_err());
    }
}
