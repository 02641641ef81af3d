//! The notification service: turns messages into emails, each sent exactly once.
//!
//! - `inbox.rs` — what each consumed message becomes.
//! - `email/render.rs` — where each email is rendered (templates in `templates/`).
//! - `email/transport.rs` — SMTP, or `.eml` files when no SMTP server is configured.
//! - `store/` — recipients and the log of emails sent (the idempotency record).
//! - `personal_data.rs` — what it holds about a person, for an export.

pub mod config;
pub mod email;
pub mod inbox;
pub mod personal_data;
pub mod startup;
pub mod store;
pub use config::Settings;
