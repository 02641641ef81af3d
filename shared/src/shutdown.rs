//! Graceful shutdown as a small type of its own, rather than flags threaded through calls.
//!
//! One [`Shutdown`] is created in `main`; every long-running task holds a clone and
//! selects on [`Shutdown::wait`]. SIGTERM or SIGINT triggers it.

use tokio::sync::watch;

/// A signal every task can wait on; cloning is cheap.
#[derive(Clone)]
pub struct Shutdown {
    sender: std::sync::Arc<watch::Sender<bool>>,
    receiver: watch::Receiver<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        let (sender, receiver) = watch::channel(false);
        Self {
            sender: std::sync::Arc::new(sender),
            receiver,
        }
    }

    /// Asks every task to finish.
    pub fn trigger(&self) {
        let _ = self.sender.send(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Resolves once shutdown has been triggered.
    pub async fn wait(&self) {
        let mut receiver = self.receiver.clone();
        let _ = receiver.wait_for(|stop| *stop).await;
    }

    /// Triggers this shutdown on SIGTERM or SIGINT.
    pub fn trigger_on_signals(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            let ctrl_c = tokio::signal::ctrl_c();
            #[cfg(unix)]
            {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("installing the SIGTERM handler");
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            #[cfg(not(unix))]
            let _ = ctrl_c.await;
            tracing::info!("shutdown requested; draining");
            this.trigger();
        });
    }
}

/// Runs `work` to completion, but once `shutdown` is triggered gives it at most `limit`
/// more before returning anyway: a drain that hangs must not keep the process alive.
///
/// # Errors
/// What `work` returns, or a timeout error.
pub async fn bounded<F>(
    work: F,
    shutdown: &Shutdown,
    limit: std::time::Duration,
) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    tokio::pin!(work);
    tokio::select! {
        result = &mut work => return result,
        () = shutdown.wait() => {},
    }
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(
                seconds = limit.as_secs(),
                "drain took too long; exiting anyway"
            );
            Ok(())
        }
    }
}
