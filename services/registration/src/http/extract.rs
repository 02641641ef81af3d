//! Request extractors that turn every malformed request into a clear JSON error instead of
//! axum's plain-text rejections: `415` for a wrong content type, `413` for a body over the
//! limit, `400` for JSON or a form that does not parse.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::AppState;

/// JSON body of type `T`.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge),
            Err(e) => Err(ApiError::Malformed(e.body_text())),
        }
    }
}

/// Query string of type `T`.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    axum::extract::Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|e| ApiError::Malformed(e.body_text()))
    }
}

/// Path parameters of type `T` (a malformed id is a JSON `400`, not plain text).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    axum::extract::Path<T>: FromRequestParts<S, Rejection = PathRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|e| ApiError::Malformed(e.body_text()))
    }
}

/// URL-encoded form body of type `T`.
pub struct ApiForm<T>(pub T);

impl<T, S> FromRequest<S> for ApiForm<T>
where
    axum::Form<T>: FromRequest<S, Rejection = FormRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Self(value)),
            Err(FormRejection::InvalidFormContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge),
            Err(e) => Err(ApiError::Malformed(e.body_text())),
        }
    }
}

/// Proof that the request carried a valid admin bearer token, and what it may act on.
pub struct Admin {
    /// `None`: every exchange.
    slugs: Option<Vec<String>>,
}

impl Admin {
    /// Whether this token may act on the exchange `slug`.
    pub fn may_manage(&self, slug: &str) -> bool {
        self.slugs
            .as_ref()
            .is_none_or(|slugs| slugs.iter().any(|s| s == slug))
    }

    /// Whether this token may act on every exchange (needed for cross-exchange work such
    /// as exporting or erasing a person's data).
    pub fn is_unrestricted(&self) -> bool {
        self.slugs.is_none()
    }

    /// `Ok` when the token covers `slug`.
    ///
    /// # Errors
    /// `403` when it does not.
    pub fn require(&self, slug: &str) -> Result<(), ApiError> {
        if self.may_manage(slug) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Wrong or missing admin tokens since start (an operator watches this for guessing).
pub static REJECTED_ADMIN_ATTEMPTS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compare against every token without stopping at a match, so timing tells nothing.
        let mut matched = None;
        for token in &state.settings.admin_tokens {
            if constant_time_eq(presented.trim(), &token.secret) && matched.is_none() {
                matched = Some(token.slugs.clone());
            }
        }
        match matched {
            Some(slugs) => Ok(Self { slugs }),
            None => {
                let n =
                    REJECTED_ADMIN_ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                tracing::warn!(
                    rejected_total = n,
                    "admin request with a missing or wrong token"
                );
                Err(ApiError::Unauthorized)
            }
        }
    }
}

/// Compares digests, so the time taken says nothing about how much of the token matched.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}
