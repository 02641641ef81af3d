//! Email: what each message becomes (`render`), and how it leaves (`transport`).

pub mod pipelining;
pub mod render;
pub mod smtp_stream;
pub mod smtp_target;
pub mod tls;
pub mod transport;

/// Every kind of email this service sends (the `kind` of an [`Outgoing`]): the metrics
/// report each from the start, at 0.
pub const KINDS: [&str; 14] = [
    "console_sign_in",
    "invitation",
    "invitation_reminder",
    "digest",
    "link_renewed",
    "status_changed",
    "confirmation",
    "cancellation",
    "reminder",
    "cosponsor_offer",
    "event_changed",
    "event_cancelled",
    "offer_decision",
    "follow_up",
];

impl Outgoing {
    /// An email to a participant we have on record, without a calendar entry (the inbox
    /// attaches one where it belongs).
    pub fn for_recipient(
        key: String,
        kind: &'static str,
        to: &crate::store::recipients::Recipient,
        subject: String,
        body: String,
    ) -> Self {
        Self {
            key,
            kind,
            to: to.email.clone(),
            to_name: Some(to.name.clone()),
            reply_to: None,
            subject,
            body,
            calendar: None,
        }
    }
}

/// One email, ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// What this email is about; the same key is never sent twice (see `store::sent`).
    pub key: String,
    /// For logs and metrics: `confirmation`, `cancellation`, `reminder`, `cosponsor_offer`.
    pub kind: &'static str,
    pub to: String,
    pub to_name: Option<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body: String,
    /// A calendar entry to attach (iCalendar text, and whether it invites or withdraws).
    pub calendar: Option<(String, convene_shared::calendar::Method)>,
}
