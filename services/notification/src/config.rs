//! The notification service's settings, all from environment variables (`--help` lists them).

use std::path::PathBuf;

use convene_shared::config::{read_ca_file, Common, ConfigError, Var};

use crate::email::smtp_target::SmtpTarget;
use crate::email::transport::Timeouts;

pub const HTTP_ADDR: Var = Var {
    name: "HTTP_ADDR",
    default: Some("127.0.0.1:8081"),
    help: "Address of the health endpoints (/healthz, /readyz).",
};
pub const SMTP_URL: Var = Var {
    name: "SMTP_URL",
    default: Some(""),
    help: "SMTP server: smtp://host:25 (no TLS), smtp://user:pass@host:587?tls=required (STARTTLS, refused without it), ?tls=opportunistic (STARTTLS when offered), smtps://user:pass@host:465 (TLS from the start). User and password percent-encoded. Empty: write .eml files under MAIL_DIR.",
};
pub const SMTP_CA_FILE: Var = Var {
    name: "SMTP_CA_FILE",
    default: Some(""),
    help: "PEM file of certificate authorities trusted for the SMTP server's certificate besides the usual public ones (a private CA). Empty: only the public ones.",
};
pub const MAIL_DIR: Var = Var {
    name: "MAIL_DIR",
    default: Some("var/mail"),
    help: "Folder for .eml files when SMTP_URL is empty.",
};
pub const MAIL_FROM: Var = Var {
    name: "MAIL_FROM",
    default: Some("Convene <no-reply@convene.localhost>"),
    help: "The From: of every email.",
};
pub const ICS_ORGANIZER: Var = Var {
    name: "ICS_ORGANIZER",
    default: Some(""),
    help: "The address calendar entries come from (their ORGANIZER); empty: MAIL_FROM's address.",
};
pub const SMTP_POOL_SIZE: Var = Var {
    name: "SMTP_POOL_SIZE",
    default: Some("10"),
    help: "SMTP connections kept open at most.",
};
pub const SMTP_TIMEOUT_SECS: Var = Var {
    name: "SMTP_TIMEOUT_SECS",
    default: Some("30"),
    help: "How long connecting, or one SMTP command before an email's content, may take before the send counts as failed (and is retried): the server has accepted nothing yet.",
};
pub const SMTP_DATA_TIMEOUT_SECS: Var = Var {
    name: "SMTP_DATA_TIMEOUT_SECS",
    default: Some("600"),
    help: "How long an email's content and the SMTP server's answer to its end may take before the send counts as failed (and is retried). The server may have accepted it and be slow to say so: the retry then sends it twice, so keep it long (RFC 5321 recommends 10 minutes).",
};
pub const PREFETCH: Var = Var {
    name: "PREFETCH",
    default: Some("32"),
    help: "Messages handled at once (unacknowledged at most).",
};
pub const RETRY_DELAYS_MS: Var = Var {
    name: "RETRY_DELAYS_MS",
    default: Some("5000,30000,120000,600000,1800000"),
    help: "Delay before each retry of a failed email, comma-separated; after the last, the dead-letter queue.",
};
pub const DATABASE_MAX_CONNECTIONS: Var = Var {
    name: "DATABASE_MAX_CONNECTIONS",
    default: Some("40"),
    help: "Size of the Postgres connection pool (keep above PREFETCH).",
};

/// Every variable this service reads besides the common ones.
pub const VARS: &[Var] = &[
    HTTP_ADDR,
    SMTP_URL,
    SMTP_CA_FILE,
    MAIL_DIR,
    MAIL_FROM,
    ICS_ORGANIZER,
    SMTP_POOL_SIZE,
    SMTP_TIMEOUT_SECS,
    SMTP_DATA_TIMEOUT_SECS,
    PREFETCH,
    RETRY_DELAYS_MS,
    DATABASE_MAX_CONNECTIONS,
    convene_shared::sealed::LINK_KEY,
    convene_shared::sealed::LINK_KEY_PREVIOUS,
];

/// The notification service's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub common: Common,
    pub http_addr: std::net::SocketAddr,
    /// `None`: write files under `mail_dir`.
    pub smtp: Option<SmtpTarget>,
    /// The PEM text of `SMTP_CA_FILE`.
    pub smtp_ca: Option<String>,
    pub mail_dir: PathBuf,
    pub mail_from: lettre::message::Mailbox,
    pub ics_organizer: String,
    pub smtp_pool_size: u32,
    pub smtp_timeouts: Timeouts,
    pub prefetch: u16,
    pub retry_delays_ms: Vec<u64>,
    pub database_max_connections: u32,
    /// Opens the links and contacts registration sealed (`LINK_KEY`).
    pub link_keys: convene_shared::sealed::LinkKeys,
}

impl Settings {
    /// # Errors
    /// The first missing or malformed variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let smtp_url = SMTP_URL.string()?;
        let smtp = if smtp_url.trim().is_empty() {
            None
        } else {
            Some(SmtpTarget::parse(&smtp_url).map_err(|e| SMTP_URL.malformed(e))?)
        };
        let smtp_ca = read_ca_file(&SMTP_CA_FILE)?;
        if smtp_ca.is_some() && smtp.is_none() {
            return Err(SMTP_CA_FILE.malformed("set, but SMTP_URL is empty"));
        }
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
        let prefetch: u16 = PREFETCH.parse()?;
        if prefetch == 0 {
            return Err(PREFETCH.malformed("must be at least 1"));
        }
        Ok(Self {
            common: Common::from_env()?,
            http_addr: HTTP_ADDR.parse()?,
            smtp,
            smtp_ca,
            mail_dir: PathBuf::from(MAIL_DIR.string()?),
            mail_from: MAIL_FROM.parse()?,
            ics_organizer: ICS_ORGANIZER.string()?,
            smtp_pool_size: SMTP_POOL_SIZE.parse()?,
            smtp_timeouts: Timeouts {
                command: SMTP_TIMEOUT_SECS.seconds()?,
                end_of_data: SMTP_DATA_TIMEOUT_SECS.seconds()?,
            },
            prefetch,
            retry_delays_ms,
            database_max_connections: DATABASE_MAX_CONNECTIONS.parse()?,
            link_keys: convene_shared::sealed::LinkKeys::from_env()?,
        })
    }
}
