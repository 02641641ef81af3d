//! Organisers record who took part: marking registrations `attended`, `absent` or
//! `excused` by hand (the admin API's `PUT …/attendance`, the console's list), or importing
//! a meeting's participant report (Zoom, Teams), whose rows are matched to registrations by
//! email address.
//!
//! Rules, written once here for the API and the console:
//! - Only confirmed registrations of the exchange take a mark; a list with any entry that
//!   cannot be marked changes nothing (all or nothing), and each bad entry is named.
//! - A mark by hand wins over an import: a report marks `attended` only registrations no
//!   organiser marked by hand, and a later mark by hand replaces an imported one. Marking
//!   `null` removes a mark: the join link decides again.
//! - A cancelled exchange takes no marks.
//!
//! Each marking or import is one transaction with one line of activity.

use std::collections::{BTreeMap, HashMap};

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::participant_report::Report;
use crate::domain::Attendance;
use crate::store::activity;
use crate::store::attendance::{self, Effective};
use crate::store::events::Event;

/// One mark asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub registration_id: Uuid,
    /// `None`: remove the organisers' mark.
    pub attendance: Option<Attendance>,
}

/// Why an entry cannot be marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No registration of this exchange has the id (another exchange's, erased, unknown).
    NotOfThisExchange,
    /// The registration holds no seat: its status.
    NotConfirmed(String),
    /// The registration is already in the list, at this entry.
    Repeated(usize),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotOfThisExchange => f.write_str("No registration of this exchange has this id."),
            Self::NotConfirmed(status) => write!(
                f,
                "This registration is {status}: only confirmed registrations can be marked."
            ),
            Self::Repeated(earlier) => {
                write!(f, "This registration is already in entry {earlier}.")
            }
        }
    }
}

/// What marking did.
#[derive(Debug)]
pub enum Marked {
    /// Every mark was set; each registration's attendance as it now counts.
    Done(Vec<Effective>),
    /// Nothing was set: (index of the entry, why) for each that cannot be marked (empty
    /// when only entries the caller could not read were wrong).
    Refused(Vec<(usize, Refusal)>),
    /// The exchange is cancelled: nothing to mark.
    Cancelled,
}

/// Sets every mark of `marks` on registrations of `event`, or none. An entry the caller
/// could not read is `None`: the others are still checked (so every problem is named at
/// once), and nothing is set.
///
/// # Errors
/// When Postgres fails.
pub async fn mark(
    pool: &PgPool,
    event: &Event,
    entries: &[Option<Mark>],
    actor: &str,
) -> sqlx::Result<Marked> {
    if event.status == "cancelled" {
        return Ok(Marked::Cancelled);
    }
    let unreadable = entries.iter().any(Option::is_none);
    let marks: Vec<(usize, Mark)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.map(|m| (i, m)))
        .collect();
    let mut tx = pool.begin().await?;

    // 1. Every registration named must be a confirmed one of this exchange, once.
    let ids: Vec<Uuid> = marks.iter().map(|(_, m)| m.registration_id).collect();
    let found: HashMap<Uuid, String> = attendance::lock_by_ids(&mut tx, event.id, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect();
    let mut first_at: HashMap<Uuid, usize> = HashMap::new();
    let mut refused = Vec::new();
    for &(i, m) in &marks {
        let earlier = *first_at.entry(m.registration_id).or_insert(i);
        if earlier != i {
            refused.push((i, Refusal::Repeated(earlier)));
            continue;
        }
        match found.get(&m.registration_id) {
            None => refused.push((i, Refusal::NotOfThisExchange)),
            Some(status) if status != "confirmed" => {
                refused.push((i, Refusal::NotConfirmed(status.clone())));
            }
            Some(_) => {}
        }
    }
    if unreadable || !refused.is_empty() {
        return Ok(Marked::Refused(refused));
    }

    // 2. Set them, and say who did.
    let values: Vec<(Uuid, Option<&'static str>)> = marks
        .iter()
        .map(|(_, m)| (m.registration_id, m.attendance.map(Attendance::as_str)))
        .collect();
    attendance::mark_by_hand(&mut tx, &values).await?;
    let (subject, outcome) = match marks.as_slice() {
        [(_, one)] => (
            one.registration_id,
            one.attendance
                .map_or("mark removed", Attendance::as_str)
                .to_owned(),
        ),
        many => (event.id, format!("{} registrations", many.len())),
    };
    activity::record(
        &mut tx,
        event.id,
        actor,
        "attendance.marked",
        subject,
        &outcome,
    )
    .await?;
    let effective = attendance::effective(&mut tx, &ids).await?;
    tx.commit().await?;
    tracing::info!(event = %event.slug, marks = marks.len(), "attendance marked");
    Ok(Marked::Done(effective))
}

/// A row of a report that marked nobody, and why (for the organiser only).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unmatched {
    /// Its line in the file.
    pub row: u64,
    pub name: String,
    pub email: String,
    pub reason: String,
}

/// What importing a report did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    /// Participant rows read.
    pub rows: usize,
    /// Rows that matched a confirmed registration.
    pub matched_rows: usize,
    /// Confirmed registrations the report names (a person may have several rows).
    pub matched_registrations: usize,
    /// Of those, how many the import marked `attended` now (the others were already).
    pub marked: u64,
    /// Of those, how many an organiser had marked by hand: left as they were.
    pub kept_by_hand: usize,
    /// The rows that marked nobody, in the file's order.
    pub unmatched: Vec<Unmatched>,
}

/// What importing led to.
#[derive(Debug)]
pub enum Import {
    Done(Imported),
    /// The exchange is cancelled: nothing to mark.
    Cancelled,
}

/// Marks `attended` the confirmed registrations of `event` whose address a row of the
/// report gives (trimmed, any case), except those an organiser marked by hand.
///
/// # Errors
/// When Postgres fails.
pub async fn import(
    pool: &PgPool,
    event: &Event,
    report: &Report,
    actor: &str,
) -> sqlx::Result<Import> {
    if event.status == "cancelled" {
        return Ok(Import::Cancelled);
    }
    let mut tx = pool.begin().await?;

    // 1. The registrations the report's addresses name.
    let mut emails: Vec<String> = report
        .rows
        .iter()
        .map(|r| r.email.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    emails.sort();
    emails.dedup();
    let found: BTreeMap<String, attendance::Markable> =
        attendance::lock_by_emails(&mut tx, event.id, &emails)
            .await?
            .into_iter()
            .map(|r| (r.email.clone(), r))
            .collect();

    // 2. Each row: matched to a confirmed registration, or why not.
    let mut matched: BTreeMap<Uuid, bool> = BTreeMap::new();
    let mut matched_rows = 0;
    let mut unmatched = Vec::new();
    for row in &report.rows {
        let email = row.email.trim().to_lowercase();
        let reason = if email.is_empty() {
            Some("no email address in this row".to_owned())
        } else {
            match found.get(&email) {
                None => Some("no registration of this exchange has this address".to_owned()),
                Some(r) if r.status != "confirmed" => Some(format!(
                    "this registration is {}: only confirmed registrations attend",
                    r.status
                )),
                Some(r) => {
                    matched_rows += 1;
                    matched.insert(r.id, r.attendance_source.as_deref() == Some("organiser"));
                    None
                }
            }
        };
        if let Some(reason) = reason {
            unmatched.push(Unmatched {
                row: row.line,
                name: row.name.clone(),
                email: row.email.clone(),
                reason,
            });
        }
    }

    // 3. Mark them, but not over an organiser's hand.
    let ids: Vec<Uuid> = matched.keys().copied().collect();
    let marked = attendance::mark_imported(&mut tx, &ids).await?;
    let kept_by_hand = matched.values().filter(|by_hand| **by_hand).count();
    let imported = Imported {
        rows: report.rows.len(),
        matched_rows,
        matched_registrations: ids.len(),
        marked,
        kept_by_hand,
        unmatched,
    };
    activity::record(
        &mut tx,
        event.id,
        actor,
        "attendance.imported",
        event.id,
        &format!(
            "{} rows, {} registrations matched, {} rows unmatched",
            imported.rows,
            imported.matched_registrations,
            imported.unmatched.len()
        ),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        event = %event.slug,
        rows = imported.rows,
        matched = imported.matched_registrations,
        unmatched = imported.unmatched.len(),
        "participant report imported"
    );
    Ok(Import::Done(imported))
}
