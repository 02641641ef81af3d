//! Group commit: work that arrives side by side (the deliveries a consumer handles at once)
//! done together, in one transaction instead of one each.
//!
//! A handler [`Batcher::submit`]s its item and waits for its own result. A worker takes
//! whatever has been submitted meanwhile, up to a maximum, and does it as one batch. Nothing
//! waits for a batch to fill: a lone item goes at once, alone. Under load the items that
//! arrive while a batch is being written form the next one, so the cost of each commit (a
//! round trip, a WAL flush) is shared by more items the busier the service is — the way
//! Postgres groups its own commits.
//!
//! A batch's work returns one result per item, in order, so that one item's failure can
//! stay its own. Each handler still acks its own delivery once its result is in.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt as _;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Submits items to the workers of one kind of batch.
pub struct Batcher<T, R> {
    queue: mpsc::Sender<(T, oneshot::Sender<R>)>,
}

/// The worker that should have answered is gone (it panicked, or the runtime is
/// shutting down): the item's fate is unknown, so its message must be handled again.
#[derive(Debug, thiserror::Error)]
#[error("the batch worker stopped before answering")]
pub struct WorkerGone;

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Starts `workers` workers, each doing up to `max` items at a time with `work`,
    /// which must return one result per item, in the items' order.
    ///
    /// # Panics
    /// When `max` or `workers` is 0.
    pub fn spawn<F, Fut>(max: usize, workers: usize, work: F) -> Self
    where
        F: Fn(Vec<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<R>> + Send + 'static,
    {
        assert!(max > 0 && workers > 0, "a batch needs room and a worker");
        // Room for as many items as the workers take at once: with a consumer's prefetch
        // no larger, a submit never waits for room.
        let (queue, receiver) = mpsc::channel(max * workers);
        let receiver = Arc::new(Mutex::new(receiver));
        let work = Arc::new(work);
        for _ in 0..workers {
            tokio::spawn(worker(receiver.clone(), work.clone(), max));
        }
        Self { queue }
    }

    /// Has `item` done in the next batch and returns its result.
    ///
    /// # Errors
    /// [`WorkerGone`] when no worker answered.
    pub async fn submit(&self, item: T) -> Result<R, WorkerGone> {
        let (answer, result) = oneshot::channel();
        self.queue
            .send((item, answer))
            .await
            .map_err(|_| WorkerGone)?;
        result.await.map_err(|_| WorkerGone)
    }
}

type Queue<T, R> = Arc<Mutex<mpsc::Receiver<(T, oneshot::Sender<R>)>>>;

/// Takes the next batch: waits for one item, then adds whatever else is already waiting.
/// The receiver is held only while taking, so the other workers take the batches that
/// form while this one is being done.
async fn worker<T, R, F, Fut>(queue: Queue<T, R>, work: Arc<F>, max: usize)
where
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = Vec<R>>,
{
    loop {
        let mut batch = Vec::with_capacity(max);
        {
            let mut receiver = queue.lock().await;
            let Some(first) = receiver.recv().await else {
                return; // every Batcher is gone
            };
            batch.push(first);
            while batch.len() < max {
                match receiver.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
        }
        let (items, answers): (Vec<T>, Vec<oneshot::Sender<R>>) = batch.into_iter().unzip();
        // A batch that panics answers nobody (each handler gets `WorkerGone` and its message
        // is handled again); the worker goes on with the next.
        let Ok(results) = AssertUnwindSafe(async { work(items).await })
            .catch_unwind()
            .await
        else {
            tracing::error!(
                items = answers.len(),
                "a batch panicked; its messages will be handled again"
            );
            continue;
        };
        debug_assert_eq!(results.len(), answers.len(), "one result per item");
        // An answer nobody waits for any more (its handler gave up) is dropped.
        for (answer, result) in answers.into_iter().zip(results) {
            let _ = answer.send(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_lone_item_goes_at_once_and_gets_its_own_result() {
        let batcher = Batcher::spawn(8, 1, |items: Vec<u32>| async move {
            items.into_iter().map(|i| i * 2).collect::<Vec<_>>()
        });
        assert_eq!(batcher.submit(21).await.unwrap(), 42);
    }

    #[tokio::test]
    async fn items_submitted_while_a_batch_is_done_form_the_next_one() {
        let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let batcher = Arc::new(Batcher::spawn(4, 1, move |items: Vec<usize>| {
            seen.lock().unwrap().push(items.len());
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                items.into_iter().map(|i| i + 100).collect::<Vec<_>>()
            }
        }));
        let handles: Vec<_> = (0..9)
            .map(|i| {
                let batcher = batcher.clone();
                tokio::spawn(async move { (i, batcher.submit(i).await.unwrap()) })
            })
            .collect();
        for handle in handles {
            let (i, result) = handle.await.unwrap();
            assert_eq!(result, i + 100, "each item gets its own result");
        }
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 9);
        assert!(
            sizes.iter().all(|&n| n <= 4),
            "never more than max: {sizes:?}"
        );
        assert!(
            sizes.len() < 9,
            "items waiting together went together: {sizes:?}"
        );
    }

    #[tokio::test]
    async fn workers_do_batches_side_by_side() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (r, m) = (running.clone(), most.clone());
        let batcher = Arc::new(Batcher::spawn(1, 3, move |items: Vec<u8>| {
            let (r, m) = (r.clone(), m.clone());
            async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                r.fetch_sub(1, Ordering::SeqCst);
                items
            }
        }));
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let batcher = batcher.clone();
                tokio::spawn(async move { batcher.submit(i).await.unwrap() })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_batch_that_panics_answers_worker_gone_and_the_worker_goes_on() {
        let batcher = Batcher::spawn(1, 1, |items: Vec<u8>| async move {
            assert!(items[0] != 1, "boom");
            items
        });
        assert!(batcher.submit(1).await.is_err());
        assert_eq!(batcher.submit(2).await.unwrap(), 2);
    }
}
