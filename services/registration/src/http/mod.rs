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
    Router::new()
        .route("/api/admin/events", post(admin::create_event))
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
        .fallback(|| async { pages::MessagePage::not_found() })
        .with_state(state)
        .merge(health::routes(readiness))
        .layer(DefaultBodyLimit::max(body_limit))
}
