//! Building and running the notification service.

use std::sync::Arc;

use anyhow::Context as _;
use convene_shared::broker::BrokerHealth;
use convene_shared::consumer::{self, ConsumerConfig};
use convene_shared::health::{self, Readiness};
use convene_shared::shutdown::Shutdown;
use convene_shared::{db, topology};
use sqlx::migrate::Migrator;
use sqlx::PgPool;

use crate::config::Settings;
use crate::email::transport::Mailer;
use crate::inbox::Inbox;

/// This service's migrations, applied in its own schema at start.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");
/// The Postgres schema this service owns.
pub const SCHEMA: &str = "notification";

/// A built service, ready to consume and serve its health endpoints.
pub struct Application {
    settings: Settings,
    listener: tokio::net::TcpListener,
    pool: PgPool,
    mailer: Mailer,
}

impl Application {
    /// Connects to Postgres and RabbitMQ (bounded wait), applies migrations, declares the
    /// topology and binds the health port. An SMTP server that is down is not an error
    /// here: messages wait in the queue and are retried.
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
        // Links stored plain by an older version, or under a rotated key, sealed anew.
        let resealed = crate::store::sealing::reseal(&pool, &settings.link_keys)
            .await
            .context("sealing stored links under LINK_KEY")?;
        if resealed != crate::store::sealing::Resealed::default() {
            tracing::info!(
                sealed = resealed.sealed,
                unopened = resealed.unopened,
                "stored links sealed under the current LINK_KEY"
            );
        }
        let conn = settings
            .common
            .broker
            .connect_within(settings.common.startup_timeout)
            .await?;
        let channel = conn.create_channel().await?;
        topology::NOTIFICATION_INBOX
            .declare(&channel, &settings.retry_delays_ms)
            .await
            .context("declaring the notification queues")?;
        let _ = conn.close(200, "start-up check".into()).await;

        let mailer = match &settings.smtp {
            Some(target) => Mailer::smtp(
                target.clone(),
                settings.smtp_ca.as_deref(),
                settings.smtp_pool_size,
                settings.smtp_timeouts,
            )?,
            None => {
                tracing::info!(dir = %settings.mail_dir.display(), "no SMTP_URL: emails are written as .eml files");
                Mailer::files(settings.mail_dir.clone())?
            }
        };
        let listener = tokio::net::TcpListener::bind(settings.http_addr)
            .await
            .with_context(|| format!("cannot listen on HTTP_ADDR {}", settings.http_addr))?;
        Ok(Self {
            settings,
            listener,
            pool,
            mailer,
        })
    }

    /// Consumes until `shutdown`, then lets in-flight emails finish.
    ///
    /// # Errors
    /// When the health server fails.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let health = BrokerHealth::default();
        let readiness = Readiness {
            pool: self.pool.clone(),
            migrator: &MIGRATOR,
            brokers: Arc::new(vec![health.clone()]),
            outbox: false,
        };
        convene_shared::metrics::expect_emails(&crate::email::KINDS);
        let organizer = if self.settings.ics_organizer.trim().is_empty() {
            self.settings.mail_from.email.to_string()
        } else {
            self.settings.ics_organizer.trim().to_owned()
        };
        let questions = tokio::spawn(convene_shared::requests::serve(
            self.settings.common.broker.clone(),
            topology::NOTIFICATION_REQUESTS,
            Arc::new(crate::personal_data::Exports {
                pool: self.pool.clone(),
                mailer: self.mailer.clone(),
            }),
            shutdown.clone(),
        ));
        let inbox = Inbox::new(
            self.pool.clone(),
            self.mailer,
            self.settings.common.broker.clone(),
            self.settings.mail_from.clone(),
            organizer,
            self.settings.smtp_pool_size as usize,
            self.settings.link_keys.clone(),
        );
        let config = ConsumerConfig {
            inbox: topology::NOTIFICATION_INBOX,
            prefetch: self.settings.prefetch,
            retry_delays_ms: self.settings.retry_delays_ms.clone(),
            dead_letter_ttl: self.settings.common.dead_letter_ttl,
        };
        let consumer = tokio::spawn(consumer::run(
            self.settings.common.broker.clone(),
            config,
            inbox,
            health,
            shutdown.clone(),
        ));
        tracing::info!(addr = %self.listener.local_addr()?, "notification service running");
        health::serve(
            self.listener,
            health::routes(readiness),
            shutdown,
            self.settings.common.http,
        )
        .await?;
        consumer.await.context("the consumer panicked")?;
        questions.await.context("answering questions panicked")?;
        Ok(())
    }
}
