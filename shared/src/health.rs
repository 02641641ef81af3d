//! `GET /healthz` (the process is alive), `GET /readyz` (it can do its work: Postgres
//! answers, its migrations are applied, and its RabbitMQ connections are up) and
//! `GET /metrics` (Prometheus, see [`crate::metrics`]), and serving a service's router with
//! every request counted and logged under a correlation id.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
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
    /// Whether this service publishes through an outbox (in `pool`'s schema): `/metrics`
    /// then reports its backlog.
    pub outbox: bool,
}

/// The health and metrics routes, ready to merge into a service's router.
pub fn routes<S: Clone + Send + Sync + 'static>(readiness: Readiness) -> Router<S> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz).with_state(readiness.clone()))
        .route("/metrics", get(metrics).with_state(readiness))
}

async fn metrics(State(r): State<Readiness>) -> impl IntoResponse {
    let outbox = r.outbox.then_some(&r.pool);
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::render(outbox).await,
    )
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
/// Every request is counted in the metrics and runs inside a span carrying a fresh
/// correlation id (see [`crate::telemetry::trace_http`]).
///
/// # Errors
/// When the server fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: crate::shutdown::Shutdown,
) -> std::io::Result<()> {
    // Layered here, once, so that every service has them; the last layer runs first, so
    // the metrics middleware already runs inside the request's span.
    let router = router
        .layer(middleware::from_fn(crate::metrics::track_http))
        .layer(middleware::from_fn(crate::telemetry::trace_http));
    // Small answers leave at once: without TCP_NODELAY a response written in two parts
    // can wait for the client's delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
    });
    // Handlers that need the peer's address (rate limiting) read it from ConnectInfo.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.wait().await })
    .await
}
