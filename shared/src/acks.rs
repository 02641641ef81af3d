//! Acking a channel's deliveries together: one `basic.ack` with `multiple` for the
//! deliveries that finish side by side, instead of one frame each.
//!
//! Every ack frame is work for RabbitMQ: its channel process handles it and, for a quorum
//! queue, the settlement goes through the queue's Raft log. Acking ten deliveries with one
//! frame cost RabbitMQ about a third of the CPU per message of acking them one by one
//! (docs/benchmarks.md), and deliveries do finish side by side: the handlers commit them
//! in groups (`crate::batch`).
//!
//! `multiple` acks *every* unacked delivery of the channel up to its tag, so it is only
//! used up to the first delivery still unacked that is not finished — one held while
//! Postgres is down, a slow email, one whose retry could not be published. Deliveries
//! finished beyond that one are acked one by one, as if there were no batching: the one
//! still in hand is never acked by accident, and RabbitMQ redelivers it if the channel
//! closes first.
//!
//! Nothing waits for a batch to fill: an ack is sent as soon as the acker is free, together
//! with whatever else finished meanwhile (a [`Batcher`] with one worker). Acks go through the delivery's own [`Acker`], so
//! that after lapin recovers a connection an old delivery's ack is dropped rather than
//! sent on the new channel, where its tag means another message.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lapin::options::BasicAckOptions;
use lapin::Acker;

use crate::batch::Batcher;

type DeliveryTag = u64;

/// The answer to one ack: whether the frame was sent (`Ok(false)`: the channel was lost
/// meanwhile, the delivery will be redelivered).
type Answer = Result<bool, lapin::Error>;

/// A delivery as the acker knows it: which life of the channel it came on, and its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    life: u64,
    tag: DeliveryTag,
}

/// The deliveries of the channel's current life taken and not acked yet.
///
/// A channel that lapin recovers after a lost connection starts a new life: its tags
/// start again at 1, and the deliveries of the old life can no longer be acked (their
/// `Acker`s are poisoned). A tag no greater than the last one seen is how a new life
/// shows itself.
#[derive(Default)]
struct Unacked {
    life: u64,
    last_tag: DeliveryTag,
    tags: BTreeSet<DeliveryTag>,
    /// Ack frames asked of lapin so far, in every life (an old life's send nothing).
    frames_sent: usize,
}

impl Unacked {
    fn receive(&mut self, tag: DeliveryTag) -> Received {
        if tag <= self.last_tag {
            // Recovered: what is left of the old life will never be acked here.
            self.life += 1;
            self.tags.clear();
        }
        self.last_tag = tag;
        self.tags.insert(tag);
        Received {
            life: self.life,
            tag,
        }
    }

    /// Splits finished deliveries into those one frame acks (oldest first: it is sent for
    /// the last) and those acked alone, and forgets them all.
    fn split<T>(
        &mut self,
        finished: Vec<T>,
        delivery: impl Fn(&T) -> Received,
    ) -> (Vec<T>, Vec<T>) {
        // Deliveries of an old life go alone (their poisoned ackers send nothing).
        let (mut current, stale): (Vec<T>, Vec<T>) = finished
            .into_iter()
            .partition(|done| delivery(done).life == self.life);
        current.sort_unstable_by_key(|done| delivery(done).tag);
        // The finished deliveries that are the oldest unacked ones can go with one frame:
        // no delivery still in hand has a smaller tag.
        let together = self
            .tags
            .iter()
            .zip(&current)
            .take_while(|(oldest, done)| **oldest == delivery(done).tag)
            .count();
        for done in &current {
            self.tags.remove(&delivery(done).tag);
        }
        let mut alone = current.split_off(together);
        alone.extend(stale);
        (current, alone)
    }
}

/// Acks the deliveries of one consumer channel; one per channel.
pub struct Acks {
    unacked: Arc<Mutex<Unacked>>,
    /// One worker, so that each batch's split sees the one before done.
    batcher: Batcher<(Received, Acker), Answer>,
}

impl Acks {
    /// Starts the acker of a channel that has at most `prefetch` unacked deliveries.
    #[must_use]
    pub fn spawn(prefetch: u16) -> Self {
        let unacked = Arc::new(Mutex::new(Unacked::default()));
        let batcher = {
            let unacked = unacked.clone();
            // With no more deliveries than the prefetch in hand, an ack never waits for room.
            Batcher::spawn(usize::from(prefetch.max(1)), 1, move |finished| {
                let unacked = unacked.clone();
                async move { ack_together(&unacked, finished).await }
            })
        };
        Self { unacked, batcher }
    }

    /// Notes a delivery taken from the channel. Must be called for every delivery, in the
    /// order they arrive, before any later one is acked.
    pub fn received(&self, tag: DeliveryTag) -> Received {
        lock(&self.unacked).receive(tag)
    }

    /// Acks a finished delivery, alone or together with the others finished meanwhile.
    /// Returns whether the ack was sent (false: the channel was lost meanwhile; RabbitMQ
    /// redelivers the message).
    ///
    /// # Errors
    /// When lapin could not send the frame.
    pub async fn ack(&self, delivery: Received, acker: Acker) -> Answer {
        // No answer: the acker is gone (the channel is being closed); so is the delivery.
        self.batcher
            .submit((delivery, acker))
            .await
            .unwrap_or(Ok(false))
    }

    /// Ack frames asked of lapin so far.
    #[cfg(test)]
    fn frames(&self) -> usize {
        lock(&self.unacked).frames_sent
    }
}

fn lock(unacked: &Mutex<Unacked>) -> MutexGuard<'_, Unacked> {
    // Every update leaves the set whole: a panic elsewhere does not make it wrong.
    unacked.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Acks finished deliveries with as few frames as the deliveries still in hand allow, all
/// frames sent at once. Returns each delivery's answer, in order.
async fn ack_together(unacked: &Mutex<Unacked>, finished: Vec<(Received, Acker)>) -> Vec<Answer> {
    let count = finished.len();
    let numbered: Vec<(usize, Received, Acker)> = finished
        .into_iter()
        .enumerate()
        .map(|(i, (received, acker))| (i, received, acker))
        .collect();
    // One frame for those together, one for each of the others.
    let frames: Vec<Vec<(usize, Received, Acker)>> = {
        let mut unacked = lock(unacked);
        let (together, alone) = unacked.split(numbered, |(_, received, _)| *received);
        let frames: Vec<_> = std::iter::once(together)
            .filter(|group| !group.is_empty())
            .chain(alone.into_iter().map(|done| vec![done]))
            .collect();
        unacked.frames_sent += frames.len();
        frames
    };
    let answered = futures_util::future::join_all(frames.into_iter().map(|group| async move {
        let (_, _, acker) = group.last().expect("groups are not empty");
        let multiple = group.len() > 1;
        let answer = acker.ack(BasicAckOptions { multiple }).await;
        group
            .into_iter()
            .map(|(i, _, _)| (i, answer.clone()))
            .collect::<Vec<_>>()
    }))
    .await;

    let mut answers = vec![Ok(false); count];
    for (i, answer) in answered.into_iter().flatten() {
        answers[i] = answer;
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    use futures_util::StreamExt as _;
    use lapin::options::{
        BasicConsumeOptions, BasicGetOptions, BasicPublishOptions, BasicQosOptions,
        QueueDeclareOptions, QueueDeleteOptions,
    };
    use lapin::types::{AMQPValue, FieldTable, LongString};
    use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};

    fn tags(deliveries: &[Received]) -> Vec<DeliveryTag> {
        deliveries.iter().map(|d| d.tag).collect()
    }

    #[test]
    fn only_the_oldest_unacked_deliveries_go_together() {
        let mut unacked = Unacked::default();
        let received: Vec<Received> = (1..=6).map(|tag| unacked.receive(tag)).collect();

        // 1 is still in hand: 2 and 3 cannot be covered by one frame.
        let (together, alone) = unacked.split(vec![received[2], received[1]], |d| *d);
        assert_eq!(tags(&together), Vec::<u64>::new());
        assert_eq!(tags(&alone), [2, 3]);

        // 1 and 4 finish: with 2 and 3 acked they are the oldest unacked, so one frame
        // up to 4 covers both.
        let (together, alone) = unacked.split(vec![received[3], received[0]], |d| *d);
        assert_eq!(tags(&together), [1, 4]);
        assert!(alone.is_empty());

        // 6 finishes while 5 is in hand.
        let (together, alone) = unacked.split(vec![received[5]], |d| *d);
        assert!(together.is_empty());
        assert_eq!(tags(&alone), [6]);
        assert_eq!(unacked.tags.iter().copied().collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn a_recovered_channel_starts_a_new_life_and_the_old_one_goes_alone() {
        let mut unacked = Unacked::default();
        let old: Vec<Received> = (1..=3).map(|tag| unacked.receive(tag)).collect();
        // The connection was lost and recovered: tags start again at 1.
        let new: Vec<Received> = (1..=2).map(|tag| unacked.receive(tag)).collect();
        assert_ne!(old[0], new[0]);

        // The old 1 finishing must not count as the new 1: the new 1 is still in hand.
        let (together, alone) = unacked.split(vec![old[0], new[1]], |d| *d);
        assert!(together.is_empty(), "{together:?}");
        assert_eq!(alone, [new[1], old[0]]);
        assert_eq!(unacked.tags.iter().copied().collect::<Vec<_>>(), [1]);

        let (together, _) = unacked.split(vec![new[0]], |d| *d);
        assert_eq!(together, [new[0]]);
    }

    /// A quorum queue of its own on the local RabbitMQ (`AMQP_URL`), with `count`
    /// messages ("0", "1", …) taken by a consumer on `channel` and noted by `acks`.
    async fn deliveries(
        count: u16,
    ) -> (
        Connection,
        Channel,
        String,
        Acks,
        Vec<(Received, lapin::message::Delivery)>,
    ) {
        let url = crate::config::AMQP_URL.string().expect("AMQP_URL");
        let conn = Connection::connect(&url, ConnectionProperties::default())
            .await
            .expect("RabbitMQ at AMQP_URL (`rabbitmq-server -detached`)");
        let channel = conn.create_channel().await.unwrap();
        let queue = format!("acks-test-{}", uuid::Uuid::new_v4().simple());
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString(LongString::from("quorum")),
        );
        // Gone a minute after the test, whatever happens to it.
        args.insert("x-expires".into(), AMQPValue::LongLongInt(60_000));
        let durable = QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        };
        channel
            .queue_declare(queue.as_str().into(), durable, args)
            .await
            .unwrap();
        for i in 0..count {
            channel
                .basic_publish(
                    "".into(),
                    queue.as_str().into(),
                    BasicPublishOptions::default(),
                    i.to_string().as_bytes(),
                    BasicProperties::default(),
                )
                .await
                .unwrap();
        }
        channel
            .basic_qos(count, BasicQosOptions::default())
            .await
            .unwrap();
        let mut consumer = channel
            .basic_consume(
                queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let acks = Acks::spawn(count);
        let mut taken = Vec::new();
        while taken.len() < usize::from(count) {
            let delivery = consumer.next().await.unwrap().unwrap();
            taken.push((acks.received(delivery.delivery_tag), delivery));
        }
        (conn, channel, queue, acks, taken)
    }

    /// Closes the consumer's channel (what it left unacked goes back to the queue) and
    /// returns the bodies left in the queue, deleting it.
    async fn left_after_closing(conn: &Connection, channel: Channel, queue: &str) -> Vec<String> {
        channel.close(200, "test done".into()).await.unwrap();
        let channel = conn.create_channel().await.unwrap();
        let mut left = Vec::new();
        while let Some(message) = channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            left.push(String::from_utf8_lossy(&message.delivery.data).into_owned());
        }
        channel
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await
            .unwrap();
        left
    }

    /// Acks `deliveries` as if their handlers finished at the same moment. (A test runs on a
    /// current-thread runtime: every ack is queued before the acker looks.)
    async fn finish<'a>(
        acks: &Acks,
        deliveries: impl Iterator<Item = &'a (Received, lapin::message::Delivery)>,
    ) {
        let answers = futures_util::future::join_all(
            deliveries.map(|(received, delivery)| acks.ack(*received, delivery.acker.clone())),
        )
        .await;
        assert!(answers.iter().all(|a| matches!(a, Ok(true))), "{answers:?}");
    }

    #[tokio::test]
    async fn deliveries_finished_together_are_acked_with_one_frame() {
        let (conn, channel, queue, acks, taken) = deliveries(10).await;

        finish(&acks, taken.iter()).await;

        assert_eq!(acks.frames(), 1);
        let left = left_after_closing(&conn, channel, &queue).await;
        assert!(
            left.is_empty(),
            "every delivery acked, yet {left:?} came back"
        );
    }

    #[tokio::test]
    async fn a_delivery_still_in_hand_is_not_acked_by_a_frame_for_the_others() {
        let (conn, channel, queue, acks, taken) = deliveries(10).await;

        // Every delivery but the sixth ("5") finishes.
        finish(
            &acks,
            taken.iter().filter(|(received, _)| received.tag != 6),
        )
        .await;

        // One frame for "0"…"4", then "6"…"9" one by one.
        assert_eq!(acks.frames(), 5);
        let left = left_after_closing(&conn, channel, &queue).await;
        assert_eq!(left, ["5"], "only the delivery in hand comes back");
    }
}
