//! The registration service's HTTP interface: the participant's HTML pages, the public and
//! admin JSON API, and the health routes. Each handler reads top to bottom in steps:
//! parse the input into domain values, run one action, answer.

mod admin;
mod attendance;
mod console;
mod cosponsor;
mod error;
mod events;
mod extract;
mod invitations;
mod join;
mod manage;
mod openapi;
mod organiser_settings;
mod organisers;
mod pace;
mod pages;
mod personal_data;
pub mod rate_limit;
mod register;
pub mod security;
mod survey;
pub use survey::closes_at as survey_closes_at;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{delete, get, patch, post, put, MethodRouter};
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
    /// How long a new registration takes here: repeats answer no sooner.
    pub answer_pace: Arc<pace::AnswerPace>,
}

impl AppState {
    /// Call after committing an outbox row.
    pub fn announce(&self) {
        self.relay.notify_one();
    }
}

/// The admin routes: `(method, path, handler)`. The router and the OpenAPI document's
/// sync test (`openapi.rs`) both read this table, so neither can gain a route alone.
fn admin_routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::POST, "/api/admin/events", post(admin::create_event)),
        (
            Method::PATCH,
            "/api/admin/events/{slug}",
            patch(admin::update_event),
        ),
        (
            Method::POST,
            "/api/admin/events/{slug}/cancel",
            post(admin::cancel_event),
        ),
        (
            Method::POST,
            "/api/admin/events/{slug}/invitations",
            post(invitations::create),
        ),
        (
            Method::GET,
            "/api/admin/events/{slug}/invitations",
            get(invitations::list),
        ),
        (
            Method::GET,
            "/api/admin/events/{slug}/registrations",
            get(organisers::registrations),
        ),
        (
            Method::GET,
            "/api/admin/events/{slug}/stats",
            get(organisers::stats),
        ),
        (
            Method::GET,
            "/api/admin/events/{slug}/survey",
            get(organisers::survey),
        ),
        (
            Method::PUT,
            "/api/admin/events/{slug}/attendance",
            put(attendance::mark),
        ),
        (
            Method::POST,
            "/api/admin/events/{slug}/attendance/import",
            post(attendance::import).layer(DefaultBodyLimit::max(attendance::REPORT_MAX_BYTES)),
        ),
        (
            Method::GET,
            "/api/admin/events/{slug}/cosponsor-offers",
            get(organisers::offers),
        ),
        (
            Method::GET,
            "/api/admin/events/{slug}/activity",
            get(organisers::activity),
        ),
        (
            Method::POST,
            "/api/admin/registrations/{id}/approve",
            post(organisers::approve),
        ),
        (
            Method::POST,
            "/api/admin/registrations/{id}/reject",
            post(organisers::reject),
        ),
        (
            Method::POST,
            "/api/admin/registrations/{id}/reopen",
            post(organisers::reopen),
        ),
        (
            Method::POST,
            "/api/admin/registrations/approve",
            post(organisers::approve_many),
        ),
        (
            Method::POST,
            "/api/admin/registrations/reject",
            post(organisers::reject_many),
        ),
        (
            Method::POST,
            "/api/admin/cosponsor-offers/{id}/accept",
            post(organisers::accept),
        ),
        (
            Method::POST,
            "/api/admin/cosponsor-offers/{id}/decline",
            post(organisers::decline),
        ),
        (
            Method::GET,
            "/api/admin/organisers/{email}",
            get(organiser_settings::show),
        ),
        (
            Method::PUT,
            "/api/admin/organisers/{email}",
            put(organiser_settings::update),
        ),
        (
            Method::GET,
            "/api/admin/personal-data",
            get(personal_data::export),
        ),
        (
            Method::DELETE,
            "/api/admin/personal-data",
            delete(personal_data::erase),
        ),
    ]
}

/// The routes anyone can reach without a token (rate-limited per client).
fn public_routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/api/events", get(events::list)),
        (Method::GET, "/api/events/{slug}", get(events::show)),
        (
            Method::POST,
            "/api/events/{slug}/registrations",
            post(register::submit_json),
        ),
        (
            Method::POST,
            "/api/events/{slug}/cosponsor-offers",
            post(cosponsor::submit_json),
        ),
        (Method::GET, "/events", get(events::index)),
        (Method::GET, "/events/{slug}", get(register::form)),
        (Method::GET, "/events/{slug}/register", get(register::form)),
        (
            Method::POST,
            "/events/{slug}/register",
            post(register::submit_form),
        ),
        (
            Method::GET,
            "/events/{slug}/registered",
            get(register::registered),
        ),
        (
            Method::GET,
            "/events/{slug}/cosponsor",
            get(cosponsor::form),
        ),
        (
            Method::POST,
            "/events/{slug}/cosponsor",
            post(cosponsor::submit_form),
        ),
        (Method::GET, "/registrations/{token}", get(manage::page)),
        (
            Method::GET,
            "/registrations/{token}/join",
            get(join::by_manage_link),
        ),
        (Method::GET, "/j/{token}", get(join::by_join_link)),
        (Method::GET, "/registrations/link", get(manage::link_form)),
        (
            Method::POST,
            "/registrations/link",
            post(manage::link_request),
        ),
        (
            Method::POST,
            "/registrations/{token}/cancel",
            post(manage::cancel),
        ),
        (
            Method::POST,
            "/registrations/{token}/accept",
            post(manage::accept),
        ),
        (
            Method::GET,
            "/registrations/{token}/calendar.ics",
            get(manage::calendar),
        ),
        (
            Method::GET,
            "/registrations/{token}/certificate",
            get(manage::certificate),
        ),
        (
            Method::GET,
            "/registrations/{token}/survey",
            get(survey::form),
        ),
        (
            Method::POST,
            "/registrations/{token}/survey",
            post(survey::submit),
        ),
        (Method::GET, "/openapi.json", get(openapi::document)),
    ]
}

/// Every `(method, path)` the service answers besides the health routes.
pub fn route_table() -> Vec<(Method, &'static str)> {
    admin_routes()
        .into_iter()
        .chain(public_routes())
        .chain(console::routes())
        .map(|(m, p, _)| (m, p))
        .collect()
}

fn build(routes: Vec<(Method, &'static str, MethodRouter<AppState>)>) -> Router<AppState> {
    // Routing the same path twice merges the methods.
    routes
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| {
            router.route(path, handler)
        })
}

/// Every route of the service.
pub fn router(state: AppState, readiness: Readiness) -> Router {
    let body_limit = state.settings.max_body_bytes;
    // The console, like the public pages, is rate-limited per client (signing in is open
    // to anyone); `security::headers` keeps every console page out of caches.
    let public = build(public_routes())
        .merge(build(console::routes()))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit,
        ));
    build(admin_routes())
        .merge(public)
        .fallback(|| async { pages::MessagePage::not_found() })
        .with_state(state)
        .merge(health::routes(readiness))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(DefaultBodyLimit::max(body_limit))
}
