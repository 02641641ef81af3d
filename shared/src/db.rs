//! Postgres: connecting with a bounded wait, and applying a service's migrations in the
//! service's own schema.
//!
//! Each service owns one schema (`registration`, `notification`, `scheduling`) and sets it
//! as the connection's `search_path`, so its SQL names tables without a prefix and sqlx
//! keeps one `_sqlx_migrations` table per schema: three services can share one database
//! without their migration histories colliding.

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

/// Connects to `url` with `schema` as the search path, retrying until `wait` has passed.
///
/// # Errors
/// When the URL is malformed, or Postgres is still unreachable after `wait`.
pub async fn connect(
    url: &str,
    schema: &str,
    max_connections: u32,
    wait: Duration,
) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url)
        .context("DATABASE_URL is malformed")?
        .options([("search_path", schema)])
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
    let deadline = Instant::now() + wait;
    loop {
        let attempt = PgPoolOptions::new()
            .max_connections(max_connections)
            // sqlx pings every connection it hands out and again when it takes it back:
            // two round trips around each use, on every request and every email. The
            // check on return stays (sqlx always makes it), and drops a connection that
            // broke; one that broke while idle fails its next query, which every caller
            // already treats as Postgres being unavailable (503, or the message retried).
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone())
            .await;
        match attempt {
            Ok(pool) => return Ok(pool),
            Err(e) if Instant::now() < deadline => {
                tracing::warn!(error = %e, "Postgres not reachable yet; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "Postgres unreachable after {}s: {e}",
                    wait.as_secs()
                ))
            }
        }
    }
}

/// Creates `schema` if needed and applies `migrator` inside it.
///
/// Safe to run from several processes at once: schema creation tolerates a concurrent
/// creator, and sqlx serialises migrations with an advisory lock.
///
/// # Errors
/// When a migration fails or the database refuses the schema.
pub async fn migrate(pool: &PgPool, schema: &str, migrator: &Migrator) -> anyhow::Result<()> {
    let create = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
    if let Err(e) = sqlx::query(&create).execute(pool).await {
        // Two processes racing on CREATE SCHEMA IF NOT EXISTS can still hit the catalog's
        // unique index; the schema exists either way.
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                .bind(schema)
                .fetch_one(pool)
                .await?;
        if !exists {
            return Err(e).context("creating the service's schema");
        }
    }
    migrator
        .run(pool)
        .await
        .with_context(|| format!("applying the {schema} migrations"))
}

/// Whether Postgres answers and this schema's migrations are all applied.
pub async fn ready(pool: &PgPool, migrator: &Migrator) -> bool {
    let applied: Result<i64, _> =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await;
    matches!(applied, Ok(n) if n as usize >= migrator.iter().count())
}

/// Whether an error means Postgres itself is unavailable (as opposed to a bad query), so
/// that callers answer `503` and retry rather than fail for good.
///
/// A TLS failure, or a server answering the connection's opening with something that is
/// not Postgres's protocol, is the connection failing too: with TLS available, sqlx opens
/// every connection with an `SSLRequest` (`sslmode=prefer`, libpq's default), and a
/// Postgres restarting (or a proxy cutting the line) can answer it with a byte that is
/// neither yes nor no. The fault suite met exactly that, as a `500`.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    ) || matches!(error, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("57") || c.starts_with("08")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_failing_in_any_way_is_unavailability_not_a_bug() {
        let unavailable = [
            sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
            sqlx::Error::Tls("handshake failed".into()),
            sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into()),
            sqlx::Error::PoolTimedOut,
        ];
        for error in &unavailable {
            assert!(is_unavailable(error), "{error}");
        }
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
    }
}
