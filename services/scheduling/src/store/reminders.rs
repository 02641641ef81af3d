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
    /// Held online: the reminder carries the participant's join link.
    pub online: bool,
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

/// The exchanges that have not started and have at least one reminder offset whose time
/// has come (the only ones whose registrations a tick needs to read), each with the
/// closest such offset: the reminder now due for whoever registered before its time.
///
/// # Errors
/// When Postgres fails.
pub async fn due_events(conn: &mut PgConnection) -> sqlx::Result<Vec<(Uuid, i32)>> {
    sqlx::query_as(
        "SELECT event_id, due_offset FROM ( \
             SELECT e.event_id, \
                    (SELECT min(off) FROM unnest(e.reminder_offsets_minutes) AS off \
                     WHERE e.starts_at - make_interval(mins => off) <= now()) AS due_offset \
             FROM events e \
             WHERE e.starts_at > now() AND e.status = 'scheduled' \
         ) due WHERE due_offset IS NOT NULL \
         ORDER BY event_id",
    )
    .fetch_all(conn)
    .await
}

/// Up to `limit` reminders of exchange `event_id` that are due and not yet decided, among
/// its confirmed registrations whose id comes after `after`, in id order.
///
/// For each registration, the reminder due is the *closest* offset whose time has come and
/// came after the participant registered: who registers on the day gets no "one week
/// before" reminder, and a scheduler that was down sends only the latest reminder it
/// missed.
///
/// The walk is a range of the index `registrations_confirmed_by_event_and_id`: each batch
/// starts where the last one stopped. When every batch started from the first registration
/// instead, the k-th batch re-read the k×1 000 already decided before finding new ones: 20 s
/// of Postgres CPU for a 100 000-participant fan-out (`make bench`, row 4). The bound is
/// repeated on `reminders` because the planner does not carry it across the anti-join:
/// without it, each batch's merge join read that index from its first entry.
///
/// # Errors
/// When Postgres fails.
pub async fn due_after(
    conn: &mut PgConnection,
    event_id: Uuid,
    after: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, i32)>> {
    sqlx::query_as(
        "SELECT r.registration_id, o.offset_minutes \
         FROM events e \
         JOIN registrations r ON r.event_id = e.event_id AND r.status = 'confirmed' \
         CROSS JOIN LATERAL ( \
             SELECT off AS offset_minutes FROM unnest(e.reminder_offsets_minutes) AS off \
             WHERE e.starts_at - make_interval(mins => off) <= now() \
               AND e.starts_at - make_interval(mins => off) > r.registered_at \
             ORDER BY off ASC LIMIT 1 \
         ) o \
         WHERE e.event_id = $1 AND r.registration_id > $2 \
           AND e.starts_at > now() AND e.status = 'scheduled' \
           AND NOT EXISTS (SELECT 1 FROM reminders s \
                           WHERE s.registration_id = r.registration_id AND s.registration_id > $2 \
                             AND s.offset_minutes <= o.offset_minutes) \
         ORDER BY r.registration_id \
         LIMIT $3",
    )
    .bind(event_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Records `due` (reminders of exchange `event_id`) as decided and returns those this call
/// recorded. The primary key on (registration, offset) makes concurrent schedulers decide
/// each reminder once: the second waits for the first's commit, then skips the row.
///
/// # Errors
/// When Postgres fails.
pub async fn decide(
    conn: &mut PgConnection,
    event_id: Uuid,
    due: &[(Uuid, i32)],
) -> sqlx::Result<Vec<Decided>> {
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = due.iter().map(|(id, _)| *id).collect();
    let offsets: Vec<i32> = due.iter().map(|(_, off)| *off).collect();
    sqlx::query_as(
        "WITH inserted AS ( \
             INSERT INTO reminders (registration_id, offset_minutes, event_id) \
             SELECT id, off, $1 FROM UNNEST($2::uuid[], $3::int[]) AS t(id, off) \
             ON CONFLICT DO NOTHING \
             RETURNING registration_id, offset_minutes, event_id \
         ) \
         SELECT i.registration_id, i.offset_minutes, e.event_id, e.slug, e.title, e.starts_at, e.ends_at, e.timezone, e.version, \
                e.online \
         FROM inserted i JOIN events e ON e.event_id = i.event_id",
    )
    .bind(event_id)
    .bind(ids)
    .bind(offsets)
    .fetch_all(conn)
    .await
}
