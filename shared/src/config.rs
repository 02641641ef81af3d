//! Configuration from environment variables.
//!
//! Every service describes its variables as a table of [`Var`]s. The same table prints
//! `--help`, supplies defaults, and names the variable in the one-line error a service
//! prints when a value is missing or malformed, so the documentation cannot drift from
//! what the code reads.

use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

/// One environment variable a service reads.
#[derive(Debug, Clone, Copy)]
pub struct Var {
    pub name: &'static str,
    /// `None` means the variable is required.
    pub default: Option<&'static str>,
    pub help: &'static str,
}

/// A configuration problem, worded for an operator reading one line of output.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set (see --help)")]
    Missing(&'static str),
    #[error("{name} is malformed: {reason}")]
    Malformed { name: &'static str, reason: String },
}

/// The variables every service reads.
pub const DATABASE_URL: Var = Var {
    name: "DATABASE_URL",
    default: Some("postgres://postgres@127.0.0.1:5432/convene"),
    help: "Postgres connection URL; the three services may share one database (each keeps its own schema). TLS: add ?sslmode=require, or sslmode=verify-full&sslrootcert=/path/ca.pem to check the server's certificate.",
};
pub const AMQP_URL: Var = Var {
    name: "AMQP_URL",
    default: Some("amqp://guest:guest@127.0.0.1:5672/%2f"),
    help: "RabbitMQ connection URL (the vhost is the path, %2f for /); amqps://… for TLS (port 5671 by default).",
};
pub const AMQP_CA_FILE: Var = Var {
    name: "AMQP_CA_FILE",
    default: Some(""),
    help: "PEM file of certificate authorities trusted for amqps:// besides the usual public ones (a private CA). Empty: only the public ones.",
};
pub const STARTUP_TIMEOUT_SECS: Var = Var {
    name: "STARTUP_TIMEOUT_SECS",
    default: Some("30"),
    help: "How long to wait at start for Postgres and RabbitMQ before giving up.",
};
pub const SHUTDOWN_TIMEOUT_SECS: Var = Var {
    name: "SHUTDOWN_TIMEOUT_SECS",
    default: Some("10"),
    help: "On SIGTERM/SIGINT, how long in-flight work may take before the process exits anyway.",
};
pub const DEAD_LETTER_TTL_DAYS: Var = Var {
    name: "DEAD_LETTER_TTL_DAYS",
    default: Some("14"),
    help: "Days a message stays in a dead-letter queue (<inbox>.dead) before RabbitMQ drops it: long enough to read and replay it, not to keep personal data for ever. Decimals allowed.",
};
pub const HTTP_REQUEST_TIMEOUT_SECS: Var = Var {
    name: "HTTP_REQUEST_TIMEOUT_SECS",
    default: Some("30"),
    help: "How long a client may take to send a request's headers, and to have it answered (its body included); a slower one is cut off (408).",
};
pub const HTTP_MAX_CONNECTIONS: Var = Var {
    name: "HTTP_MAX_CONNECTIONS",
    default: Some("1024"),
    help: "HTTP connections served at once; more wait to be accepted.",
};
pub const LOG_FORMAT: Var = Var {
    name: "LOG_FORMAT",
    default: Some("text"),
    help: "`text` (human-readable) or `json` (one object per line).",
};
pub const RUST_LOG: Var = Var {
    name: "RUST_LOG",
    default: Some("info"),
    help: "Log filter, e.g. `info` or `info,registration=debug`.",
};

/// The variables shared by all services, in the order `--help` lists them.
pub const COMMON: &[Var] = &[
    DATABASE_URL,
    AMQP_URL,
    AMQP_CA_FILE,
    STARTUP_TIMEOUT_SECS,
    SHUTDOWN_TIMEOUT_SECS,
    DEAD_LETTER_TTL_DAYS,
    HTTP_REQUEST_TIMEOUT_SECS,
    HTTP_MAX_CONNECTIONS,
    LOG_FORMAT,
    RUST_LOG,
];

impl Var {
    /// The raw value, or the default; `Missing` when neither exists.
    ///
    /// # Errors
    /// When the variable is required and unset (or not valid UTF-8).
    pub fn string(&self) -> Result<String, ConfigError> {
        match std::env::var(self.name) {
            Ok(v) if !v.trim().is_empty() => Ok(v),
            _ => self
                .default
                .map(str::to_owned)
                .ok_or(ConfigError::Missing(self.name)),
        }
    }

    /// The value if set or defaulted, `None` when it has no default and is unset.
    pub fn optional(&self) -> Option<String> {
        self.string().ok()
    }

    /// The value parsed with [`FromStr`].
    ///
    /// # Errors
    /// When missing, or when it does not parse.
    pub fn parse<T>(&self) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        let raw = self.string()?;
        raw.trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Malformed {
                name: self.name,
                reason: format!("{raw:?}: {e}"),
            })
    }

    /// A whole number of seconds.
    ///
    /// # Errors
    /// When missing or not a whole number.
    pub fn seconds(&self) -> Result<Duration, ConfigError> {
        self.parse::<u64>().map(Duration::from_secs)
    }

    /// Fails with this variable's name and the given reason.
    pub fn malformed(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError::Malformed {
            name: self.name,
            reason: reason.into(),
        }
    }
}

/// The settings every service shares. Its `Debug` leaves out the database URL, which
/// holds a password.
#[derive(Clone)]
pub struct Common {
    pub database_url: String,
    pub broker: crate::broker::Broker,
    pub startup_timeout: Duration,
    pub shutdown_timeout: Duration,
    /// How long a dead letter is kept (`DEAD_LETTER_TTL_DAYS`).
    pub dead_letter_ttl: Duration,
    pub http: crate::health::HttpLimits,
}

impl std::fmt::Debug for Common {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Common")
            .field("broker", &self.broker)
            .field("startup_timeout", &self.startup_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("dead_letter_ttl", &self.dead_letter_ttl)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl Common {
    /// Reads the common variables.
    ///
    /// # Errors
    /// The first missing or malformed variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let database_url = DATABASE_URL.string()?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(DATABASE_URL.malformed("expected postgres://…"));
        }
        Ok(Self {
            database_url,
            broker: broker_from_env()?,
            startup_timeout: STARTUP_TIMEOUT_SECS.seconds()?,
            shutdown_timeout: SHUTDOWN_TIMEOUT_SECS.seconds()?,
            dead_letter_ttl: days(&DEAD_LETTER_TTL_DAYS)?,
            http: crate::health::HttpLimits {
                request_timeout: at_least_one(&HTTP_REQUEST_TIMEOUT_SECS)
                    .map(Duration::from_secs)?,
                max_connections: at_least_one(&HTTP_MAX_CONNECTIONS)? as usize,
            },
        })
    }
}

/// A positive number of days (decimals allowed), as a duration of at least a millisecond.
fn days(var: &Var) -> Result<Duration, ConfigError> {
    let days: f64 = var.parse()?;
    if !(days.is_finite() && days > 0.0 && days <= 3650.0) {
        return Err(var.malformed("must be more than 0 and at most 3650 days"));
    }
    Ok(Duration::from_secs_f64(days * 86_400.0).max(Duration::from_millis(1)))
}

/// A whole number of at least 1.
fn at_least_one(var: &Var) -> Result<u64, ConfigError> {
    match var.parse::<u64>()? {
        0 => Err(var.malformed("must be at least 1")),
        n => Ok(n),
    }
}

/// `AMQP_URL` and `AMQP_CA_FILE`, checked: what every service and the operators' commands
/// connect to RabbitMQ with.
///
/// # Errors
/// A URL that is not `amqp://` or `amqps://`, or a CA file that cannot be read or holds
/// no certificate.
pub fn broker_from_env() -> Result<crate::broker::Broker, ConfigError> {
    let url = AMQP_URL.string()?;
    if !(url.starts_with("amqp://") || url.starts_with("amqps://")) {
        return Err(AMQP_URL.malformed("expected amqp://… or amqps://…"));
    }
    let ca_chain = read_ca_file(&AMQP_CA_FILE)?;
    if ca_chain.is_some() && !url.starts_with("amqps://") {
        return Err(AMQP_CA_FILE.malformed("set, but AMQP_URL is not amqps://"));
    }
    Ok(crate::broker::Broker::new(&url, ca_chain))
}

/// The PEM text of a CA file named by `var` (`None` when the variable is empty).
///
/// # Errors
/// When the file cannot be read or holds no PEM certificate.
pub fn read_ca_file(var: &Var) -> Result<Option<String>, ConfigError> {
    let path = var.string()?;
    let path = path.trim();
    if path.is_empty() {
        return Ok(None);
    }
    let pem = std::fs::read_to_string(path)
        .map_err(|e| var.malformed(format!("cannot read {path}: {e}")))?;
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(var.malformed(format!("{path} holds no PEM certificate")));
    }
    Ok(Some(pem))
}

/// The text `--help` prints: what the service does and every variable with its default.
pub fn help_text(service: &str, about: &str, vars: &[Var]) -> String {
    let mut out =
        format!("{service} — {about}\n\nUsage: {service} [--help]\n\nEnvironment variables:\n");
    for var in COMMON.iter().chain(vars) {
        let default = match var.default {
            Some("") => "(empty)".to_owned(),
            Some(d) => d.to_owned(),
            None => "(required)".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {:<24} {}\n  {:<24} default: {}",
            var.name, var.help, "", default
        );
    }
    out
}

/// Handles `--help`/`-h`: prints the help and returns true when asked for it.
pub fn wants_help(service: &str, about: &str, vars: &[Var]) -> bool {
    let asked = std::env::args().skip(1).any(|a| a == "--help" || a == "-h");
    if asked {
        print!("{}", help_text(service, about, vars));
    }
    asked
}
