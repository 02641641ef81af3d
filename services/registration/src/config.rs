//! The registration service's settings, all from environment variables (`--help` lists them).

use convene_shared::config::{Common, ConfigError, Var};

pub const HTTP_ADDR: Var = Var {
    name: "HTTP_ADDR",
    default: Some("127.0.0.1:8080"),
    help: "Address the HTTP server listens on (0.0.0.0:8080 in a container).",
};
pub const ADMIN_TOKEN: Var = Var {
    name: "ADMIN_TOKEN",
    default: None,
    help: "Bearer token(s) for /api/admin/*, each at least 16 characters. Several, comma-separated, are \
all valid (rotation). `TOKEN:slug1+slug2` limits a token to those exchanges.",
};
pub const RATE_LIMIT_PER_MINUTE: Var = Var {
    name: "RATE_LIMIT_PER_MINUTE",
    default: Some("120"),
    help: "Requests per minute one client may make to the public pages and API (429 beyond); 0 turns it off.",
};
pub const OFFER_CHECK_SECS: Var = Var {
    name: "OFFER_CHECK_SECS",
    default: Some("30"),
    help: "How often lapsed waiting-list offers are passed to the next in line.",
};
pub const EMAIL_CONFIRM_HOURS: Var = Var {
    name: "EMAIL_CONFIRM_HOURS",
    default: Some("48"),
    help:
        "For exchanges with confirm_email: hours a participant has to open the emailed link before \
their registration lapses (1 to 720). Until then it holds no seat.",
};
pub const OFFER_EMAILS_PER_HOUR: Var = Var {
    name: "OFFER_EMAILS_PER_HOUR",
    default: Some("10"),
    help: "Co-sponsorship offers per exchange in any hour that organisers are emailed about; beyond, an \
offer is stored (console, admin API, digest) but not emailed. 0: no limit.",
};
pub const INVITATION_REMINDER_HOURS: Var = Var {
    name: "INVITATION_REMINDER_HOURS",
    default: Some("72"),
    help: "Hours after an invitation at which an invitee who has not registered gets its one reminder \
(sooner, at half the time left, when registration closes earlier). Fractions allowed.",
};
pub const DIGEST_HOUR: Var = Var {
    name: "DIGEST_HOUR",
    default: Some("8"),
    help: "Hour of the day (0-23, in each organiser's time zone) from which their daily digest is sent; \
the scheduling service's DIGEST_SCHEDULE says how often that is checked.",
};
pub const TRUSTED_PROXIES: Var = Var {
    name: "TRUSTED_PROXIES",
    default: Some(""),
    help: "Comma-separated addresses or CIDR networks of reverse proxies whose X-Forwarded-For is believed.",
};
pub const PUBLIC_BASE_URL: Var = Var {
    name: "PUBLIC_BASE_URL",
    default: Some("http://127.0.0.1:8080"),
    help: "Where participants reach this service; links in emails start with it.",
};
pub const SEED_DEMO: Var = Var {
    name: "SEED_DEMO",
    default: Some("false"),
    help: "`true` creates a demo exchange (slug `demo`) at start if it does not exist.",
};
pub const DATABASE_MAX_CONNECTIONS: Var = Var {
    name: "DATABASE_MAX_CONNECTIONS",
    default: Some("10"),
    help: "Size of the Postgres connection pool.",
};
pub const MAX_BODY_BYTES: Var = Var {
    name: "MAX_BODY_BYTES",
    default: Some("65536"),
    help: "Largest request body accepted; larger ones get 413.",
};
pub const CONSOLE_ADMINS: Var = Var {
    name: "CONSOLE_ADMINS",
    default: Some(""),
    help: "Comma-separated email addresses that may sign in to the organisers' console (/console) and \
see every exchange; organisers and viewers of an exchange may sign in without being listed.",
};
pub const CONSOLE_LINK_MINUTES: Var = Var {
    name: "CONSOLE_LINK_MINUTES",
    default: Some("15"),
    help: "Minutes a console sign-in link works (once).",
};
pub const CONSOLE_SESSION_HOURS: Var = Var {
    name: "CONSOLE_SESSION_HOURS",
    default: Some("12"),
    help: "Hours without use after which a console session ends.",
};

/// Every variable this service reads besides the common ones.
pub const VARS: &[Var] = &[
    HTTP_ADDR,
    ADMIN_TOKEN,
    PUBLIC_BASE_URL,
    SEED_DEMO,
    DATABASE_MAX_CONNECTIONS,
    MAX_BODY_BYTES,
    RATE_LIMIT_PER_MINUTE,
    TRUSTED_PROXIES,
    OFFER_CHECK_SECS,
    OFFER_EMAILS_PER_HOUR,
    EMAIL_CONFIRM_HOURS,
    INVITATION_REMINDER_HOURS,
    DIGEST_HOUR,
    CONSOLE_ADMINS,
    CONSOLE_LINK_MINUTES,
    CONSOLE_SESSION_HOURS,
    convene_shared::sealed::LINK_KEY,
    convene_shared::sealed::LINK_KEY_PREVIOUS,
];

/// One valid admin token and what it may act on.
#[derive(Clone)]
pub struct AdminToken {
    pub secret: String,
    /// `None`: every exchange; otherwise only the exchanges with these slugs.
    pub slugs: Option<Vec<String>>,
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret, even in a debug dump of the settings.
        f.debug_struct("AdminToken")
            .field("secret", &"<redacted>")
            .field("slugs", &self.slugs)
            .finish()
    }
}

/// Parses `ADMIN_TOKEN`: `TOKEN[,TOKEN:slug1+slug2…]`.
///
/// # Errors
/// A token shorter than 16 characters, or an empty list.
pub fn parse_admin_tokens(raw: &str) -> Result<Vec<AdminToken>, String> {
    let tokens: Vec<AdminToken> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| match entry.split_once(':') {
            Some((secret, slugs)) => AdminToken {
                secret: secret.to_owned(),
                slugs: Some(
                    slugs
                        .split('+')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                ),
            },
            None => AdminToken {
                secret: entry.to_owned(),
                slugs: None,
            },
        })
        .collect();
    if tokens.is_empty() {
        return Err("give at least one token".to_owned());
    }
    if tokens.iter().any(|t| t.secret.len() < 16) {
        return Err("use at least 16 characters for each token".to_owned());
    }
    Ok(tokens)
}

/// The registration service's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub common: Common,
    pub http_addr: std::net::SocketAddr,
    pub admin_tokens: Vec<AdminToken>,
    pub public_base_url: String,
    pub seed_demo: bool,
    pub database_max_connections: u32,
    pub max_body_bytes: usize,
    pub rate_limit_per_minute: u32,
    pub offer_check: std::time::Duration,
    /// Offers per exchange per hour that organisers are emailed about (0: no limit).
    pub offer_emails_per_hour: u32,
    /// Hours an unconfirmed registration waits for its link to be opened.
    pub email_confirm_hours: u32,
    pub invitation_reminder_after: std::time::Duration,
    /// 0–23: organisers' digests go out from this hour of their day.
    pub digest_hour: u32,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Lower-case addresses that see every exchange in the console.
    pub console_admins: Vec<String>,
    /// How long a console sign-in link works.
    pub console_link_minutes: u32,
    /// How long a console session lasts without use.
    pub console_session_hours: u32,
    /// Seals the links and contacts that leave in messages (`LINK_KEY`).
    pub link_keys: convene_shared::sealed::LinkKeys,
}

/// Parses `CONSOLE_ADMINS`: comma-separated addresses, kept lower-case.
///
/// # Errors
/// An entry that is not an email address.
pub fn parse_console_admins(raw: &str) -> Result<Vec<String>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            convene_shared::values::Email::parse(entry)
                .map(|e| e.as_str().to_lowercase())
                .map_err(|m| format!("{entry:?}: {m}"))
        })
        .collect()
}

impl Settings {
    /// # Errors
    /// The first missing or malformed variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let admin_tokens =
            parse_admin_tokens(&ADMIN_TOKEN.string()?).map_err(|e| ADMIN_TOKEN.malformed(e))?;
        let public_base_url = PUBLIC_BASE_URL.string()?;
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(PUBLIC_BASE_URL.malformed("expected http://… or https://…"));
        }
        let reminder_hours: f64 = INVITATION_REMINDER_HOURS.parse()?;
        if !(0.0..=24.0 * 365.0).contains(&reminder_hours) {
            return Err(INVITATION_REMINDER_HOURS.malformed("expected hours from 0 to 8760"));
        }
        let email_confirm_hours: u32 = EMAIL_CONFIRM_HOURS.parse()?;
        if !(1..=24 * 30).contains(&email_confirm_hours) {
            return Err(EMAIL_CONFIRM_HOURS.malformed("expected hours from 1 to 720"));
        }
        let digest_hour: u32 = DIGEST_HOUR.parse()?;
        if digest_hour > 23 {
            return Err(DIGEST_HOUR.malformed("expected an hour from 0 to 23"));
        }
        let console_link_minutes: u32 = CONSOLE_LINK_MINUTES.parse()?;
        if !(1..=24 * 60).contains(&console_link_minutes) {
            return Err(CONSOLE_LINK_MINUTES.malformed("expected minutes from 1 to 1440"));
        }
        let console_session_hours: u32 = CONSOLE_SESSION_HOURS.parse()?;
        if !(1..=24 * 30).contains(&console_session_hours) {
            return Err(CONSOLE_SESSION_HOURS.malformed("expected hours from 1 to 720"));
        }
        Ok(Self {
            common: Common::from_env()?,
            http_addr: HTTP_ADDR.parse()?,
            admin_tokens,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            seed_demo: SEED_DEMO.parse()?,
            database_max_connections: DATABASE_MAX_CONNECTIONS.parse()?,
            max_body_bytes: MAX_BODY_BYTES.parse()?,
            rate_limit_per_minute: RATE_LIMIT_PER_MINUTE.parse()?,
            offer_check: OFFER_CHECK_SECS.seconds()?,
            offer_emails_per_hour: OFFER_EMAILS_PER_HOUR.parse()?,
            email_confirm_hours,
            invitation_reminder_after: std::time::Duration::from_secs_f64(reminder_hours * 3600.0),
            digest_hour,
            trusted_proxies: crate::http::rate_limit::parse_trusted_proxies(
                &TRUSTED_PROXIES.string()?,
            )
            .map_err(|e| TRUSTED_PROXIES.malformed(e))?,
            console_admins: parse_console_admins(&CONSOLE_ADMINS.string()?)
                .map_err(|e| CONSOLE_ADMINS.malformed(e))?,
            console_link_minutes,
            console_session_hours,
            link_keys: convene_shared::sealed::LinkKeys::from_env()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_tokens_some_limited() {
        let tokens =
            parse_admin_tokens("aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb:atd-2026+demo").unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].slugs, None);
        assert_eq!(
            tokens[1].slugs.as_deref(),
            Some(&["atd-2026".to_owned(), "demo".to_owned()][..])
        );
        assert!(parse_admin_tokens("short").is_err());
        assert!(parse_admin_tokens(" , ").is_err());
        assert!(
            !format!("{:?}", tokens[0]).contains("aaaa"),
            "secrets are not printed"
        );
    }

    #[test]
    fn console_admins_are_addresses_kept_lower_case() {
        assert_eq!(
            parse_console_admins(" Ana@UN.org, ,ben@example.org").unwrap(),
            vec!["ana@un.org".to_owned(), "ben@example.org".to_owned()]
        );
        assert!(parse_console_admins("").unwrap().is_empty());
        assert!(parse_console_admins("ana@un.org, not-an-address").is_err());
    }
}
