//! Organisers' daily digest: once a day, from `DIGEST_HOUR` in each organiser's time zone,
//! the new registrations, pending approvals and open co-sponsorship offers of their
//! exchanges — and no email when nothing is new.
//!
//! The scheduling service's clock says when to look (`digest.due`); this service knows
//! the organisers, their zones and what arrived, so it decides whose digest is due and
//! composes it; the notification service sends it (`organiser.digest`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Tz;
use convene_shared::messages::{DigestExchange, Envelope, OrganiserDigest};
use convene_shared::outbox;
use sqlx::PgPool;
use uuid::Uuid;

use crate::store::digests::{self, Organiser};
use crate::store::events::{self, Event};

/// The organiser's time zone: their own, else their soonest exchange's.
pub fn zone(profile: Option<&Organiser>, soonest: &Event) -> Tz {
    profile
        .and_then(|p| p.timezone.as_deref())
        .and_then(|z| z.parse().ok())
        .or_else(|| soonest.timezone.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// When the digest of `date` falls in `tz`: `hour`:00 local time (or the first instant
/// after it, on a day the clocks skip that hour).
fn digest_instant(date: NaiveDate, tz: Tz, hour: u32) -> Option<DateTime<Utc>> {
    (hour..hour + 3).find_map(|h| {
        let local = date.and_hms_opt(h % 24, 0, 0)?;
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// The organiser's day whose digest is due at `at`, if any: it is due from `hour`:00 in
/// their zone until one was composed after that moment.
pub fn due(at: DateTime<Utc>, tz: Tz, hour: u32, last: Option<DateTime<Utc>>) -> Option<NaiveDate> {
    let date = at.with_timezone(&tz).date_naive();
    let instant = digest_instant(date, tz, hour)?;
    (at >= instant && last.is_none_or(|l| l < instant)).then_some(date)
}

/// Composes the digest of every organiser whose digest is due at `at`; returns how many
/// were announced (an organiser with nothing new is marked done, and sent nothing). Safe
/// in several processes: each organiser is handled under their row lock.
///
/// # Errors
/// When Postgres fails; the organiser under way is rolled back and done at the next tick.
pub async fn compose_due(
    pool: &PgPool,
    at: DateTime<Utc>,
    hour: u32,
    base_url: &str,
    correlation_id: Uuid,
) -> sqlx::Result<usize> {
    // 1. Who organises what (exchanges not over a day ago, soonest first).
    let mut conn = pool.acquire().await?;
    let exchanges = events::organised_after(&mut conn, at - Duration::days(1)).await?;
    let profiles: HashMap<String, Organiser> = digests::all(&mut conn)
        .await?
        .into_iter()
        .map(|o| (o.email.clone(), o))
        .collect();
    drop(conn);
    let mut by_organiser: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
    for event in &exchanges {
        for email in &event.organiser_emails {
            by_organiser
                .entry(email.to_lowercase())
                .or_default()
                .push(event);
        }
    }

    let mut announced = 0;
    for (email, theirs) in by_organiser {
        // 2. Is theirs due? Checked again under the lock: another process may have done it.
        let tz = zone(profiles.get(&email), theirs[0]);
        let unlocked = profiles.get(&email);
        if unlocked.is_some_and(|p| !p.digest_enabled)
            || due(at, tz, hour, unlocked.and_then(|p| p.last_digest_at)).is_none()
        {
            continue;
        }
        let mut tx = pool.begin().await?;
        let organiser = digests::lock(&mut tx, &email).await?;
        let Some(date) = due(at, tz, hour, organiser.last_digest_at) else {
            continue;
        };
        if !organiser.digest_enabled {
            continue;
        }

        // 3. What each exchange has: new since the last digest, or still waiting.
        let since = organiser.last_digest_at.unwrap_or(at - Duration::days(1));
        let until = Utc::now();
        let mut parts = Vec::new();
        let mut anything_new = false;
        for event in theirs {
            let (new_registrations, new_registrations_total) =
                digests::new_registrations(&mut tx, event.id, since, until).await?;
            let (pending, pending_total, newest_pending) =
                digests::pending(&mut tx, event.id).await?;
            let (open_offers, open_offers_total, newest_offer) =
                digests::open_offers(&mut tx, event.id).await?;
            anything_new |= new_registrations_total > 0
                || newest_pending.is_some_and(|t| t > since)
                || newest_offer.is_some_and(|t| t > since);
            if new_registrations_total + pending_total + open_offers_total == 0 {
                continue;
            }
            parts.push(DigestExchange {
                event: event.snapshot(),
                new_registrations,
                new_registrations_total,
                pending,
                pending_total,
                open_offers,
                open_offers_total,
                confirmed: events::confirmed_count(&mut tx, event.id).await?,
                capacity: event.capacity,
            });
        }

        // 4. Done for today either way; announced only when something is new.
        digests::composed(&mut tx, &email, until).await?;
        if anything_new {
            let message = OrganiserDigest {
                organiser_email: email.clone(),
                timezone: tz.name().to_owned(),
                local_date: date.to_string(),
                since,
                until,
                exchanges: parts,
                base_url: base_url.to_owned(),
            };
            outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
            announced += 1;
        }
        tx.commit().await?;
    }
    if announced > 0 {
        tracing::info!(count = announced, "organisers' digests composed");
    }
    Ok(announced)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn due_from_the_hour_in_the_organisers_zone_once_a_day() {
        let bogota: Tz = "America/Bogota".parse().unwrap(); // UTC-5
                                                            // 08:00 in Bogotá is 13:00 UTC.
        assert_eq!(due(t("2026-11-30T12:59:00Z"), bogota, 8, None), None);
        let date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(due(t("2026-11-30T13:00:00Z"), bogota, 8, None), Some(date));
        // Composed at 13:15: not again that day, due again the next.
        let done = Some(t("2026-11-30T13:15:00Z"));
        assert_eq!(due(t("2026-11-30T22:00:00Z"), bogota, 8, done), None);
        assert_eq!(
            due(t("2026-12-01T13:00:00Z"), bogota, 8, done),
            NaiveDate::from_ymd_opt(2026, 12, 1)
        );
        // Still 30 November in Bogotá at 02:00 UTC on 1 December: already done.
        assert_eq!(due(t("2026-12-01T02:00:00Z"), bogota, 8, done), None);
    }

    #[test]
    fn zones_with_half_hours_and_skipped_hours_still_get_theirs() {
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap(); // UTC+5:30
        assert_eq!(due(t("2026-11-30T02:29:00Z"), kolkata, 8, None), None);
        assert!(due(t("2026-11-30T02:30:00Z"), kolkata, 8, None).is_some());
        // 29 March 2026, Europe/Zurich: 02:00 does not exist; the digest comes at 03:00.
        let zurich: Tz = "Europe/Zurich".parse().unwrap();
        assert_eq!(due(t("2026-03-29T00:59:00Z"), zurich, 2, None), None);
        assert!(due(t("2026-03-29T01:00:00Z"), zurich, 2, None).is_some());
    }
}
