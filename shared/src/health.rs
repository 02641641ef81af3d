//! `GET /healthz` (the process is alive) and `GET /readyz` (it can do its work: Postgres
//! answers, its migrations are applied, and its RabbitMQ connections are up).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
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

/// Serves `router` on `addr` until `shutdown`, then lets in-flight requests finish.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: crate::shutdown::Shutdown,
) -> std::io::Result<()> {
    // Handlers that need the peer's address (rate limiting) read it from ConnectInfo.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.wait().await })
    .await
}
