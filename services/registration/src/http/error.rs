//! How the JSON API reports failure: a status and a body naming what is wrong.
//!
//! Validation failures name each bad field (`{"error": …, "fields": {field: message}}`).
//! Postgres being unavailable is `503` with `Retry-After`, never a 500 and never a
//! partial write (every change is one transaction).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::domain::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("unauthorised")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("too many requests")]
    TooManyRequests,
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    TooLarge,
    #[error("database unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if convene_shared::db::is_unavailable(&e) {
            tracing::warn!(error = %e, "Postgres unavailable");
            Self::Unavailable
        } else {
            tracing::error!(error = %e, "database error");
            Self::Internal(e.to_string())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            Self::NotFound => (StatusCode::NOT_FOUND, json!({ "error": "not found" })),
            Self::Unauthorized => {
                let mut response = (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({ "error": "unauthorised" })),
                )
                    .into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    "Bearer".parse().expect("static header"),
                );
                return response;
            }
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                json!({ "error": "this token does not cover that exchange" }),
            ),
            Self::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "error": "too many requests" }),
            ),
            Self::Invalid(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "invalid input", "fields": fields }),
            ),
            Self::Conflict { field, message } => {
                let mut body = json!({ "error": message });
                if let Some(field) = field {
                    body["fields"] = json!({ *field: message });
                }
                (StatusCode::CONFLICT, body)
            }
            Self::Malformed(message) => (StatusCode::BAD_REQUEST, json!({ "error": message })),
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({ "error": "send Content-Type: application/json" }),
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "error": "the request body is too large" }),
            ),
            Self::Unavailable => {
                let mut response = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({ "error": "temporarily unavailable; try again shortly" })),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, "5".parse().expect("static header"));
                return response;
            }
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "internal error" }),
            ),
        };
        (status, Json(body)).into_response()
    }
}
