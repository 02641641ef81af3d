//! A harness that runs Convene for real: the three service binaries, each test with its own
//! Postgres database, its own RabbitMQ vhost and its own SMTP server (aiosmtpd, over TCP),
//! so tests run in parallel and twice in a row without seeing each other's data.
//!
//! The binaries are taken from `CONVENE_BIN_DIR` (default: the workspace's `target/debug`);
//! `make test` builds them first.

pub mod infra;
pub mod mail;
pub mod proxy;
pub mod scrape;
pub mod servers;
pub mod stack;
pub mod tap;
pub mod tls;

pub use mail::{Mail, Mailbox};
pub use proxy::Proxy;
pub use stack::{Stack, StackOptions};
