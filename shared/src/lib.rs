//! Code the three Convene services share.
//!
//! Only what at least two services really use lives here: reading configuration from the
//! environment, connecting to Postgres and applying a service's migrations in its own
//! schema, the broker topology (every exchange, queue and routing key in one place), the
//! message schemas that cross service boundaries, the transactional outbox and its relay,
//! the consumer loop with retries and dead letters, group commit for its handlers and acks, health and metrics endpoints, logging
//! with correlation ids, and shutdown.

pub mod acks;
pub mod batch;
pub mod broker;
pub mod calendar;
pub mod config;
pub mod consumer;
pub mod db;
pub mod health;
pub mod i18n;
pub mod messages;
pub mod metrics;
pub mod outbox;
pub mod requests;
pub mod sealed;
pub mod shutdown;
pub mod telemetry;
pub mod time;
pub mod topology;
pub mod values;
