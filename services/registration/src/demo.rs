//! The demo exchange `make run` and `make up` create, so a newcomer sees a form at once.

use chrono::{Duration, Timelike, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::actions::create_event::create_event;
use crate::domain::NewEvent;

/// Creates the exchange `demo` a month from now, unless it exists.
///
/// # Errors
/// When Postgres fails.
pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    let start = (Utc::now() + Duration::days(30))
        .with_hour(13)
        .and_then(|t| t.with_minute(0))
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or_else(Utc::now);
    let body = json!({
        "slug": "demo",
        "title": "Global peer learning exchange on alternatives to immigration detention",
        "description": "An online exchange between government officials, UN entities and civil society on alternatives to immigration detention.",
        "starts_at": start.to_rfc3339(),
        "ends_at": (start + Duration::hours(2)).to_rfc3339(),
        "timezone": "Europe/Zurich",
        "capacity": null,
        "organiser_emails": ["organisers@convene.localhost"],
        "topics": ["Public perceptions", "Whole-of-government approach", "Ethical use of technology", "Case management"],
    });
    let new = NewEvent::from_json(body.as_object().expect("an object"), Utc::now())
        .map_err(|e| anyhow::anyhow!("the demo exchange is invalid: {e:?}"))?;
    create_event(pool, &new, "demo", Uuid::now_v7()).await?;
    Ok(())
}
