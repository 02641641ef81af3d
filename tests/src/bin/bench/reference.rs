//! The reference of row 7 (issue 20): the floor of "HTTP plus Postgres" in Rust on this
//! machine, run in the same bench, against the same database server, at the same client
//! counts as row 1.
//!
//! axum and sqlx, as the registration service; the same JSON body parsed into the same
//! typed values (`RegistrationInput` → `NewRegistration`, the registration service's own
//! code); the exchange looked up by its slug; then one transaction that inserts the
//! registration row and an outbox row holding the envelope Convene would publish (its
//! contact sealed, so it is the same size and costs the same to make), and `201`. No
//! broker, no email, no consumers.
//!
//! It runs as a process of its own, named `reference` (the bench binary linked under that
//! name and started with `--reference`), so that its CPU is counted apart from the load
//! generator's. Its tables are copies of the registration service's (`reference.*`, same
//! columns, indexes and constraints), with the `bench` exchange in them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use convene_shared::messages::EventSnapshot;
use convene_shared::messages::{
    join_url_context, manage_url_context, Contact, Envelope, RegistrationConfirmed,
};
use convene_shared::sealed::LinkKeys;
use convene_tests::stack::Process;
use registration::domain::{NewRegistration, RegistrationInput, CONSENT_TEXT, CONSENT_VERSION};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// The argument that makes the bench binary the reference service.
pub const FLAG: &str = "--reference";

/// Connections to Postgres: the registration service's in this bench
/// (`DATABASE_MAX_CONNECTIONS` 20).
const POOL_SIZE: u32 = 20;

/// Makes the reference's tables: copies of the registration service's, with the `bench`
/// exchange.
pub async fn prepare(db_url: &str) {
    let pool = PgPool::connect(db_url).await.expect("connecting");
    for sql in [
        "DROP SCHEMA IF EXISTS reference CASCADE",
        "CREATE SCHEMA reference",
        "CREATE TABLE reference.events (LIKE registration.events INCLUDING ALL)",
        "CREATE TABLE reference.registrations (LIKE registration.registrations INCLUDING ALL)",
        "CREATE TABLE reference.outbox (LIKE registration.outbox INCLUDING ALL)",
        "INSERT INTO reference.events SELECT * FROM registration.events WHERE slug = 'bench'",
        "ALTER TABLE reference.registrations ADD FOREIGN KEY (event_id) REFERENCES reference.events (id)",
    ] {
        sqlx::query(sql)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    pool.close().await;
}

/// Starts the reference as a process named `reference` listening on `port`.
pub fn spawn(db_url: &str, port: u16, dir: &Path) -> Process {
    let program = dir.join("reference");
    let _ = std::fs::remove_file(&program);
    let me = std::env::current_exe().expect("the bench's own path");
    if std::fs::hard_link(&me, &program).is_err() {
        std::fs::copy(&me, &program).expect("a copy of the bench binary");
    }
    Process::spawn(
        "reference",
        &program,
        &[FLAG, db_url, &port.to_string()],
        &[],
        dir,
    )
}

/// What a request needs.
struct Reference {
    pool: PgPool,
    keys: LinkKeys,
}

/// The reference service's `main`: serves until killed.
pub async fn serve(db_url: &str, port: u16) {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect(db_url)
        .await
        .expect("the reference connects to Postgres");
    let state = Arc::new(Reference {
        pool,
        keys: LinkKeys::new(convene_tests::stack::LINK_KEY, &[]).expect("a valid key"),
    });
    let app = Router::new()
        .route("/api/events/{slug}/registrations", post(register))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the reference listens");
    axum::serve(listener, app)
        .await
        .expect("the reference serves");
}

/// `POST /api/events/{slug}/registrations`, the least a service can do for it.
async fn register(
    State(state): State<Arc<Reference>>,
    UrlPath(slug): UrlPath<String>,
    Json(input): Json<RegistrationInput>,
) -> (StatusCode, Json<Value>) {
    // 1. The same typed values as the registration service.
    let new = match NewRegistration::try_from(&input) {
        Ok(new) => new,
        Err(errors) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "errors": format!("{errors:?}") })),
            )
        }
    };
    match store(&state, &slug, &new).await {
        Ok(Some(id)) => (
            StatusCode::CREATED,
            Json(json!({ "id": id, "status": "confirmed" })),
        ),
        Ok(None) => (StatusCode::OK, Json(json!({ "status": "known" }))),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": e.to_string() })),
        ),
    }
}

/// The exchange by slug, then one transaction: the registration row and its outbox row.
async fn store(state: &Reference, slug: &str, new: &NewRegistration) -> sqlx::Result<Option<Uuid>> {
    // 2. The exchange.
    let event: (
        Uuid,
        String,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
        String,
    ) = sqlx::query_as(
        "SELECT id, title, starts_at, ends_at, timezone FROM reference.events WHERE slug = $1",
    )
    .bind(slug)
    .fetch_one(&state.pool)
    .await?;
    let (event_id, title, starts_at, ends_at, timezone) = event;

    // 3. The registration and the message that announces it, in one transaction.
    let id = Uuid::now_v7();
    let token = Uuid::new_v4().simple().to_string() + &Uuid::new_v4().simple().to_string();
    let token_hash = Sha256::digest(token.as_bytes()).to_vec();
    let mut tx = state.pool.begin().await?;
    let inserted: Option<(chrono::DateTime<chrono::Utc>,)> = sqlx::query_as(
        "INSERT INTO reference.registrations (id, event_id, name, email, organisation, country, \
         role, status, token_hash, consent_version, consent_text, consented_at, timezone, lang) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'confirmed', $8, $9, $10, now(), $11, $12) \
         ON CONFLICT (event_id, lower(email)) DO NOTHING RETURNING registered_at",
    )
    .bind(id)
    .bind(event_id)
    .bind(new.name.as_str())
    .bind(new.email.as_str())
    .bind(new.organisation.as_str())
    .bind(new.country.as_str())
    .bind(new.role.as_str())
    .bind(&token_hash)
    .bind(CONSENT_VERSION)
    .bind(CONSENT_TEXT)
    .bind(new.timezone.map(|z| z.name().to_owned()))
    .bind(new.lang.code())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((registered_at,)) = inserted else {
        return Ok(None);
    };
    let contact = Contact {
        name: new.name.as_str().to_owned(),
        email: new.email.as_str().to_owned(),
        timezone: new.timezone.map(|z| z.name().to_owned()),
        manage_url: state.keys.seal(
            &manage_url_context(id),
            &format!("http://127.0.0.1:8080/registrations/{token}"),
        ),
        lang: Some(new.lang.code().to_owned()),
        // Convene seals a personal join link into the first message too.
        join_url: state.keys.seal(
            &join_url_context(id),
            &format!("http://127.0.0.1:8080/j/{token}"),
        ),
    };
    let event = EventSnapshot {
        event_id,
        slug: slug.to_owned(),
        title,
        starts_at,
        ends_at,
        timezone,
        version: 1,
        online: false,
    };
    let message = RegistrationConfirmed::sealed(&state.keys, id, event, &contact, registered_at);
    let envelope = Envelope::new(&message, Uuid::now_v7());
    sqlx::query(
        "INSERT INTO reference.outbox (message_id, routing_key, envelope) VALUES ($1, $2, $3)",
    )
    .bind(envelope.message_id)
    .bind(&envelope.kind)
    .bind(sqlx::types::Json(&envelope))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Waits until the reference answers on `port`.
pub async fn wait_ready(port: u16) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the reference service did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
