//! The reminder clock: on every tick of `SCHEDULE`, decide which reminders are due and
//! announce them through the outbox (`reminder.due`, one message per batch of up to
//! [`ReminderDue::MAX_BATCH`] participants of one exchange and offset).

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use convene_shared::messages::{Envelope, EventSnapshot, ReminderDue};
use convene_shared::shutdown::Shutdown;
use convene_shared::{metrics, outbox};
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::store::reminders::{self, Decided};

/// Reminders decided per transaction; a large fan-out takes several. Each batch's
/// messages are built in memory at once: 5 000 took the scheduler to 105 MB during a
/// 100 000-participant fan-out (`make bench`, row 5).
const BATCH: i64 = 1000;

/// Parses a schedule in the `cron` crate's syntax (seconds first: `0 * * * * *`).
///
/// # Errors
/// When the expression does not parse.
pub fn parse_schedule(expr: &str) -> Result<cron::Schedule, String> {
    cron::Schedule::from_str(expr).map_err(|e| e.to_string())
}

/// Runs a tick now (catching up on what was missed while down), then on every fire of
/// `schedule` until `shutdown`.
///
/// The same clock also announces exchanges whose retention period is over, and those
/// whose follow-up is due.
pub async fn run(
    pool: PgPool,
    schedule: cron::Schedule,
    retention_days: u32,
    follow_up_delay: std::time::Duration,
    relay: Arc<Notify>,
    shutdown: Shutdown,
) {
    let mut walks = Walks::default();
    loop {
        match crate::retention::tick(&pool, retention_days).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(count = n, "exchanges past their retention period");
                relay.notify_one();
            }
            Err(e) => {
                tracing::warn!(error = %e, "the retention tick failed; the next one catches up")
            }
        }
        match crate::follow_up::tick(&pool, follow_up_delay, retention_days).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(count = n, "exchanges due their follow-up");
                relay.notify_one();
            }
            Err(e) => {
                tracing::warn!(error = %e, "the follow-up tick failed; the next one catches up")
            }
        }
        match tick_with(&pool, &mut walks).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(count = n, "reminders due");
                relay.notify_one();
            }
            Err(e) => {
                tracing::warn!(error = %e, "the reminder tick failed; the next one catches up")
            }
        }
        if next_fire(&schedule, &shutdown, "SCHEDULE").await.is_none() {
            return;
        }
    }
}

/// Waits for the next fire of `schedule` and returns its time; `None` on shutdown, or when
/// the schedule (the variable `name`) never fires again.
pub async fn next_fire(
    schedule: &cron::Schedule,
    shutdown: &Shutdown,
    name: &str,
) -> Option<chrono::DateTime<Utc>> {
    let Some(next) = schedule.upcoming(Utc).next() else {
        tracing::warn!(
            variable = name,
            "the schedule never fires again; its clock stops"
        );
        return None;
    };
    let wait = (next - Utc::now()).to_std().unwrap_or_default();
    tokio::select! {
        () = tokio::time::sleep(wait) => Some(next),
        () = shutdown.wait() => None,
    }
}

/// What a scheduler remembers between ticks: the due exchanges whose last walk found
/// nothing to decide, and until when it leaves them alone.
///
/// While an exchange's reminder is due (until it starts), every registration is decided
/// on the first walk, but a confirmation that arrives late (sent before the reminder's
/// time, delivered after) is only found by walking again. Each walk reads every
/// registration of the exchange: 100 000 take about 200 ms of Postgres, which at one tick
/// a second was about a fifth of the CPU of a fan-out (`make bench`, row 4). So a walk that
/// found nothing rests for `factor` times its own length: the walks take at most about
/// 1/`factor` of Postgres's time, and a late participant's reminder waits at most that long
/// (4 s at 100 000). An offset that newly falls due is walked at once: the rest is per
/// exchange and offset.
#[derive(Debug)]
pub struct Walks {
    factor: u32,
    resting: HashMap<(Uuid, i32), Instant>,
}

impl Walks {
    /// A walk that found nothing rests this many times its own length.
    pub const FACTOR: u32 = 20;

    pub fn new(factor: u32) -> Self {
        Self {
            factor,
            resting: HashMap::new(),
        }
    }

    /// Whether exchange `event_id`'s walk for `offset` is resting now.
    pub fn is_resting(&self, event_id: Uuid, offset: i32) -> bool {
        self.resting
            .get(&(event_id, offset))
            .is_some_and(|until| *until > Instant::now())
    }
}

impl Default for Walks {
    fn default() -> Self {
        Self::new(Self::FACTOR)
    }
}

/// Decides every due reminder (see [`tick_with`]), remembering nothing between ticks.
///
/// # Errors
/// When Postgres fails; the batch under way is rolled back and decided again next tick.
pub async fn tick(pool: &PgPool) -> sqlx::Result<usize> {
    tick_with(pool, &mut Walks::default()).await
}

/// Decides every due reminder, a batch per transaction, each with its message: exchange
/// by exchange, walking its registrations in id order from where the last batch stopped,
/// except the exchanges whose walk is resting (see [`Walks`]). Returns how many were
/// decided.
///
/// # Errors
/// When Postgres fails; the batch under way is rolled back and decided again next tick.
pub async fn tick_with(pool: &PgPool, walks: &mut Walks) -> sqlx::Result<usize> {
    let due = reminders::due_events(&mut *pool.acquire().await?).await?;
    let now = Instant::now();
    walks
        .resting
        .retain(|key, until| *until > now && due.contains(key));
    let mut total = 0;
    for (event_id, offset) in due {
        if walks.is_resting(event_id, offset) {
            continue;
        }
        let started = Instant::now();
        let decided = walk(pool, event_id).await?;
        if decided == 0 {
            let rest = started.elapsed() * walks.factor;
            walks
                .resting
                .insert((event_id, offset), Instant::now() + rest);
        }
        total += decided;
    }
    Ok(total)
}

/// Decides the due reminders of one exchange, a batch of [`BATCH`] per transaction.
async fn walk(pool: &PgPool, event_id: Uuid) -> sqlx::Result<usize> {
    let mut total = 0;
    let mut after = Uuid::nil();
    loop {
        let mut tx = pool.begin().await?;
        let due = reminders::due_after(&mut tx, event_id, after, BATCH).await?;
        // Fewer recorded than due: another scheduler recorded the rest (it announces them).
        let decided = reminders::decide(&mut tx, event_id, &due).await?;
        let envelopes = announce(&decided);
        outbox::enqueue_many(&mut tx, &envelopes).await?;
        tx.commit().await?;
        let now = Utc::now();
        for reminder in &decided {
            metrics::reminder_due(reminder.lateness(now));
        }
        total += decided.len();
        match due.last() {
            Some((last, _)) if due.len() as i64 == BATCH => after = *last,
            _ => return Ok(total),
        }
    }
}

/// The messages announcing `decided`: one per exchange and offset, split into batches of
/// at most [`ReminderDue::MAX_BATCH`] participants.
fn announce(decided: &[Decided]) -> Vec<Envelope> {
    let mut groups: BTreeMap<(Uuid, i32), Vec<&Decided>> = BTreeMap::new();
    for d in decided {
        groups
            .entry((d.event_id, d.offset_minutes))
            .or_default()
            .push(d);
    }
    let mut envelopes = Vec::new();
    for group in groups.values() {
        for batch in group.chunks(ReminderDue::MAX_BATCH) {
            let d = batch[0];
            let message = ReminderDue {
                registration_ids: batch.iter().map(|d| d.registration_id).collect(),
                registration_id: None,
                event: EventSnapshot {
                    event_id: d.event_id,
                    slug: d.slug.clone(),
                    title: d.title.clone(),
                    starts_at: d.starts_at,
                    ends_at: d.ends_at,
                    timezone: d.timezone.clone(),
                    version: d.version,
                    online: d.online,
                },
                offset_minutes: d.offset_minutes,
            };
            // Each batch is its own story in the logs.
            envelopes.push(Envelope::new(&message, Uuid::now_v7()));
        }
    }
    envelopes
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn decided(event_id: Uuid, offset_minutes: i32) -> Decided {
        Decided {
            registration_id: Uuid::now_v7(),
            offset_minutes,
            event_id,
            slug: "exchange".to_owned(),
            title: "Exchange".to_owned(),
            starts_at: Utc::now(),
            ends_at: Utc::now(),
            timezone: "UTC".to_owned(),
            version: 1,
            online: false,
        }
    }

    #[test]
    fn one_message_per_exchange_and_offset_in_batches() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut all: Vec<Decided> = (0..250).map(|_| decided(a, 60)).collect();
        all.extend((0..3).map(|_| decided(a, 1440)));
        all.extend((0..2).map(|_| decided(b, 60)));
        let envelopes = announce(&all);
        let messages: Vec<ReminderDue> = envelopes.iter().map(|e| e.payload().unwrap()).collect();
        let sizes: Vec<(Uuid, i32, usize)> = messages
            .iter()
            .map(|m| (m.event.event_id, m.offset_minutes, m.registration_ids.len()))
            .collect();
        let mut expected = vec![
            (a, 60, 100),
            (a, 60, 100),
            (a, 60, 50),
            (a, 1440, 3),
            (b, 60, 2),
        ];
        expected.sort_by_key(|(e, o, _)| (*e, *o));
        assert_eq!(sizes, expected);
        // Every participant is announced exactly once.
        let mut ids: Vec<Uuid> = messages
            .iter()
            .flat_map(ReminderDue::participants)
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
    }
}
