//! The organisers' web console (`/console`): server-rendered pages, in the look of the
//! participant pages, that work without JavaScript. Organisers, viewers and console admins
//! sign in with a one-time link sent by email (`sign_in`); the session cookie and the
//! CSRF token every form carries are in `session`; what they see is in `exchanges` (the
//! registration list's filters in `filters`, the charts in `charts`), what they do in
//! `registrations`, `attendance`, `offers`, `invitations` and `exchange_changes`.
//!
//! Every console answer carries `Cache-Control: no-store`: its pages hold personal data
//! and per-session tokens that no cache, shared or the browser's, should keep.

mod attendance;
mod charts;
mod exchange_changes;
mod exchange_form;
mod exchanges;
mod filters;
mod invitations;
mod offers;
mod pages;
mod registrations;
mod session;
mod sign_in;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{get, post, MethodRouter};

use super::attendance::REPORT_MAX_BYTES;
use super::AppState;

/// The console's routes: `(method, path, handler)`, part of the service's route table.
pub(super) fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/console", get(exchanges::home)),
        (Method::POST, "/console/sign-in", post(sign_in::request)),
        (Method::GET, "/console/sign-in/{token}", get(sign_in::open)),
        (
            Method::POST,
            "/console/sign-in/{token}",
            post(sign_in::confirm),
        ),
        (Method::POST, "/console/sign-out", post(sign_in::sign_out)),
        (
            Method::GET,
            "/console/new-exchange",
            get(exchange_changes::new),
        ),
        (
            Method::POST,
            "/console/new-exchange",
            post(exchange_changes::create),
        ),
        (Method::GET, "/console/events/{slug}", get(exchanges::event)),
        (
            Method::GET,
            "/console/events/{slug}/change",
            get(exchange_changes::edit),
        ),
        (
            Method::POST,
            "/console/events/{slug}/change",
            post(exchange_changes::change),
        ),
        (
            Method::GET,
            "/console/events/{slug}/cancel",
            get(exchange_changes::confirm_cancel),
        ),
        (
            Method::POST,
            "/console/events/{slug}/cancel",
            post(exchange_changes::cancel),
        ),
        (
            Method::GET,
            "/console/events/{slug}/registrations.csv",
            get(registrations::csv),
        ),
        (
            Method::GET,
            "/console/events/{slug}/invitations",
            get(invitations::list),
        ),
        (
            Method::POST,
            "/console/events/{slug}/invitations",
            post(invitations::create),
        ),
        (
            Method::POST,
            "/console/events/{slug}/registrations/decide",
            post(registrations::decide_many),
        ),
        (
            Method::POST,
            "/console/events/{slug}/registrations/{id}/approve",
            post(registrations::approve),
        ),
        (
            Method::POST,
            "/console/events/{slug}/registrations/{id}/reject",
            post(registrations::reject),
        ),
        (
            Method::POST,
            "/console/events/{slug}/registrations/{id}/reopen",
            post(registrations::reopen),
        ),
        (
            Method::POST,
            "/console/events/{slug}/registrations/{id}/attendance",
            post(attendance::mark),
        ),
        (
            Method::POST,
            "/console/events/{slug}/attendance/import",
            post(attendance::import).layer(DefaultBodyLimit::max(REPORT_MAX_BYTES)),
        ),
        (
            Method::POST,
            "/console/events/{slug}/cosponsor-offers/{id}/accept",
            post(offers::accept),
        ),
        (
            Method::POST,
            "/console/events/{slug}/cosponsor-offers/{id}/decline",
            post(offers::decline),
        ),
    ]
}
