//! What the notification service does with each message it consumes: decide who gets which
//! email, and send each exactly once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::Utc;
use convene_shared::batch::Batcher;
use convene_shared::broker::{Backoff, Broker};
use convene_shared::calendar::{self, Method};
use convene_shared::consumer::{self, Failure, Handler};
use convene_shared::messages::EventSnapshot;
use convene_shared::messages::{
    join_url_context, manage_url_context, open_link, register_url_context, sign_in_url_context,
    Contact,
};
use convene_shared::messages::{
    ConsoleSignInRequested, InvitationReminderDue, InvitationSent, OrganiserDigest,
};
use convene_shared::messages::{
    CosponsorOfferDecided, CosponsorOfferReceived, Envelope, EventCancelled, EventFollowUp,
    EventScheduled, Message, ParticipantErased, RegistrationCancelled, RegistrationConfirmed,
    ReminderDue,
};
use convene_shared::messages::{RegistrationLinkRenewed, RegistrationStatusChanged};
use convene_shared::metrics::{self, ReminderSkipped};
use convene_shared::sealed::{LinkKeys, OpenError, Sealed};
use convene_shared::topology;
use lettre::message::Mailbox;
use sqlx::PgPool;
use uuid::Uuid;

use crate::email::transport::Mailer;
use crate::email::{render, Outgoing};
use crate::store::invitees::{self, Invitee};
use crate::store::recipients::{Confirmed, Details, Recipient, StatusContact};
use crate::store::{notes, recipients, sent};

/// Emails per transaction when a message sends several (a batch of reminders, an exchange's
/// participants), or when confirmations are handled side by side: their keys are claimed in
/// one statement and recorded in one commit. It also bounds how many emails a crash
/// between the SMTP server's acceptance and that commit can send twice, per transaction.
const SEND_CHUNK: usize = 10;

/// The notification service's message handler.
pub struct Inbox {
    pool: PgPool,
    mailer: Mailer,
    /// For erasing a person's dead letters from `notification.inbox.dead`.
    broker: Broker,
    from: Mailbox,
    /// The address calendar entries come from (`ICS_ORGANIZER`).
    organizer: String,
    /// Confirmations, the one email every registration sends, are handled together: those
    /// that arrive side by side are recorded, sent on one connection and committed at once.
    confirmations: Batcher<Confirmation, Result<(), Failure>>,
    /// Opens the contacts and links registration sealed (`LINK_KEY`).
    keys: LinkKeys,
}

/// A `registration.confirmed` waiting for its batch, with the span its delivery is handled
/// in: the batch's log lines about it go there, under its correlation id.
struct Confirmation {
    envelope: Envelope,
    message: RegistrationConfirmed,
    /// The message's contact, opened; its manage and join links still sealed.
    contact: Contact,
    span: tracing::Span,
}

/// One email of a chunk, with the message it answers.
struct Letter<'a> {
    email: &'a Outgoing,
    message_id: Uuid,
    span: &'a tracing::Span,
}

/// What became of a chunk: each email's own result (sent now or before, or why not), and
/// whether the transaction around it committed.
struct Delivered {
    each: Vec<Result<(), Failure>>,
    /// Why the commit failed, if it did: the transaction's other writes are lost.
    lost: Option<String>,
}

impl Inbox {
    /// The handler, with `senders` batches of confirmations under way at once (one SMTP
    /// connection each: the pool's size).
    pub fn new(
        pool: PgPool,
        mailer: Mailer,
        broker: Broker,
        from: Mailbox,
        organizer: String,
        senders: usize,
        keys: LinkKeys,
    ) -> Arc<Self> {
        Arc::new_cyclic(|inbox: &std::sync::Weak<Self>| {
            let inbox = inbox.clone();
            let confirmations = Batcher::spawn(SEND_CHUNK, senders.max(1), move |batch| {
                let inbox = inbox.upgrade();
                async move {
                    match inbox {
                        Some(inbox) => inbox.confirm_batch(batch).await,
                        None => batch
                            .iter()
                            .map(|_| Err(Failure::Transient(anyhow::anyhow!("shutting down"))))
                            .collect(),
                    }
                }
            });
            Self {
                pool,
                mailer,
                broker,
                from,
                organizer,
                confirmations,
                keys,
            }
        })
    }
}

impl Handler for Inbox {
    async fn handle(&self, envelope: Envelope) -> Result<(), Failure> {
        match envelope.kind.as_str() {
            RegistrationConfirmed::KIND => {
                let message: RegistrationConfirmed = payload(&envelope)?;
                let mut contact = message.contact(&self.keys).map_err(unsealed)?;
                contact.manage_url = self.stored(
                    &manage_url_context(message.registration_id),
                    &contact.manage_url,
                );
                contact.join_url = self.stored(
                    &join_url_context(message.registration_id),
                    &contact.join_url,
                );
                let confirmation = Confirmation {
                    envelope,
                    message,
                    contact,
                    span: tracing::Span::current(),
                };
                self.confirmations
                    .submit(confirmation)
                    .await
                    .unwrap_or_else(|gone| Err(Failure::Transient(gone.into())))
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
                let link = self.manage_link(&to)?;
                email.calendar = self.calendar(&m.event, Method::Cancel, &to.email, &link, None);
                self.send_once(&envelope, &email).await
            }
            ReminderDue::KIND => {
                let m: ReminderDue = payload(&envelope)?;
                self.remind(&envelope, &m).await
            }
            RegistrationStatusChanged::KIND => {
                let m: RegistrationStatusChanged = payload(&envelope)?;
                let opened = m.contact(&self.keys).map_err(unsealed)?;
                let links = opened.as_ref().map(|c| {
                    (
                        self.stored(&manage_url_context(m.registration_id), &c.manage_url),
                        self.stored(&join_url_context(m.registration_id), &c.join_url),
                    )
                });
                let contact =
                    opened
                        .as_ref()
                        .zip(links.as_ref())
                        .map(|(c, (manage_url, join_url))| StatusContact {
                            name: &c.name,
                            email: &c.email,
                            manage_url,
                            join_url,
                            details: Details {
                                timezone: c.timezone.as_deref(),
                                lang: c.lang.as_deref(),
                            },
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
                if m.status == "lapsed" {
                    // The address was never confirmed: it may be anybody's, so nobody is
                    // written to again.
                    return Ok(());
                }
                let Some(to) = self.reachable(m.registration_id).await? else {
                    return Ok(());
                };
                let link = self.manage_link(&to)?;
                let email =
                    render::status_changed(&m, &to, &link, envelope.message_id).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            RegistrationLinkRenewed::KIND => {
                let m: RegistrationLinkRenewed = payload(&envelope)?;
                let context = manage_url_context(m.registration_id);
                let stored = self.stored(&context, &m.manage_url);
                recipients::set_manage_url(&self.pool, m.registration_id, &stored)
                    .await
                    .map_err(db)?;
                let Some(to) = self.reachable(m.registration_id).await? else {
                    return Ok(());
                };
                let link = self.manage_link(&to)?;
                let email =
                    render::link_renewed(&m, &to, &link, envelope.message_id).map_err(bug)?;
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
                    let link = self.manage_link(to)?;
                    let join = self.join_link(to, &m.event)?;
                    let mut email =
                        render::event_changed(&m, to, &link, envelope.message_id).map_err(bug)?;
                    email.calendar =
                        self.calendar(&m.event, Method::Request, &to.email, &link, join.as_deref());
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
                    let link = self.manage_link(to)?;
                    email.calendar =
                        self.calendar(&m.event, Method::Cancel, &to.email, &link, None);
                    Ok(email)
                })
                .await
            }
            EventFollowUp::KIND => {
                let m: EventFollowUp = payload(&envelope)?;
                self.follow_up(&envelope, &m).await
            }
            CosponsorOfferDecided::KIND => {
                let m: CosponsorOfferDecided = payload(&envelope)?;
                let email = render::offer_decision(&m, envelope.message_id).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            ParticipantErased::KIND => {
                let m: ParticipantErased = payload(&envelope)?;
                // What we hold outside our tables first, while we still know the
                // addresses: a retry after a failure finds them again.
                let mut addresses = recipients::addresses(&self.pool, &m.registration_ids)
                    .await
                    .map_err(db)?;
                addresses.extend(
                    invitees::addresses(&self.pool, &m.invitation_ids)
                        .await
                        .map_err(db)?,
                );
                let needles: Vec<String> = m
                    .registration_ids
                    .iter()
                    .chain(&m.invitation_ids)
                    .map(Uuid::to_string)
                    .chain(addresses.iter().cloned())
                    .collect();
                let letters = consumer::purge_dead_letters(
                    &self.broker,
                    topology::NOTIFICATION_INBOX,
                    &needles,
                )
                .await
                .map_err(Failure::Transient)?;
                let files =
                    self.mailer.forget(&addresses).await.map_err(|e| {
                        Failure::Transient(anyhow::anyhow!("erasing email files: {e}"))
                    })?;
                tracing::info!(letters, files, "dead letters and email files erased");
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
                let stored = self.stored(&register_url_context(m.invitation_id), &m.register_url);
                invitees::invited(&self.pool, &m, &stored)
                    .await
                    .map_err(db)?;
                let Some(to) = self.invitee(m.invitation_id).await? else {
                    return Ok(());
                };
                let link = self.register_link(&to)?;
                let email = render::invitation(&m.event, &to, &link, false).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            OrganiserDigest::KIND => {
                let m: OrganiserDigest = payload(&envelope)?;
                let email = render::digest(&m).map_err(bug)?;
                self.send_once(&envelope, &email).await
            }
            ConsoleSignInRequested::KIND => {
                let m: ConsoleSignInRequested = payload(&envelope)?;
                if m.expires_at <= Utc::now() {
                    return Ok(()); // the link no longer works: no use sending it
                }
                let link = open_link(&self.keys, &sign_in_url_context(m.link_id), &m.sign_in_url)
                    .map_err(unsealed)?;
                let email = render::console_sign_in(&m, &link).map_err(bug)?;
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
                let link = self.register_link(&to)?;
                let email = render::invitation(&m.event, &to, &link, true).map_err(bug)?;
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
    /// Records confirmed participants and sends their confirmations, those handled side by
    /// side in one transaction: their rows and their emails' keys commit together, one WAL
    /// flush for the batch. A refused email still commits its participant (see
    /// [`Self::send_letters`]), so that later messages about them find them.
    ///
    /// A registration named twice (two copies of a message, or a confirmation and the
    /// re-confirmation after an approval) is confirmed once in the batch and once more
    /// after it, as if its messages had come one after the other.
    async fn confirm_batch(&self, batch: Vec<Confirmation>) -> Vec<Result<(), Failure>> {
        let mut seen = HashSet::new();
        let (first, again): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .enumerate()
            .partition(|(_, c)| seen.insert(c.message.registration_id));
        let (order, first): (Vec<usize>, Vec<Confirmation>) = first.into_iter().unzip();
        let mut results: Vec<(usize, Result<(), Failure>)> = order
            .into_iter()
            .zip(self.confirm_distinct(&first).await)
            .collect();
        for (i, confirmation) in again {
            let mut alone = self
                .confirm_distinct(std::slice::from_ref(&confirmation))
                .await;
            results.push((i, alone.pop().expect("one result per confirmation")));
        }
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, result)| result).collect()
    }

    /// [`Self::confirm_batch`] for confirmations of distinct registrations.
    async fn confirm_distinct(&self, batch: &[Confirmation]) -> Vec<Result<(), Failure>> {
        // 1. Record the participants; read those left as they were (a newer change is
        //    known, or they were erased).
        let recorded = async {
            let mut tx = self.pool.begin().await?;
            let rows: Vec<Confirmed> = batch
                .iter()
                .map(|c| Confirmed {
                    registration_id: c.message.registration_id,
                    event_id: c.message.event.event_id,
                    name: &c.contact.name,
                    email: &c.contact.email,
                    manage_url: &c.contact.manage_url,
                    join_url: &c.contact.join_url,
                    details: Details {
                        timezone: c.contact.timezone.as_deref(),
                        lang: c.contact.lang.as_deref(),
                    },
                    at: c.message.registered_at,
                })
                .collect();
            let mut known: HashMap<Uuid, Recipient> = recipients::confirmed(&mut tx, &rows)
                .await?
                .into_iter()
                .map(|to| (to.registration_id, to))
                .collect();
            let unchanged: Vec<Uuid> = rows
                .iter()
                .map(|r| r.registration_id)
                .filter(|id| !known.contains_key(id))
                .collect();
            if !unchanged.is_empty() {
                let found = recipients::find_many(&mut *tx, &unchanged).await?;
                known.extend(found.into_iter().map(|to| (to.registration_id, to)));
            }
            sqlx::Result::Ok((tx, known))
        };
        let (tx, known) = match recorded.await {
            Ok(recorded) => recorded,
            Err(e) => return batch.iter().map(|_| Err(Failure::database(&e))).collect(),
        };

        // 2. Each one's email, with the link on record (a later confirmation carries none).
        //    Nobody erased since is emailed.
        let mut results: Vec<Result<(), Failure>> = batch.iter().map(|_| Ok(())).collect();
        let mut emails = Vec::with_capacity(batch.len());
        for (i, c) in batch.iter().enumerate() {
            let Some(to) = known
                .get(&c.message.registration_id)
                .filter(|to| to.status != "erased" && !to.email.is_empty())
            else {
                continue;
            };
            let link = match self.manage_link(to) {
                Ok(link) => link,
                Err(e) => {
                    results[i] = Err(e);
                    continue;
                }
            };
            let join = match self.join_link(to, &c.message.event) {
                Ok(join) => join,
                Err(e) => {
                    results[i] = Err(e);
                    continue;
                }
            };
            let rendered = render::confirmation(
                &c.message,
                &c.contact,
                &link,
                join.as_deref(),
                c.envelope.message_id,
            );
            match rendered {
                Ok(mut email) => {
                    email.calendar = self.calendar(
                        &c.message.event,
                        Method::Request,
                        &c.contact.email,
                        &link,
                        join.as_deref(),
                    );
                    emails.push((i, email));
                }
                Err(e) => results[i] = Err(bug(e)),
            }
        }

        // 3. Send them, and commit with the participants.
        let letters: Vec<Letter> = emails
            .iter()
            .map(|(i, email)| Letter {
                email,
                message_id: batch[*i].envelope.message_id,
                span: &batch[*i].span,
            })
            .collect();
        let delivered = self.send_letters(tx, &letters).await;
        for ((i, _), result) in emails.iter().zip(delivered.each) {
            results[*i] = result;
        }
        if let Some(e) = delivered.lost {
            for result in results.iter_mut().filter(|r| r.is_ok()) {
                *result = Err(not_committed(&e));
            }
        }
        results
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
            let link = self.manage_link(to)?;
            let join = self.join_link(to, &m.event)?;
            let mut email = render::reminder(m, to, &link, join.as_deref(), note.as_deref(), now)
                .map_err(bug)?;
            email.calendar =
                self.calendar(&m.event, Method::Request, &to.email, &link, join.as_deref());
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

    /// The follow-up after an exchange, to each participant of the batch still confirmed
    /// (nobody cancelled or erased since), once each (`follow_up:<event>:<registration>`).
    /// A participant not known yet (their confirmation still on its way) makes the message
    /// a transient failure after the others are sent: the retry sends only theirs.
    async fn follow_up(&self, envelope: &Envelope, m: &EventFollowUp) -> Result<(), Failure> {
        let ids: Vec<Uuid> = m.participants.iter().map(|p| p.registration_id).collect();
        let attended: HashSet<Uuid> = m
            .participants
            .iter()
            .filter(|p| p.attended)
            .map(|p| p.registration_id)
            .collect();
        let found = recipients::find_many(&self.pool, &ids).await.map_err(db)?;
        let unknown = ids.len() - found.len();
        let to_send: Vec<Recipient> = found
            .into_iter()
            .filter(|to| to.status == "confirmed" && !to.email.is_empty())
            .collect();
        self.send_each(envelope, &to_send, |to| {
            let took_part = attended.contains(&to.registration_id);
            // The survey link opens the manage link: needed only for those sent to it.
            let link = if took_part && m.survey_closes_at.is_some() {
                self.manage_link(to)?
            } else {
                String::new()
            };
            render::follow_up(m, to, took_part, &link).map_err(bug)
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

    /// The participant's manage link, opened for the email being rendered now (it is never
    /// stored or logged opened).
    fn manage_link(&self, to: &Recipient) -> Result<String, Failure> {
        open_link(
            &self.keys,
            &manage_url_context(to.registration_id),
            &to.manage_url,
        )
        .map_err(unsealed)
    }

    /// The participant's personal join link, opened for the email being rendered now: only
    /// for an online exchange and a confirmed registration that was sent one (those from
    /// before join links have none).
    fn join_link(&self, to: &Recipient, event: &EventSnapshot) -> Result<Option<String>, Failure> {
        if !event.online || to.status != "confirmed" || to.join_url.is_empty() {
            return Ok(None);
        }
        open_link(
            &self.keys,
            &join_url_context(to.registration_id),
            &to.join_url,
        )
        .map(Some)
        .map_err(unsealed)
    }

    /// The invitee's registration link, opened for the email being rendered now.
    fn register_link(&self, to: &Invitee) -> Result<String, Failure> {
        open_link(
            &self.keys,
            &register_url_context(to.invitation_id),
            &to.register_url,
        )
        .map_err(unsealed)
    }

    /// A link as we store it: sealed. Links from registration come sealed and are kept so;
    /// a plain one (from a message sent before links were sealed) is sealed now.
    fn stored(&self, context: &str, link: &Sealed) -> Sealed {
        if link.is_empty() || link.looks_sealed() {
            link.clone()
        } else {
            self.keys.seal(context, link.as_str())
        }
    }

    /// A calendar entry for `event`, addressed to `attendee`. With a join link (an online
    /// exchange), the entry's `URL` and `LOCATION` are that link; else its `URL` is the
    /// participant's page.
    fn calendar(
        &self,
        event: &EventSnapshot,
        method: Method,
        attendee: &str,
        manage_url: &str,
        join_url: Option<&str>,
    ) -> Option<(String, Method)> {
        let description = match join_url {
            Some(join) => format!("Join online: {join}\nYour registration: {manage_url}"),
            None => format!("Your registration: {manage_url}"),
        };
        let ics = calendar::ics(&calendar::Entry {
            event,
            method,
            organizer: &self.organizer,
            attendee: Some(attendee),
            description: &description,
            location: join_url.unwrap_or_default(),
            url: join_url.or(Some(manage_url)).filter(|u| !u.is_empty()),
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
    /// never sends an accepted email twice. The windows left (docs/messages.md): the
    /// process dies after the server accepted and before the commit, and the redelivered
    /// message sends those again (the log's `unrecorded_ms` measures it); or the server
    /// accepts but answers the end of an email after `SMTP_DATA_TIMEOUT_SECS`, and the
    /// retry sends it again (`email::transport::Timeouts`).
    async fn send_chunk(&self, envelope: &Envelope, chunk: &[Outgoing]) -> Result<(), Failure> {
        let tx = self.pool.begin().await.map_err(db)?;
        self.send_chunk_in(tx, envelope, chunk).await
    }

    /// [`Self::send_chunk`] in a transaction already open: the message's emails, with one
    /// result for the message. A failure worth retrying outranks a refusal (the retry may
    /// get through), and a failed commit fails the message.
    async fn send_chunk_in(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Postgres>,
        envelope: &Envelope,
        chunk: &[Outgoing],
    ) -> Result<(), Failure> {
        let span = tracing::Span::current();
        let letters: Vec<Letter> = chunk
            .iter()
            .map(|email| Letter {
                email,
                message_id: envelope.message_id,
                span: &span,
            })
            .collect();
        let delivered = self.send_letters(tx, &letters).await;
        let mut failure: Option<Failure> = None;
        for f in delivered.each.into_iter().filter_map(Result::err) {
            if failure
                .as_ref()
                .is_none_or(|w| matches!(w, Failure::Permanent(_)))
            {
                failure = Some(f);
            }
        }
        match failure.or(delivered.lost.map(|e| not_committed(&e))) {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Sends a chunk of emails in a transaction already open, whose other writes commit
    /// with their keys, also when the SMTP server refuses some (their keys are given back
    /// first). Their keys are claimed (rows inserted, uncommitted) in one statement for the
    /// duration, so concurrent copies wait, then see them sent; an email whose key was sent
    /// before is skipped, and counts as sent. If Postgres fails at the commit, the accepted
    /// emails are recorded again until they are in: this process never sends an accepted
    /// email twice.
    async fn send_letters(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
        letters: &[Letter<'_>],
    ) -> Delivered {
        let mut each: Vec<Result<(), Failure>> = letters.iter().map(|_| Ok(())).collect();
        let mut claimed = HashSet::new();
        if !letters.is_empty() {
            let keys: Vec<&str> = letters.iter().map(|l| l.email.key.as_str()).collect();
            let kinds: Vec<&str> = letters.iter().map(|l| l.email.kind).collect();
            let ids: Vec<Uuid> = letters.iter().map(|l| l.message_id).collect();
            match sent::claim(&mut tx, &keys, &kinds, &ids).await {
                Ok(keys) => claimed = keys,
                Err(e) => {
                    return Delivered {
                        each: letters.iter().map(|_| Err(Failure::database(&e))).collect(),
                        lost: None,
                    }
                }
            }
        }
        // Each claimed key is sent once, even if two emails of the chunk share it.
        let mut to_send = Vec::with_capacity(letters.len());
        for (i, letter) in letters.iter().enumerate() {
            if claimed.remove(&letter.email.key) {
                to_send.push(i);
            } else {
                tracing::info!(parent: letter.span, kind = letter.email.kind, "already sent; skipping the duplicate");
            }
        }
        let emails: Vec<&Outgoing> = to_send.iter().map(|&i| letters[i].email).collect();
        let results = self.mailer.send_all(&self.from, &emails).await;

        let mut accepted = Vec::new();
        let mut given_back = Vec::new();
        for (&i, (result, at)) in to_send.iter().zip(results) {
            let email = letters[i].email;
            match result {
                Ok(()) => {
                    // Counted once the server accepted it.
                    metrics::email_sent(email.kind);
                    if email.kind == "reminder" {
                        metrics::reminder_sent();
                    }
                    accepted.push((i, at));
                }
                Err(f) => {
                    metrics::email_failed(email.kind, &f);
                    given_back.push(email.key.as_str());
                    each[i] = Err(f);
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
            let out: Vec<&Letter> = accepted.iter().map(|(i, _)| &letters[*i]).collect();
            self.record_until_done(&out).await;
            // The transaction's other writes (a participant's row) are lost with it: the
            // message must run again, and its emails are now recorded as sent.
            lost = Some(e.to_string());
        }
        for (i, at) in &accepted {
            let unrecorded_ms = at.elapsed().as_secs_f64() * 1000.0;
            let letter = &letters[*i];
            tracing::info!(parent: letter.span, kind = letter.email.kind, unrecorded_ms, "email sent");
        }
        Delivered { each, lost }
    }

    /// Records emails the SMTP server accepted, retrying with backoff for as long as
    /// Postgres refuses (the shutdown limit bounds it).
    async fn record_until_done(&self, letters: &[&Letter<'_>]) {
        if letters.is_empty() {
            return;
        }
        let keys: Vec<&str> = letters.iter().map(|l| l.email.key.as_str()).collect();
        let kinds: Vec<&str> = letters.iter().map(|l| l.email.kind).collect();
        let ids: Vec<Uuid> = letters.iter().map(|l| l.message_id).collect();
        let mut backoff = Backoff::default();
        loop {
            let attempt = async {
                let mut conn = self.pool.acquire().await?;
                sent::record(&mut conn, &keys, &kinds, &ids).await
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

/// [`Failure::database`], for `map_err`.
fn db(e: sqlx::Error) -> Failure {
    Failure::database(&e)
}

/// The transaction of a chunk did not commit: its emails are recorded, but the message's
/// other writes are lost, so it must run again.
fn not_committed(e: &str) -> Failure {
    Failure::Transient(anyhow::anyhow!("the transaction did not commit: {e}"))
}

/// A sealed contact or link that does not open: registration sealed it with another
/// `LINK_KEY` (or it was altered). Retrying cannot help until the key is fixed: the message
/// goes to the dead-letter queue, to be replayed then.
fn unsealed(e: OpenError) -> Failure {
    Failure::Permanent(anyhow::anyhow!(
        "a sealed contact or link does not open: {e}"
    ))
}

fn bug(e: askama::Error) -> Failure {
    Failure::Permanent(anyhow::anyhow!("rendering the email failed: {e}"))
}
