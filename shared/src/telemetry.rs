//! Logging: human-readable by default, one JSON object per line with `LOG_FORMAT=json`,
//! and the correlation id that ties one person's action together across services.
//!
//! A registration's journey — the HTTP request, the outbox row, the publish, the consume,
//! the email — is logged by three processes. Each HTTP request gets a fresh
//! [`CorrelationId`] ([`trace_http`]) and runs inside a `request` span carrying it;
//! handlers put the same id into the envelope of the message they write, the relay logs
//! it when publishing and sends it as the AMQP header `correlation_id`, and the consumer
//! runs the handler inside a `message` span carrying it. So grepping for one id finds
//! every line of the journey in every service's log.
//!
//! Nothing personal is logged at the default level: code logs ids (registration, event,
//! message, correlation), never names, email addresses or tokens. Requests are logged by
//! route template (`/registrations/{token}`), never by their path.

use std::convert::Infallible;
use std::time::Instant;

use axum::extract::{FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;
use tracing_subscriber::{fmt, EnvFilter};
use uuid::Uuid;

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = fmt().with_env_filter(filter).with_target(true);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

/// The response header that tells a client its request's correlation id, so a person
/// reporting a problem can quote it and an operator find every log line about it.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Follows one person's action through every service's logs (the envelope's
/// `correlation_id`). A handler takes it as an extractor: the id of the request's span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CorrelationId(Uuid);

impl CorrelationId {
    /// A fresh id (UUID v7: ids sort by time, which helps when reading logs).
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for CorrelationId {
    fn default() -> Self {
        Self::new()
    }
}

impl From<CorrelationId> for Uuid {
    fn from(id: CorrelationId) -> Self {
        id.0
    }
}

impl std::fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CorrelationId {
    type Rejection = Infallible;

    /// The id [`trace_http`] gave this request; a fresh one outside it (never fails).
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Self>()
            .copied()
            .unwrap_or_else(Self::new))
    }
}

/// What requests that matched no route (the 404 fallback) are logged and counted under:
/// their raw paths could hold anything, tokens included.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The route template a request matched (`/registrations/{token}`), never its path (which
/// may hold a secret token); [`UNMATCHED_ROUTE`] when none matched.
pub fn route_of(request: &Request) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |p| p.as_str().to_owned())
}

/// Routes probed every few seconds by orchestrators and Prometheus: logged at `debug`, so
/// that they do not bury the requests people make.
const PROBE_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Middleware: gives the request a fresh [`CorrelationId`], runs it inside a `request`
/// span carrying the id and the route template, logs one line when it is answered, and
/// returns the id in the `X-Correlation-Id` header. Layered by [`crate::health::serve`].
pub async fn trace_http(mut request: Request, next: Next) -> Response {
    let id = CorrelationId::new();
    request.extensions_mut().insert(id);
    let route = route_of(&request);
    let method = crate::metrics::method_label(request.method());
    let span = tracing::info_span!("request", correlation_id = %id, route = %route);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if PROBE_ROUTES.contains(&route.as_str()) {
            tracing::debug!(method = %method, status, latency_ms, "request answered");
        } else {
            tracing::info!(method = %method, status, latency_ms, "request answered");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(CORRELATION_HEADER, value);
    }
    response
}

/// Replaces every email address in `text` with `<address>`, for error messages that come
/// from outside (an SMTP server's refusal often quotes the recipient) before they are
/// logged or stored in a dead letter's reason.
pub fn redact_addresses(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|piece| {
            let word = piece.trim_end();
            if word.contains('@') {
                format!("<address>{}", &piece[word.len()..])
            } else {
                piece.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redact_addresses("550 5.1.1 <amina@interior.example.sn>: Recipient address rejected"),
            "550 5.1.1 <address> Recipient address rejected"
        );
        assert_eq!(
            redact_addresses("451 try again later"),
            "451 try again later"
        );
    }
}
