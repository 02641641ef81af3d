//! The registration service's HTTP interface: the participant's HTML pages, the public and
//! admin JSON API, and the health routes. Each handler reads top to bottom in steps:
//! parse the input into domain values, run one action, answer.

mod admin;
mod cosponsor;
mod error;
mod events;
mod extract;
mod manage;
mod pages;
mod personal_data;
pub mod rate_limit;
mod register;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use convene_shared::health::{self, Readiness};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::config::Settings;

pub use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    /// Wakes the outbox relay as soon as a transaction with a message commits.
    pub relay: Arc<Notify>,
    pub rate_limiter: Arc<rate_limit::RateLimiter>,
}

impl AppState {
    /// Call after committing an outbox row.
    pub fn announce(&self) {
        self.relay.notify_one();
    }
}

/// Every route of the service.
pub fn router(state: AppState, readiness: Readiness) -> Router {
    let body_limit = state.settings.max_body_bytes;
    let admin = Router::new()
        .route("/api/admin/events", post(admin::create_event))
        .route(
            "/api/admin/personal-data",
            get(personal_data::export).delete(personal_data::erase),
        );
    // Everything anyone can reach without a token is rate-limited per client.
    let public = Router::new()
        .route("/api/events", get(events::list))
        .route("/api/events/{slug}", get(events::show))
        .route(
            "/api/events/{slug}/registrations",
            post(register::submit_json),
        )
        .route(
            "/api/events/{slug}/cosponsor-offers",
            post(cosponsor::submit_json),
        )
        .route("/events/{slug}", get(events::page))
        .route(
            "/events/{slug}/register",
            get(register::form).post(register::submit_form),
        )
        .route("/events/{slug}/registered", get(register::registered))
        .route(
            "/events/{slug}/cosponsor",
            get(cosponsor::form).post(cosponsor::submit_form),
        )
        .route("/registrations/{token}", get(manage::page))
        .route("/registrations/{token}/cancel", post(manage::cancel))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit,
        ));
    admin
        .merge(public)
        .fallback(|| async { pages::MessagePage::not_found() })
        .with_state(state)
        .merge(health::routes(readiness))
        .layer(DefaultBodyLimit::max(body_limit))
}
