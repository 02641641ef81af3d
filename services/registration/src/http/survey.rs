//! The feedback survey after an exchange: a participant reaches it from the follow-up
//! email, through their own manage link (`/registrations/{token}/survey`), so it needs no
//! secret of its own. One answer each (a 1–5 rating, what was most useful, what should
//! change, all optional), which they may change until `survey_closes_days` after the end.
//! An exchange that names an external `survey_url` sends them there instead.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use convene_shared::i18n::{Lang, Msg};

use super::error::ApiError;
use super::extract::{ApiForm, ApiPath};
use super::pages::{render, MessagePage, Texts};
use super::register::page_lang;
use super::AppState;
use crate::actions::hash_token;
use crate::store::events::{self, Event};
use crate::store::registrations::{self, Registration};
use crate::store::survey::{self, Answer};

/// The longest free-text answer.
const MAX_TEXT: usize = 2000;

/// The survey form, as filled in (kept as typed when it comes back with an error).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct SurveyInput {
    /// `1`…`5`, or empty: no answer.
    pub rating: String,
    pub most_useful: String,
    pub should_change: String,
    /// `on` when ticked.
    #[serde(deserialize_with = "ticked")]
    pub may_name: bool,
}

fn ticked<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let raw: String = serde::Deserialize::deserialize(d)?;
    Ok(!raw.is_empty())
}

impl SurveyInput {
    fn from_answer(a: &Answer) -> Self {
        Self {
            rating: a.rating.map(|r| r.to_string()).unwrap_or_default(),
            most_useful: a.most_useful.clone(),
            should_change: a.should_change.clone(),
            may_name: a.may_name,
        }
    }

    /// The answer, or (field, problem) for each bad part.
    fn parse(&self) -> Result<Answer, Vec<(&'static str, Msg)>> {
        let mut errors = Vec::new();
        let rating = match self.rating.trim() {
            "" => None,
            r => match r.parse::<i16>() {
                Ok(n) if (1..=5).contains(&n) => Some(n),
                _ => {
                    errors.push(("rating", Msg::SurveyBadRating));
                    None
                }
            },
        };
        for (field, text) in [
            ("most_useful", &self.most_useful),
            ("should_change", &self.should_change),
        ] {
            if text.trim().chars().count() > MAX_TEXT {
                errors.push((field, Msg::SurveyTooLong));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Answer {
            rating,
            most_useful: self.most_useful.trim().to_owned(),
            should_change: self.should_change.trim().to_owned(),
            may_name: self.may_name,
        })
    }
}

/// The survey page.
#[derive(askama::Template)]
#[template(path = "survey.html")]
pub struct SurveyPage {
    pub event_title: String,
    /// When it closes, in the exchange's zone and the participant's language.
    pub closes: String,
    pub input: SurveyInput,
    /// (field, message), in the page's order.
    pub errors: Vec<(&'static str, String)>,
    pub token: String,
    pub t: Texts,
}

impl SurveyPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// When an exchange's survey stops taking answers.
pub fn closes_at(event: &Event) -> DateTime<Utc> {
    event.ends_at + Duration::days(i64::from(event.survey_closes_days))
}

/// Where the survey behind a manage link stands.
enum Open {
    /// Open: the participant, the exchange, their language and the close, formatted.
    Yes(Box<(Registration, Event)>, Lang, String),
    /// An exchange with its own survey elsewhere.
    External(String),
    /// Not open to them, with the page that says why.
    No(Response),
}

async fn open(state: &AppState, token: &str, headers: &HeaderMap) -> sqlx::Result<Open> {
    let mut conn = state.pool.acquire().await?;
    let Some(registration) = registrations::find_by_token(&mut conn, &hash_token(token)).await?
    else {
        return Ok(Open::No(MessagePage::not_found_in(page_lang(
            None, headers,
        ))));
    };
    let Some(event) = events::find_by_id(&mut conn, registration.event_id).await? else {
        return Ok(Open::No(MessagePage::not_found_in(page_lang(
            None, headers,
        ))));
    };
    let lang = Lang::parse(&registration.lang).unwrap_or_default();
    let t = Texts(lang);
    let title = event.title.as_str();
    let closes = convene_shared::time::in_zone_lang(closes_at(&event), &event.timezone, lang);
    let refused = |status, heading: Msg, text: String| {
        Open::No(render(
            status,
            &MessagePage::new(heading.text(lang), &[&text]).in_lang(lang),
        ))
    };
    if registration.status != "confirmed" || event.status == "cancelled" {
        return Ok(refused(
            StatusCode::FORBIDDEN,
            Msg::SurveyClosedHeading,
            Msg::SurveyNotParticipantText.text(lang).to_owned(),
        ));
    }
    let now = Utc::now();
    if now < event.starts_at {
        return Ok(refused(
            StatusCode::CONFLICT,
            Msg::SurveyClosedHeading,
            t.with(Msg::SurveyNotYetText, &[("title", title)]),
        ));
    }
    if now >= closes_at(&event) {
        return Ok(refused(
            StatusCode::GONE,
            Msg::SurveyClosedHeading,
            t.with(
                Msg::SurveyClosedText,
                &[("title", title), ("closes", &closes)],
            ),
        ));
    }
    if !event.survey_url.is_empty() {
        return Ok(Open::External(event.survey_url.clone()));
    }
    Ok(Open::Yes(Box::new((registration, event)), lang, closes))
}

/// `GET /registrations/{token}/survey`: the form, with the answer given before if any.
pub async fn form(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    let (found, lang, closes) = match open(&state, &token, &headers).await {
        Ok(Open::Yes(found, lang, closes)) => (found, lang, closes),
        Ok(Open::External(url)) => return Redirect::to(&url).into_response(),
        Ok(Open::No(page)) => return page,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (registration, event) = *found;
    let before = match state.pool.acquire().await {
        Ok(mut conn) => survey::find(&mut conn, registration.id).await,
        Err(e) => Err(e),
    };
    match before {
        Ok(before) => render(
            StatusCode::OK,
            &SurveyPage {
                event_title: event.title,
                closes,
                input: before
                    .as_ref()
                    .map(SurveyInput::from_answer)
                    .unwrap_or_default(),
                errors: Vec::new(),
                token,
                t: Texts(lang),
            },
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /registrations/{token}/survey`: stores the answer (replacing the one before);
/// `422` with the form again, as typed, for a bad part.
pub async fn submit(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
    ApiForm(input): ApiForm<SurveyInput>,
) -> Response {
    // 1. Is it open to this participant?
    let (found, lang, closes) = match open(&state, &token, &headers).await {
        Ok(Open::Yes(found, lang, closes)) => (found, lang, closes),
        Ok(Open::External(url)) => return Redirect::to(&url).into_response(),
        Ok(Open::No(page)) => return page,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (registration, event) = *found;
    // 2. Validate; each bad part is named beside its field, what was typed kept.
    let answer = match input.parse() {
        Ok(answer) => answer,
        Err(problems) => {
            let errors = problems
                .into_iter()
                .map(|(field, msg)| (field, msg.text(lang).to_owned()))
                .collect();
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SurveyPage {
                    event_title: event.title,
                    closes,
                    input,
                    errors,
                    token,
                    t: Texts(lang),
                },
            );
        }
    };
    // 3. Store it, and thank them.
    let stored = match state.pool.acquire().await {
        Ok(mut conn) => survey::answer(&mut conn, registration.id, event.id, &answer).await,
        Err(e) => Err(e),
    };
    if let Err(e) = stored {
        return ApiError::from(e).into_response();
    }
    let t = Texts(lang);
    render(
        StatusCode::OK,
        &MessagePage::new(
            Msg::SurveyThanksHeading.text(lang),
            &[&t.with(Msg::SurveyThanksText, &[("closes", &closes)])],
        )
        .with_link(
            &format!("/registrations/{token}/survey"),
            Msg::SurveyTitle
                .text(lang)
                .replace("{title}", &event.title)
                .as_str(),
        )
        .in_lang(lang),
    )
}
