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

/// What one HTTP server lets a client take (`HTTP_REQUEST_TIMEOUT_SECS`,
/// `HTTP_MAX_CONNECTIONS`).
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// To send a request's headers; and to have it answered, its body included.
    pub request_timeout: std::time::Duration,
    /// Connections served at once; the next waits in the kernel's accept queue.
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `shutdown`, then lets in-flight requests finish.
/// Every request is counted in the metrics and runs inside a span carrying a fresh
/// correlation id (see [`crate::telemetry::trace_http`]).
///
/// Our own accept loop rather than `axum::serve`, which sets no timer: a client sending
/// its headers a byte a second held a connection (and its memory) for as long as it
/// liked, and enough of them took every file descriptor. Here hyper cuts off headers not
/// complete within `limits.request_timeout`, a request not answered within it (a body
/// trickling in) gets `408`, and at most `limits.max_connections` are served at once.
///
/// # Errors
/// Never at present: a failed accept (out of file descriptors) is logged and retried.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: crate::shutdown::Shutdown,
    limits: HttpLimits,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt as _;

    // Layered here, once, so that every service has them; the last layer runs first, so
    // the metrics middleware already runs inside the request's span, and a request cut
    // off by the timeout is still counted and logged.
    let router = router
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn(crate::metrics::track_http))
        .layer(middleware::from_fn(crate::telemetry::trace_http));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout);
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = async {
                let permit = permits.clone().acquire_owned().await.expect("never closed");
                (permit, listener.accept().await)
            } => accepted,
            () = shutdown.wait() => break,
        };
        let (permit, (tcp, peer)) = match accepted {
            (permit, Ok(connection)) => (permit, connection),
            (_, Err(e)) => {
                // Out of file descriptors, usually: wait a little rather than spin.
                tracing::warn!(error = %e, "cannot accept an HTTP connection");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        // Small answers leave at once: without TCP_NODELAY a response written in two parts
        // can wait for the client's delayed ACK.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
        // Handlers that need the peer's address (rate limiting) read it from ConnectInfo.
        let service = router.clone().map_request(
            move |request: axum::http::Request<hyper::body::Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        );
        let connection = builder
            .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "HTTP connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
