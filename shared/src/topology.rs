//! Every exchange, queue and routing key Convene uses, and the code that declares them.
//!
//! `docs/messages.md` describes the same topology for people; keep the two together.
//!
//! ```text
//! registration ──publish──▶ [convene] (topic exchange)
//!                              │ event.*, registration.*, cosponsor_offer.*, reminder.*
//!   scheduling  ──publish──────┤
//!                              ├──▶ notification.inbox ──▶ notification
//!                              └──▶ scheduling.inbox   ──▶ scheduling
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
    /// An exchange was created or changed (registration → scheduling).
    pub const EVENT_SCHEDULED: &str = "event.scheduled";
    /// A participant holds a seat (registration → notification, scheduling).
    pub const REGISTRATION_CONFIRMED: &str = "registration.confirmed";
    /// A participant gave up their seat (registration → notification, scheduling).
    pub const REGISTRATION_CANCELLED: &str = "registration.cancelled";
    /// An organisation offered to co-sponsor an exchange (registration → notification).
    pub const COSPONSOR_OFFER_RECEIVED: &str = "cosponsor_offer.received";
    /// A reminder is due for one participant (scheduling → notification).
    pub const REMINDER_DUE: &str = "reminder.due";
}

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
        keys::REGISTRATION_CONFIRMED,
        keys::REGISTRATION_CANCELLED,
        keys::COSPONSOR_OFFER_RECEIVED,
        keys::REMINDER_DUE,
    ],
};

/// What the scheduling service consumes: what it needs to know when reminders fall due.
pub const SCHEDULING_INBOX: Inbox = Inbox {
    queue: "scheduling.inbox",
    bindings: &[
        keys::EVENT_SCHEDULED,
        keys::REGISTRATION_CONFIRMED,
        keys::REGISTRATION_CANCELLED,
    ],
};

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

/// Every inbox, so that publishers can declare them all.
pub const INBOXES: [Inbox; 2] = [NOTIFICATION_INBOX, SCHEDULING_INBOX];

/// Declares the exchange and every inbox with its bindings and dead-letter queue (not the
/// retry queues, which only the consumer knows). Publishers call it at each connection:
/// a message published before its consuming service ever started then waits in that
/// service's queue instead of being dropped as unroutable.
///
/// # Errors
/// When the broker refuses a declaration.
pub async fn declare_inboxes(channel: &Channel) -> lapin::Result<()> {
    for inbox in INBOXES {
        inbox.declare(channel, &[]).await?;
    }
    Ok(())
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
