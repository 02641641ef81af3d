//! Signing in to the console by email, and signing out.
//!
//! `POST /console/sign-in` emails a one-time link when the address may sign in, and
//! answers the same page whatever the address. Opening the link (`GET`) does not use it: it
//! shows a button that does (`POST`). Mail scanners and link previews fetch links in
//! emails before the person clicks; if a `GET` spent the link, those fetches would burn it
//! (and could start a session for the scanner). Only the person's own click signs in.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use convene_shared::telemetry::CorrelationId;
use convene_shared::values::Email;
use serde::Deserialize;

use super::super::error::ApiError;
use super::super::extract::{ApiForm, ApiPath};
use super::super::pages::render;
use super::super::AppState;
use super::pages::{LinkPage, SignInPage};
use super::session;
use crate::actions::console_sign_in::{request_link, use_link, Requested, SignInRules};
use crate::actions::hash_token;
use crate::domain::ConsolePath;
use crate::store::console;

/// The sign-in rules from the settings.
pub(super) fn rules(state: &AppState) -> SignInRules<'_> {
    SignInRules {
        admins: &state.settings.console_admins,
        link_minutes: state.settings.console_link_minutes,
        session_hours: state.settings.console_session_hours,
        public_base_url: &state.settings.public_base_url,
        keys: &state.settings.link_keys,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    /// Where to land after signing in (a console path; anything else is ignored).
    next: Option<String>,
}

/// The sign-in page, for `GET /console` when nobody is signed in.
pub(super) fn sign_in_page(query: &NextQuery) -> Response {
    let next = ConsolePath::parse_or_home(query.next.as_deref());
    render(StatusCode::OK, &SignInPage::new(next.as_str()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    next: String,
}

/// `POST /console/sign-in`: emails a link if the address may sign in; the same page
/// either way.
pub async fn request(
    State(state): State<AppState>,
    correlation_id: CorrelationId,
    ApiForm(form): ApiForm<SignInForm>,
) -> Result<Response, ApiError> {
    // 1. Parse the address and where to land.
    let next = ConsolePath::parse_or_home(Some(&form.next));
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(problem) => {
            let page = SignInPage::new(next.as_str()).with_error(&form.email, problem);
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };

    // 2. Send a link if the address may have one (never logged: neither it nor the link).
    let requested = request_link(
        &state.pool,
        &rules(&state),
        &email,
        &next,
        correlation_id.into(),
    )
    .await?;
    if requested == Requested::Sent {
        state.announce();
    }
    tracing::info!(outcome = ?requested, "console sign-in link requested");

    // 3. The same answer whatever happened.
    Ok(render(StatusCode::OK, &SignInPage::sent()))
}

/// `GET /console/sign-in/{token}`: a button that signs in, or a page saying the link
/// cannot be used. Changes nothing (see the module's note on mail scanners).
pub async fn open(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, ApiError> {
    if console::link_usable(&state.pool, &hash_token(&token)).await? {
        Ok(render(StatusCode::OK, &LinkPage::usable(&token)))
    } else {
        Ok(unusable(&state))
    }
}

/// `POST /console/sign-in/{token}`: uses the link, starts a session, and goes where the
/// person was heading. (No CSRF token here: there is no session yet, and the link's own
/// secret is what proves the request.)
pub async fn confirm(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, ApiError> {
    // 1. Use the link.
    let Some(started) = use_link(&state.pool, &rules(&state), &token).await? else {
        return Ok(unusable(&state));
    };
    tracing::info!("console session started");

    // 2. Set the cookie and land where the link was asked from.
    let next = ConsolePath::parse_or_home(Some(&started.next));
    let mut response = Redirect::to(next.as_str()).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::start_cookie(&state, &started.session_token),
    );
    Ok(response)
}

/// A used, expired or unknown link: one page for all three, with a way to a new one.
fn unusable(state: &AppState) -> Response {
    render(
        StatusCode::NOT_FOUND,
        &LinkPage::unusable(state.settings.console_link_minutes),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    pub(super) csrf: String,
}

/// `POST /console/sign-out`: ends the session (with the session's CSRF token, so another
/// site cannot sign someone out).
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiForm(form): ApiForm<CsrfForm>,
) -> Result<Response, ApiError> {
    // 1. Who is signed in; nobody: nothing to end.
    let Some(person) = session::current(&state, &headers).await? else {
        return Ok(Redirect::to("/console").into_response());
    };
    // 2. The form must come from their session.
    if !person.sent_csrf(&form.csrf) {
        return Ok(session::csrf_refused());
    }
    // 3. End it, and forget the cookie.
    console::delete_session(&state.pool, &person.token_hash).await?;
    let mut response = render(StatusCode::OK, &SignInPage::signed_out());
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session::end_cookie(&state));
    Ok(response)
}
