//! Which reminders fall due, decided against a real Postgres (a fresh database per test).

use chrono::{DateTime, Duration, Utc};
use convene_shared::messages::{EventScheduled, EventSnapshot};
use convene_tests::infra::TestDatabase;
use scheduling::store::events;
use scheduling::store::registrations::{self, Confirmed};
use sqlx::PgPool;
use uuid::Uuid;

async fn database() -> (TestDatabase, PgPool) {
    let db = TestDatabase::create().await;
    let pool =
        convene_shared::db::connect(&db.url, "scheduling", 5, std::time::Duration::from_secs(10))
            .await
            .unwrap();
    convene_shared::db::migrate(&pool, "scheduling", &scheduling::startup::MIGRATOR)
        .await
        .unwrap();
    (db, pool)
}

async fn event(pool: &PgPool, starts_at: DateTime<Utc>, offsets: &[i32]) -> Uuid {
    let id = Uuid::now_v7();
    let message = EventScheduled {
        event: EventSnapshot {
            event_id: id,
            slug: format!("e-{}", id.simple()),
            title: "Exchange".into(),
            starts_at,
            ends_at: starts_at + Duration::hours(2),
            timezone: "Europe/Zurich".into(),
            version: 1,
            online: false,
        },
        reminder_offsets_minutes: offsets.to_vec(),
        version: 1,
        changes: vec![],
        reminder_notes: vec![],
    };
    events::upsert(pool, &message).await.unwrap();
    id
}

async fn registered(pool: &PgPool, event: Uuid, at: DateTime<Utc>) -> Uuid {
    let id = Uuid::now_v7();
    let confirmed = Confirmed {
        id,
        event_id: event,
        at,
    };
    registrations::confirmed(pool, &[confirmed]).await.unwrap();
    id
}

async fn decided(pool: &PgPool) -> Vec<(Uuid, i32)> {
    sqlx::query_as("SELECT registration_id, offset_minutes FROM reminders ORDER BY registration_id, offset_minutes")
        .fetch_all(pool)
        .await
        .unwrap()
}

const WEEK: i32 = 10080;
const DAY: i32 = 1440;
const HOUR: i32 = 60;

#[tokio::test]
async fn after_downtime_only_the_latest_missed_reminder_is_sent() {
    let (_db, pool) = database().await;
    let now = Utc::now();
    // Starts in 12 hours: the week and the day reminders have both passed, the hour one has not.
    let e = event(&pool, now + Duration::hours(12), &[WEEK, DAY, HOUR]).await;
    let r = registered(&pool, e, now - Duration::days(10)).await;

    assert_eq!(scheduling::reminders::tick(&pool).await.unwrap(), 1);
    assert_eq!(decided(&pool).await, vec![(r, DAY)]);
    // The outbox carries exactly that one message.
    let outbox: Vec<(String,)> = sqlx::query_as("SELECT routing_key FROM outbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(outbox, vec![("reminder.due".to_owned(),)]);
    // Ticking again decides nothing new, and the week reminder never comes back.
    assert_eq!(scheduling::reminders::tick(&pool).await.unwrap(), 0);
    assert_eq!(decided(&pool).await, vec![(r, DAY)]);
}

#[tokio::test]
async fn who_registers_after_a_reminder_time_does_not_get_that_reminder() {
    let (_db, pool) = database().await;
    let now = Utc::now();
    // Starts in 12 hours; registered 2 hours ago, after the day reminder's time.
    let e = event(&pool, now + Duration::hours(12), &[WEEK, DAY, HOUR]).await;
    registered(&pool, e, now - Duration::hours(2)).await;
    assert_eq!(scheduling::reminders::tick(&pool).await.unwrap(), 0);
    assert!(decided(&pool).await.is_empty());
}

#[tokio::test]
async fn no_reminder_after_the_start_nor_for_a_cancelled_registration() {
    let (_db, pool) = database().await;
    let now = Utc::now();
    let started = event(&pool, now - Duration::minutes(1), &[WEEK, DAY, HOUR]).await;
    registered(&pool, started, now - Duration::days(10)).await;
    let upcoming = event(&pool, now + Duration::minutes(30), &[HOUR]).await;
    let cancelled = registered(&pool, upcoming, now - Duration::days(1)).await;
    registrations::cancelled(&pool, cancelled, upcoming, now)
        .await
        .unwrap();
    assert_eq!(scheduling::reminders::tick(&pool).await.unwrap(), 0);
    // A late, older confirmation does not revive the cancelled registration.
    let late = Confirmed {
        id: cancelled,
        event_id: upcoming,
        at: now - Duration::days(1),
    };
    registrations::confirmed(&pool, &[late]).await.unwrap();
    assert_eq!(scheduling::reminders::tick(&pool).await.unwrap(), 0);
}

#[tokio::test]
async fn concurrent_schedulers_decide_each_reminder_once() {
    let (db, pool) = database().await;
    let now = Utc::now();
    let e = event(&pool, now + Duration::minutes(30), &[HOUR]).await;
    for _ in 0..2000 {
        registered(&pool, e, now - Duration::days(1)).await;
    }
    let other =
        convene_shared::db::connect(&db.url, "scheduling", 5, std::time::Duration::from_secs(10))
            .await
            .unwrap();
    let (a, b) = tokio::join!(
        scheduling::reminders::tick(&pool),
        scheduling::reminders::tick(&other)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2000);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM reminders")
        .fetch_one(&pool)
        .await
        .unwrap();
    // Announced in batches: every participant in exactly one message.
    let (announced, distinct): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT rid) FROM outbox, \
         jsonb_array_elements_text(envelope->'payload'->'registration_ids') AS rid",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((rows, announced, distinct), (2000, 2000, 2000));
    assert!((20..2000).contains(&messages), "{messages} messages");
}

#[tokio::test]
async fn one_tick_decides_every_reminder_across_batches_and_exchanges() {
    let (_db, pool) = database().await;
    let now = Utc::now();
    // More than two batches of 1 000 in one exchange, a few in another, and one not due yet.
    let big = event(&pool, now + Duration::minutes(30), &[HOUR]).await;
    let small = event(&pool, now + Duration::minutes(45), &[HOUR, DAY]).await;
    let later = event(&pool, now + Duration::days(3), &[DAY]).await;
    for (event, count) in [(big, 2345), (small, 7), (later, 5)] {
        sqlx::query(
            "INSERT INTO registrations (registration_id, event_id, status, registered_at, status_at) \
             SELECT gen_random_uuid(), $1, 'confirmed', $2, $2 FROM generate_series(1, $3)",
        )
        .bind(event)
        .bind(now - Duration::days(2))
        .bind(count)
        .execute(&pool)
        .await
        .unwrap();
    }
    // One already decided by an earlier tick is not decided again.
    let earlier = registered(&pool, big, now - Duration::days(2)).await;
    sqlx::query(
        "INSERT INTO reminders (registration_id, offset_minutes, event_id) VALUES ($1, $2, $3)",
    )
    .bind(earlier)
    .bind(HOUR)
    .bind(big)
    .execute(&pool)
    .await
    .unwrap();

    assert_eq!(scheduling::reminders::tick(&pool).await.unwrap(), 2345 + 7);
    let per_event: Vec<(Uuid, i32, i64)> = sqlx::query_as(
        "SELECT event_id, offset_minutes, count(*) FROM reminders GROUP BY 1, 2 ORDER BY 3",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(per_event, vec![(small, HOUR, 7), (big, HOUR, 2346)]);
    assert_eq!(scheduling::reminders::tick(&pool).await.unwrap(), 0);
}

#[tokio::test]
async fn a_walk_that_found_nothing_rests_but_a_newly_due_offset_is_walked_at_once() {
    let (_db, pool) = database().await;
    let now = Utc::now();
    let e = event(&pool, now + Duration::hours(12), &[DAY, HOUR]).await;
    let first = registered(&pool, e, now - Duration::days(2)).await;
    // Resting for a long time (a huge factor): the test does not depend on timing.
    let mut walks = scheduling::reminders::Walks::new(1_000_000);
    use scheduling::reminders::tick_with;

    assert_eq!(tick_with(&pool, &mut walks).await.unwrap(), 1);
    assert!(
        !walks.is_resting(e, DAY),
        "a walk that decided something does not rest"
    );
    assert_eq!(tick_with(&pool, &mut walks).await.unwrap(), 0);
    assert!(walks.is_resting(e, DAY));

    // A late confirmation waits while the walk rests; a scheduler without that memory
    // (or this one, once the rest is over) decides it.
    let late = registered(&pool, e, now - Duration::days(2)).await;
    assert_eq!(tick_with(&pool, &mut walks).await.unwrap(), 0);
    assert_eq!(scheduling::reminders::tick(&pool).await.unwrap(), 1);
    assert_eq!(decided(&pool).await.len(), 2);

    // The exchange moves: the hour reminder falls due, and is walked at once.
    let moved = EventScheduled {
        event: EventSnapshot {
            event_id: e,
            slug: format!("e-{}", e.simple()),
            title: "Exchange".into(),
            starts_at: now + Duration::minutes(30),
            ends_at: now + Duration::hours(2),
            timezone: "Europe/Zurich".into(),
            version: 2,
            online: false,
        },
        reminder_offsets_minutes: vec![DAY, HOUR],
        version: 2,
        changes: vec![],
        reminder_notes: vec![],
    };
    events::upsert(&pool, &moved).await.unwrap();
    assert_eq!(tick_with(&pool, &mut walks).await.unwrap(), 2);
    let mut expected = vec![(first, DAY), (first, HOUR), (late, DAY), (late, HOUR)];
    expected.sort();
    assert_eq!(decided(&pool).await, expected);

    // With no rest at all, every tick walks again.
    let mut eager = scheduling::reminders::Walks::new(0);
    assert_eq!(tick_with(&pool, &mut eager).await.unwrap(), 0);
    assert!(!eager.is_resting(e, HOUR));
}

#[tokio::test]
async fn confirmations_recorded_together_keep_each_registrations_newest_state() {
    let (_db, pool) = database().await;
    let now = Utc::now();
    let upcoming = event(&pool, now + Duration::hours(1), &[10]).await;
    let (twice, cancelled, fresh) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    registrations::cancelled(&pool, cancelled, upcoming, now)
        .await
        .unwrap();
    let at = |id, at| Confirmed {
        id,
        event_id: upcoming,
        at,
    };
    // One batch: a registration named twice (the newer first), one cancelled since, one new.
    registrations::confirmed(
        &pool,
        &[
            at(twice, now - Duration::minutes(1)),
            at(cancelled, now - Duration::days(1)),
            at(fresh, now - Duration::minutes(5)),
            at(twice, now - Duration::minutes(9)),
        ],
    )
    .await
    .unwrap();
    let rows: Vec<(Uuid, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT registration_id, status, status_at FROM registrations ORDER BY registration_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let round = |t: DateTime<Utc>| t.timestamp_micros();
    let rows: Vec<_> = rows
        .into_iter()
        .map(|(id, s, t)| (id, s, round(t)))
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                twice,
                "confirmed".to_string(),
                round(now - Duration::minutes(1))
            ),
            (cancelled, "cancelled".to_string(), round(now)),
            (
                fresh,
                "confirmed".to_string(),
                round(now - Duration::minutes(5))
            ),
        ]
    );
}
