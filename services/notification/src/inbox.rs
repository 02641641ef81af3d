//! What the notification service does with each message it consumes: decide who gets which
//! email, and send each exactly once.

use chrono::Utc;
use convene_shared::broker::Backoff;
use convene_shared::calendar::{self, Method};
use convene_shared::consumer::{Failure, Handler};
use convene_shared::messages::EventSnapshot;
use convene_shared::messages::{
    CosponsorOfferDecided, CosponsorOfferReceived, Envelope, EventCancelled, EventScheduled,
    Message, ParticipantErased, RegistrationCancelled, RegistrationConfirmed, ReminderDue,
};
use convene_shared::messages::{InvitationReminderDue, InvitationSent, OrganiserDigest};
use convene_shared::messages::{RegistrationLinkRenewed, RegistrationStatusChanged};
use convene_shared::metrics::{self, ReminderSkipped};
use lettre::message::Mailbox;
use sqlx::PgPool;

use crate::email::transport::Mailer;
use crate::email::{render, Outgoing};
use crate::store::invitees::{self, Invitee};
use crate::store::recipients::{Details, Recipient};
use crate::store::{notes, recipients, sent};

/// The notification service's message handler.
pub struct Inbox {
    pub pool: PgPool,
    pub mailer: Mailer,
    pub from: Mailbox,
    /// The address calendar entries come from (`ICS_ORGANIZER`).
    pub organizer: String,
}

impl Handler for Inbox {
    async fn handle(&self, envelope: Envelope) -> Result<(), Failure> {
        match envelope.kind.as_str() {
            RegistrationConfirmed::KIND => {
                let m: RegistrationConfirmed = payload(&envelope)?;
                let details = Details {
                    timezone: m.timezone.as_deref(),
                    lang: m.lang.as_deref(),
                };
                let mut conn = self.pool.acquire().await.map_err(db)?;
                recipients::confirmed(
                    &mut conn,
                    m.registration_id,
                    m.event.event_id,
                    &m.name,
                    &m.email,
                    &m.manage_url,
                    details,
                    m.registered_at,
                )
                .await
                .map_err(db)?;
                drop(conn);
                // A later confirmation (approved, or a freed seat taken) carries no link:
                // the one sent with the first message is on record.
                let Some(to) = self.reachable(m.registration_id).await? else {
                    return Ok(());
                };
                let mut email =
                    render::confirmation(&m, &to.manage_url, envelope.message_id).map_err(bug)?;
                email.calendar = self.calendar(&m.event, Method::Request, &m.email, &to.manage_url);
                self.send_once(&envelope, &email).await
            }
            RegistrationCancelled::KIND => {
                let m: RegistrationCancelled = payload(&envelope)?;
                recipients::cancelled(&self.pool, m.registration_id, m.cancelled_at)
                    .await
                    .map_err(db)?;
                let Some(to) = self.reachable(m.registration_id).await? else {
                    return Ok(());
                };
                let mut email = render::cancellation(&m, &to, envelope.message_id).map_err(bug)?;
                email.calendar = self.calendar(&m.event, Method::Cancel, &to.email, &to.manage_url);
                self.send_once(&envelope, &email).await
            }
            ReminderDue::KIND => {
                let m: ReminderDue = payload(&envelope)?;
                let Some(to) = self.reachable(m.registration_id).await? else {
                    return Ok(());
                };
                if to.status != "confirmed" {
                    tracing::info!(registration_id = %m.registration_id, "reminder skipped: registration cancelled");
                    metrics::reminder_skipped(ReminderSkipped::Cancelled);
                    return Ok(());
                }
                if m.event.starts_at <= Utc::now() {
                    tracing::info!(registration_id = %m.registration_id, "reminder skipped: the exchange has started");
                    metrics::reminder_skipped(ReminderSkipped::Started);
                    return Ok(());
                }
                let note =
                    notes::for_reminder(&self.pool, m.event.event_id, m.offset_minutes, &to.lang)
                        .await
                        .map_err(db)?;
                let mut email =
                    render::reminder(&m, &to, note.as_deref(), Utc::now()).map_err(bug)?;
                email.calendar =
                    self.calendar(&m.event, Method::Request, &to.email, &to.manage_url);
                self.send_once(&envelope, &email).await
            }
            RegistrationStatusChanged::KIND => {
                let m: RegistrationStatusChanged = payload(&envelope)?;
                let contact = m.contact.as_ref().map(|c| {
                    let details = Details {
                        timezone: c.timezone.as_deref(),
                        lang: c.lang.as_deref(),
                    };
                    (
                        c.name.as_str(),
                        c.email.as_str(),
                        c.manage_url.as_str(),
                        details,
                    )
                });
                let mut conn = self.pool.acquire().await.map_err(db)?;
                recipients::status_changed(
                    &mut conn,
                    m.registration_id,
                    m.event.event_id,
                    &m.status,
                    contact,
                    m.changed_at,
                )
                .await
                .map_err(db)?;
                drop(conn);
                let Some(to) = self.reachable(m.registration_id).await? else {
                    return Ok(());
                };
                let email = render::status_changed(&m, &to, envelope.message_id).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            RegistrationLinkRenewed::KIND => {
                let m: RegistrationLinkRenewed = payload(&envelope)?;
                recipients::set_manage_url(&self.pool, m.registration_id, &m.manage_url)
                    .await
                    .map_err(db)?;
                let Some(to) = self.reachable(m.registration_id).await? else {
                    return Ok(());
                };
                let email = render::link_renewed(&m, &to, envelope.message_id).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            EventScheduled::KIND => {
                let m: EventScheduled = payload(&envelope)?;
                notes::replace(&self.pool, m.event.event_id, m.version, &m.reminder_notes)
                    .await
                    .map_err(db)?;
                if m.changes.is_empty() {
                    return Ok(()); // a new exchange, or a change nobody must be told of
                }
                // One email per participant, each sent at most once: a retry after a
                // partial failure only sends the ones still missing.
                for to in recipients::confirmed_for_event(&self.pool, m.event.event_id)
                    .await
                    .map_err(db)?
                {
                    let mut email =
                        render::event_changed(&m, &to, envelope.message_id).map_err(bug)?;
                    email.calendar =
                        self.calendar(&m.event, Method::Request, &to.email, &to.manage_url);
                    self.send_once(&envelope, &email).await?;
                }
                Ok(())
            }
            EventCancelled::KIND => {
                let m: EventCancelled = payload(&envelope)?;
                for to in recipients::confirmed_for_event(&self.pool, m.event.event_id)
                    .await
                    .map_err(db)?
                {
                    let mut email = render::event_cancelled(&m, &to).map_err(bug)?;
                    email.calendar =
                        self.calendar(&m.event, Method::Cancel, &to.email, &to.manage_url);
                    self.send_once(&envelope, &email).await?;
                }
                Ok(())
            }
            CosponsorOfferDecided::KIND => {
                let m: CosponsorOfferDecided = payload(&envelope)?;
                let email = render::offer_decision(&m, envelope.message_id).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            ParticipantErased::KIND => {
                let m: ParticipantErased = payload(&envelope)?;
                let n = recipients::erase(&self.pool, &m.registration_ids, m.erased_at)
                    .await
                    .map_err(db)?;
                let invitees = invitees::erase(&self.pool, &m.invitation_ids)
                    .await
                    .map_err(db)?;
                tracing::info!(count = n, invitees, "recipients erased");
                Ok(())
            }
            InvitationSent::KIND => {
                let m: InvitationSent = payload(&envelope)?;
                invitees::invited(&self.pool, &m).await.map_err(db)?;
                let Some(to) = self.invitee(m.invitation_id).await? else {
                    return Ok(());
                };
                let email = render::invitation(&m.event, &to, false).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            OrganiserDigest::KIND => {
                let m: OrganiserDigest = payload(&envelope)?;
                let email = render::digest(&m).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            InvitationReminderDue::KIND => {
                let m: InvitationReminderDue = payload(&envelope)?;
                let Some(to) = self.invitee(m.invitation_id).await? else {
                    return Ok(());
                };
                if m.event.starts_at <= Utc::now() {
                    return Ok(()); // too late to be of use
                }
                let email = render::invitation(&m.event, &to, true).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            CosponsorOfferReceived::KIND => {
                let m: CosponsorOfferReceived = payload(&envelope)?;
                // One email per organiser; each is sent at most once, so a retry after a
                // partial failure only sends the ones still missing.
                for organiser in &m.organiser_emails {
                    let email =
                        render::cosponsor_offer(&m, organiser, envelope.message_id).map_err(bug)?;
                    self.send_once(&envelope, &email).await?;
                }
                Ok(())
            }
            other => Err(Failure::Permanent(anyhow::anyhow!(
                "unexpected message kind {other:?}"
            ))),
        }
    }
}

impl Inbox {
    /// The participant behind a registration, if we may still email them: `None` once
    /// their data was erased. Not known yet (their first message, with the address, is
    /// still on its way) is a transient failure, so the message is tried again after it.
    async fn reachable(&self, registration_id: uuid::Uuid) -> Result<Option<Recipient>, Failure> {
        match recipients::find(&self.pool, registration_id)
            .await
            .map_err(db)?
        {
            None => Err(Failure::Transient(anyhow::anyhow!(
                "recipient not known yet"
            ))),
            Some(to) if to.status == "erased" || to.email.is_empty() => Ok(None),
            Some(to) => Ok(Some(to)),
        }
    }

    /// The invitee behind an invitation, if we may still email them (as [`Self::reachable`]).
    async fn invitee(&self, invitation_id: uuid::Uuid) -> Result<Option<Invitee>, Failure> {
        match invitees::find(&self.pool, invitation_id)
            .await
            .map_err(db)?
        {
            None => Err(Failure::Transient(anyhow::anyhow!("invitee not known yet"))),
            Some(to) if to.erased || to.email.is_empty() => Ok(None),
            Some(to) => Ok(Some(to)),
        }
    }

    /// A calendar entry for `event`, addressed to `attendee`.
    fn calendar(
        &self,
        event: &EventSnapshot,
        method: Method,
        attendee: &str,
        manage_url: &str,
    ) -> Option<(String, Method)> {
        let ics = calendar::ics(&calendar::Entry {
            event,
            method,
            organizer: &self.organizer,
            attendee: Some(attendee),
            description: &format!("Your registration: {manage_url}"),
            location: "",
            url: Some(manage_url).filter(|u| !u.is_empty()),
            now: Utc::now(),
        });
        Some((ics, method))
    }

    /// Sends `email` unless its key was sent before. The key is claimed (its row inserted,
    /// uncommitted) for the duration, so concurrent copies of a message wait, then see it
    /// sent; the claim commits right after the SMTP server accepts, and rolls back if it
    /// refuses. If Postgres fails at that point the record is written again until it is
    /// in: this process never sends an accepted email twice. The one window left: the process dies after the server accepted and before
    /// the record commits, and the redelivered message sends it again (docs/messages.md).
    async fn send_once(&self, envelope: &Envelope, email: &Outgoing) -> Result<(), Failure> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        if !sent::claim(&mut tx, &email.key, email.kind, envelope.message_id)
            .await
            .map_err(db)?
        {
            tracing::info!(kind = email.kind, "already sent; skipping the duplicate");
            return Ok(());
        }
        if let Err(failure) = self.mailer.send(&self.from, email).await {
            metrics::email_failed(email.kind, &failure);
            return Err(failure);
        }
        // Counted once the server accepted it.
        metrics::email_sent(email.kind);
        if email.kind == "reminder" {
            metrics::reminder_sent();
        }
        // From here until the commit, a crash sends this email twice: log how long.
        let accepted_at = std::time::Instant::now();
        if let Err(e) = tx.commit().await {
            tracing::warn!(error = %e, kind = email.kind, "the email is out but not recorded; recording it until Postgres answers");
            self.record_until_done(envelope, email).await;
        }
        let unrecorded_ms = accepted_at.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(kind = email.kind, unrecorded_ms, "email sent");
        Ok(())
    }

    /// Records an email the SMTP server accepted, retrying with backoff for as long as
    /// Postgres refuses (the shutdown limit bounds it).
    async fn record_until_done(&self, envelope: &Envelope, email: &Outgoing) {
        let mut backoff = Backoff::default();
        loop {
            let attempt = async {
                let mut conn = self.pool.acquire().await?;
                sent::record(&mut conn, &email.key, email.kind, envelope.message_id).await
            };
            match attempt.await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, kind = email.kind, "recording a sent email failed; trying again");
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
    }
}

fn payload<M: Message>(envelope: &Envelope) -> Result<M, Failure> {
    envelope
        .payload()
        .map_err(|e| Failure::Permanent(anyhow::anyhow!("malformed {} payload: {e}", M::KIND)))
}

/// Postgres being down holds the message (no retry is used up); any other database error
/// is retried later.
fn db(e: sqlx::Error) -> Failure {
    if convene_shared::db::is_unavailable(&e) {
        Failure::Unavailable(anyhow::anyhow!("Postgres: {e}"))
    } else {
        Failure::Transient(anyhow::anyhow!("Postgres: {e}"))
    }
}

fn bug(e: askama::Error) -> Failure {
    Failure::Permanent(anyhow::anyhow!("rendering the email failed: {e}"))
}
