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

/// Emails per transaction when a message sends several (a batch of reminders, an exchange's
/// participants): their keys are claimed in one statement and recorded in one commit. It
/// also bounds how many of one message's emails a crash between the SMTP server's
/// acceptance and that commit can send twice.
const SEND_CHUNK: usize = 10;

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
                self.confirm(&envelope, &m).await
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
                self.remind(&envelope, &m).await
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
                let participants = recipients::confirmed_for_event(&self.pool, m.event.event_id)
                    .await
                    .map_err(db)?;
                self.send_each(&envelope, &participants, |to| {
                    let mut email =
                        render::event_changed(&m, to, envelope.message_id).map_err(bug)?;
                    email.calendar =
                        self.calendar(&m.event, Method::Request, &to.email, &to.manage_url);
                    Ok(email)
                })
                .await
            }
            EventCancelled::KIND => {
                let m: EventCancelled = payload(&envelope)?;
                let participants = recipients::confirmed_for_event(&self.pool, m.event.event_id)
                    .await
                    .map_err(db)?;
                self.send_each(&envelope, &participants, |to| {
                    let mut email = render::event_cancelled(&m, to).map_err(bug)?;
                    email.calendar =
                        self.calendar(&m.event, Method::Cancel, &to.email, &to.manage_url);
                    Ok(email)
                })
                .await
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
                self.send_each(&envelope, &m.organiser_emails, |organiser| {
                    render::cosponsor_offer(&m, organiser, envelope.message_id).map_err(bug)
                })
                .await
            }
            other => Err(Failure::Permanent(anyhow::anyhow!(
                "unexpected message kind {other:?}"
            ))),
        }
    }
}

impl Inbox {
    /// Records a confirmed participant and sends their confirmation, in one transaction:
    /// the participant's row and the email's key commit together, one WAL flush instead of
    /// two. A refused email still commits the participant (see [`Self::send_chunk_in`]), so
    /// that later messages about them find them.
    async fn confirm(&self, envelope: &Envelope, m: &RegistrationConfirmed) -> Result<(), Failure> {
        let details = Details {
            timezone: m.timezone.as_deref(),
            lang: m.lang.as_deref(),
        };
        let mut tx = self.pool.begin().await.map_err(db)?;
        let recorded = recipients::confirmed(
            &mut tx,
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
        // Left as it was: a newer change is known, or the participant was erased.
        let to = match recorded {
            Some(to) => Some(to),
            None => recipients::find(&mut *tx, m.registration_id)
                .await
                .map_err(db)?,
        };
        // A later confirmation (approved, or a freed seat taken) carries no link: the one
        // sent with the first message is on record.
        let Some(to) = to.filter(|to| to.status != "erased" && !to.email.is_empty()) else {
            tx.commit().await.map_err(db)?;
            return Ok(());
        };
        let mut email =
            render::confirmation(m, &to.manage_url, envelope.message_id).map_err(bug)?;
        email.calendar = self.calendar(&m.event, Method::Request, &m.email, &to.manage_url);
        self.send_chunk_in(tx, envelope, std::slice::from_ref(&email))
            .await
    }

    /// Sends one batch of reminders (`reminder.due`): each participant's own, unless their
    /// registration was cancelled or their data erased, and none once the exchange has
    /// started. The batch's recipients and the exchange's notes are read once. A participant
    /// not known yet (their confirmation still on its way) makes the message a transient
    /// failure after the others are sent: the retry sends only theirs.
    async fn remind(&self, envelope: &Envelope, m: &ReminderDue) -> Result<(), Failure> {
        let ids = m.participants();
        if m.event.starts_at <= Utc::now() {
            tracing::info!(
                count = ids.len(),
                "reminders skipped: the exchange has started"
            );
            for _ in &ids {
                metrics::reminder_skipped(ReminderSkipped::Started);
            }
            return Ok(());
        }
        let found = recipients::find_many(&self.pool, &ids).await.map_err(db)?;
        let unknown = ids.len() - found.len();
        let notes = notes::for_event(&self.pool, m.event.event_id)
            .await
            .map_err(db)?;
        let now = Utc::now();
        let mut to_remind = Vec::with_capacity(found.len());
        for to in found {
            if to.status == "erased" || to.email.is_empty() {
                continue;
            }
            if to.status != "confirmed" {
                tracing::info!(registration_id = %to.registration_id, "reminder skipped: registration cancelled");
                metrics::reminder_skipped(ReminderSkipped::Cancelled);
                continue;
            }
            to_remind.push(to);
        }
        self.send_each(envelope, &to_remind, |to| {
            let note = notes::pick(&notes, m.offset_minutes, &to.lang);
            let mut email = render::reminder(m, to, note.as_deref(), now).map_err(bug)?;
            email.calendar = self.calendar(&m.event, Method::Request, &to.email, &to.manage_url);
            Ok(email)
        })
        .await?;
        if unknown > 0 {
            return Err(Failure::Transient(anyhow::anyhow!(
                "{unknown} recipients not known yet"
            )));
        }
        Ok(())
    }

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

    /// Sends `email` unless its key was sent before (see [`Self::send_chunk`]).
    async fn send_once(&self, envelope: &Envelope, email: &Outgoing) -> Result<(), Failure> {
        self.send_chunk(envelope, std::slice::from_ref(email)).await
    }

    /// Renders and sends one email per item (unless its key was sent before),
    /// [`SEND_CHUNK`] at a time: rendered a chunk at a time, so that the emails to an
    /// exchange of 100 000 participants are never all in memory at once. A refusal of one
    /// address does not stop the others (the message then goes to the dead-letter queue,
    /// and a replay sends only what is still missing); any other failure stops here, and
    /// the retry sends only what is still missing.
    async fn send_each<T: Sync>(
        &self,
        envelope: &Envelope,
        items: &[T],
        render: impl Fn(&T) -> Result<Outgoing, Failure> + Sync,
    ) -> Result<(), Failure> {
        let mut refused = None;
        for chunk in items.chunks(SEND_CHUNK) {
            let emails = chunk.iter().map(&render).collect::<Result<Vec<_>, _>>()?;
            match self.send_chunk(envelope, &emails).await {
                Ok(()) => {}
                Err(failure @ Failure::Permanent(_)) => {
                    refused.get_or_insert(failure);
                }
                Err(failure) => return Err(failure),
            }
        }
        refused.map_or(Ok(()), Err)
    }

    /// Sends one chunk of emails in one transaction. Their keys are claimed (rows inserted,
    /// uncommitted) in one statement for the duration, so concurrent copies of a message
    /// wait, then see them sent; the emails go one after the other on one SMTP connection
    /// (one round trip each where the server pipelines, `email::pipelining`); the keys of
    /// those the server refused are given back, and the rest commit together. If Postgres
    /// fails at that point the records are written again until they are in: this process
    /// never sends an accepted email twice. The one window left: the process dies after the
    /// server accepted and before the commit, and the redelivered message sends those
    /// again (docs/messages.md); the log's `unrecorded_ms` measures it.
    async fn send_chunk(&self, envelope: &Envelope, chunk: &[Outgoing]) -> Result<(), Failure> {
        let tx = self.pool.begin().await.map_err(db)?;
        self.send_chunk_in(tx, envelope, chunk).await
    }

    /// [`Self::send_chunk`] in a transaction already open, whose other writes commit with
    /// the keys, also when the SMTP server refuses (its keys are given back first).
    async fn send_chunk_in(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
        envelope: &Envelope,
        chunk: &[Outgoing],
    ) -> Result<(), Failure> {
        let keys: Vec<&str> = chunk.iter().map(|e| e.key.as_str()).collect();
        let kinds: Vec<&str> = chunk.iter().map(|e| e.kind).collect();
        let claimed = sent::claim(&mut tx, &keys, &kinds, envelope.message_id)
            .await
            .map_err(db)?;
        let to_send: Vec<&Outgoing> = chunk.iter().filter(|e| claimed.contains(&e.key)).collect();
        for email in chunk.iter().filter(|e| !claimed.contains(&e.key)) {
            tracing::info!(kind = email.kind, "already sent; skipping the duplicate");
        }
        let results = self.mailer.send_all(&self.from, &to_send).await;

        let mut accepted = Vec::new();
        let mut given_back = Vec::new();
        let mut failure: Option<Failure> = None;
        for (email, (result, at)) in to_send.into_iter().zip(results) {
            match result {
                Ok(()) => {
                    // Counted once the server accepted it.
                    metrics::email_sent(email.kind);
                    if email.kind == "reminder" {
                        metrics::reminder_sent();
                    }
                    accepted.push((email, at));
                }
                Err(f) => {
                    metrics::email_failed(email.kind, &f);
                    given_back.push(email.key.as_str());
                    // A failure worth retrying outranks a refusal: the retry may get through.
                    if failure
                        .as_ref()
                        .is_none_or(|w| matches!(w, Failure::Permanent(_)))
                    {
                        failure = Some(f);
                    }
                }
            }
        }
        // From each acceptance until this commit, a crash sends that email twice.
        let recorded = async {
            if !given_back.is_empty() {
                sent::release(&mut tx, &given_back).await?;
            }
            tx.commit().await
        };
        let mut lost = None;
        if let Err(e) = recorded.await {
            tracing::warn!(error = %e, emails = accepted.len(), "emails out but not recorded; recording them until Postgres answers");
            let out: Vec<&Outgoing> = accepted.iter().map(|(email, _)| *email).collect();
            self.record_until_done(envelope, &out).await;
            // The transaction's other writes (a participant's row) are lost with it: the
            // message must run again, and its emails are now recorded as sent.
            lost = Some(Failure::Transient(anyhow::anyhow!(
                "the transaction did not commit: {e}"
            )));
        }
        for (email, at) in &accepted {
            let unrecorded_ms = at.elapsed().as_secs_f64() * 1000.0;
            tracing::info!(kind = email.kind, unrecorded_ms, "email sent");
        }
        match failure.or(lost) {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Records emails the SMTP server accepted, retrying with backoff for as long as
    /// Postgres refuses (the shutdown limit bounds it).
    async fn record_until_done(&self, envelope: &Envelope, emails: &[&Outgoing]) {
        if emails.is_empty() {
            return;
        }
        let keys: Vec<&str> = emails.iter().map(|e| e.key.as_str()).collect();
        let kinds: Vec<&str> = emails.iter().map(|e| e.kind).collect();
        let mut backoff = Backoff::default();
        loop {
            let attempt = async {
                let mut conn = self.pool.acquire().await?;
                sent::record(&mut conn, &keys, &kinds, envelope.message_id).await
            };
            match attempt.await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, emails = keys.len(), "recording sent emails failed; trying again");
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
