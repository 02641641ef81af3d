//! The scheduling service's settings, all from environment variables (`--help` lists them).

use convene_shared::config::{Common, ConfigError, Var};

pub const HTTP_ADDR: Var = Var {
    name: "HTTP_ADDR",
    default: Some("127.0.0.1:8082"),
    help: "Address of the health endpoints (/healthz, /readyz).",
};
pub const SCHEDULE: Var = Var {
    name: "SCHEDULE",
    default: Some("0 * * * * *"),
    help: "When to look for due reminders, in the cron crate's syntax (seconds first).",
};
pub const DIGEST_SCHEDULE: Var = Var {
    name: "DIGEST_SCHEDULE",
    default: Some("0 */15 * * * *"),
    help: "When to look for organisers whose daily digest is due (from the registration service's DIGEST_HOUR in each one's zone), cron syntax.",
};
pub const RETENTION_DAYS: Var = Var {
    name: "RETENTION_DAYS",
    default: Some("30"),
    help:
        "Days after an exchange ends before its participants' personal data is erased everywhere.",
};
pub const FOLLOW_UP_DELAY_MINUTES: Var = Var {
    name: "FOLLOW_UP_DELAY_MINUTES",
    default: Some("60"),
    help: "Minutes after an exchange ends before its participants are sent the follow-up (thanks, materials, recording); a fraction such as 0.05 is allowed.",
};
pub const PREFETCH: Var = Var {
    name: "PREFETCH",
    default: Some("16"),
    help: "Messages handled at once (unacknowledged at most); keep below DATABASE_MAX_CONNECTIONS.",
};
pub const RETRY_DELAYS_MS: Var = Var {
    name: "RETRY_DELAYS_MS",
    default: Some("1000,10000,60000"),
    help: "Delay before each retry of a message that failed, comma-separated; after the last, the dead-letter queue.",
};
pub const DATABASE_MAX_CONNECTIONS: Var = Var {
    name: "DATABASE_MAX_CONNECTIONS",
    default: Some("20"),
    help: "Size of the Postgres connection pool (shared by the consumer, the relay and the reminder clock).",
};

/// Every variable this service reads besides the common ones.
pub const VARS: &[Var] = &[
    RETENTION_DAYS,
    FOLLOW_UP_DELAY_MINUTES,
    HTTP_ADDR,
    SCHEDULE,
    DIGEST_SCHEDULE,
    PREFETCH,
    RETRY_DELAYS_MS,
    DATABASE_MAX_CONNECTIONS,
];

/// The scheduling service's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub common: Common,
    pub http_addr: std::net::SocketAddr,
    pub schedule: cron::Schedule,
    pub digest_schedule: cron::Schedule,
    pub retention_days: u32,
    /// How long after an exchange ends its follow-up is announced.
    pub follow_up_delay: std::time::Duration,
    pub prefetch: u16,
    pub retry_delays_ms: Vec<u64>,
    pub database_max_connections: u32,
}

impl Settings {
    /// # Errors
    /// The first missing or malformed variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let schedule = crate::reminders::parse_schedule(&SCHEDULE.string()?)
            .map_err(|e| SCHEDULE.malformed(e))?;
        let digest_schedule = crate::reminders::parse_schedule(&DIGEST_SCHEDULE.string()?)
            .map_err(|e| DIGEST_SCHEDULE.malformed(e))?;
        let retry_delays_ms = RETRY_DELAYS_MS
            .string()?
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                s.trim()
                    .parse::<u64>()
                    .map_err(|e| RETRY_DELAYS_MS.malformed(format!("{s:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let follow_up_minutes: f64 = FOLLOW_UP_DELAY_MINUTES.parse()?;
        // Up to a week: the follow-up must go well before the participants' data is erased.
        if !(0.0..=10_080.0).contains(&follow_up_minutes) {
            return Err(FOLLOW_UP_DELAY_MINUTES.malformed("must be from 0 to 10080 minutes"));
        }
        let prefetch: u16 = PREFETCH.parse()?;
        if prefetch == 0 {
            return Err(PREFETCH.malformed("must be at least 1"));
        }
        Ok(Self {
            common: Common::from_env()?,
            http_addr: HTTP_ADDR.parse()?,
            schedule,
            digest_schedule,
            retention_days: RETENTION_DAYS.parse()?,
            follow_up_delay: std::time::Duration::from_secs_f64(follow_up_minutes * 60.0),
            prefetch,
            retry_delays_ms,
            database_max_connections: DATABASE_MAX_CONNECTIONS.parse()?,
        })
    }
}
