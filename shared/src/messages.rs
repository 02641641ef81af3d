//! The messages that cross service boundaries, and their envelope.
//!
//! Each message travels as JSON: an [`Envelope`] whose `kind` is also its routing key
//! (see [`crate::topology::keys`]) and whose `payload` is one of the structs below.
//! `docs/messages.md` documents the same schemas. Fields are only ever added, never
//! renamed or removed, so a consumer of an older version keeps working.

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

use crate::sealed::{LinkKeys, OpenError, Sealed};
use crate::topology::keys;

/// What every message carries around its payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique per message; consumers use it to recognise a redelivery.
    pub message_id: Uuid,
    /// The message type, equal to its routing key.
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    /// Follows one participant's action through every service's logs.
    pub correlation_id: Uuid,
    pub payload: serde_json::Value,
}

/// A payload type and the routing key it travels under.
pub trait Message: Serialize + DeserializeOwned {
    const KIND: &'static str;
}

impl Envelope {
    /// Wraps a payload in a fresh envelope.
    ///
    /// # Panics
    /// Never: the payload types serialise infallibly.
    pub fn new<M: Message>(payload: &M, correlation_id: Uuid) -> Self {
        Self {
            message_id: Uuid::now_v7(),
            kind: M::KIND.to_owned(),
            occurred_at: Utc::now(),
            correlation_id,
            payload: serde_json::to_value(payload).expect("message payloads serialise"),
        }
    }

    /// Reads the payload as `M`.
    ///
    /// # Errors
    /// When the payload does not match `M`'s schema.
    pub fn payload<M: Message>(&self) -> Result<M, serde_json::Error> {
        M::deserialize(&self.payload)
    }
}

/// The details of an exchange that emails and reminders need.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventSnapshot {
    pub event_id: Uuid,
    pub slug: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// IANA time zone the exchange is held in, e.g. `Europe/Zurich`.
    pub timezone: String,
    /// The exchange's version (see [`EventScheduled::version`]); calendars use it to know
    /// which update is newer. 0 in messages from before it was added.
    #[serde(default)]
    pub version: i64,
    /// Whether the exchange is held online (organisers gave it a private meeting link):
    /// emails then carry each participant's personal join link. The meeting link itself
    /// never travels. False in messages from before it was added.
    #[serde(default)]
    pub online: bool,
}

/// `event.scheduled`: an exchange exists, or changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventScheduled {
    pub event: EventSnapshot,
    /// Minutes before the start at which participants are reminded.
    pub reminder_offsets_minutes: Vec<i32>,
    /// Increases with every change, so an older message never overwrites a newer one.
    pub version: i64,
    /// What changed that participants must be told (date and time, place, link, title),
    /// as a person reads it; empty when the exchange was just created or nothing of that
    /// kind changed.
    #[serde(default)]
    pub changes: Vec<EventChange>,
    /// The organisers' notes to add to reminders, per offset and language; the whole
    /// current set (an empty list removes them all). Absent in messages from before they
    /// were added: none.
    #[serde(default)]
    pub reminder_notes: Vec<ReminderNote>,
}

/// Organisers' words added to one reminder in one language (the meeting link, an agenda).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReminderNote {
    /// Which reminder, in minutes before the start.
    pub offset_minutes: i32,
    /// `en`, `fr` or `es`.
    pub lang: String,
    /// Plain text, possibly several lines.
    pub text: String,
}

/// One change participants are told about: `When: Tuesday … → Thursday …`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventChange {
    /// What changed, e.g. `When`, `Location`, `Online link`, `Title`.
    pub label: String,
    /// The old and new values as an English reader reads them.
    pub old: String,
    pub new: String,
    /// For `When`: the old and new times themselves, so that each participant's email can
    /// show them in their language and zone. Absent in messages from before they were added.
    #[serde(default)]
    pub old_time: Option<TimeSpan>,
    #[serde(default)]
    pub new_time: Option<TimeSpan>,
}

/// When an exchange takes place.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimeSpan {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// IANA time zone the exchange is held in.
    pub timezone: String,
}

/// `event.cancelled`: an organiser cancelled the exchange; everyone is told, no reminder
/// goes out after.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventCancelled {
    pub event: EventSnapshot,
    pub version: i64,
}
impl Message for EventCancelled {
    const KIND: &'static str = keys::EVENT_CANCELLED;
}

/// `cosponsor_offer.decided`: organisers accepted or declined an offer; its contact is told.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CosponsorOfferDecided {
    pub offer_id: Uuid,
    pub event: EventSnapshot,
    pub organisation: String,
    pub contact_name: String,
    pub contact_email: String,
    /// `accepted` or `declined`.
    pub decision: String,
    /// The organisers' note to the contact (may be empty).
    pub note: String,
}
impl Message for CosponsorOfferDecided {
    const KIND: &'static str = keys::COSPONSOR_OFFER_DECIDED;
}
impl Message for EventScheduled {
    const KIND: &'static str = keys::EVENT_SCHEDULED;
}

/// `registration.confirmed`: a participant holds a seat.
///
/// Who the participant is travels sealed in `sealed_contact` (see [`crate::sealed`]): the
/// scheduling service, which consumes this message too, learns only which registration of
/// which exchange. The plain `name` … `lang` fields are those of messages from before
/// contacts were sealed; new messages leave them out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistrationConfirmed {
    pub registration_id: Uuid,
    pub event: EventSnapshot,
    /// A [`Contact`], sealed for `contact:<registration_id>`. Its `manage_url` is empty when
    /// the participant was confirmed later (approved, or took a freed seat): the link was
    /// sent with their first message and the notification service has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_contact: Option<Sealed>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Sealed::is_empty")]
    pub manage_url: Sealed,
    pub registered_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

impl RegistrationConfirmed {
    /// A confirmation whose contact is sealed with `keys`.
    pub fn sealed(
        keys: &LinkKeys,
        registration_id: Uuid,
        event: EventSnapshot,
        contact: &Contact,
        registered_at: DateTime<Utc>,
    ) -> Self {
        Self {
            registration_id,
            event,
            sealed_contact: Some(contact.seal(keys, registration_id)),
            name: String::new(),
            email: String::new(),
            timezone: None,
            manage_url: Sealed::default(),
            registered_at,
            lang: None,
        }
    }

    /// The participant's contact: opened, or from the plain fields of an older message.
    ///
    /// # Errors
    /// When the sealed contact does not open (another `LINK_KEY`, or altered).
    pub fn contact(&self, keys: &LinkKeys) -> Result<Contact, OpenError> {
        match &self.sealed_contact {
            Some(sealed) => Contact::open(keys, self.registration_id, sealed),
            None => Ok(Contact {
                name: self.name.clone(),
                email: self.email.clone(),
                timezone: self.timezone.clone(),
                manage_url: self.manage_url.clone(),
                lang: self.lang.clone(),
                join_url: Sealed::default(),
            }),
        }
    }
}

impl Message for RegistrationConfirmed {
    const KIND: &'static str = keys::REGISTRATION_CONFIRMED;
}

/// How to reach a participant. It travels sealed (see [`Contact::seal`]): only the
/// registration and notification services read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
    /// The participant's own IANA time zone, when they gave one: emails show times in it too.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The personal page where the participant sees and cancels the registration, sealed
    /// on its own for `manage_url:<registration_id>` (so the notification service stores
    /// it as it came). Empty when the link is not sent again. A plain URL in messages from
    /// before links were sealed.
    #[serde(default)]
    pub manage_url: Sealed,
    /// The participant's language (`en`, `fr`, `es`): every email to them is in it.
    /// Absent in messages from before it was added: English.
    #[serde(default)]
    pub lang: Option<String>,
    /// The participant's personal join link (`{PUBLIC_BASE_URL}/j/{token}`), which opens the
    /// meeting of an online exchange during its window: a credential, sealed on its own for
    /// `join_url:<registration_id>` and stored so by the notification service. Given with a
    /// registration's first message only; empty otherwise, and in messages from before it
    /// was added.
    #[serde(default, skip_serializing_if = "Sealed::is_empty")]
    pub join_url: Sealed,
}

impl Contact {
    /// The context a registration's contact is sealed for.
    fn context(registration_id: Uuid) -> String {
        format!("contact:{registration_id}")
    }

    /// This contact sealed for `registration_id`.
    pub fn seal(&self, keys: &LinkKeys, registration_id: Uuid) -> Sealed {
        keys.seal_json(&Self::context(registration_id), self)
    }

    /// A contact sealed by [`Self::seal`].
    ///
    /// # Errors
    /// When it does not open.
    pub fn open(
        keys: &LinkKeys,
        registration_id: Uuid,
        sealed: &Sealed,
    ) -> Result<Self, OpenError> {
        keys.open_json(&Self::context(registration_id), sealed)
    }
}

/// The context a registration's manage link is sealed for, in messages and at rest.
pub fn manage_url_context(registration_id: Uuid) -> String {
    format!("manage_url:{registration_id}")
}

/// The context a registration's personal join link is sealed for, in messages and at rest.
pub fn join_url_context(registration_id: Uuid) -> String {
    format!("join_url:{registration_id}")
}

/// The context an invitation's registration link is sealed for.
pub fn register_url_context(invitation_id: Uuid) -> String {
    format!("register_url:{invitation_id}")
}

/// The context a console sign-in link is sealed for.
pub fn sign_in_url_context(link_id: Uuid) -> String {
    format!("sign_in_url:{link_id}")
}

/// Opens a link sealed for `context`. A plain `http(s)://` link (from a message or a row
/// written before links were sealed) is taken as it is; the empty value stays empty.
///
/// # Errors
/// When a sealed link does not open.
pub fn open_link(keys: &LinkKeys, context: &str, link: &Sealed) -> Result<String, OpenError> {
    if link.is_empty() {
        return Ok(String::new());
    }
    if !link.looks_sealed() && link.as_str().starts_with("http") {
        return Ok(link.as_str().to_owned());
    }
    keys.open(context, link)
}

/// `registration.status_changed`: a registration that holds no seat (yet) changed state:
/// `pending` (awaiting the organisers' approval), `waitlisted`, `offered` (a freed seat is
/// held for them until `offer_expires_at`), `rejected`, `expired` (an offer lapsed),
/// `unconfirmed` (the exchange asks participants to confirm their address: the link must be
/// opened by `confirm_by`), `lapsed` (it was not: the registration ended, nobody is emailed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistrationStatusChanged {
    pub registration_id: Uuid,
    pub event: EventSnapshot,
    pub status: String,
    /// The [`Contact`], sealed for `contact:<registration_id>`, in the first message about
    /// this registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_contact: Option<Sealed>,
    /// The contact in plain, in first messages from before contacts were sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Place on the waiting list (1 = next), when `waitlisted`.
    pub position: Option<i64>,
    /// When the held seat goes to the next in line, when `offered`.
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// When an `unconfirmed` registration lapses if its link has not been opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_by: Option<DateTime<Utc>>,
    pub changed_at: DateTime<Utc>,
}
impl RegistrationStatusChanged {
    /// The contact, when the message carries one: opened, or plain from an older message.
    ///
    /// # Errors
    /// When the sealed contact does not open.
    pub fn contact(&self, keys: &LinkKeys) -> Result<Option<Contact>, OpenError> {
        match &self.sealed_contact {
            Some(sealed) => Contact::open(keys, self.registration_id, sealed).map(Some),
            None => Ok(self.contact.clone()),
        }
    }
}
impl Message for RegistrationStatusChanged {
    const KIND: &'static str = keys::REGISTRATION_STATUS_CHANGED;
}

/// `registration.cancelled`: a participant gave up their seat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistrationCancelled {
    pub registration_id: Uuid,
    pub event: EventSnapshot,
    pub cancelled_at: DateTime<Utc>,
}
impl Message for RegistrationCancelled {
    const KIND: &'static str = keys::REGISTRATION_CANCELLED;
}

/// `cosponsor_offer.received`: an organisation offered to co-sponsor an exchange.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CosponsorOfferReceived {
    pub offer_id: Uuid,
    pub event: EventSnapshot,
    pub organisation: String,
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    pub country_name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub support_kind: String,
    pub message: String,
    /// Everyone to email: the exchange's organisers.
    pub organiser_emails: Vec<String>,
    /// Where organisers accept or decline it: the exchange's page in the organisers'
    /// console. Absent in messages from before it was added.
    #[serde(default)]
    pub decide_url: Option<String>,
}
impl Message for CosponsorOfferReceived {
    const KIND: &'static str = keys::COSPONSOR_OFFER_RECEIVED;
}

/// `reminder.due`: remind participants of one exchange, one reminder (offset) each. One
/// message carries a batch of up to [`ReminderDue::MAX_BATCH`] participants: a fan-out to
/// 100 000 people is 1 000 messages, not 100 000 (`make bench`, row 4).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReminderDue {
    /// The participants' registrations.
    #[serde(default)]
    pub registration_ids: Vec<Uuid>,
    /// One participant, as messages from schedulers before batches carried it; read as
    /// a batch of one. Never written now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_id: Option<Uuid>,
    pub event: EventSnapshot,
    /// Which reminder this is, in minutes before the start.
    pub offset_minutes: i32,
}
impl Message for ReminderDue {
    const KIND: &'static str = keys::REMINDER_DUE;
}

impl ReminderDue {
    /// The most participants one message carries (about 4 KB of ids).
    pub const MAX_BATCH: usize = 100;

    /// Every participant to remind, whichever field carries them.
    pub fn participants(&self) -> Vec<Uuid> {
        let mut ids = self.registration_ids.clone();
        if let Some(id) = self.registration_id {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }
}

/// `event.retention_due`: the exchange ended long enough ago (`RETENTION_DAYS`) that its
/// participants' personal data must be erased.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventRetentionDue {
    pub event_id: Uuid,
    pub ended_at: DateTime<Utc>,
}
impl Message for EventRetentionDue {
    const KIND: &'static str = keys::EVENT_RETENTION_DUE;
}

/// `event.follow_up_due`: the exchange ended `FOLLOW_UP_DELAY_MINUTES` ago; its
/// participants are due their follow-up email (scheduling → registration, which composes
/// it once: `event.follow_up`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventFollowUpDue {
    pub event_id: Uuid,
    /// When the exchange ended, as the scheduler knew it.
    pub ended_at: DateTime<Utc>,
}
impl Message for EventFollowUpDue {
    const KIND: &'static str = keys::EVENT_FOLLOW_UP_DUE;
}

/// `event.follow_up`: the follow-up email after an exchange, to each of these confirmed
/// participants (one message per chunk of at most [`EventFollowUp::MAX_BATCH`]): a
/// thank-you to those who attended, the recording and materials to those who did not.
/// No names nor addresses: the notification service has them from
/// `registration.confirmed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventFollowUp {
    pub event: EventSnapshot,
    /// Where the materials are, and the recording (`https://…`; empty: none).
    pub materials_url: String,
    pub recording_url: String,
    /// Until when the feedback survey takes answers, when it is open: those who attended
    /// are sent to it (their manage link + `/survey`). Absent: no survey link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_closes_at: Option<DateTime<Utc>>,
    pub participants: Vec<FollowUpParticipant>,
}
impl Message for EventFollowUp {
    const KIND: &'static str = keys::EVENT_FOLLOW_UP;
}

impl EventFollowUp {
    /// The most participants one message carries (about 30 KB).
    pub const MAX_BATCH: usize = 500;
}

/// One participant of an [`EventFollowUp`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FollowUpParticipant {
    pub registration_id: Uuid,
    /// Whether they took part (the registration service's effective attendance: an
    /// organiser's mark, else a join through their link; `store/follow_up.rs`): they get
    /// the thank-you, else the "sorry we missed you".
    pub attended: bool,
}

/// `participant.erased`: these registrations' personal data was erased at the source;
/// every service deletes its copies and sends them nothing more.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParticipantErased {
    pub registration_ids: Vec<Uuid>,
    /// Invitations whose addressee's data was erased. Absent in messages from before
    /// invitations: none.
    #[serde(default)]
    pub invitation_ids: Vec<Uuid>,
    pub erased_at: DateTime<Utc>,
}
impl Message for ParticipantErased {
    const KIND: &'static str = keys::PARTICIPANT_ERASED;
}

/// `registration.link_renewed`: the participant asked for their link again; the old one
/// no longer works and this is the new one (a credential, as
/// [`RegistrationConfirmed::manage_url`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistrationLinkRenewed {
    pub registration_id: Uuid,
    pub event: EventSnapshot,
    /// Sealed for `manage_url:<registration_id>` (see [`open_link`]).
    pub manage_url: Sealed,
}
impl Message for RegistrationLinkRenewed {
    const KIND: &'static str = keys::REGISTRATION_LINK_RENEWED;
}

/// `invitation.sent`: an organiser invited someone to an exchange; they are emailed their
/// personal link, which registers only this address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvitationSent {
    pub invitation_id: Uuid,
    pub event: EventSnapshot,
    pub email: String,
    /// As the organiser gave it; may be empty.
    pub name: String,
    /// `en`, `fr` or `es`: the invitation and its reminder are in it.
    pub lang: String,
    /// The personal registration link. It holds the invitation's secret, which the
    /// registration service stores only hashed: a credential, sealed for
    /// `register_url:<invitation_id>` (the notification service keeps it so, for the
    /// reminder; see [`open_link`]).
    pub register_url: Sealed,
    pub invited_at: DateTime<Utc>,
}
impl Message for InvitationSent {
    const KIND: &'static str = keys::INVITATION_SENT;
}

/// `invitation.reminder_due`: the one reminder to an invitee who has not registered yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvitationReminderDue {
    pub invitation_id: Uuid,
    pub event: EventSnapshot,
}
impl Message for InvitationReminderDue {
    const KIND: &'static str = keys::INVITATION_REMINDER_DUE;
}

/// `digest.due`: the digest clock (`DIGEST_SCHEDULE`) fired at `at`; every organiser whose
/// digest hour has passed in their time zone and who has had no digest since is due one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigestDue {
    pub at: DateTime<Utc>,
}
impl Message for DigestDue {
    const KIND: &'static str = keys::DIGEST_DUE;
}

/// `organiser.digest`: one organiser's daily digest of their exchanges. Sent only when
/// something is new since `since`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrganiserDigest {
    pub organiser_email: String,
    /// The organiser's IANA time zone: times in the email are shown in it.
    pub timezone: String,
    /// The organiser's day this digest is for (`2026-11-30`): one digest per day.
    pub local_date: String,
    /// What is new is what arrived after `since` and up to `until`.
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub exchanges: Vec<DigestExchange>,
    /// Where the registration service is reached (`PUBLIC_BASE_URL`), for the admin API
    /// addresses the email quotes.
    pub base_url: String,
}
impl Message for OrganiserDigest {
    const KIND: &'static str = keys::ORGANISER_DIGEST;
}

/// One exchange in a digest. Each list holds at most a few dozen entries; the totals
/// count them all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigestExchange {
    pub event: EventSnapshot,
    /// Registrations that arrived in the period, whatever their status now.
    pub new_registrations: Vec<DigestRegistration>,
    pub new_registrations_total: i64,
    /// Registrations waiting for the organisers' approval (old and new).
    pub pending: Vec<DigestRegistration>,
    pub pending_total: i64,
    /// Co-sponsorship offers not decided yet (old and new).
    pub open_offers: Vec<DigestOffer>,
    pub open_offers_total: i64,
    /// Confirmed participants now, and the capacity (`None`: unlimited).
    pub confirmed: i64,
    pub capacity: Option<i32>,
}

/// A registration as a digest lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigestRegistration {
    pub registration_id: Uuid,
    pub name: String,
    pub organisation: String,
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    pub role: String,
    pub status: String,
    pub registered_at: DateTime<Utc>,
}

/// A co-sponsorship offer as a digest lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigestOffer {
    pub offer_id: Uuid,
    pub organisation: String,
    pub country: String,
    pub contact_name: String,
    pub support_kind: String,
    pub received_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_from_before_batches_is_a_batch_of_one() {
        let id = Uuid::now_v7();
        let old = serde_json::json!({
            "registration_id": id,
            "event": {
                "event_id": Uuid::now_v7(), "slug": "x", "title": "X",
                "starts_at": "2026-12-01T10:00:00Z", "ends_at": "2026-12-01T12:00:00Z",
                "timezone": "UTC", "version": 1
            },
            "offset_minutes": 60
        });
        let m: ReminderDue = serde_json::from_value(old).unwrap();
        assert_eq!(m.participants(), vec![id]);
        // What is written now carries only the batch.
        let again = serde_json::to_value(ReminderDue {
            registration_ids: vec![id],
            registration_id: None,
            ..m
        })
        .unwrap();
        assert!(again.get("registration_id").is_none());
        assert_eq!(again["registration_ids"], serde_json::json!([id]));
    }
}

/// `console.sign_in_requested`: someone who may use the organisers' console asked to sign
/// in; they are emailed a link that works once, until `expires_at`. Sent only for an
/// address that organises or views an exchange, or is a console admin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsoleSignInRequested {
    /// One per link: the email's idempotency key.
    pub link_id: Uuid,
    pub email: String,
    /// `{PUBLIC_BASE_URL}/console/sign-in/{token}`. It holds the secret token, which the
    /// registration service stores only hashed: treat this field as a credential (never
    /// log it). Sealed for `sign_in_url:<link_id>` (see [`open_link`]).
    pub sign_in_url: Sealed,
    pub expires_at: DateTime<Utc>,
}
impl Message for ConsoleSignInRequested {
    const KIND: &'static str = keys::CONSOLE_SIGN_IN_REQUESTED;
}

/// `personal_data.export_requested`: a question (see [`crate::requests`]), not an event:
/// what does the notification service hold about this address? Asked when an organiser
/// exports a person's data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonalDataExportRequested {
    pub email: String,
}
impl Message for PersonalDataExportRequested {
    const KIND: &'static str = keys::PERSONAL_DATA_EXPORT_REQUESTED;
}

/// `personal_data.exported`: the notification service's answer to
/// [`PersonalDataExportRequested`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonalDataExported {
    /// The participants it would email under this address, one per registration.
    pub recipients: Vec<ExportedRecipient>,
    /// The people it invited under this address.
    pub invitees: Vec<ExportedInvitee>,
    /// The names of the email files (`MAIL_DIR`, when emails are written as files rather
    /// than sent) addressed to it.
    pub email_files: Vec<String>,
}
impl Message for PersonalDataExported {
    const KIND: &'static str = keys::PERSONAL_DATA_EXPORTED;
}

/// A participant as the notification service keeps them (their link stays out: a
/// credential, and registration's to give).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedRecipient {
    pub registration_id: Uuid,
    pub event_id: Uuid,
    pub name: String,
    pub email: String,
    pub status: String,
    pub status_at: DateTime<Utc>,
    pub timezone: Option<String>,
    pub lang: String,
}

/// An invitee as the notification service keeps them (their link stays out).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedInvitee {
    pub invitation_id: Uuid,
    pub event_id: Uuid,
    pub name: String,
    pub email: String,
    pub lang: String,
}
