//! The `reminders` table, and the query that decides which reminders are due.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A reminder decided now, with what its email needs to know of the exchange.
#[derive(Debug, sqlx::FromRow)]
pub struct Decided {
    pub registration_id: Uuid,
    pub offset_minutes: i32,
    pub event_id: Uuid,
    pub slug: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub version: i64,
}

impl Decided {
    /// When this reminder fell due: its offset before the start.
    pub fn due_at(&self) -> DateTime<Utc> {
        self.starts_at - chrono::Duration::minutes(i64::from(self.offset_minutes))
    }

    /// How long after its due time it was decided at `now` (for the metrics: a reminder
    /// decided long after it fell due means the scheduler was down or behind).
    pub fn lateness(&self, now: DateTime<Utc>) -> std::time::Duration {
        (now - self.due_at()).to_std().unwrap_or_default()
    }
}

/// Records, and returns, up to `limit` reminders that are due and not yet decided.
///
/// For each confirmed registration of an exchange that has not started, the reminder due
/// is the *closest* offset whose time has come and came after the participant registered:
/// who registers on the day gets no "one week before" reminder, and a scheduler that was
/// down sends only the latest reminder it missed. The primary key on
/// (registration, offset) makes concurrent schedulers decide each reminder once: the
/// second waits for the first's commit, then skips the row.
///
/// Only exchanges with at least one offset already due are joined with their
/// registrations (through `registrations_confirmed_by_event`): without that filter every
/// tick read every confirmed registration of every upcoming exchange, 1.2 s a second with
/// a million stored (`make bench`, row 6).
///
/// # Errors
/// When Postgres fails.
pub async fn decide_due(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<Decided>> {
    sqlx::query_as(
        "WITH due AS ( \
             SELECT r.registration_id, o.offset_minutes, e.event_id \
             FROM events e \
             JOIN registrations r ON r.event_id = e.event_id AND r.status = 'confirmed' \
             CROSS JOIN LATERAL ( \
                 SELECT off AS offset_minutes FROM unnest(e.reminder_offsets_minutes) AS off \
                 WHERE e.starts_at - make_interval(mins => off) <= now() \
                   AND e.starts_at - make_interval(mins => off) > r.registered_at \
                 ORDER BY off ASC LIMIT 1 \
             ) o \
             WHERE e.starts_at > now() AND e.status = 'scheduled' \
               AND EXISTS (SELECT 1 FROM unnest(e.reminder_offsets_minutes) AS due_off \
                           WHERE e.starts_at - make_interval(mins => due_off) <= now()) \
               AND NOT EXISTS (SELECT 1 FROM reminders s \
                               WHERE s.registration_id = r.registration_id AND s.offset_minutes <= o.offset_minutes) \
             LIMIT $1 \
         ), inserted AS ( \
             INSERT INTO reminders (registration_id, offset_minutes, event_id) \
             SELECT registration_id, offset_minutes, event_id FROM due \
             ON CONFLICT DO NOTHING \
             RETURNING registration_id, offset_minutes, event_id \
         ) \
         SELECT i.registration_id, i.offset_minutes, e.event_id, e.slug, e.title, e.starts_at, e.ends_at, e.timezone, e.version \
         FROM inserted i JOIN events e ON e.event_id = i.event_id",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}
