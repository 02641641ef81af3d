//! Who is signed in to the console, and what they may do with an exchange.
//!
//! The session cookie holds a random secret; the database holds only its SHA-256, the
//! address, and the session's CSRF token (a synchroniser token every console form carries
//! in a hidden field, compared in constant time). What a person may see is decided at each
//! request from the exchange's own lists and `CONSOLE_ADMINS`, never kept in the session:
//! removing an address takes effect on its next request.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::super::error::ApiError;
use super::super::extract::constant_time_eq;
use super::super::pages::{render, MessagePage};
use super::super::AppState;
use crate::actions::hash_token;
use crate::store::console;
use crate::store::events::Event;

/// The session cookie's name.
pub const COOKIE: &str = "convene_console";

/// A person signed in to the console.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Lower-case.
    pub email: String,
    /// What this session's forms must send back.
    pub csrf_token: String,
    /// Listed in `CONSOLE_ADMINS`: sees every exchange.
    pub is_admin: bool,
    /// The SHA-256 of the cookie's secret (to end the session).
    pub token_hash: Vec<u8>,
}

/// What someone may do with one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A console admin: everything.
    Admin,
    /// In the exchange's `organiser_emails`: everything on it.
    Organiser,
    /// In its `viewer_emails`: its lists and figures, no change.
    Viewer,
}

impl Access {
    /// Whether this person may change the exchange (decide on registrations…).
    pub fn may_change(self) -> bool {
        matches!(self, Self::Admin | Self::Organiser)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "console admin",
            Self::Organiser => "organiser",
            Self::Viewer => "viewer (read only)",
        }
    }
}

impl SignedIn {
    /// What this person may do with `event`; `None`: they may not see it (answer 404).
    pub fn access(&self, event: &Event) -> Option<Access> {
        let listed = |list: &[String]| list.iter().any(|e| e.to_lowercase() == self.email);
        if self.is_admin {
            Some(Access::Admin)
        } else if listed(&event.organiser_emails) {
            Some(Access::Organiser)
        } else if listed(&event.viewer_emails) {
            Some(Access::Viewer)
        } else {
            None
        }
    }

    /// Whether a form sent this session's CSRF token (compared in constant time).
    pub fn sent_csrf(&self, sent: &str) -> bool {
        !sent.is_empty() && constant_time_eq(sent, &self.csrf_token)
    }
}

/// The answer to a console form without its session's CSRF token: `403`, nothing changed.
pub fn csrf_refused() -> Response {
    tracing::warn!("console form without the session's CSRF token refused");
    render(
        StatusCode::FORBIDDEN,
        &MessagePage::new(
            "This form cannot be accepted",
            &[
                "It did not come from your current console session, so nothing was changed. \
               Go back to the console, reload the page and try again.",
            ],
        )
        .with_link("/console", "Back to the console"),
    )
}

/// The session secret the request's cookie carries, if any looks like one.
fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The person signed in with this request's cookie, if their session has not ended (it
/// then lasts `CONSOLE_SESSION_HOURS` from now).
///
/// # Errors
/// When Postgres fails.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<SignedIn>, ApiError> {
    let Some(token) = cookie_token(headers) else {
        return Ok(None);
    };
    let token_hash = hash_token(token);
    let session = console::touch_session(
        &state.pool,
        &token_hash,
        state.settings.console_session_hours,
    )
    .await?;
    Ok(session.map(|s| SignedIn {
        is_admin: state.settings.console_admins.contains(&s.email),
        email: s.email,
        csrf_token: s.csrf_token,
        token_hash,
    }))
}

/// The cookie's attributes: only sent to the console, never to scripts, not on cross-site
/// requests other than top-level navigation, and only over HTTPS where the site is.
fn attributes(state: &AppState) -> String {
    let secure = if state.settings.public_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("Path=/console; HttpOnly; SameSite=Lax{secure}")
}

/// `Set-Cookie` that starts a session.
pub fn start_cookie(state: &AppState, token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{COOKIE}={token}; {}", attributes(state)))
        .expect("a hex token and fixed attributes make a valid header")
}

/// `Set-Cookie` that removes the session cookie.
pub fn end_cookie(state: &AppState) -> HeaderValue {
    HeaderValue::from_str(&format!("{COOKIE}=; Max-Age=0; {}", attributes(state)))
        .expect("fixed attributes make a valid header")
}

/// Where someone who is not signed in is sent: the sign-in page, which brings them back to
/// `path_and_query` afterwards.
pub fn to_sign_in(path_and_query: &str) -> Response {
    Redirect::to(&format!("/console?next={}", percent_encode(path_and_query))).into_response()
}

/// Encodes everything but unreserved characters and `/`, for a value in a query string.
pub(super) fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let token = "ab".repeat(32);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("theme=dark; {COOKIE}={token}; x=y")).unwrap(),
        );
        assert_eq!(cookie_token(&headers), Some(token.as_str()));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("convene_console=not-a-token"),
        );
        assert_eq!(cookie_token(&headers), None);
    }

    #[test]
    fn the_next_path_is_encoded() {
        assert_eq!(
            percent_encode("/console/events/a-b?x=1&y=2"),
            "/console/events/a-b%3Fx%3D1%26y%3D2"
        );
    }
}
