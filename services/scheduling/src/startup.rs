//! Building and running the scheduling service.

use std::sync::Arc;

use anyhow::Context as _;
use convene_shared::broker::BrokerHealth;
use convene_shared::consumer::{self, ConsumerConfig};
use convene_shared::health::{self, Readiness};
use convene_shared::outbox::Relay;
use convene_shared::shutdown::Shutdown;
use convene_shared::{db, topology};
use sqlx::migrate::Migrator;
use sqlx::PgPool;

use crate::config::Settings;
use crate::inbox::Inbox;
use crate::reminders;

/// This service's migrations, applied in its own schema at start.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");
/// The Postgres schema this service owns.
pub const SCHEMA: &str = "scheduling";

/// A built service.
pub struct Application {
    settings: Settings,
    listener: tokio::net::TcpListener,
    pool: PgPool,
}

impl Application {
    /// Connects to Postgres and RabbitMQ (bounded wait), applies migrations, declares the
    /// topology and binds the health port.
    ///
    /// # Errors
    /// A one-line reason.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = db::connect(
            &settings.common.database_url,
            SCHEMA,
            settings.database_max_connections,
            settings.common.startup_timeout,
        )
        .await?;
        db::migrate(&pool, SCHEMA, &MIGRATOR).await?;
        let conn = settings
            .common
            .broker
            .connect_within(settings.common.startup_timeout)
            .await?;
        let channel = conn.create_channel().await?;
        topology::SCHEDULING_INBOX
            .declare(&channel, &settings.retry_delays_ms)
            .await
            .context("declaring the scheduling queues")?;
        let _ = conn.close(200, "start-up check".into()).await;
        let listener = tokio::net::TcpListener::bind(settings.http_addr)
            .await
            .with_context(|| format!("cannot listen on HTTP_ADDR {}", settings.http_addr))?;
        Ok(Self {
            settings,
            listener,
            pool,
        })
    }

    /// Consumes, ticks and relays until `shutdown`.
    ///
    /// # Errors
    /// When the health server fails.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let consuming = BrokerHealth::default();
        let publishing = BrokerHealth::default();
        let readiness = Readiness {
            pool: self.pool.clone(),
            migrator: &MIGRATOR,
            brokers: Arc::new(vec![consuming.clone(), publishing.clone()]),
            outbox: true,
        };
        convene_shared::metrics::expect_reminders();
        let relay = Relay::new(
            self.pool.clone(),
            self.settings.common.broker.clone(),
            publishing,
        );
        let config = ConsumerConfig {
            inbox: topology::SCHEDULING_INBOX,
            prefetch: self.settings.prefetch,
            retry_delays_ms: self.settings.retry_delays_ms.clone(),
            dead_letter_ttl: self.settings.common.dead_letter_ttl,
        };
        let inbox = Arc::new(Inbox::new(
            self.pool.clone(),
            self.settings.common.broker.clone(),
            usize::from(self.settings.prefetch),
        ));
        let tasks = [
            tokio::spawn(consumer::run(
                self.settings.common.broker.clone(),
                config,
                inbox,
                consuming,
                shutdown.clone(),
            )),
            tokio::spawn(reminders::run(
                self.pool.clone(),
                self.settings.schedule.clone(),
                self.settings.retention_days,
                self.settings.follow_up_delay,
                relay.waker(),
                shutdown.clone(),
            )),
            tokio::spawn(crate::digests::run(
                self.pool.clone(),
                self.settings.digest_schedule.clone(),
                relay.waker(),
                shutdown.clone(),
            )),
            tokio::spawn(relay.run(shutdown.clone())),
        ];
        tracing::info!(addr = %self.listener.local_addr()?, "scheduling service running");
        health::serve(
            self.listener,
            health::routes(readiness),
            shutdown,
            self.settings.common.http,
        )
        .await?;
        for task in tasks {
            task.await.context("a scheduling task panicked")?;
        }
        Ok(())
    }
}
