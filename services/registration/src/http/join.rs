//! `GET /j/{token}` and `GET /registrations/{token}/join`: a participant's personal way into
//! an online exchange (see [`crate::actions::join`]). During the window, a `303` to the
//! meeting; otherwise a page in the participant's language that says why not, never the
//! meeting link. A wrong token learns nothing but `404`. The token is never logged (the
//! logs name the route, not the path), and `security::headers` keeps both routes out of
//! caches.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use convene_shared::i18n::{fill, Lang, Msg};
use convene_shared::time::{in_zone_lang, span_in_zone_lang};

use super::error::ApiError;
use super::extract::ApiPath;
use super::pages::{render, MessagePage};
use super::register::page_lang;
use super::AppState;
use crate::actions::hash_token;
use crate::actions::join::{self, Join};
use crate::store::join_links::{self, JoinTarget};

/// `GET /j/{token}`: the personal join link of the emails and calendar entries.
pub async fn by_join_link(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    let found = async {
        let mut conn = state.pool.acquire().await?;
        join_links::find_by_join_token(&mut conn, &hash_token(&token)).await
    };
    answer(&state, found.await, &headers).await
}

/// `GET /registrations/{token}/join`: the same, from the participant's page (whose link
/// holds the manage token: the join token is stored only hashed, so the page cannot show
/// `/j/…`).
pub async fn by_manage_link(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    let found = async {
        let mut conn = state.pool.acquire().await?;
        join_links::find_by_manage_token(&mut conn, &hash_token(&token)).await
    };
    answer(&state, found.await, &headers).await
}

/// Opens the link found (recording the join) and answers.
async fn answer(
    state: &AppState,
    found: sqlx::Result<Option<JoinTarget>>,
    headers: &HeaderMap,
) -> Response {
    let target = match found {
        Ok(Some(target)) => target,
        Ok(None) => return MessagePage::not_found_in(page_lang(None, headers)),
        Err(e) => return ApiError::from(e).into_response(),
    };
    match join::open(&state.pool, &target).await {
        // A meeting link is printable ASCII (`MeetingUrl`), so always a valid header; one
        // that is not (written to the table by hand) says the exchange has no meeting.
        Ok(Join::Meeting(url)) => match HeaderValue::from_str(&url) {
            Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
            Err(_) => page(&target, &Join::NotOnline),
        },
        Ok(other) => page(&target, &other),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The page that says why the link does not lead to the meeting now.
fn page(target: &JoinTarget, join: &Join) -> Response {
    let lang = Lang::parse(&target.lang).unwrap_or_default();
    let title = target.title.as_str();
    let with_title = |msg: Msg| fill(msg.text(lang), &[("title", title)]);
    let (status, heading, paragraphs) = match join {
        Join::TooEarly { opens_at } => (
            StatusCode::OK,
            Msg::JoinTooEarlyHeading,
            vec![
                fill(
                    Msg::JoinTooEarlyText.text(lang),
                    &[("title", title), ("when", &when(target, lang))],
                ),
                fill(
                    Msg::JoinOpensAt.text(lang),
                    &[("when", &at(target, *opens_at, lang))],
                ),
            ],
        ),
        Join::Ended => (
            StatusCode::GONE,
            Msg::JoinEndedHeading,
            vec![with_title(Msg::JoinEndedText)],
        ),
        Join::Cancelled => (
            StatusCode::GONE,
            Msg::JoinUnavailableHeading,
            vec![Msg::EventCancelledNote.text(lang).to_owned()],
        ),
        Join::NotConfirmed => (
            StatusCode::FORBIDDEN,
            Msg::JoinUnavailableHeading,
            vec![with_title(Msg::JoinNotConfirmedText)],
        ),
        Join::Erased => (
            StatusCode::FORBIDDEN,
            Msg::JoinUnavailableHeading,
            vec![Msg::JoinErasedText.text(lang).to_owned()],
        ),
        Join::NotOnline | Join::Meeting(_) => (
            StatusCode::OK,
            Msg::JoinUnavailableHeading,
            vec![with_title(Msg::JoinNoMeetingText)],
        ),
    };
    let paragraphs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    render(
        status,
        &MessagePage::new(heading.text(lang), &paragraphs).in_lang(lang),
    )
}

/// The exchange's time in its zone and, when the participant gave another, in theirs.
fn when(target: &JoinTarget, lang: Lang) -> String {
    let theirs = span_in_zone_lang(
        target.starts_at,
        target.ends_at,
        &target.event_timezone,
        lang,
    );
    match participant_zone(target) {
        Some(zone) => fill(
            Msg::ForYou.text(lang),
            &[
                ("theirs", &theirs),
                (
                    "yours",
                    &span_in_zone_lang(target.starts_at, target.ends_at, zone, lang),
                ),
            ],
        ),
        None => theirs,
    }
}

/// An instant in the participant's zone (the exchange's when they gave none).
fn at(target: &JoinTarget, instant: DateTime<Utc>, lang: Lang) -> String {
    let zone = participant_zone(target).unwrap_or(&target.event_timezone);
    in_zone_lang(instant, zone, lang)
}

/// The participant's own zone, when they gave one other than the exchange's.
fn participant_zone(target: &JoinTarget) -> Option<&str> {
    target
        .timezone
        .as_deref()
        .filter(|z| !z.is_empty() && *z != target.event_timezone)
}
