//! The pace of the registration answers: a repeat must not answer faster than a new one.
//!
//! A new registration writes three rows and commits (a flush to disk); a repeat of a known
//! address only reads one, and would answer in about half the time, so the time an answer
//! takes would tell what its body no longer does. Each replica keeps a running estimate of
//! the median time a new registration takes, and holds every answer that wrote nothing (a
//! known address, a bot's filled hidden field) until as much time has passed. The median,
//! not the mean: a mean, pulled up by the slowest, made repeats the slower ones.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// No answer is held longer than this, whatever the estimate (a stalled database must not
/// make every repeat wait as long).
const MAX_HOLD: Duration = Duration::from_secs(1);

/// How late tokio's timer may wake (its resolution is a millisecond).
const TIMER_LATENESS: Duration = Duration::from_millis(1);

/// How long taking in a new registration usually takes, on this replica.
#[derive(Debug, Default)]
pub struct AnswerPace {
    /// The estimated median, in microseconds; 0 until the first new registration.
    typical_micros: AtomicU64,
}

impl AnswerPace {
    /// A new registration took `took`: the estimate moves a sixteenth of itself towards
    /// it (a streaming median: as many samples end up above it as below).
    pub fn record(&self, took: Duration) {
        let took = u64::try_from(took.min(MAX_HOLD).as_micros()).unwrap_or(u64::MAX);
        let _ = self
            .typical_micros
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |typical| {
                let step = (typical / 16).max(1);
                Some(match took.cmp(&typical) {
                    _ if typical == 0 => took,
                    std::cmp::Ordering::Greater => typical + step,
                    std::cmp::Ordering::Less => typical - step.min(typical - 1),
                    std::cmp::Ordering::Equal => typical,
                })
            });
    }

    /// How long a new registration usually takes.
    pub fn typical(&self) -> Duration {
        Duration::from_micros(self.typical_micros.load(Ordering::Relaxed))
    }

    /// Waits until a new registration begun at `started` would usually have been taken in
    /// (less a millisecond: tokio's timer wakes up to one late).
    pub async fn hold_from(&self, started: Instant) {
        let hold = self.typical().min(MAX_HOLD).saturating_sub(TIMER_LATENESS);
        tokio::time::sleep_until(started + hold).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_settles_on_the_median_and_shrugs_off_stalls() {
        let pace = AnswerPace::default();
        assert_eq!(pace.typical(), Duration::ZERO);
        pace.record(Duration::from_millis(16));
        assert_eq!(pace.typical(), Duration::from_millis(16));
        pace.record(Duration::from_millis(8));
        assert_eq!(pace.typical(), Duration::from_millis(15));
        // Mostly 10 ms, one in four a stall of a minute: the median is 10 ms.
        for i in 0..400 {
            let took = if i % 4 == 0 { 60_000 } else { 10 };
            pace.record(Duration::from_millis(took));
        }
        let typical = pace.typical();
        assert!(
            (Duration::from_millis(9)..Duration::from_millis(12)).contains(&typical),
            "{typical:?}"
        );
    }

    #[tokio::test]
    async fn an_answer_is_held_until_a_new_registration_would_be_done() {
        let pace = AnswerPace::default();
        pace.record(Duration::from_millis(200));
        let started = Instant::now();
        pace.hold_from(started).await;
        assert!(started.elapsed() >= Duration::from_millis(199));
        // Later than that, no wait at all.
        let again = Instant::now();
        pace.hold_from(started).await;
        assert!(again.elapsed() < Duration::from_millis(100));
    }
}
