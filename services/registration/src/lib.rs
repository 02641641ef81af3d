//! The registration service: participants register and organisations offer to
//! co-sponsor through HTML forms or JSON; organisers create exchanges.
//!
//! - `domain/` — where input is validated, into typed values.
//! - `store/` — where registrations, exchanges and offers are stored (SQL).
//! - `actions/` — each use case as one transaction, with the message it publishes
//!   (written to the outbox; `convene_shared::outbox` relays it to RabbitMQ).
//! - `http/` — routes, handlers and the HTML pages (`templates/`).

pub mod actions;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod inbox;
pub mod startup;
pub mod store;
pub use config::Settings;
