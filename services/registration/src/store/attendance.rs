//! Attendance in the `registrations` table: the marks organisers set (by hand or by
//! importing a participant report), and each registration's attendance as it counts.
//!
//! As it counts (the *effective* attendance), for a confirmed registration of an exchange
//! not cancelled: the organisers' mark if there is one; else `attended` when the
//! participant opened the meeting through their join link (`joined_at`); else, once the
//! exchange has ended, `absent` (a no-show); else not known yet (`NULL`). Other
//! registrations (cancelled, waitlisted, pending…) have no attendance. Erased registrations
//! keep theirs, as anonymised counts.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// The effective attendance of the `registrations` row named `r` (the table or its alias),
/// as SQL: `attended`, `absent`, `excused` or `NULL`.
pub fn effective_sql(r: &str) -> String {
    format!(
        "(SELECT CASE WHEN {r}.status <> 'confirmed' OR e.status = 'cancelled' THEN NULL \
             WHEN {r}.attendance IS NOT NULL THEN {r}.attendance \
             WHEN {r}.joined_at IS NOT NULL THEN 'attended' \
             WHEN e.ends_at <= now() THEN 'absent' END \
         FROM events e WHERE e.id = {r}.event_id)"
    )
}

/// What the effective attendance of the row `r` rests on, as SQL: `marked` (by an
/// organiser), `imported` (a participant report), `joined` (the join link), `not_joined`
/// (the exchange ended without a join) or `NULL` (no attendance, or not known yet).
pub fn basis_sql(r: &str) -> String {
    format!(
        "(SELECT CASE WHEN {r}.status <> 'confirmed' OR e.status = 'cancelled' THEN NULL \
             WHEN {r}.attendance_source = 'organiser' THEN 'marked' \
             WHEN {r}.attendance_source = 'import' THEN 'imported' \
             WHEN {r}.joined_at IS NOT NULL THEN 'joined' \
             WHEN e.ends_at <= now() THEN 'not_joined' END \
         FROM events e WHERE e.id = {r}.event_id)"
    )
}

/// A registration of the exchange, as marking it needs to know it (locked).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Markable {
    pub id: Uuid,
    pub status: String,
    /// Lower-case.
    pub email: String,
    /// `organiser`, `import`, or `None` when nobody marked it.
    pub attendance_source: Option<String>,
}

/// The registrations among `ids` that belong to the exchange and are not erased, locked
/// for update.
///
/// # Errors
/// When Postgres fails.
pub async fn lock_by_ids(
    conn: &mut PgConnection,
    event_id: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<Vec<Markable>> {
    sqlx::query_as(
        "SELECT id, status, lower(email) AS email, attendance_source FROM registrations \
         WHERE event_id = $1 AND id = ANY($2) AND erased_at IS NULL ORDER BY id FOR UPDATE",
    )
    .bind(event_id)
    .bind(ids)
    .fetch_all(conn)
    .await
}

/// The registrations of the exchange under these addresses (lower-case), not erased,
/// locked for update.
///
/// # Errors
/// When Postgres fails.
pub async fn lock_by_emails(
    conn: &mut PgConnection,
    event_id: Uuid,
    emails: &[String],
) -> sqlx::Result<Vec<Markable>> {
    sqlx::query_as(
        "SELECT id, status, lower(email) AS email, attendance_source FROM registrations \
         WHERE event_id = $1 AND lower(email) = ANY($2) AND erased_at IS NULL ORDER BY id FOR UPDATE",
    )
    .bind(event_id)
    .bind(emails)
    .fetch_all(conn)
    .await
}

/// Sets organisers' marks by hand: `Some(value)` marks, `None` removes the mark (the join
/// link decides again).
///
/// # Errors
/// When Postgres fails.
pub async fn mark_by_hand(
    conn: &mut PgConnection,
    marks: &[(Uuid, Option<&'static str>)],
) -> sqlx::Result<()> {
    let ids: Vec<Uuid> = marks.iter().map(|(id, _)| *id).collect();
    let values: Vec<Option<String>> = marks.iter().map(|(_, a)| a.map(str::to_owned)).collect();
    sqlx::query(
        "UPDATE registrations r SET attendance = m.attendance, \
             attendance_source = CASE WHEN m.attendance IS NULL THEN NULL ELSE 'organiser' END, \
             attendance_marked_at = CASE WHEN m.attendance IS NULL THEN NULL ELSE now() END \
         FROM unnest($1::uuid[], $2::text[]) AS m(id, attendance) WHERE r.id = m.id",
    )
    .bind(&ids)
    .bind(&values)
    .execute(conn)
    .await
    .map(drop)
}

/// Marks these registrations `attended` from a participant report, except those an
/// organiser marked by hand; returns how many it changed.
///
/// # Errors
/// When Postgres fails.
pub async fn mark_imported(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE registrations SET attendance = 'attended', attendance_source = 'import', \
             attendance_marked_at = now() \
         WHERE id = ANY($1) AND attendance_source IS DISTINCT FROM 'organiser' \
           AND attendance IS DISTINCT FROM 'attended'",
    )
    .bind(ids)
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
}

/// Forgets the organisers' mark on a registration taken again after it ended (cancelled,
/// rejected, lapsed): the mark belonged to its earlier life.
///
/// # Errors
/// When Postgres fails.
pub async fn forget_mark(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE registrations SET attendance = NULL, attendance_source = NULL, \
             attendance_marked_at = NULL WHERE id = $1 AND attendance IS NOT NULL",
    )
    .bind(id)
    .execute(conn)
    .await
    .map(drop)
}

/// One registration's attendance as it counts now.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Effective {
    pub registration_id: Uuid,
    /// `attended`, `absent`, `excused`, or `None`: not known yet.
    pub attendance: Option<String>,
    /// What it rests on (see [`basis_sql`]).
    pub basis: Option<String>,
}

/// The effective attendance of these registrations.
///
/// # Errors
/// When Postgres fails.
pub async fn effective(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<Effective>> {
    sqlx::query_as(&format!(
        "SELECT r.id AS registration_id, {} AS attendance, {} AS basis \
         FROM registrations r WHERE r.id = ANY($1) ORDER BY r.id",
        effective_sql("r"),
        basis_sql("r")
    ))
    .bind(ids)
    .fetch_all(conn)
    .await
}

/// How many confirmed participants attended, were absent (no-shows), were excused, or are
/// not known yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub attended: i64,
    /// The no-shows.
    pub absent: i64,
    pub excused: i64,
    /// Not marked and not joined, while the exchange has not ended.
    pub unknown: i64,
}

impl Tally {
    fn add(&mut self, attendance: Option<&str>, n: i64) {
        match attendance {
            Some("attended") => self.attended += n,
            Some("absent") => self.absent += n,
            Some("excused") => self.excused += n,
            _ => self.unknown += n,
        }
    }

    /// Everyone counted (the confirmed participants).
    pub fn total(&self) -> i64 {
        self.attended + self.absent + self.excused + self.unknown
    }
}

/// An exchange's attendance: overall, by country and by role (the figures funders ask
/// for), anonymised registrations included.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    #[serde(flatten)]
    pub overall: Tally,
    pub by_country: BTreeMap<String, Tally>,
    pub by_role: BTreeMap<String, Tally>,
}

/// The attendance [`Figures`] of an exchange's confirmed registrations (all zero for a
/// cancelled exchange: nobody attends it).
///
/// # Errors
/// When Postgres fails.
pub async fn figures(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<Figures> {
    let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(&format!(
        "SELECT country, role, {} AS attendance, count(*) FROM registrations \
         WHERE event_id = $1 AND status = 'confirmed' \
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = $1 AND e.status = 'cancelled') \
         GROUP BY 1, 2, 3",
        effective_sql("registrations")
    ))
    .bind(event_id)
    .fetch_all(conn)
    .await?;
    let mut figures = Figures::default();
    for (country, role, attendance, n) in rows {
        let attendance = attendance.as_deref();
        figures.overall.add(attendance, n);
        figures
            .by_country
            .entry(country)
            .or_default()
            .add(attendance, n);
        figures.by_role.entry(role).or_default().add(attendance, n);
    }
    Ok(figures)
}
