//! Invitations in the console: everyone who may see an exchange sees who was invited,
//! reminded and registered; organisers and console admins invite more by pasting
//! addresses, one a line, optionally `Name <address>`.
//!
//! Inviting goes through the action the admin API's `POST …/invitations` uses, so the same
//! invitations are stored, the same `invitation.sent` messages (and so the same emails) go
//! out through the outbox, and the same line is written to the activity log, with the
//! console user as its actor.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use convene_shared::i18n::Lang;
use convene_shared::telemetry::CorrelationId;
use convene_shared::time::in_zone;
use serde::Deserialize;

use super::super::error::ApiError;
use super::super::extract::{ApiForm, ApiPath};
use super::super::pages::{render, MessagePage, Texts};
use super::super::AppState;
use super::exchanges::{changeable, visible};
use super::pages::{Header, InvitationRow, InvitationsPage};
use super::session::{self, Access, SignedIn};
use crate::actions::invite::{invite, Invited};
use crate::domain::{parse_pasted, MAX_INVITEES};
use crate::store::events::Event;
use crate::store::invitations;

/// What the form sends.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    csrf: String,
    /// The pasted list, one person a line.
    invitees: String,
    /// The language of every invitation in this list: `en`, `fr` or `es`.
    lang: String,
}

/// What the last invitation did, for the page's notice (after the redirect).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SentQuery {
    /// Text, so that a bad number is no notice rather than a `400`.
    invited: Option<String>,
    already: Option<String>,
}

/// Why nobody can be invited to `event` now, if so: the action refuses then too.
fn closed(event: &Event) -> Option<&'static str> {
    let closes = event
        .registration_closes_at
        .unwrap_or(event.starts_at)
        .min(event.starts_at);
    if event.status != "scheduled" {
        Some("This exchange is cancelled: nobody can be invited.")
    } else if Utc::now() >= closes {
        Some("Registration for this exchange has closed: an invitation could not be used.")
    } else {
        None
    }
}

/// The page: the list of invitations, and the form with `invitees`, `lang` and `errors`
/// (what was typed, answered again).
async fn page(
    state: &AppState,
    person: &SignedIn,
    event: Event,
    access: Access,
    form: (String, String, Vec<String>),
    notice: Option<String>,
) -> Result<InvitationsPage, ApiError> {
    let (invitees, lang, errors) = form;
    let mut conn = state.pool.acquire().await?;
    let all = invitations::for_event(&mut conn, event.id).await?;
    drop(conn);
    let zone = event.timezone.as_str();
    let count = |status: &str| all.iter().filter(|i| i.status() == status).count();
    let counts = vec![
        ("invited in all", all.len()),
        ("registered", count("registered")),
        ("reminded, not registered yet", count("reminded")),
        ("not answered yet", count("invited")),
    ];
    let when =
        |at: Option<chrono::DateTime<Utc>>| at.map(|at| in_zone(at, zone)).unwrap_or_default();
    Ok(InvitationsPage {
        t: Texts(Lang::En),
        signed_in: Some(Header::from(person)),
        invitation_only: event.invitation_only,
        can_invite: access.may_change() && closed(&event).is_none(),
        closed: closed(&event),
        access: access.label(),
        invitees,
        lang,
        errors,
        notice,
        rows: all
            .into_iter()
            .map(|invitation| InvitationRow {
                status: invitation.status(),
                invited_at: in_zone(invitation.invited_at, zone),
                reminded_at: when(invitation.reminded_at),
                registered_at: when(invitation.answered_at),
                invitation,
            })
            .collect(),
        counts,
        max_invitees: MAX_INVITEES,
        csrf: person.csrf_token.clone(),
        slug: event.slug,
        title: event.title,
    })
}

/// `GET /console/events/{slug}/invitations`: who was invited, reminded, registered; and,
/// for organisers and console admins, the form to invite more.
pub async fn list(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<SentQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    // 1. Who is signed in; nobody: sign in first, then back here.
    let Some(person) = session::current(&state, &headers).await? else {
        let here = uri.path_and_query().map_or("/console", |p| p.as_str());
        return Ok(session::to_sign_in(here));
    };

    // 2. The exchange, if they may see it (viewers see the list).
    let Some((event, access)) = visible(&state, &person, &slug).await? else {
        return Ok(MessagePage::not_found());
    };

    // 3. What the last invitation did, if this is the page it led to.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let number = |n: &Option<String>| n.as_deref().and_then(|n| n.parse::<usize>().ok());
    let notice = number(&query.invited)
        .map(|invited| sent_notice(invited, number(&query.already).unwrap_or(0)));

    // 4. The page.
    let form = (String::new(), "en".to_owned(), Vec::new());
    let page = page(&state, &person, event, access, form, notice).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/events/{slug}/invitations`: invites everyone pasted, as the admin API
/// does; with a bad line, nobody, and the form comes back as typed with each bad line
/// named.
pub async fn create(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    correlation_id: CorrelationId,
    ApiForm(form): ApiForm<InviteForm>,
) -> Result<Response, ApiError> {
    // 1. Signed in, the form from their session, and theirs to change: otherwise 403 or
    //    404, and nobody is invited.
    let (event, person) = match changeable(&state, &headers, &form.csrf, &slug).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let access = person.access(&event).unwrap_or(Access::Viewer);

    // 2. Every line an invitee, or nobody is invited: the form again, as typed.
    let lang = Lang::parse(&form.lang);
    let parsed = match lang {
        Some(lang) => parse_pasted(&form.invitees, lang),
        None => Err(vec!["Choose the language of the invitations.".to_owned()]),
    };
    let invitees = match parsed {
        Ok(invitees) => invitees,
        Err(errors) => {
            let kept = (form.invitees, form.lang, errors);
            let page = page(&state, &person, event, access, kept, None).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };

    // 3. Store them and announce each, with the admin API's action.
    let invited = invite(
        &state.pool,
        &event,
        &invitees,
        &state.settings.public_base_url,
        &state.settings.link_keys,
        &person.email,
        correlation_id.into(),
    )
    .await?;

    // 4. Back to the list, saying what happened; or why nobody could be invited.
    let back = format!("/console/events/{}/invitations", event.slug);
    match invited {
        Invited::Done { invited, already } => {
            if !invited.is_empty() {
                state.announce();
            }
            tracing::info!(invited = invited.len(), already = already.len(), "invited in the console");
            Ok(Redirect::to(&format!(
                "{back}?invited={}&already={}",
                invited.len(),
                already.len()
            ))
            .into_response())
        }
        Invited::Closed => Ok(render(
            StatusCode::CONFLICT,
            &MessagePage::new(
                "Nobody was invited",
                &[closed(&event).unwrap_or(
                    "This exchange is cancelled or its registration has closed: an invitation could not be used.",
                )],
            )
            .with_link(&back, "Back to the invitations"),
        )),
    }
}

/// What inviting did, as the page tells it.
fn sent_notice(invited: usize, already: usize) -> String {
    let invited = match invited {
        0 => "Nobody new was invited.".to_owned(),
        1 => "1 person invited: they are emailed a personal link.".to_owned(),
        n => format!("{n} people invited: each is emailed a personal link."),
    };
    let already = match already {
        0 => String::new(),
        1 => " 1 address had been invited before and is not emailed again.".to_owned(),
        n => format!(" {n} addresses had been invited before and are not emailed again."),
    };
    format!("{invited}{already}")
}
