//! Building and running the registration service: the same [`Application::build`] serves
//! `main` and the tests.

use std::sync::Arc;

use anyhow::Context as _;
use convene_shared::broker::{Broker, BrokerHealth};
use convene_shared::consumer::{self, ConsumerConfig};
use convene_shared::health::Readiness;
use convene_shared::outbox::Relay;
use convene_shared::shutdown::Shutdown;
use convene_shared::{db, topology};
use sqlx::migrate::Migrator;
use sqlx::PgPool;

use crate::config::Settings;
use crate::demo;
use crate::http::{self, AppState};
use crate::inbox::Inbox;

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
    /// How the inbox consumer fares (for `/readyz`).
    consuming: BrokerHealth,
    broker: Broker,
    http_limits: convene_shared::health::HttpLimits,
    dead_letter_ttl: std::time::Duration,
    offer_check: std::time::Duration,
    invitation_reminder_after: std::time::Duration,
    digest_hour: u32,
    public_base_url: String,
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
        let probe = settings
            .common
            .broker
            .connect_within(settings.common.startup_timeout)
            .await?;
        let _ = probe.close(200, "start-up check".into()).await;

        if settings.seed_demo {
            demo::seed(&pool)
                .await
                .context("creating the demo exchange")?;
        }

        // The relay publishes, the inbox consumer consumes: both must be up to be ready;
        // each sets its own once connected (until then, not ready).
        let publishing = BrokerHealth::default();
        let consuming = BrokerHealth::default();
        let relay = Relay::new(
            pool.clone(),
            settings.common.broker.clone(),
            publishing.clone(),
        );
        let readiness = Readiness {
            pool: pool.clone(),
            migrator: &MIGRATOR,
            brokers: Arc::new(vec![publishing, consuming.clone()]),
            outbox: true,
        };
        convene_shared::metrics::expect_registrations();
        convene_shared::metrics::expect_admin_auth();
        let rate_limiter = Arc::new(crate::http::rate_limit::RateLimiter::new(
            settings.rate_limit_per_minute,
            settings.trusted_proxies.clone(),
        ));
        let state = AppState {
            pool: pool.clone(),
            settings: Arc::new(settings.clone()),
            relay: relay.waker(),
            rate_limiter,
            answer_pace: Arc::default(),
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
            consuming,
            broker: settings.common.broker.clone(),
            http_limits: settings.common.http,
            dead_letter_ttl: settings.common.dead_letter_ttl,
            offer_check: settings.offer_check,
            invitation_reminder_after: settings.invitation_reminder_after,
            digest_hour: settings.digest_hour,
            public_base_url: settings.public_base_url.clone(),
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
        let inbox = Arc::new(Inbox {
            pool: self.pool.clone(),
            relay: self.relay.waker(),
            digest_hour: self.digest_hour,
            public_base_url: self.public_base_url,
        });
        let config = ConsumerConfig {
            inbox: topology::REGISTRATION_INBOX,
            prefetch: 4,
            retry_delays_ms: vec![1_000, 10_000, 60_000],
            dead_letter_ttl: self.dead_letter_ttl,
        };
        let consumer = tokio::spawn(consumer::run(
            self.broker,
            config,
            inbox,
            self.consuming,
            shutdown.clone(),
        ));
        let sweeper = tokio::spawn(crate::actions::deadlines::run_deadlines(
            self.pool.clone(),
            self.offer_check,
            self.invitation_reminder_after,
            self.relay.waker(),
            shutdown.clone(),
        ));
        let relay = tokio::spawn(self.relay.run(shutdown.clone()));
        convene_shared::health::serve(self.listener, self.router, shutdown, self.http_limits)
            .await?;
        relay.await.context("the outbox relay panicked")?;
        sweeper.await.context("the deadlines task panicked")?;
        consumer.await.context("the consumer panicked")?;
        Ok(())
    }
}
