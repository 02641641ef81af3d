//! A copy of every message the services publish, for tests that check what crosses the
//! broker (what is sealed, what is never sent): a queue of the test's own, exclusive to its
//! connection, bound to the `convene` exchange for every routing key.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use serde_json::Value;

use convene_shared::topology::EXCHANGE;

use crate::Stack;

/// Receives a copy of every message published from the moment it is made.
pub struct Tap {
    /// Kept open: the queue and the consumer live as long as it does.
    _conn: Connection,
    consumer: lapin::Consumer,
}

impl Tap {
    /// Binds a queue of the test's own to the stack's exchange.
    ///
    /// # Panics
    /// When RabbitMQ refuses (the exchange must exist: start the stack first).
    pub async fn start(stack: &Stack) -> Self {
        let conn = Connection::connect(&stack.vhost.url, ConnectionProperties::default())
            .await
            .expect("connecting to the stack's vhost");
        let channel = conn.create_channel().await.expect("a channel");
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("declaring the tap");
        channel
            .queue_bind(
                queue.name().clone(),
                EXCHANGE.into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("binding the tap");
        let consumer = channel
            .basic_consume(
                queue.name().clone(),
                "tap".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("consuming the tap");
        Self {
            _conn: conn,
            consumer,
        }
    }

    /// Every envelope (as JSON) received so far and until none arrives for a second: those
    /// that came in a pack (a JSON array, `docs/messages.md`) one by one, in order.
    pub async fn drain(&mut self) -> Vec<Value> {
        let mut messages = Vec::new();
        while let Ok(Some(delivery)) =
            tokio::time::timeout(Duration::from_secs(1), self.consumer.next()).await
        {
            let delivery = delivery.expect("a delivery");
            delivery
                .ack(BasicAckOptions::default())
                .await
                .expect("acking");
            match serde_json::from_slice(&delivery.data).expect("a JSON envelope or pack") {
                Value::Array(pack) => messages.extend(pack),
                envelope => messages.push(envelope),
            }
        }
        messages
    }
}
