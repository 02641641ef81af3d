//! Organisers invite people to an exchange; each gets a personal link bound to their
//! address, and one reminder if they have not answered.

use convene_shared::messages::{
    register_url_context, Envelope, InvitationReminderDue, InvitationSent,
};
use convene_shared::outbox;
use convene_shared::sealed::LinkKeys;
use sqlx::PgPool;
use uuid::Uuid;

use super::new_token;
use crate::domain::NewInvitation;
use crate::store::activity;
use crate::store::events::{self, Event};
use crate::store::invitations::{self, Invitation};

/// Reminders decided per transaction.
const BATCH: i64 = 500;

/// How inviting ended.
pub enum Invited {
    /// The new invitations (each emailed), and the addresses invited before (not again).
    Done {
        invited: Vec<Invitation>,
        already: Vec<String>,
    },
    /// The exchange is cancelled, or registration has closed: an invitation could not be used.
    Closed,
}

/// Where an invitee registers: the exchange's form, with the invitation's secret, in the
/// invitee's language.
pub fn register_url(public_base_url: &str, slug: &str, token: &str, lang: &str) -> String {
    let lang = if lang == "en" {
        String::new()
    } else {
        format!("&lang={lang}")
    };
    format!(
        "{}/events/{slug}/register?invitation={token}{lang}",
        public_base_url.trim_end_matches('/')
    )
}

/// Stores the invitations and announces each (`invitation.sent`, with its link) in one
/// transaction, with one line on the exchange's activity log saying who invited how many
/// (`actor`: a console user's address, or the admin API). An address already invited to
/// this exchange is left as it was; when nobody new is invited nothing changed, and the
/// log says nothing.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn invite(
    pool: &PgPool,
    event: &Event,
    invitees: &[NewInvitation],
    public_base_url: &str,
    keys: &LinkKeys,
    actor: &str,
    correlation_id: Uuid,
) -> sqlx::Result<Invited> {
    let closes = event
        .registration_closes_at
        .unwrap_or(event.starts_at)
        .min(event.starts_at);
    if event.status != "scheduled" || chrono::Utc::now() >= closes {
        return Ok(Invited::Closed);
    }
    let mut tx = pool.begin().await?;
    let mut invited = Vec::new();
    let mut already = Vec::new();
    for new in invitees {
        let (token, token_hash) = new_token();
        match invitations::insert(&mut tx, event.id, new, &token_hash).await? {
            Some(invitation) => {
                let message = InvitationSent {
                    invitation_id: invitation.id,
                    event: event.snapshot(),
                    email: invitation.email.clone(),
                    name: invitation.name.clone(),
                    lang: invitation.lang.clone(),
                    register_url: keys.seal(
                        &register_url_context(invitation.id),
                        &register_url(public_base_url, &event.slug, &token, &invitation.lang),
                    ),
                    invited_at: invitation.invited_at,
                };
                outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
                invited.push(invitation);
            }
            None => already.push(new.email.as_str().to_owned()),
        }
    }
    if !invited.is_empty() {
        let outcome = match already.len() {
            0 => format!("{} invited", invited.len()),
            n => format!("{} invited, {n} invited before", invited.len()),
        };
        activity::record(
            &mut tx,
            event.id,
            actor,
            "invitations.sent",
            event.id,
            &outcome,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(event_id = %event.id, invited = invited.len(), already = already.len(), "invitations sent");
    Ok(Invited::Done { invited, already })
}

/// Decides every invitation reminder that is due (see
/// [`invitations::claim_due_reminders`]) and announces each; returns how many.
///
/// # Errors
/// When Postgres fails; the batch under way is rolled back and decided again later.
pub async fn remind_due(pool: &PgPool, after: std::time::Duration) -> sqlx::Result<usize> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        let due = invitations::claim_due_reminders(&mut tx, after, BATCH).await?;
        let mut event: Option<Event> = None;
        for invitation in &due {
            if event.as_ref().is_none_or(|e| e.id != invitation.event_id) {
                event = events::find_by_id(&mut tx, invitation.event_id).await?;
            }
            let Some(event) = &event else { continue };
            let message = InvitationReminderDue {
                invitation_id: invitation.id,
                event: event.snapshot(),
            };
            // Each reminder is its own story in the logs.
            outbox::enqueue(&mut tx, &Envelope::new(&message, Uuid::now_v7())).await?;
        }
        tx.commit().await?;
        total += due.len();
        if (due.len() as i64) < BATCH {
            return Ok(total);
        }
    }
}
