//! The scheduling service: knows when each exchange starts and who is coming, and decides
//! when each participant is reminded.
//!
//! - `inbox.rs` — what it learns from messages (exchanges, registrations, cancellations).
//! - `reminders.rs` — the cron clock that decides due reminders and announces them.
//! - `digests.rs` — the clock that tells the registration service to look for organisers'
//!   due daily digests.
//! - `follow_up.rs` — on the same clock, exchanges whose follow-up email is due.
//! - `store/` — its tables, and the query that decides what is due.

pub mod config;
pub mod digests;
pub mod follow_up;
pub mod inbox;
pub mod reminders;
pub mod retention;
pub mod startup;
pub mod store;
pub use config::Settings;
