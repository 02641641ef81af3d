//! Questions one service asks another and waits for: request and reply over RabbitMQ.
//!
//! Almost everything between the services is a message sent and forgotten, through the
//! outbox. A few things are questions someone is waiting for: an organiser exporting what
//! Convene holds about a person needs the notification service's part of it *now*, in the
//! same answer. Services talk only over RabbitMQ, so the question goes there too: to a
//! queue the answering service consumes ([`crate::topology::NOTIFICATION_REQUESTS`]), with
//! RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`) as the way back, so that no reply
//! queue is ever declared or left behind.
//!
//! A question changes nothing, so none of the outbox's guarantees are needed: one that is
//! lost (the answering service is down, RabbitMQ restarts) is simply not answered within
//! the asker's wait, and the asker says so. Questions that nobody takes in time expire
//! ([`crate::topology::REQUEST_TTL_MS`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::BasicProperties;
use uuid::Uuid;

use crate::broker::{close, Backoff, Broker};
use crate::messages::{Envelope, Message};
use crate::shutdown::Shutdown;
use crate::topology::REQUEST_TTL_MS;

/// RabbitMQ's pseudo-queue for replies straight to the asking channel.
const DIRECT_REPLY_TO: &str = "amq.rabbitmq.reply-to";

/// Asks `question` of whoever consumes `queue`, and waits up to `wait` for the answer.
///
/// # Errors
/// When RabbitMQ cannot be reached, nobody answers within `wait`, or the answer is not an
/// `A`.
pub async fn ask<Q: Message, A: Message>(
    broker: &Broker,
    queue: &str,
    question: &Q,
    correlation_id: Uuid,
    wait: Duration,
) -> anyhow::Result<A> {
    // One connection per question: they are rare (an export), and a connection of its own
    // keeps a slow answer from holding anything else up.
    let conn = tokio::time::timeout(wait, broker.connect())
        .await
        .map_err(|_| anyhow::anyhow!("RabbitMQ did not accept a connection within {wait:?}"))??;
    let result = tokio::time::timeout(wait, async {
        let channel = conn.create_channel().await?;
        // Consuming from the pseudo-queue must come first: it is what makes this channel
        // the address of the reply.
        let mut replies = channel
            .basic_consume(
                DIRECT_REPLY_TO.into(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        let envelope = Envelope::new(question, correlation_id);
        let id = envelope.message_id.to_string();
        channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &serde_json::to_vec(&envelope)?,
                BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_reply_to(DIRECT_REPLY_TO.into())
                    .with_correlation_id(id.as_str().into())
                    .with_expiration(REQUEST_TTL_MS.to_string().as_str().into()),
            )
            .await?;
        while let Some(delivery) = replies.next().await {
            let delivery = delivery?;
            if delivery
                .properties
                .correlation_id()
                .as_ref()
                .map(ShortString::as_str)
                != Some(id.as_str())
            {
                continue; // a late answer to an earlier question on a reused tag: not ours
            }
            let answer: Envelope = serde_json::from_slice(&delivery.data)?;
            return Ok(answer.payload::<A>()?);
        }
        anyhow::bail!("the channel closed before the answer came")
    })
    .await;
    close(&conn, "question answered").await;
    result.map_err(|_| anyhow::anyhow!("no answer within {wait:?}"))?
}

/// What answers questions: one answer per question, or an error (logged; the asker then
/// gets no answer and says so).
pub trait Answerer: Send + Sync + 'static {
    fn answer(&self, question: Envelope) -> impl Future<Output = anyhow::Result<Envelope>> + Send;
}

/// Answers the questions that arrive in `queue` until `shutdown`, one at a time (they are
/// rare), reconnecting after RabbitMQ goes away.
pub async fn serve<A: Answerer>(
    broker: Broker,
    queue: &'static str,
    answerer: Arc<A>,
    shutdown: Shutdown,
) {
    let mut backoff = Backoff::default();
    while !shutdown.is_triggered() {
        match serve_once(&broker, queue, &*answerer, &shutdown, &mut backoff).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, queue, "answering questions: RabbitMQ lost; reconnecting");
                tokio::select! {
                    () = tokio::time::sleep(backoff.next_delay()) => {}
                    () = shutdown.wait() => return,
                }
            }
        }
    }
}

/// One connection's worth of [`serve`]: `Ok` on shutdown, `Err` when the connection fails.
async fn serve_once<A: Answerer>(
    broker: &Broker,
    queue: &'static str,
    answerer: &A,
    shutdown: &Shutdown,
    backoff: &mut Backoff,
) -> anyhow::Result<()> {
    let conn = broker.connect().await?;
    let channel = conn.create_channel().await?;
    let mut arguments = FieldTable::default();
    arguments.insert("x-message-ttl".into(), AMQPValue::LongUInt(REQUEST_TTL_MS));
    channel
        .queue_declare(queue.into(), QueueDeclareOptions::default(), arguments)
        .await?;
    channel.basic_qos(4, BasicQosOptions::default()).await?;
    let mut questions = channel
        .basic_consume(
            queue.into(),
            "answers".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    backoff.reset();
    loop {
        let delivery = tokio::select! {
            () = shutdown.wait() => {
                close(&conn, "shutting down").await;
                return Ok(());
            }
            next = questions.next() => match next {
                Some(delivery) => delivery?,
                None => anyhow::bail!("the consumer was cancelled"),
            },
        };
        let reply_to = delivery.properties.reply_to().clone();
        let correlation = delivery.properties.correlation_id().clone();
        match (serde_json::from_slice::<Envelope>(&delivery.data), reply_to) {
            (Ok(question), Some(reply_to)) => {
                let kind = question.kind.clone();
                match answerer.answer(question).await {
                    Ok(answer) => {
                        let mut properties =
                            BasicProperties::default().with_content_type("application/json".into());
                        if let Some(correlation) = correlation {
                            properties = properties.with_correlation_id(correlation);
                        }
                        // The asker may have given up meanwhile: its reply address is gone,
                        // and RabbitMQ drops the answer. Nothing to do about it.
                        channel
                            .basic_publish(
                                "".into(),
                                reply_to.as_str().into(),
                                BasicPublishOptions::default(),
                                &serde_json::to_vec(&answer)?,
                                properties,
                            )
                            .await?;
                        tracing::info!(kind, "question answered");
                    }
                    Err(e) => tracing::warn!(kind, error = %e, "a question left unanswered"),
                }
            }
            _ => tracing::warn!("a malformed question, or one without a reply address, dropped"),
        }
        delivery.ack(BasicAckOptions::default()).await?;
    }
}
