//! Consuming an inbox queue: manual acks, bounded prefetch, retries through delay queues,
//! and a dead-letter queue an operator can list and replay.
//!
//! A [`Handler`] does the work for one message and says how it went:
//! - `Ok(())` — the work is durably done; the delivery is acked (with one frame for the
//!   deliveries that finish together, see [`crate::acks`]).
//! - [`Failure::Transient`] — try again later: the message is republished to the next
//!   delay queue (`<queue>.retry.<delay>ms`), whose TTL dead-letters it back to the inbox,
//!   then acked. After the last tier it goes to the dead-letter queue.
//! - [`Failure::Permanent`] — it will never work (malformed, refused address): the message
//!   goes straight to `<queue>.dead` with the reason in the `x-death-reason` header.
//! - [`Failure::Unavailable`] — something this process cannot work without (Postgres) is
//!   down: the delivery is held, unacked, and handled again in place with backoff until
//!   it succeeds; with every prefetched message held, consuming pauses. An outage of any
//!   length therefore costs no retry attempts and fills no dead-letter queue.
//!
//! A message may be a *pack*: several envelopes of one kind published together by the
//! outbox relay (`crate::outbox`). Each envelope of a pack is handled as if it had come
//! alone — its own span, its own metrics, and, when it fails, its own way on to a delay
//! queue or the dead-letter queue as a message of its own — and the pack is acked once
//! every envelope in it is settled.
//!
//! A lost broker connection is recovered by lapin (see [`crate::broker`]); deliveries in
//! flight at that moment cannot be acked any more and are redelivered by RabbitMQ.
//!
//! Handlers must be idempotent: a message can arrive twice (a publisher retry, or a crash
//! between the work and the ack).

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt as _;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions,
    BasicQosOptions, ConfirmSelectOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel};
use serde_json::value::RawValue;
use tracing::Instrument as _;

use crate::acks::{Acks, Received};
use crate::broker::{self, Backoff, Broker, BrokerHealth};
use crate::messages::Envelope;
use crate::shutdown::Shutdown;
use crate::topology::{self, Inbox};

/// Why a message could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Worth retrying later (SMTP or Postgres down, a 4xx from the mail server).
    #[error("transient: {0:#}")]
    Transient(anyhow::Error),
    /// Will never succeed; goes to the dead-letter queue.
    #[error("permanent: {0:#}")]
    Permanent(anyhow::Error),
    /// A dependency of the whole process is down (Postgres): hold the message and try
    /// again in place once it may be back, without using up a retry.
    #[error("unavailable: {0:#}")]
    Unavailable(anyhow::Error),
}

impl Failure {
    /// A database error: Postgres being down holds the message (no retry is used up); any
    /// other error is retried later.
    pub fn database(e: &sqlx::Error) -> Self {
        if crate::db::is_unavailable(e) {
            Self::Unavailable(anyhow::anyhow!("Postgres: {e}"))
        } else {
            Self::Transient(anyhow::anyhow!("Postgres: {e}"))
        }
    }
}

/// Does the work for one message.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, envelope: Envelope) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// How an inbox is consumed.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub inbox: Inbox,
    /// Unacknowledged messages at once; also how many are handled concurrently.
    pub prefetch: u16,
    /// Delay before each retry, in milliseconds; its length is the number of retries.
    pub retry_delays_ms: Vec<u64>,
    /// How long a dead letter is kept before RabbitMQ drops it (`DEAD_LETTER_TTL_DAYS`):
    /// its body holds names and addresses, and nobody reads a dead letter after weeks.
    pub dead_letter_ttl: std::time::Duration,
}

/// Consumes `config.inbox` until `shutdown`. lapin recovers a lost connection by itself;
/// this loop rebuilds it (and re-declares the topology) when that recovery gives up.
pub async fn run<H: Handler>(
    broker: Broker,
    config: ConsumerConfig,
    handler: Arc<H>,
    health: BrokerHealth,
    shutdown: Shutdown,
) {
    crate::metrics::expect_queue(config.inbox.queue);
    let mut backoff = Backoff::default();
    while !shutdown.is_triggered() {
        match consume_once(&broker, &config, &handler, &health, &shutdown).await {
            Ok(()) => {}
            Err(e) => {
                health.set(false);
                tracing::warn!(queue = config.inbox.queue, error = %format!("{e:#}"), "consumer lost RabbitMQ for good; building a new connection");
                tokio::select! {
                    _ = tokio::time::sleep(backoff.next_delay()) => {},
                    _ = shutdown.wait() => {},
                }
                continue;
            }
        }
        backoff.reset();
    }
}

async fn consume_once<H: Handler>(
    broker: &Broker,
    config: &ConsumerConfig,
    handler: &Arc<H>,
    health: &BrokerHealth,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let conn = tokio::select! {
        conn = broker.connect_recovering() => conn.context("connecting")?,
        () = shutdown.wait() => return Ok(()),
    };
    let result = consume_on(&conn, config, handler, health, shutdown).await;
    // Closing the channel requeues anything still unacked.
    broker::close(&conn, "consumer stopping").await;
    result
}

/// Consumes on one connection until `shutdown` (Ok) or until it is lost beyond recovery.
async fn consume_on<H: Handler>(
    conn: &lapin::Connection,
    config: &ConsumerConfig,
    handler: &Arc<H>,
    health: &BrokerHealth,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    // A connection lost while it is being set up leaves the setup pending while lapin
    // recovers: bound it.
    let setup = async {
        let channel = conn.create_channel().await?;
        config
            .inbox
            .declare(&channel, &config.retry_delays_ms)
            .await
            .context("declaring the topology")?;
        channel
            .basic_qos(config.prefetch, BasicQosOptions::default())
            .await?;
        // Retries and dead letters are published on a channel of their own, with
        // confirms, so that a message is acked only once its next home has it.
        let publisher = conn.create_channel().await?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let consumer = channel
            .basic_consume(
                config.inbox.queue.into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        anyhow::Ok((channel, publisher, consumer))
    };
    let (channel, publisher, mut consumer) = tokio::time::timeout(broker::RECOVERY_LIMIT, setup)
        .await
        .map_err(|_| anyhow::anyhow!("setting up the consumer timed out"))??;
    health.set(true);
    tracing::info!(queue = config.inbox.queue, "consuming");

    let limit = usize::from(config.prefetch);
    let acks = Acks::spawn(config.prefetch);
    // Envelopes handled at once, whether they came alone or in packs: `PREFETCH` bounds
    // the work (and memory) in flight, not only the deliveries.
    let handling = tokio::sync::Semaphore::new(limit);
    let mut in_flight = FuturesUnordered::new();
    // While lapin recovers a connection the consumer stream just goes quiet: watch the
    // channels' state to report it, and to take over if recovery takes too long.
    let mut watch = tokio::time::interval(std::time::Duration::from_millis(250));
    let mut down_since: Option<std::time::Instant> = None;
    let result = loop {
        tokio::select! {
            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
            () = shutdown.wait() => break Ok(()),
            _ = watch.tick() => {
                let up = channel.status().connected() && publisher.status().connected();
                match (up, down_since) {
                    (true, Some(_)) => {
                        down_since = None;
                        health.set(true);
                        tracing::info!(queue = config.inbox.queue, "consumer reconnected to RabbitMQ");
                    }
                    (false, None) => {
                        down_since = Some(std::time::Instant::now());
                        health.set(false);
                        tracing::warn!(queue = config.inbox.queue, "consumer lost RabbitMQ; waiting for the connection to recover");
                    }
                    (false, Some(since)) => {
                        if !channel.status().reconnecting() && !channel.status().connected() {
                            break Err(anyhow::anyhow!("the channel closed and is not recovering"));
                        }
                        if since.elapsed() > broker::RECOVERY_LIMIT {
                            break Err(anyhow::anyhow!(
                                "RabbitMQ not recovered within {}s",
                                broker::RECOVERY_LIMIT.as_secs()
                            ));
                        }
                    }
                    (true, None) => {}
                }
            }
            item = consumer.next(), if in_flight.len() < limit => match item {
                Some(Ok(delivery)) => {
                    let received = acks.received(delivery.delivery_tag);
                    let on = On { channel: &channel, publisher: &publisher, acks: &acks, handling: &handling };
                    in_flight.push(async move {
                        match process(delivery, received, config, handler.as_ref(), on, shutdown).await {
                            Ok(true) => {}
                            Ok(false) => tracing::warn!("delivery not acked (connection lost); it will be redelivered"),
                            Err(e) => tracing::warn!(error = %format!("{e:#}"), "delivery not settled; it will be redelivered"),
                        }
                    });
                }
                Some(Err(e)) => {
                    // The connection broke and lapin reported it on the stream: wait for
                    // its recovery, letting in-flight work finish meanwhile (its acks are
                    // lost; RabbitMQ redelivers).
                    health.set(false);
                    tracing::warn!(queue = config.inbox.queue, error = %e, "consumer lost RabbitMQ; waiting for the connection to recover");
                    let recovery = broker::recovered(&channel, Some(e));
                    tokio::pin!(recovery);
                    let outcome = loop {
                        tokio::select! {
                            outcome = &mut recovery => break outcome,
                            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
                            () = shutdown.wait() => break Ok(()),
                        }
                    };
                    if let Err(e) = outcome {
                        break Err(e);
                    }
                    if !shutdown.is_triggered() {
                        down_since = None;
                        health.set(true);
                        tracing::info!(queue = config.inbox.queue, "consumer reconnected to RabbitMQ");
                    }
                }
                None => break Err(anyhow::anyhow!("the consumer stream ended (channel closed)")),
            },
        }
    };
    // Finish what is in flight (bounded by the shutdown limit); unacked deliveries are
    // requeued when the channel closes.
    while in_flight.next().await.is_some() {}
    if shutdown.is_triggered() {
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            channel.close(200, "shutting down".into()),
        )
        .await;
    }
    result
}

/// What a delivery is settled on: the channel it came on, the channel retries and dead
/// letters are published on, and the acker of the first.
#[derive(Clone, Copy)]
struct On<'a> {
    channel: &'a Channel,
    publisher: &'a Channel,
    acks: &'a Acks,
    /// A permit per envelope being handled.
    handling: &'a tokio::sync::Semaphore,
}

/// Handles one delivery and settles it (ack, or retry/dead-letter then ack), every log
/// line inside a `message` span that carries the message's correlation id. Returns
/// whether the ack reached RabbitMQ (not when the connection was lost meanwhile).
async fn process<H: Handler>(
    delivery: Delivery,
    received: Received,
    config: &ConsumerConfig,
    handler: &H,
    on: On<'_>,
    shutdown: &Shutdown,
) -> anyhow::Result<bool> {
    let span = message_span(&delivery, config.inbox.queue);
    settle(delivery, received, config, handler, on, shutdown)
        .instrument(span)
        .await
}

/// The span one delivery is handled in. Its ids come from the AMQP properties and the
/// `correlation_id` header the outbox relay sets, so that even a body that is not an
/// envelope is logged under the journey it belongs to.
fn message_span(delivery: &Delivery, queue: &str) -> tracing::Span {
    let properties = &delivery.properties;
    let correlation_id = topology::header_str(properties.headers().as_ref(), "correlation_id")
        .or_else(|| properties.correlation_id().as_ref().map(|c| c.to_string()));
    tracing::info_span!(
        "message",
        queue,
        kind = properties.kind().as_ref().map(|k| k.to_string()),
        message_id = properties.message_id().as_ref().map(|m| m.to_string()),
        correlation_id,
    )
}

async fn settle<H: Handler>(
    delivery: Delivery,
    received: Received,
    config: &ConsumerConfig,
    handler: &H,
    on: On<'_>,
    shutdown: &Shutdown,
) -> anyhow::Result<bool> {
    let queue = config.inbox.queue;
    let headers = delivery.properties.headers().as_ref();
    let attempt = topology::header_int(headers, "x-attempts").unwrap_or(0) as usize;
    match Body::decode(&delivery.data) {
        Ok(Body::One(envelope)) => {
            crate::metrics::consumed(queue);
            // A message published by other means than the relay (by hand, by an older
            // version) may lack the properties: the envelope has the ids too.
            let span = tracing::Span::current();
            span.record("kind", envelope.kind.as_str());
            span.record("message_id", tracing::field::display(envelope.message_id));
            span.record(
                "correlation_id",
                tracing::field::display(envelope.correlation_id),
            );
            let _permit = on
                .handling
                .acquire()
                .await
                .context("the consumer is stopping")?;
            let outcome = handle_holding(handler, envelope, on.channel, shutdown).await?;
            let copy = Copy::of(&delivery);
            dispose(outcome, &copy, attempt, config, on.publisher).await?;
        }
        Ok(Body::Pack(envelopes)) => {
            settle_pack(&delivery, envelopes, attempt, config, handler, on, shutdown).await?;
        }
        Err(e) => {
            crate::metrics::consumed(queue);
            let outcome = Err(Failure::Permanent(anyhow::anyhow!(
                "not a Convene envelope: {e}"
            )));
            dispose(outcome, &Copy::of(&delivery), attempt, config, on.publisher).await?;
        }
    }
    // Acked with the deliveries that finished alongside, where they allow (`crate::acks`).
    on.acks
        .ack(received, delivery.acker.clone())
        .await
        .context("acking")
}

/// A message's body: one envelope, or a pack of envelopes of one kind that the relay
/// published together (`crate::outbox`, "Packs").
enum Body<'a> {
    One(Envelope),
    /// Each envelope as it came, within the delivery's body: parsed only when its turn
    /// comes (`settle_pack`).
    Pack(Vec<&'a RawValue>),
}

impl<'a> Body<'a> {
    fn decode(data: &'a [u8]) -> serde_json::Result<Self> {
        let first = data.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            serde_json::from_slice(data).map(Self::Pack)
        } else {
            serde_json::from_slice(data).map(Self::One)
        }
    }
}

/// Handles the envelopes of a pack side by side, each in a span of its own (its log
/// lines and its fate are its own, as if it had come alone): those a handler groups
/// (confirmations) then share one statement. Each envelope is parsed and handled only
/// once it has one of the consumer's `PREFETCH` permits, so the work and memory in
/// flight stay what they were before packs, whatever their size. Once every one is
/// handled, each that failed goes on alone, to a delay queue or the dead-letter queue,
/// as a message of its own; then the pack is acked.
///
/// If one of them cannot be settled (shutdown, a lost channel), the others still finish
/// (none is cut off midway), but the pack stays unacked and RabbitMQ delivers it again
/// whole: handlers are idempotent, so those already handled are recognised.
async fn settle_pack<H: Handler>(
    delivery: &Delivery,
    pieces: Vec<&RawValue>,
    attempt: usize,
    config: &ConsumerConfig,
    handler: &H,
    on: On<'_>,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let queue = config.inbox.queue;
    let mut waiting = pieces.into_iter();
    let mut running = FuturesUnordered::new();
    let mut handled = Vec::with_capacity(waiting.len());
    loop {
        tokio::select! {
            permit = on.handling.acquire(), if waiting.len() > 0 => {
                let permit = permit.context("the consumer is stopping")?;
                let raw = waiting.next().expect("one is waiting");
                running.push(handle_piece(raw, permit, queue, handler, on, shutdown));
            }
            Some(piece) = running.next(), if !running.is_empty() => handled.push(piece),
            else => break,
        }
    }
    let mut settled = Vec::with_capacity(handled.len());
    for piece in handled {
        let outcome = piece.outcome?;
        settled.push((piece.raw, piece.properties, piece.span, outcome));
    }
    for (raw, properties, span, outcome) in settled {
        let copy = Copy {
            body: raw.get().as_bytes(),
            properties: properties.as_ref().unwrap_or(&delivery.properties),
            routing_key: delivery.routing_key.as_str(),
        };
        dispose(outcome, &copy, attempt, config, on.publisher)
            .instrument(span)
            .await?;
    }
    Ok(())
}

/// One envelope of a pack, handled.
struct Piece<'a> {
    /// The envelope as it came (what a retry or a dead letter carries).
    raw: &'a RawValue,
    /// The properties it would have had alone (`None`: not an envelope).
    properties: Option<BasicProperties>,
    span: tracing::Span,
    outcome: anyhow::Result<Result<(), Failure>>,
}

/// Parses and handles one envelope of a pack, holding `_permit` meanwhile.
async fn handle_piece<'a, H: Handler>(
    raw: &'a RawValue,
    _permit: tokio::sync::SemaphorePermit<'_>,
    queue: &'static str,
    handler: &H,
    on: On<'_>,
    shutdown: &Shutdown,
) -> Piece<'a> {
    crate::metrics::consumed(queue);
    match serde_json::from_str::<Envelope>(raw.get()) {
        Ok(envelope) => {
            // A root span, like a message that came alone: not inside the pack's.
            let span = tracing::info_span!(
                parent: None,
                "message",
                queue,
                kind = envelope.kind.as_str(),
                message_id = %envelope.message_id,
                correlation_id = %envelope.correlation_id,
            );
            let properties = Some(crate::outbox::properties(&envelope));
            let outcome = handle_holding(handler, envelope, on.channel, shutdown)
                .instrument(span.clone())
                .await;
            Piece {
                raw,
                properties,
                span,
                outcome,
            }
        }
        Err(e) => Piece {
            raw,
            properties: None,
            span: tracing::info_span!(parent: None, "message", queue),
            outcome: Ok(Err(Failure::Permanent(anyhow::anyhow!(
                "not a Convene envelope: {e}"
            )))),
        },
    }
}

/// What a message that failed is sent on as: its body, its properties and the routing
/// key it first came under.
struct Copy<'a> {
    body: &'a [u8],
    properties: &'a BasicProperties,
    routing_key: &'a str,
}

impl<'a> Copy<'a> {
    fn of(delivery: &'a Delivery) -> Self {
        Self {
            body: &delivery.data,
            properties: &delivery.properties,
            routing_key: delivery.routing_key.as_str(),
        }
    }
}

/// Logs how one message went and, when it failed, sends `copy` on to the next delay
/// queue or the dead-letter queue (with confirms) before the caller acks.
async fn dispose(
    outcome: Result<(), Failure>,
    copy: &Copy<'_>,
    attempt: usize,
    config: &ConsumerConfig,
    publisher: &Channel,
) -> anyhow::Result<()> {
    let queue = config.inbox.queue;
    match outcome {
        // One line per message at the default level: the consume step of the journey an
        // operator follows by correlation id (the span carries it).
        Ok(()) => tracing::info!("message handled"),
        // (`handle_holding` never returns Unavailable; were it to, retrying is safe.)
        Err(Failure::Transient(e) | Failure::Unavailable(e)) => {
            match config.retry_delays_ms.get(attempt) {
                Some(delay) => {
                    tracing::warn!(attempt = attempt + 1, delay_ms = delay, error = %format!("{e:#}"), "handling failed; retrying later");
                    let retry_queue = config.inbox.retry_queue(*delay);
                    republish(
                        publisher,
                        copy,
                        &retry_queue,
                        attempt + 1,
                        &format!("{e:#}"),
                        None,
                    )
                    .await?;
                    crate::metrics::retried(queue);
                }
                None => {
                    let reason = format!("gave up after {} attempts: {e:#}", attempt + 1);
                    tracing::error!(error = %reason, "handling failed for good; dead-lettered");
                    republish(
                        publisher,
                        copy,
                        &config.inbox.dead_letter_queue(),
                        attempt + 1,
                        &reason,
                        Some(config.dead_letter_ttl),
                    )
                    .await?;
                    crate::metrics::dead_lettered(queue);
                }
            }
        }
        Err(Failure::Permanent(e)) => {
            let reason = format!("{e:#}");
            tracing::error!(error = %reason, "message cannot be handled; dead-lettered");
            republish(
                publisher,
                copy,
                &config.inbox.dead_letter_queue(),
                attempt + 1,
                &reason,
                Some(config.dead_letter_ttl),
            )
            .await?;
            crate::metrics::dead_lettered(queue);
        }
    }
    Ok(())
}

/// Runs the handler; while it reports [`Failure::Unavailable`], holds the delivery and
/// runs it again with backoff. Gives up holding (Err: the delivery stays unacked and
/// RabbitMQ redelivers it) on shutdown or when the channel is lost.
async fn handle_holding<H: Handler>(
    handler: &H,
    envelope: Envelope,
    channel: &Channel,
    shutdown: &Shutdown,
) -> anyhow::Result<Result<(), Failure>> {
    let mut backoff = Backoff::default();
    loop {
        match handler.handle(envelope.clone()).await {
            Err(Failure::Unavailable(e)) => {
                if shutdown.is_triggered() || !channel.status().connected() {
                    anyhow::bail!("left unacked for redelivery: {e:#}");
                }
                let delay = backoff.next_delay();
                tracing::warn!(error = %format!("{e:#}"), delay_ms = delay.as_millis() as u64, "a dependency is down; holding the message and trying again");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {},
                    () = shutdown.wait() => {},
                }
            }
            outcome => return Ok(outcome),
        }
    }
}

/// Publishes `copy` to `queue` (through the default exchange) with the attempt count and
/// reason, and waits for the broker's confirm. With `expires_after`, RabbitMQ drops the
/// copy once it has waited that long (a dead letter's retention).
async fn republish(
    publisher: &Channel,
    copy: &Copy<'_>,
    queue: &str,
    attempts: usize,
    reason: &str,
    expires_after: Option<std::time::Duration>,
) -> anyhow::Result<()> {
    let mut headers = copy.properties.headers().clone().unwrap_or_default();
    headers.insert("x-attempts".into(), AMQPValue::LongLongInt(attempts as i64));
    headers.insert(
        "x-death-reason".into(),
        AMQPValue::LongString(LongString::from(truncate(reason, 1000))),
    );
    // A message back from a delay queue arrives under the inbox's name: keep the first key.
    if topology::header_str(Some(&headers), "x-original-routing-key").is_none() {
        headers.insert(
            "x-original-routing-key".into(),
            AMQPValue::LongString(LongString::from(copy.routing_key)),
        );
    }
    let properties = without_expiration(copy.properties).with_headers(headers);
    let properties = match expires_after {
        Some(ttl) => properties.with_expiration(ttl.as_millis().max(1).to_string().into()),
        None => properties,
    };
    // Mandatory: if the queue is gone, RabbitMQ returns the message instead of dropping it,
    // and we keep the delivery unacked.
    let confirm = publisher
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            copy.body,
            properties,
        )
        .await?
        .await?;
    anyhow::ensure!(confirm.is_ack(), "RabbitMQ refused the message for {queue}");
    anyhow::ensure!(
        confirm.take_message().is_none(),
        "no queue {queue} to take the message"
    );
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// One message waiting in a dead-letter queue, as an operator sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeadLetter {
    pub message_id: Option<String>,
    pub kind: Option<String>,
    pub attempts: Option<i64>,
    pub reason: Option<String>,
    pub body: serde_json::Value,
}

/// A copy of `properties` without an expiration (lapin can set one, not remove it).
fn without_expiration(properties: &BasicProperties) -> BasicProperties {
    let mut copy = BasicProperties::default();
    if let Some(v) = properties.content_type() {
        copy = copy.with_content_type(v.clone());
    }
    if let Some(v) = properties.content_encoding() {
        copy = copy.with_content_encoding(v.clone());
    }
    if let Some(v) = properties.headers() {
        copy = copy.with_headers(v.clone());
    }
    if let Some(v) = properties.delivery_mode() {
        copy = copy.with_delivery_mode(*v);
    }
    if let Some(v) = properties.priority() {
        copy = copy.with_priority(*v);
    }
    if let Some(v) = properties.correlation_id() {
        copy = copy.with_correlation_id(v.clone());
    }
    if let Some(v) = properties.reply_to() {
        copy = copy.with_reply_to(v.clone());
    }
    if let Some(v) = properties.message_id() {
        copy = copy.with_message_id(v.clone());
    }
    if let Some(v) = properties.timestamp() {
        copy = copy.with_timestamp(*v);
    }
    if let Some(v) = properties.kind() {
        copy = copy.with_type(v.clone());
    }
    if let Some(v) = properties.user_id() {
        copy = copy.with_user_id(v.clone());
    }
    if let Some(v) = properties.app_id() {
        copy = copy.with_app_id(v.clone());
    }
    if let Some(v) = properties.cluster_id() {
        copy = copy.with_cluster_id(v.clone());
    }
    copy
}

/// Takes every message of `inbox`'s dead-letter queue in turn; each one `remove` answers
/// `true` for is acknowledged (gone), the others go back in their order. Returns how many
/// went. The one walk behind listing (nothing removed) and erasing (some removed).
async fn sweep_dead_letters(
    broker: &Broker,
    inbox: Inbox,
    mut remove: impl FnMut(&Delivery) -> bool,
) -> anyhow::Result<usize> {
    let conn = broker.connect().await.context("connecting to RabbitMQ")?;
    let channel = conn.create_channel().await?;
    inbox.declare(&channel, &[]).await?;
    let mut removed = 0;
    let mut kept = None;
    while let Some(message) = channel
        .basic_get(
            inbox.dead_letter_queue().as_str().into(),
            BasicGetOptions { no_ack: false },
        )
        .await?
    {
        let delivery = &message.delivery;
        if remove(delivery) {
            channel
                .basic_ack(delivery.delivery_tag, BasicAckOptions::default())
                .await?;
            removed += 1;
        } else {
            kept = Some(delivery.delivery_tag);
        }
    }
    // What stays goes back, in order (the removed ones are acked already).
    if let Some(last) = kept {
        channel
            .basic_nack(
                last,
                BasicNackOptions {
                    multiple: true,
                    requeue: true,
                },
            )
            .await?;
    }
    let _ = conn.close(200, "swept".into()).await;
    Ok(removed)
}

/// Lists the messages in `inbox`'s dead-letter queue without removing them.
///
/// # Errors
/// When RabbitMQ cannot be reached.
pub async fn list_dead_letters(broker: &Broker, inbox: Inbox) -> anyhow::Result<Vec<DeadLetter>> {
    let mut letters = Vec::new();
    sweep_dead_letters(broker, inbox, |delivery| {
        let headers = delivery.properties.headers().as_ref();
        letters.push(DeadLetter {
            message_id: delivery
                .properties
                .message_id()
                .as_ref()
                .map(|m| m.to_string()),
            kind: delivery.properties.kind().as_ref().map(|k| k.to_string()),
            attempts: topology::header_int(headers, "x-attempts"),
            reason: topology::header_str(headers, "x-death-reason"),
            body: serde_json::from_slice(&delivery.data).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&delivery.data).into_owned())
            }),
        });
        false
    })
    .await?;
    Ok(letters)
}

/// Removes from `inbox`'s dead-letter queue every message whose body mentions one of
/// `needles` (registration ids, addresses; compared without regard to case), and puts the
/// others back in order. Erasing a person reaches their dead letters this way: a dead
/// letter's body holds their name, address and link. Returns how many were removed.
///
/// # Errors
/// When RabbitMQ cannot be reached or refuses an acknowledgement; nothing is lost then
/// (what was taken goes back to the queue when the channel closes).
pub async fn purge_dead_letters(
    broker: &Broker,
    inbox: Inbox,
    needles: &[String],
) -> anyhow::Result<usize> {
    let needles: Vec<String> = needles
        .iter()
        .filter(|n| !n.is_empty())
        .map(|n| n.to_lowercase())
        .collect();
    if needles.is_empty() {
        return Ok(0);
    }
    sweep_dead_letters(broker, inbox, |delivery| {
        let body = String::from_utf8_lossy(&delivery.data).to_lowercase();
        needles.iter().any(|n| body.contains(n.as_str()))
    })
    .await
}

/// Moves every message in `inbox`'s dead-letter queue back into the inbox, with its
/// attempt count reset. Returns how many were replayed.
///
/// # Errors
/// When RabbitMQ cannot be reached or refuses a message.
pub async fn replay_dead_letters(broker: &Broker, inbox: Inbox) -> anyhow::Result<usize> {
    let conn = broker.connect().await.context("connecting to RabbitMQ")?;
    let channel = conn.create_channel().await?;
    inbox.declare(&channel, &[]).await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let mut replayed = 0;
    while let Some(message) = channel
        .basic_get(
            inbox.dead_letter_queue().as_str().into(),
            BasicGetOptions { no_ack: false },
        )
        .await?
    {
        let delivery = &message.delivery;
        let mut headers = delivery.properties.headers().clone().unwrap_or_default();
        headers.insert("x-attempts".into(), AMQPValue::LongLongInt(0));
        // Back in the inbox it must not expire as the dead letter would have.
        let properties: BasicProperties =
            without_expiration(&delivery.properties).with_headers(headers);
        let confirm = channel
            .basic_publish(
                "".into(),
                inbox.queue.into(),
                BasicPublishOptions::default(),
                &delivery.data,
                properties,
            )
            .await?
            .await?;
        anyhow::ensure!(confirm.is_ack(), "RabbitMQ refused a replayed message");
        channel
            .basic_ack(delivery.delivery_tag, BasicAckOptions::default())
            .await?;
        replayed += 1;
    }
    let _ = conn.close(200, "replayed".into()).await;
    Ok(replayed)
}

/// The `<service> dead-letters list|replay` command: prints each dead letter as one JSON
/// line, or replays them all into the inbox.
///
/// # Errors
/// When AMQP_URL or AMQP_CA_FILE is malformed or RabbitMQ unreachable.
pub async fn dead_letters_command(inbox: Inbox, replay: bool) -> anyhow::Result<()> {
    let broker = crate::config::broker_from_env()?;
    if replay {
        let n = replay_dead_letters(&broker, inbox).await?;
        println!("replayed {n} dead letters into {}", inbox.queue);
    } else {
        for letter in list_dead_letters(&broker, inbox).await? {
            println!("{}", serde_json::to_string(&letter)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> serde_json::Value {
        serde_json::json!({
            "message_id": uuid::Uuid::now_v7(), "kind": "registration.confirmed",
            "occurred_at": chrono::Utc::now(), "correlation_id": uuid::Uuid::now_v7(),
            "payload": {},
        })
    }

    #[test]
    fn a_body_is_one_envelope_or_a_pack_of_them() {
        let one = serde_json::to_vec(&envelope()).unwrap();
        assert!(matches!(Body::decode(&one), Ok(Body::One(_))));

        let pack = format!(" \n[{},{}]", envelope(), envelope());
        match Body::decode(pack.as_bytes()) {
            Ok(Body::Pack(envelopes)) => assert_eq!(envelopes.len(), 2),
            _ => panic!("a pack of two"),
        }

        assert!(Body::decode(b"hello").is_err());
    }
}
