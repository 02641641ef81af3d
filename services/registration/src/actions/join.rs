//! A participant opens their personal join link: during the exchange's window it leads to
//! the meeting, and the first time records them as joined.
//!
//! The link (`/j/{token}`, in their emails and calendar) holds its own secret, stored only
//! hashed; their page offers `/registrations/{manage token}/join`, which behaves the same.
//! Either redirects to the exchange's *current* meeting link, read at that moment, so
//! organisers can change the meeting without emailing anyone.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::store::join_links::{self, JoinTarget};

/// What opening a join link leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Join {
    /// The window is open: go to this meeting link (the participant is now recorded as
    /// joined).
    Meeting(String),
    /// Too early: the link opens the meeting from `opens_at`.
    TooEarly { opens_at: DateTime<Utc> },
    /// The exchange has ended.
    Ended,
    /// The exchange was cancelled.
    Cancelled,
    /// The registration holds no confirmed seat (cancelled, waitlisted, offered, pending,
    /// rejected, expired).
    NotConfirmed,
    /// The participant's data was erased.
    Erased,
    /// The exchange has no meeting link.
    NotOnline,
}

/// Where a join link leads at `now`, without recording anything.
pub fn decide(target: &JoinTarget, now: DateTime<Utc>) -> Join {
    if target.erased_at.is_some() {
        return Join::Erased;
    }
    if target.event_status == "cancelled" {
        return Join::Cancelled;
    }
    if target.status != "confirmed" {
        return Join::NotConfirmed;
    }
    if now >= target.ends_at {
        return Join::Ended;
    }
    if target.meeting_url.is_empty() {
        return Join::NotOnline;
    }
    let opens_at = target.starts_at - Duration::minutes(i64::from(target.join_opens_minutes));
    if now < opens_at {
        return Join::TooEarly { opens_at };
    }
    Join::Meeting(target.meeting_url.clone())
}

/// Opens a join link: decides where it leads and, when that is the meeting, records the
/// participant as joined (the first time only).
///
/// # Errors
/// When Postgres fails.
pub async fn open(pool: &PgPool, target: &JoinTarget) -> sqlx::Result<Join> {
    let join = decide(target, Utc::now());
    if matches!(join, Join::Meeting(_)) && target.joined_at.is_none() {
        let mut conn = pool.acquire().await?;
        join_links::record_joined(&mut conn, target.registration_id).await?;
        tracing::info!(registration_id = %target.registration_id, "participant joined the exchange");
    }
    Ok(join)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> JoinTarget {
        JoinTarget {
            registration_id: uuid::Uuid::nil(),
            status: "confirmed".into(),
            erased_at: None,
            lang: "en".into(),
            timezone: None,
            joined_at: None,
            title: "Exchange".into(),
            starts_at: "2026-12-15T13:00:00Z".parse().unwrap(),
            ends_at: "2026-12-15T15:00:00Z".parse().unwrap(),
            event_timezone: "Europe/Zurich".into(),
            event_status: "scheduled".into(),
            meeting_url: "https://meet.example.org/x".into(),
            join_opens_minutes: 30,
        }
    }

    fn at(t: &str) -> DateTime<Utc> {
        t.parse().unwrap()
    }

    #[test]
    fn the_window_runs_from_join_opens_minutes_before_the_start_to_the_end() {
        let t = target();
        assert_eq!(
            decide(&t, at("2026-12-15T12:29:59Z")),
            Join::TooEarly {
                opens_at: at("2026-12-15T12:30:00Z")
            }
        );
        let meeting = Join::Meeting("https://meet.example.org/x".into());
        assert_eq!(decide(&t, at("2026-12-15T12:30:00Z")), meeting);
        assert_eq!(decide(&t, at("2026-12-15T14:59:59Z")), meeting);
        assert_eq!(decide(&t, at("2026-12-15T15:00:00Z")), Join::Ended);
    }

    #[test]
    fn only_a_confirmed_registration_of_an_online_exchange_reaches_the_meeting() {
        let during = at("2026-12-15T13:10:00Z");
        for status in [
            "cancelled",
            "waitlisted",
            "offered",
            "pending",
            "rejected",
            "expired",
        ] {
            let t = JoinTarget {
                status: status.into(),
                ..target()
            };
            assert_eq!(decide(&t, during), Join::NotConfirmed, "{status}");
        }
        let erased = JoinTarget {
            erased_at: Some(during),
            ..target()
        };
        assert_eq!(decide(&erased, during), Join::Erased);
        let offline = JoinTarget {
            meeting_url: String::new(),
            ..target()
        };
        assert_eq!(decide(&offline, during), Join::NotOnline);
        let cancelled = JoinTarget {
            event_status: "cancelled".into(),
            ..target()
        };
        assert_eq!(decide(&cancelled, during), Join::Cancelled);
    }
}
