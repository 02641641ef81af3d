//! Building and running the registration service: the same [`Application::build`] serves
//! `main` and the tests.

use std::sync::Arc;

use anyhow::Context as _;
use convene_shared::broker::{self, BrokerHealth};
use convene_shared::db;
use convene_shared::health::Readiness;
use convene_shared::outbox::Relay;
use convene_shared::shutdown::Shutdown;
use sqlx::migrate::Migrator;
use sqlx::PgPool;

use crate::config::Settings;
use crate::demo;
use crate::http::{self, AppState};

/// This service's migrations, applied in its own schema at start.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");
/// The Postgres schema this service owns.
pub const SCHEMA: &str = "registration";

/// A built service, bound to its port, not yet serving.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: axum::Router,
    relay: Relay,
    pub pool: PgPool,
}

impl Application {
    /// Connects to Postgres and RabbitMQ (waiting up to the start-up timeout for each),
    /// applies migrations, seeds the demo exchange if asked, and binds the HTTP port.
    ///
    /// # Errors
    /// A one-line reason: a dependency unreachable, a migration failing, the port taken.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = db::connect(
            &settings.common.database_url,
            SCHEMA,
            settings.database_max_connections,
            settings.common.startup_timeout,
        )
        .await?;
        db::migrate(&pool, SCHEMA, &MIGRATOR).await?;
        // Prove RabbitMQ is reachable now; the relay keeps its own connection afterwards.
        let probe =
            broker::connect_within(&settings.common.amqp_url, settings.common.startup_timeout)
                .await?;
        let _ = probe.close(200, "start-up check".into()).await;

        if settings.seed_demo {
            demo::seed(&pool)
                .await
                .context("creating the demo exchange")?;
        }

        // Set by the relay once it is connected: until then, not ready.
        let health = BrokerHealth::default();
        let relay = Relay::new(
            pool.clone(),
            settings.common.amqp_url.clone(),
            health.clone(),
        );
        let readiness = Readiness {
            pool: pool.clone(),
            migrator: &MIGRATOR,
            brokers: Arc::new(vec![health]),
        };
        let state = AppState {
            pool: pool.clone(),
            settings: Arc::new(settings.clone()),
            relay: relay.waker(),
        };
        let router = http::router(state, readiness);
        let listener = tokio::net::TcpListener::bind(settings.http_addr)
            .await
            .with_context(|| format!("cannot listen on HTTP_ADDR {}", settings.http_addr))?;
        Ok(Self {
            listener,
            router,
            relay,
            pool,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown`; then finishes in-flight requests and publishes what they
    /// committed before returning.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(addr = %self.listener.local_addr()?, "registration service listening");
        let relay = tokio::spawn(self.relay.run(shutdown.clone()));
        convene_shared::health::serve(self.listener, self.router, shutdown).await?;
        relay.await.context("the outbox relay panicked")?;
        Ok(())
    }
}
