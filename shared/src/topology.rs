//! Every exchange, queue and routing key Convene uses, and the code that declares them.
//!
//! `docs/messages.md` describes the same topology for people; keep the two together.
//!
//! ```text
//! registration ──publish──▶ [convene] (topic exchange)
//!                              │ event.*, registration.*, cosponsor_offer.*, reminder.*,
//!                              │ invitation.*, digest.due, organiser.digest,
//!                              │ console.sign_in_requested
//!   scheduling  ──publish──────┤
//!                              ├──▶ notification.inbox ──▶ notification
//!                              ├──▶ scheduling.inbox   ──▶ scheduling
//!                              └──▶ registration.inbox ──▶ registration
//!
//! registration ──question (amq.default)──▶ notification.requests ──▶ notification
//!              ◀──answer (direct reply-to: amq.rabbitmq.reply-to)──┘
//!
//! a queue Q that fails to handle a message:
//!   Q ──(transient)──▶ Q.retry.<delay>ms ──(TTL expires, dead-lettered back)──▶ Q
//!   Q ──(permanent, or out of attempts, or delivery limit)──▶ Q.dead
//! ```

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};

/// The one topic exchange every service publishes its messages to.
pub const EXCHANGE: &str = "convene";

/// Routing keys, which are also the message types (`Envelope::kind`).
pub mod keys {
    /// An exchange was created or changed (registration → scheduling, notification).
    pub const EVENT_SCHEDULED: &str = "event.scheduled";
    /// An exchange was cancelled (registration → scheduling, notification).
    pub const EVENT_CANCELLED: &str = "event.cancelled";
    /// Organisers decided on a co-sponsorship offer (registration → notification).
    pub const COSPONSOR_OFFER_DECIDED: &str = "cosponsor_offer.decided";
    /// A participant holds a seat (registration → notification, scheduling).
    pub const REGISTRATION_CONFIRMED: &str = "registration.confirmed";
    /// A registration without a seat changed state: pending, waitlisted, offered, rejected,
    /// expired (registration → notification).
    pub const REGISTRATION_STATUS_CHANGED: &str = "registration.status_changed";
    /// A participant asked for their link again (registration → notification).
    pub const REGISTRATION_LINK_RENEWED: &str = "registration.link_renewed";
    /// A participant gave up their seat (registration → notification, scheduling).
    pub const REGISTRATION_CANCELLED: &str = "registration.cancelled";
    /// An organisation offered to co-sponsor an exchange (registration → notification).
    pub const COSPONSOR_OFFER_RECEIVED: &str = "cosponsor_offer.received";
    /// A reminder is due for one participant (scheduling → notification).
    pub const REMINDER_DUE: &str = "reminder.due";
    /// An exchange ended long enough ago that its participants' personal data must go
    /// (scheduling → registration).
    pub const EVENT_RETENTION_DUE: &str = "event.retention_due";
    /// An exchange ended `FOLLOW_UP_DELAY_MINUTES` ago: its follow-up is due (scheduling →
    /// registration).
    pub const EVENT_FOLLOW_UP_DUE: &str = "event.follow_up_due";
    /// The follow-up email after an exchange, for a batch of its confirmed participants,
    /// each marked attended or not (registration → notification).
    pub const EVENT_FOLLOW_UP: &str = "event.follow_up";
    /// Participants' personal data was erased; every copy must go (registration →
    /// notification, scheduling).
    pub const PARTICIPANT_ERASED: &str = "participant.erased";
    /// An organiser invited someone; they are emailed their personal link (registration →
    /// notification).
    pub const INVITATION_SENT: &str = "invitation.sent";
    /// The one reminder to an invitee who has not answered (registration → notification).
    pub const INVITATION_REMINDER_DUE: &str = "invitation.reminder_due";
    /// The digest clock ticked: organisers whose digest hour has come are due one
    /// (scheduling → registration).
    pub const DIGEST_DUE: &str = "digest.due";
    /// One organiser's daily digest, ready to send (registration → notification).
    pub const ORGANISER_DIGEST: &str = "organiser.digest";
    /// Someone asked to sign in to the organisers' console; they are emailed a one-time
    /// link (registration → notification).
    pub const CONSOLE_SIGN_IN_REQUESTED: &str = "console.sign_in_requested";
    /// A question with an answer awaited (see [`crate::requests`]): what the notification
    /// service holds about an address, for an export (registration → notification, and
    /// back to the asker alone).
    pub const PERSONAL_DATA_EXPORT_REQUESTED: &str = "personal_data.export_requested";
    /// The notification service's answer to [`PERSONAL_DATA_EXPORT_REQUESTED`].
    pub const PERSONAL_DATA_EXPORTED: &str = "personal_data.exported";
}

/// Where questions to the notification service wait for it (see [`crate::requests`]): not
/// an inbox (nothing in it must survive a restart, and a question unanswered within
/// [`REQUEST_TTL_MS`] is dropped, its asker having given up), reached through the default
/// exchange by its name.
pub const NOTIFICATION_REQUESTS: &str = "notification.requests";

/// How long a question waits in [`NOTIFICATION_REQUESTS`] before RabbitMQ drops it.
pub const REQUEST_TTL_MS: u32 = 30_000;

/// A consuming queue, with the routing keys bound to it.
#[derive(Debug, Clone, Copy)]
pub struct Inbox {
    pub queue: &'static str,
    pub bindings: &'static [&'static str],
}

/// What the notification service consumes: everything that ends in an email.
pub const NOTIFICATION_INBOX: Inbox = Inbox {
    queue: "notification.inbox",
    bindings: &[
        keys::EVENT_SCHEDULED,
        keys::EVENT_CANCELLED,
        keys::REGISTRATION_CONFIRMED,
        keys::REGISTRATION_STATUS_CHANGED,
        keys::REGISTRATION_LINK_RENEWED,
        keys::REGISTRATION_CANCELLED,
        keys::COSPONSOR_OFFER_RECEIVED,
        keys::COSPONSOR_OFFER_DECIDED,
        keys::REMINDER_DUE,
        keys::PARTICIPANT_ERASED,
        keys::INVITATION_SENT,
        keys::INVITATION_REMINDER_DUE,
        keys::ORGANISER_DIGEST,
        keys::CONSOLE_SIGN_IN_REQUESTED,
        keys::EVENT_FOLLOW_UP,
    ],
};

/// What the scheduling service consumes: what it needs to know when reminders fall due.
pub const SCHEDULING_INBOX: Inbox = Inbox {
    queue: "scheduling.inbox",
    bindings: &[
        keys::EVENT_SCHEDULED,
        keys::EVENT_CANCELLED,
        keys::REGISTRATION_CONFIRMED,
        keys::REGISTRATION_CANCELLED,
        keys::PARTICIPANT_ERASED,
    ],
};

/// What the registration service consumes: when to erase an exchange's personal data,
/// when organisers' digests may be due, and when an exchange's follow-up is.
pub const REGISTRATION_INBOX: Inbox = Inbox {
    queue: "registration.inbox",
    bindings: &[
        keys::EVENT_RETENTION_DUE,
        keys::DIGEST_DUE,
        keys::EVENT_FOLLOW_UP_DUE,
    ],
};

/// Every inbox. Publishers declare them all (without their retry queues) before
/// publishing, so a message is never published before the queue that must receive it
/// exists — say, when registration starts before notification has ever run.
pub const ALL_INBOXES: [Inbox; 3] = [NOTIFICATION_INBOX, SCHEDULING_INBOX, REGISTRATION_INBOX];

/// Declares the exchange and every inbox with its bindings and dead-letter queue.
///
/// # Errors
/// When the broker refuses a declaration.
pub async fn declare_for_publishing(channel: &Channel) -> lapin::Result<()> {
    for inbox in ALL_INBOXES {
        inbox.declare(channel, &[]).await?;
    }
    Ok(())
}

/// A redelivery beyond this many times (a consumer crashing on a message) dead-letters it.
pub const DELIVERY_LIMIT: i64 = 20;

impl Inbox {
    /// Where messages that cannot be handled end, with the reason in a header.
    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dead", self.queue)
    }

    /// The delay queue for one retry tier.
    pub fn retry_queue(&self, delay_ms: u64) -> String {
        format!("{}.retry.{delay_ms}ms", self.queue)
    }

    /// Declares the inbox (a quorum queue), its bindings, its dead-letter queue and one
    /// delay queue per retry tier. Idempotent: safe at every (re)connection.
    ///
    /// # Errors
    /// When the broker refuses a declaration (e.g. a queue exists with other arguments).
    pub async fn declare(&self, channel: &Channel, retry_delays_ms: &[u64]) -> lapin::Result<()> {
        declare_exchange(channel).await?;
        let dead = self.dead_letter_queue();
        channel
            .queue_declare(
                dead.as_str().into(),
                durable(),
                quorum(FieldTable::default()),
            )
            .await?;

        let mut args = FieldTable::default();
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongLongInt(DELIVERY_LIMIT),
        );
        args.insert("x-dead-letter-exchange".into(), string(""));
        args.insert("x-dead-letter-routing-key".into(), string(&dead));
        channel
            .queue_declare(self.queue.into(), durable(), quorum(args))
            .await?;
        for key in self.bindings {
            channel
                .queue_bind(
                    self.queue.into(),
                    EXCHANGE.into(),
                    (*key).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }

        for delay in retry_delays_ms {
            // A delay queue has no consumer: a message waits out its TTL, then RabbitMQ
            // dead-letters it back to the inbox through the default exchange.
            let mut args = FieldTable::default();
            args.insert(
                "x-message-ttl".into(),
                AMQPValue::LongLongInt(*delay as i64),
            );
            args.insert("x-dead-letter-exchange".into(), string(""));
            args.insert("x-dead-letter-routing-key".into(), string(self.queue));
            channel
                .queue_declare(self.retry_queue(*delay).as_str().into(), durable(), args)
                .await?;
        }
        Ok(())
    }
}

/// Declares the shared topic exchange.
///
/// # Errors
/// When the broker refuses the declaration.
pub async fn declare_exchange(channel: &Channel) -> lapin::Result<()> {
    channel
        .exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
}

fn durable() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

fn quorum(mut args: FieldTable) -> FieldTable {
    args.insert("x-queue-type".into(), string("quorum"));
    args
}

fn string(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s.as_bytes().to_vec()))
}

/// Reads a string header, whichever AMQP string type the publisher used.
pub fn header_str(headers: Option<&FieldTable>, name: &str) -> Option<String> {
    let value = headers?.inner().get(&ShortString::from(name))?;
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

/// Reads an integer header, whichever integer type the publisher used.
pub fn header_int(headers: Option<&FieldTable>, name: &str) -> Option<i64> {
    let value = headers?.inner().get(&ShortString::from(name))?;
    match value {
        AMQPValue::LongLongInt(n) => Some(*n),
        AMQPValue::LongInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortInt(n) => Some(i64::from(*n)),
        AMQPValue::LongUInt(n) => Some(i64::from(*n)),
        _ => None,
    }
}
