//! Prometheus metrics: one registry per process, served as `GET /metrics` (the Prometheus
//! text format) by every service's health router, next to `/healthz` and `/readyz`.
//!
//! What each service reports (all names start with `convene_`):
//! - every service: HTTP requests by route and status, with latency; messages consumed,
//!   retried and dead-lettered by queue (the services that consume);
//! - the services with an outbox (registration, scheduling): messages published by kind,
//!   and the outbox's backlog and the age of its oldest row, read from Postgres at scrape
//!   time (see [`render`]);
//! - registration: registrations by outcome;
//! - notification: emails sent and failed by kind, reminders sent and skipped;
//! - scheduling: reminders due, and how late each was decided.
//!
//! Labels only ever take values from small fixed sets — route *templates* such as
//! `/registrations/{token}` (never the raw path, which holds a secret token), queue names,
//! message kinds, outcomes — so the number of series stays small and nothing personal is
//! exported. A series that a service will report starts at 0 (the `expect_*` functions):
//! Prometheus's `increase()` and alerts then see the first event too.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder as _, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use sqlx::PgPool;

use crate::consumer::Failure;

/// The `Content-Type` of `GET /metrics`.
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

/// A reminder decided more than this after its due time counts as late. The default
/// `SCHEDULE` looks every minute, so a healthy scheduler decides within about a minute; a
/// late reminder means the scheduler was down or could not keep up.
pub const LATE_AFTER: Duration = Duration::from_secs(5 * 60);

/// How a registration attempt ended (`convene_registrations_total{outcome}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationOutcome {
    /// A new seat, or a cancelled one taken again: a confirmation email is on its way.
    Created,
    /// The exchange (or the person's country) was full: on the waiting list.
    Waitlisted,
    /// The exchange requires approval: waiting for the organisers.
    Pending,
    /// The exchange asks participants to confirm their address: no seat until they open
    /// the emailed link.
    Unconfirmed,
    /// The address was already registered: nothing changed.
    AlreadyRegistered,
    /// Outside the registration window, or the exchange was cancelled.
    Closed,
    /// The input did not validate (the person is shown what to fix).
    Invalid,
    /// The form's hidden field was filled in: a bot, told it worked, nothing stored.
    Spam,
    /// Postgres failed: the person saw an error.
    Failed,
}

impl RegistrationOutcome {
    pub const ALL: [Self; 9] = [
        Self::Created,
        Self::Waitlisted,
        Self::Pending,
        Self::Unconfirmed,
        Self::AlreadyRegistered,
        Self::Closed,
        Self::Invalid,
        Self::Spam,
        Self::Failed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::AlreadyRegistered => "already_registered",
            Self::Waitlisted => "waitlisted",
            Self::Pending => "pending",
            Self::Unconfirmed => "unconfirmed",
            Self::Closed => "closed",
            Self::Invalid => "invalid",
            Self::Spam => "spam",
            Self::Failed => "failed",
        }
    }
}

/// Why notification did not send a reminder (`convene_reminders_skipped_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderSkipped {
    /// The participant cancelled after the reminder was decided.
    Cancelled,
    /// The exchange started before the reminder could be sent.
    Started,
}

impl ReminderSkipped {
    pub const ALL: [Self; 2] = [Self::Cancelled, Self::Started];

    pub fn label(self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::Started => "started",
        }
    }
}

/// Every metric of the process, registered once in one registry.
struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    registrations: IntCounterVec,
    published: IntCounterVec,
    consumed: IntCounterVec,
    retried: IntCounterVec,
    dead_lettered: IntCounterVec,
    emails_sent: IntCounterVec,
    emails_failed: IntCounterVec,
    reminders_due: IntCounterVec,
    reminders_late: IntCounterVec,
    reminder_lateness: HistogramVec,
    reminders_sent: IntCounterVec,
    reminders_skipped: IntCounterVec,
    admin_auth_failures: IntCounterVec,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let counter = IntCounterVec::new(Opts::new(name, help).namespace("convene"), labels)
        .expect("a valid counter definition");
    registry
        .register(Box::new(counter.clone()))
        .expect("each metric is registered once");
    counter
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> HistogramVec {
    let histogram = HistogramVec::new(
        HistogramOpts::new(name, help)
            .namespace("convene")
            .buckets(buckets.to_vec()),
        labels,
    )
    .expect("a valid histogram definition");
    registry
        .register(Box::new(histogram.clone()))
        .expect("each metric is registered once");
    histogram
}

impl Metrics {
    fn new() -> Self {
        let r = Registry::new();
        Self {
            admin_auth_failures: counter(
                &r,
                "admin_auth_failures_total",
                "Admin API requests refused for a missing or wrong bearer token (someone guessing?).",
                &[],
            ),
            http_requests: counter(
                &r,
                "http_requests_total",
                "HTTP requests answered, by route template, method and status code.",
                &["route", "method", "status"],
            ),
            http_duration: histogram(
                &r,
                "http_request_duration_seconds",
                "Time to answer an HTTP request, by route template and method.",
                &["route", "method"],
                prometheus::DEFAULT_BUCKETS,
            ),
            registrations: counter(
                &r,
                "registrations_total",
                "Registration attempts (form and JSON), by outcome.",
                &["outcome"],
            ),
            published: counter(
                &r,
                "messages_published_total",
                "Messages the outbox relay published and RabbitMQ confirmed, by kind (routing key).",
                &["kind"],
            ),
            consumed: counter(
                &r,
                "messages_consumed_total",
                "Deliveries taken from an inbox queue and handled (whatever the outcome), by queue.",
                &["queue"],
            ),
            retried: counter(
                &r,
                "messages_retried_total",
                "Messages that failed transiently and were moved to a retry queue, by inbox queue.",
                &["queue"],
            ),
            dead_lettered: counter(
                &r,
                "messages_dead_lettered_total",
                "Messages the consumer moved to <queue>.dead (permanent failure or out of retries), by inbox queue.",
                &["queue"],
            ),
            emails_sent: counter(
                &r,
                "emails_sent_total",
                "Emails the SMTP server accepted (or written as files), by kind.",
                &["kind"],
            ),
            emails_failed: counter(
                &r,
                "emails_failed_total",
                "Attempts to send an email that failed, by kind and whether it will be retried (transient) or not (permanent).",
                &["kind", "failure"],
            ),
            reminders_due: counter(
                &r,
                "reminders_due_total",
                "Reminders the scheduler decided were due and announced (reminder.due).",
                &[],
            ),
            reminders_late: counter(
                &r,
                "reminders_late_total",
                "Reminders decided more than 5 minutes after their due time (start minus offset).",
                &[],
            ),
            reminder_lateness: histogram(
                &r,
                "reminder_lateness_seconds",
                "How long after its due time (start minus offset) each reminder was decided.",
                &[],
                &[
                    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0,
                ],
            ),
            reminders_sent: counter(
                &r,
                "reminders_sent_total",
                "Reminder emails the SMTP server accepted.",
                &[],
            ),
            reminders_skipped: counter(
                &r,
                "reminders_skipped_total",
                "Reminders not sent, by reason (cancelled, started).",
                &["reason"],
            ),
            registry: r,
        }
    }
}

/// Counts one answered HTTP request.
pub fn http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    let m = &*METRICS;
    m.http_requests
        .with_label_values(&[route, method, &status.to_string()])
        .inc();
    m.http_duration
        .with_label_values(&[route, method])
        .observe(elapsed.as_secs_f64());
}

/// The `method` label of a request: one of HTTP's own methods, or `other`. Any client
/// may send any token as a method, and a label value that anyone can choose is a new time
/// series each: memory growing without bound.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Middleware counting every request by route template, method and status, with its
/// latency. Layered by [`crate::health::serve`], so every service has it.
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = crate::telemetry::route_of(&request);
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    http_request(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Counts one registration attempt.
/// An admin request came with a missing or wrong token.
pub fn admin_auth_failure() {
    METRICS
        .admin_auth_failures
        .with_label_values(&[] as &[&str])
        .inc();
}

/// Makes the admin failure counter appear at 0 before the first failure.
pub fn expect_admin_auth() {
    let _ = METRICS
        .admin_auth_failures
        .with_label_values(&[] as &[&str]);
}

pub fn registration(outcome: RegistrationOutcome) {
    METRICS
        .registrations
        .with_label_values(&[outcome.label()])
        .inc();
}

/// Makes every registration outcome visible at 0 (registration calls it at start).
pub fn expect_registrations() {
    for outcome in RegistrationOutcome::ALL {
        METRICS.registrations.with_label_values(&[outcome.label()]);
    }
}

/// Counts one message published and confirmed by the outbox relay.
pub fn published(kind: &str) {
    METRICS.published.with_label_values(&[kind]).inc();
}

/// Counts one delivery taken from `queue`.
pub fn consumed(queue: &str) {
    METRICS.consumed.with_label_values(&[queue]).inc();
}

/// Counts one message moved to one of `queue`'s retry queues.
pub fn retried(queue: &str) {
    METRICS.retried.with_label_values(&[queue]).inc();
}

/// Counts one message moved to `queue`'s dead-letter queue.
pub fn dead_lettered(queue: &str) {
    METRICS.dead_lettered.with_label_values(&[queue]).inc();
}

/// Makes the consumer counters of `queue` visible at 0 (the consumer calls it at start).
pub fn expect_queue(queue: &str) {
    let m = &*METRICS;
    m.consumed.with_label_values(&[queue]);
    m.retried.with_label_values(&[queue]);
    m.dead_lettered.with_label_values(&[queue]);
}

/// Counts one email accepted by the SMTP server (or written to a file).
pub fn email_sent(kind: &str) {
    METRICS.emails_sent.with_label_values(&[kind]).inc();
}

/// Counts one failed attempt to send an email.
pub fn email_failed(kind: &str, failure: &Failure) {
    let class = match failure {
        // A dependency being down is retried like any transient failure.
        Failure::Transient(_) | Failure::Unavailable(_) => "transient",
        Failure::Permanent(_) => "permanent",
    };
    METRICS
        .emails_failed
        .with_label_values(&[kind, class])
        .inc();
}

/// Makes the email and reminder counters of notification visible at 0, for each kind of
/// email it sends (notification calls it at start).
pub fn expect_emails(kinds: &[&str]) {
    let m = &*METRICS;
    for kind in kinds {
        m.emails_sent.with_label_values(&[*kind]);
        for class in ["transient", "permanent"] {
            m.emails_failed.with_label_values(&[*kind, class]);
        }
    }
    m.reminders_sent.with_label_values::<&str>(&[]);
    for reason in ReminderSkipped::ALL {
        m.reminders_skipped.with_label_values(&[reason.label()]);
    }
}

/// Counts one reminder decided `lateness` after its due time; late beyond [`LATE_AFTER`].
pub fn reminder_due(lateness: Duration) {
    let m = &*METRICS;
    m.reminders_due.with_label_values::<&str>(&[]).inc();
    m.reminder_lateness
        .with_label_values::<&str>(&[])
        .observe(lateness.as_secs_f64());
    if is_late(lateness) {
        m.reminders_late.with_label_values::<&str>(&[]).inc();
    }
}

/// Whether a reminder decided `lateness` after its due time counts as late.
pub fn is_late(lateness: Duration) -> bool {
    lateness > LATE_AFTER
}

/// Makes the scheduler's reminder counters visible at 0 (scheduling calls it at start).
pub fn expect_reminders() {
    let m = &*METRICS;
    m.reminders_due.with_label_values::<&str>(&[]);
    m.reminders_late.with_label_values::<&str>(&[]);
    m.reminder_lateness.with_label_values::<&str>(&[]);
}

/// Counts one reminder email sent.
pub fn reminder_sent() {
    METRICS.reminders_sent.with_label_values::<&str>(&[]).inc();
}

/// Counts one reminder not sent.
pub fn reminder_skipped(reason: ReminderSkipped) {
    METRICS
        .reminders_skipped
        .with_label_values(&[reason.label()])
        .inc();
}

/// Every metric of this process in the Prometheus text format. With `outbox`, also the
/// outbox's backlog and the age of its oldest row, read now; when Postgres does not answer
/// those two are left out (an alert on their absence, or on `/readyz`, notices) rather
/// than reported stale.
pub async fn render(outbox: Option<&PgPool>) -> String {
    let mut families = METRICS.registry.gather();
    if let Some(pool) = outbox {
        match crate::outbox::backlog(pool).await {
            Ok((rows, oldest_age)) => {
                let scrape = Registry::new();
                let backlog = IntGauge::with_opts(
                    Opts::new(
                        "outbox_backlog_messages",
                        "Messages committed to the outbox and not yet confirmed by RabbitMQ.",
                    )
                    .namespace("convene"),
                )
                .expect("a valid gauge definition");
                backlog.set(rows);
                let age = Gauge::with_opts(
                    Opts::new(
                        "outbox_oldest_age_seconds",
                        "Age of the oldest message waiting in the outbox (0 when it is empty).",
                    )
                    .namespace("convene"),
                )
                .expect("a valid gauge definition");
                age.set(oldest_age);
                for gauge in [
                    Box::new(backlog) as Box<dyn prometheus::core::Collector>,
                    Box::new(age),
                ] {
                    scrape.register(gauge).expect("two distinct gauges");
                }
                families.extend(scrape.gather());
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox backlog for /metrics");
            }
        }
    }
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut text)
        .expect("encoding metrics as text cannot fail");
    String::from_utf8(text).expect("the text format is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_is_late_only_well_after_its_due_time() {
        assert!(!is_late(Duration::from_secs(59)));
        assert!(!is_late(LATE_AFTER));
        assert!(is_late(LATE_AFTER + Duration::from_secs(1)));
    }

    #[tokio::test]
    async fn counters_show_in_the_text_format_with_their_labels() {
        expect_registrations();
        registration(RegistrationOutcome::Created);
        http_request(
            "/registrations/{token}",
            "GET",
            200,
            Duration::from_millis(3),
        );
        let text = render(None).await;
        assert!(text.contains("# TYPE convene_registrations_total counter"));
        assert!(text.contains("convene_registrations_total{outcome=\"waitlisted\"} 0"));
        assert!(text.contains(
            "convene_http_requests_total{method=\"GET\",route=\"/registrations/{token}\",status=\"200\"} 1"
        ));
        assert!(text.contains("convene_http_request_duration_seconds_bucket{"));
    }

    #[tokio::test]
    async fn invented_methods_share_one_label() {
        use tower::ServiceExt as _;
        let app = axum::Router::new()
            .route("/probe-methods", axum::routing::any(|| async { "ok" }))
            .layer(axum::middleware::from_fn(track_http));
        for method in ["GET", "XYZZY", "BREW", "PROPFIND"] {
            let request = axum::http::Request::builder()
                .method(method)
                .uri("/probe-methods")
                .body(axum::body::Body::empty())
                .unwrap();
            app.clone().oneshot(request).await.unwrap();
        }
        let text = render(None).await;
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.starts_with("convene_http_requests_total{") && l.contains("/probe-methods")
            })
            .collect();
        assert!(
            lines.iter().any(|l| l.contains("method=\"GET\"")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("method=\"other\"") && l.ends_with(" 3")),
            "{lines:?}"
        );
        for invented in ["XYZZY", "BREW", "PROPFIND"] {
            assert!(!text.contains(invented), "{invented} became a label");
        }
    }
}
