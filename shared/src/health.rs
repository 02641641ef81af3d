//! `GET /healthz` (the process is alive) and `GET /readyz` (it can do its work: Postgres
//! answers, its migrations are applied, and its RabbitMQ connections are up), and serving
//! a service's router with every request logged under a correlation id.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{middleware, Json, Router};
use serde_json::json;
use sqlx::migrate::Migrator;
use sqlx::PgPool;

use crate::broker::BrokerHealth;

/// What `/readyz` checks.
#[derive(Clone)]
pub struct Readiness {
    pub pool: PgPool,
    pub migrator: &'static Migrator,
    /// Every broker loop of the process; all must be up.
    pub brokers: Arc<Vec<BrokerHealth>>,
}

/// The two health routes, ready to merge into a service's router.
pub fn routes<S: Clone + Send + Sync + 'static>(readiness: Readiness) -> Router<S> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz).with_state(readiness))
}

async fn readyz(State(r): State<Readiness>) -> (StatusCode, Json<serde_json::Value>) {
    let database = crate::db::ready(&r.pool, r.migrator).await;
    let broker = r.brokers.iter().all(BrokerHealth::is_up);
    let status = if database && broker {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "database": database, "broker": broker })),
    )
}

/// Serves `router` on `listener` until `shutdown`, then lets in-flight requests finish.
/// Every request runs inside a span carrying a fresh correlation id (see
/// [`crate::telemetry::trace_http`]).
///
/// # Errors
/// When the server fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: crate::shutdown::Shutdown,
) -> std::io::Result<()> {
    // Layered here, once, so that every service has it.
    let router = router.layer(middleware::from_fn(crate::telemetry::trace_http));
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}
