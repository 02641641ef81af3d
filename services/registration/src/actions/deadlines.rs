//! The registration service's own deadlines, checked every `OFFER_CHECK_SECS`: seat offers
//! that lapsed pass to the next in line, registrations whose address was not confirmed in
//! time lapse, and invitees who have not answered get their one reminder. Safe in several processes (rows are claimed under locks).

use convene_shared::shutdown::Shutdown;
use sqlx::PgPool;

/// The registration service's own deadlines, every `every` until `shutdown`: seat offers
/// that lapsed pass to the next in line, and invitees who have not answered get their one
/// reminder (`invitation_reminder_after` after the invitation). Safe in several processes.
pub async fn run_deadlines(
    pool: PgPool,
    every: std::time::Duration,
    invitation_reminder_after: std::time::Duration,
    relay: std::sync::Arc<tokio::sync::Notify>,
    shutdown: Shutdown,
) {
    loop {
        match super::decide_registration::sweep_once(&pool).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(lapsed = n, "lapsed seat offers passed on");
                relay.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "sweeping lapsed offers failed; will retry"),
        }
        match super::confirm_address::lapse_unconfirmed(&pool).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(
                    lapsed = n,
                    "registrations whose address was not confirmed lapsed"
                );
                relay.notify_one();
            }
            Err(e) => {
                tracing::warn!(error = %e, "lapsing unconfirmed registrations failed; will retry")
            }
        }
        match super::invite::remind_due(&pool, invitation_reminder_after).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(count = n, "invitation reminders due");
                relay.notify_one();
            }
            Err(e) => {
                tracing::warn!(error = %e, "deciding invitation reminders failed; will retry")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {},
            () = shutdown.wait() => return,
        }
    }
}
