//! The `events` table: the exchanges organisers create.

use chrono::{DateTime, Utc};
use convene_shared::messages::{EventChange, EventScheduled, EventSnapshot, ReminderNote};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::NewEvent;

/// An exchange as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub capacity: Option<i32>,
    pub organiser_emails: Vec<String>,
    /// Who may see it in the console without changing anything.
    pub viewer_emails: Vec<String>,
    pub topics: Vec<String>,
    pub reminder_offsets_minutes: Vec<i32>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    /// `scheduled` or `cancelled`.
    pub status: String,
    pub location: String,
    /// Who organises it, as participants read it (may be empty).
    pub organised_by: String,
    pub online_link: String,
    pub requires_approval: bool,
    pub country_cap: Option<i32>,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub waitlist_offer_hours: i32,
    pub reminder_notes: Json<Vec<ReminderNote>>,
    pub invitation_only: bool,
    /// The private meeting link of an online exchange (empty: not online): admin API and
    /// console only; participants reach it through their join links.
    pub meeting_url: String,
    /// Minutes before the start from which join links open the meeting.
    pub join_opens_minutes: i32,
    /// Registrations wait `unconfirmed`, holding no seat, until their link is opened.
    pub confirm_email: bool,
    /// Where the materials are, and the recording (empty: none yet), told in the
    /// follow-up email after the exchange.
    pub materials_url: String,
    pub recording_url: String,
    /// An external survey instead of Convene's own (empty: Convene's).
    pub survey_url: String,
    /// Days after the end during which the survey takes answers.
    pub survey_closes_days: i32,
}

impl Event {
    /// What emails and reminders need to know of it.
    pub fn snapshot(&self) -> EventSnapshot {
        EventSnapshot {
            event_id: self.id,
            slug: self.slug.clone(),
            title: self.title.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            timezone: self.timezone.clone(),
            version: self.version,
            online: self.is_online(),
        }
    }

    /// Whether it is held online: organisers gave a meeting link.
    pub fn is_online(&self) -> bool {
        !self.meeting_url.is_empty()
    }

    /// What the scheduler and the notification service must know of the exchange:
    /// `changes` are what participants are to be told.
    pub fn scheduled(&self, changes: Vec<EventChange>) -> EventScheduled {
        EventScheduled {
            event: self.snapshot(),
            reminder_offsets_minutes: self.reminder_offsets_minutes.clone(),
            version: self.version,
            changes,
            reminder_notes: self.reminder_notes.0.clone(),
        }
    }
}

/// The notes as stored (and as they travel in `event.scheduled`).
fn stored_notes(event: &NewEvent) -> Json<Vec<ReminderNote>> {
    Json(
        event
            .reminder_notes
            .iter()
            .map(|n| ReminderNote {
                offset_minutes: n.offset_minutes,
                lang: n.lang.code().to_owned(),
                text: n.text.as_str().to_owned(),
            })
            .collect(),
    )
}

/// Addresses as stored.
fn emails(list: &[crate::domain::Email]) -> Vec<String> {
    list.iter().map(|e| e.as_str().to_owned()).collect()
}

const COLUMNS: &str = "id, slug, title, description, starts_at, ends_at, timezone, capacity, \
    organiser_emails, topics, reminder_offsets_minutes, version, created_at, status, location, online_link, \
    requires_approval, country_cap, registration_opens_at, registration_closes_at, waitlist_offer_hours, \
    reminder_notes, invitation_only, viewer_emails, meeting_url, join_opens_minutes, confirm_email, \
    materials_url, recording_url, organised_by, survey_url, survey_closes_days";

/// Inserts a new exchange; `None` when the slug is taken.
///
/// # Errors
/// When Postgres fails.
pub async fn insert(conn: &mut PgConnection, event: &NewEvent) -> sqlx::Result<Option<Event>> {
    sqlx::query_as(&format!(
        "INSERT INTO events (id, slug, title, description, starts_at, ends_at, timezone, capacity, \
             organiser_emails, topics, reminder_offsets_minutes, location, online_link, requires_approval, \
             country_cap, registration_opens_at, registration_closes_at, waitlist_offer_hours, \
             reminder_notes, invitation_only, viewer_emails, meeting_url, join_opens_minutes, confirm_email, \
             materials_url, recording_url, organised_by, survey_url, survey_closes_days) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29) \
         ON CONFLICT (slug) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(event.slug.as_str())
    .bind(event.title.as_str())
    .bind(event.description.as_str())
    .bind(event.starts_at)
    .bind(event.ends_at)
    .bind(event.timezone.name())
    .bind(event.capacity)
    .bind(
        event
            .organiser_emails
            .iter()
            .map(|e| e.as_str().to_owned())
            .collect::<Vec<_>>(),
    )
    .bind(
        event
            .topics
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect::<Vec<_>>(),
    )
    .bind(&event.reminder_offsets_minutes)
    .bind(event.location.as_str())
    .bind(event.online_link.as_str())
    .bind(event.requires_approval)
    .bind(event.country_cap)
    .bind(event.registration_opens_at)
    .bind(event.registration_closes_at)
    .bind(event.waitlist_offer_hours)
    .bind(stored_notes(event))
    .bind(event.invitation_only)
    .bind(emails(&event.viewer_emails))
    .bind(event.meeting_url.as_str())
    .bind(event.join_opens_minutes)
    .bind(event.confirm_email)
    .bind(event.materials_url.as_str())
    .bind(event.recording_url.as_str())
    .bind(event.organised_by.as_str())
    .bind(event.survey_url.as_str())
    .bind(event.survey_closes_days)
    .fetch_optional(conn)
    .await
}

/// Replaces an exchange's details (not its slug) and bumps its version.
///
/// # Errors
/// When Postgres fails.
pub async fn update(conn: &mut PgConnection, id: Uuid, event: &NewEvent) -> sqlx::Result<Event> {
    sqlx::query_as(&format!(
        "UPDATE events SET title = $2, description = $3, starts_at = $4, ends_at = $5, timezone = $6, \
             capacity = $7, organiser_emails = $8, topics = $9, reminder_offsets_minutes = $10, \
             location = $11, online_link = $12, requires_approval = $13, country_cap = $14, \
             registration_opens_at = $15, registration_closes_at = $16, waitlist_offer_hours = $17, \
             reminder_notes = $18, invitation_only = $19, viewer_emails = $20, meeting_url = $21, \
             join_opens_minutes = $22, confirm_email = $23, materials_url = $24, recording_url = $25, \
             organised_by = $26, survey_url = $27, survey_closes_days = $28, version = version + 1, updated_at = now() \
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(event.title.as_str())
    .bind(event.description.as_str())
    .bind(event.starts_at)
    .bind(event.ends_at)
    .bind(event.timezone.name())
    .bind(event.capacity)
    .bind(event.organiser_emails.iter().map(|e| e.as_str().to_owned()).collect::<Vec<_>>())
    .bind(event.topics.iter().map(|t| t.as_str().to_owned()).collect::<Vec<_>>())
    .bind(&event.reminder_offsets_minutes)
    .bind(event.location.as_str())
    .bind(event.online_link.as_str())
    .bind(event.requires_approval)
    .bind(event.country_cap)
    .bind(event.registration_opens_at)
    .bind(event.registration_closes_at)
    .bind(event.waitlist_offer_hours)
    .bind(stored_notes(event))
    .bind(event.invitation_only)
    .bind(emails(&event.viewer_emails))
    .bind(event.meeting_url.as_str())
    .bind(event.join_opens_minutes)
    .bind(event.confirm_email)
    .bind(event.materials_url.as_str())
    .bind(event.recording_url.as_str())
    .bind(event.organised_by.as_str())
    .bind(event.survey_url.as_str())
    .bind(event.survey_closes_days)
    .fetch_one(conn)
    .await
}

/// Marks an exchange cancelled and bumps its version; `None` if it already was.
///
/// # Errors
/// When Postgres fails.
pub async fn cancel(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Event>> {
    sqlx::query_as(&format!(
        "UPDATE events SET status = 'cancelled', version = version + 1, updated_at = now() \
         WHERE id = $1 AND status = 'scheduled' RETURNING {COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The exchange with this slug, locked for update.
///
/// # Errors
/// When Postgres fails.
pub async fn find_by_slug_for_update(
    conn: &mut PgConnection,
    slug: &str,
) -> sqlx::Result<Option<Event>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM events WHERE slug = $1 FOR UPDATE"
    ))
    .bind(slug)
    .fetch_optional(conn)
    .await
}

/// The exchange with this slug.
///
/// # Errors
/// When Postgres fails.
pub async fn find_by_slug(pool: &PgPool, slug: &str) -> sqlx::Result<Option<Event>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM events WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(pool)
        .await
}

/// The exchange with this id.
///
/// # Errors
/// When Postgres fails.
pub async fn find_by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Event>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM events WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Locks the exchange's row for the rest of the transaction, so that seat counting and
/// the insert that follows see no concurrent registration.
///
/// # Errors
/// When Postgres fails.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("SELECT 1 FROM events WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
}

/// Exchanges that have not ended yet, soonest first; those by invitation only are not
/// listed publicly.
///
/// # Errors
/// When Postgres fails.
pub async fn upcoming(pool: &PgPool) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM events WHERE ends_at > now() AND status = 'scheduled' AND NOT invitation_only \
         ORDER BY starts_at LIMIT 500"
    ))
    .fetch_all(pool)
    .await
}

/// Scheduled exchanges that end after `after`, soonest first (an organiser's digest
/// covers these).
///
/// # Errors
/// When Postgres fails.
pub async fn organised_after(
    conn: &mut PgConnection,
    after: DateTime<Utc>,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM events WHERE status = 'scheduled' AND ends_at > $1 ORDER BY starts_at"
    ))
    .bind(after)
    .fetch_all(conn)
    .await
}

/// How many confirmed participants an exchange has.
///
/// # Errors
/// When Postgres fails.
pub async fn confirmed_count(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM registrations WHERE event_id = $1 AND status = 'confirmed'",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}
