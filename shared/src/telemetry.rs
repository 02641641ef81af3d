//! Logging: human-readable by default, one JSON object per line with `LOG_FORMAT=json`.
//!
//! Nothing personal is logged at the default level: code logs ids (registration, event,
//! message, correlation), never names, email addresses or tokens.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = fmt().with_env_filter(filter).with_target(true);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}
