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
    help: "Bearer token for /api/admin/*; at least 16 characters.",
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

/// Every variable this service reads besides the common ones.
pub const VARS: &[Var] = &[
    HTTP_ADDR,
    ADMIN_TOKEN,
    PUBLIC_BASE_URL,
    SEED_DEMO,
    DATABASE_MAX_CONNECTIONS,
    MAX_BODY_BYTES,
];

/// The registration service's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub common: Common,
    pub http_addr: std::net::SocketAddr,
    pub admin_token: String,
    pub public_base_url: String,
    pub seed_demo: bool,
    pub database_max_connections: u32,
    pub max_body_bytes: usize,
}

impl Settings {
    /// # Errors
    /// The first missing or malformed variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let admin_token = ADMIN_TOKEN.string()?;
        if admin_token.trim().len() < 16 {
            return Err(ADMIN_TOKEN.malformed("use at least 16 characters"));
        }
        let public_base_url = PUBLIC_BASE_URL.string()?;
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(PUBLIC_BASE_URL.malformed("expected http://… or https://…"));
        }
        Ok(Self {
            common: Common::from_env()?,
            http_addr: HTTP_ADDR.parse()?,
            admin_token: admin_token.trim().to_owned(),
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            seed_demo: SEED_DEMO.parse()?,
            database_max_connections: DATABASE_MAX_CONNECTIONS.parse()?,
            max_body_bytes: MAX_BODY_BYTES.parse()?,
        })
    }
}
