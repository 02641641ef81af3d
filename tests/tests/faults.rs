//! The fault suite (`make faults`): Convene under a steady stream of registrations and
//! co-sponsorship offers while, one after the other, RabbitMQ is cut off and then really
//! stopped, Postgres is restarted and cut off, the SMTP server refuses and then vanishes,
//! and each service is killed with SIGKILL and started again, with two schedulers
//! running throughout. At the end it checks Postgres against the mail the SMTP server
//! received and prints one line per fault, then the totals; it fails if a figure is off.
//!
//! Postgres and RabbitMQ are private servers of this test (the machine's own are shared
//! and never stopped); the services reach them through proxies the suite can cut.
//!
//! Knobs: `FAULTS_RATE` (registrations a second, default 4), `FAULTS_OFFER_EVERY`
//! (one offer per that many registrations, default 8).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use convene_tests::infra::{host_port, through};
use convene_tests::servers::{PrivatePostgres, PrivateRabbit};
use convene_tests::stack::participant;
use convene_tests::{Mail, Proxy, Stack, StackOptions};
use serde_json::json;

/// The exchange starts this long after the suite begins; its reminders fall due during it.
const EVENT_STARTS_IN_MINUTES: i64 = 10;
/// One reminder a minute into the run, one two minutes in.
const REMINDER_OFFSETS: [i64; 2] = [9, 8];
const ORGANISERS: [&str; 2] = ["lead@un.example.org", "co-lead@ministry.example.org"];
/// How long a request keeps being retried before it counts as not accepted.
const GIVE_UP_AFTER: Duration = Duration::from_secs(120);

/// What happened to one request, as the client saw it.
#[derive(Debug, Clone)]
struct Attempt {
    /// The participant's address, or the offer's contact address.
    email: String,
    started: Instant,
    accepted: bool,
}

/// Everything the load generator saw.
#[derive(Default)]
struct Seen {
    registrations: Vec<Attempt>,
    offers: Vec<Attempt>,
    /// Every answer: when, and the status (0: no answer, the connection failed).
    answers: Vec<(Instant, u16)>,
}

/// A fault as it happened.
struct Fault {
    name: &'static str,
    what: String,
    start: Instant,
    /// When every service answered `/readyz` again.
    end: Instant,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "the fault suite takes minutes: run it with `make faults`"]
async fn fault_suite() {
    let rate: f64 = env_or("FAULTS_RATE", 4.0);
    let offer_every: u64 = env_or("FAULTS_OFFER_EVERY", 8);

    // Private servers, behind proxies.
    let postgres = PrivatePostgres::start();
    let mut rabbit = PrivateRabbit::start();
    let postgres_proxy = Proxy::start(&host_port(&postgres.server_url()));
    let rabbit_proxy = Proxy::start(&host_port(&rabbit.server_url()));
    let mut stack = Stack::start_with(StackOptions {
        schedule: "* * * * * *".to_owned(),
        schedulers: 2,
        // About a minute of retries: longer than any SMTP outage below.
        retry_delays_ms: "1000,2000,4000,8000,16000,32000".to_owned(),
        env: vec![
            ("RUST_LOG".to_owned(), "info,lapin=off".to_owned()),
            // All the load comes from one address: the per-client limit would refuse
            // the burst of retries after an outage, which is not what this measures.
            ("RATE_LIMIT_PER_MINUTE".to_owned(), "0".to_owned()),
            // Hundreds of offers an hour, each of which must email every organiser once.
            ("OFFER_EMAILS_PER_HOUR".to_owned(), "0".to_owned()),
        ],
        postgres_server: Some(postgres.server_url()),
        postgres_via: Some(through(&postgres.server_url(), postgres_proxy.addr())),
        rabbitmq: Some((rabbit.node.clone(), rabbit.server_url())),
        amqp_via: Some(through(&rabbit.server_url(), rabbit_proxy.addr())),
        ..StackOptions::default()
    })
    .await;
    let start = chrono::Utc::now() + chrono::Duration::minutes(EVENT_STARTS_IN_MINUTES);
    let slug = stack
        .given_event(json!({
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(),
            "reminder_offsets_minutes": REMINDER_OFFSETS,
            "organiser_emails": ORGANISERS,
        }))
        .await;
    println!(
        "fault suite: {rate} registrations/s, an offer every {offer_every}; Postgres :{}, RabbitMQ {} :{}",
        postgres.port, rabbit.node, rabbit.port
    );

    // The steady stream, until told to stop.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (stop_load, load_stopped) = tokio::sync::watch::channel(false);
    let load = tokio::spawn(drive_load(
        stack.base_url.clone(),
        slug.clone(),
        rate,
        offer_every,
        seen.clone(),
        load_stopped,
    ));

    // The faults, one after the other.
    let mut faults = Vec::new();
    let pause = || tokio::time::sleep(Duration::from_secs(6));
    pause().await;

    let t = Instant::now();
    rabbit_proxy.cut();
    tokio::time::sleep(Duration::from_secs(8)).await;
    rabbit_proxy.restore();
    faults.push(
        recovered(
            &stack,
            "rabbitmq-network-cut",
            "connections to RabbitMQ cut for 8 s".into(),
            t,
        )
        .await,
    );
    pause().await;

    let t = Instant::now();
    tokio::task::block_in_place(|| rabbit.stop_app());
    tokio::time::sleep(Duration::from_secs(10)).await;
    tokio::task::block_in_place(|| rabbit.start_app());
    faults.push(
        recovered(
            &stack,
            "rabbitmq-restart",
            "RabbitMQ stopped (stop_app) for 10 s, then started".into(),
            t,
        )
        .await,
    );
    pause().await;

    let t = Instant::now();
    tokio::task::block_in_place(|| postgres.stop());
    tokio::time::sleep(Duration::from_secs(5)).await;
    tokio::task::block_in_place(|| postgres.start_again());
    faults.push(
        recovered(
            &stack,
            "postgres-restart",
            "Postgres stopped (-m fast) for 5 s, then started".into(),
            t,
        )
        .await,
    );
    pause().await;

    let t = Instant::now();
    let refuse = stack.mailbox.dir.join("refuse-4xx");
    std::fs::write(&refuse, "").expect("refuse-4xx");
    tokio::time::sleep(Duration::from_secs(10)).await;
    std::fs::remove_file(&refuse).expect("refuse-4xx");
    faults.push(
        recovered(
            &stack,
            "smtp-refuses",
            "the SMTP server answered 451 for 10 s".into(),
            t,
        )
        .await,
    );
    pause().await;

    let t = Instant::now();
    stack.smtp.kill();
    tokio::time::sleep(Duration::from_secs(5)).await;
    stack.smtp.restart();
    faults.push(
        recovered(
            &stack,
            "smtp-down",
            "the SMTP server stopped for 5 s".into(),
            t,
        )
        .await,
    );
    pause().await;

    let t = Instant::now();
    stack.notification.kill();
    let notification_killed_at = Some(SystemTime::now());
    tokio::time::sleep(Duration::from_secs(2)).await;
    stack.notification.restart();
    faults.push(
        recovered(
            &stack,
            "kill-9-notification",
            "notification killed (SIGKILL), restarted 2 s later".into(),
            t,
        )
        .await,
    );
    pause().await;

    let t = Instant::now();
    stack.registration.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stack.registration.restart();
    faults.push(
        recovered(
            &stack,
            "kill-9-registration",
            "registration killed (SIGKILL), restarted 2 s later".into(),
            t,
        )
        .await,
    );
    pause().await;

    let t = Instant::now();
    stack.schedulers[0].kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stack.schedulers[0].restart();
    faults.push(
        recovered(
            &stack,
            "kill-9-scheduling",
            "one of two schedulers killed (SIGKILL), restarted 2 s later".into(),
            t,
        )
        .await,
    );
    pause().await;

    let t = Instant::now();
    postgres_proxy.cut();
    tokio::time::sleep(Duration::from_secs(6)).await;
    postgres_proxy.restore();
    faults.push(
        recovered(
            &stack,
            "postgres-network-cut",
            "connections to Postgres cut for 6 s".into(),
            t,
        )
        .await,
    );
    pause().await;

    // Stop the load, let every request finish, then let the system settle.
    let _ = stop_load.send(true);
    load.await.expect("the load generator panicked");
    let load_end = Instant::now();
    // Settling before the last reminder has fallen due would end the run while the
    // scheduler was deciding it, and count its emails as missing (seen once, when the
    // faults went quickly): wait for it, and for the next tick to decide it.
    let last_due =
        start - chrono::Duration::minutes(*REMINDER_OFFSETS.iter().min().expect("offsets"));
    if let Ok(wait) = (last_due - chrono::Utc::now()).to_std() {
        tokio::time::sleep(wait + Duration::from_secs(3)).await;
    }
    let settled = settle(&stack, &rabbit, Duration::from_secs(240)).await;
    let logs = convene_tests::infra::workspace_root().join("var/faults-logs");
    let _ = std::fs::remove_dir_all(&logs);
    stack.keep_logs(&logs);

    // Verify.
    let seen = std::mem::take(&mut *seen.lock().expect("lock"));
    let report = verify(&stack, &rabbit, &seen, &faults, notification_killed_at).await;
    println!();
    for line in &report.lines {
        println!("{line}");
    }
    println!(
        "load: {} registrations and {} offers sent over {:.0} s; settled {}; service logs in var/faults-logs",
        seen.registrations.len(),
        seen.offers.len(),
        load_end.duration_since(faults[0].start).as_secs_f64() + 6.0,
        if settled { "yes" } else { "NO (timed out)" }
    );
    assert!(
        report.failures.is_empty(),
        "the fault suite failed:\n  {}",
        report.failures.join("\n  ")
    );
}

/// Waits until every service answers `/readyz` again and records the fault.
async fn recovered(stack: &Stack, name: &'static str, what: String, start: Instant) -> Fault {
    stack.wait_until_ready(Duration::from_secs(120)).await;
    let fault = Fault {
        name,
        what,
        start,
        end: Instant::now(),
    };
    println!(
        "  {name}: done, every service ready {:.1} s after it began",
        fault.end.duration_since(start).as_secs_f64()
    );
    fault
}

/// Sends registrations at `rate` a second, and an offer every `offer_every`, each in a
/// task of its own that retries until accepted, until `stop`; then waits for them all.
async fn drive_load(
    base_url: String,
    slug: String,
    rate: f64,
    offer_every: u64,
    seen: Arc<Mutex<Seen>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0u64.. {
        tokio::select! {
            _ = tick.tick() => {},
            _ = stop.wait_for(|s| *s) => break,
        }
        let person = participant(&format!("Official {n}"));
        tasks.spawn(register(
            http.clone(),
            format!("{base_url}/api/events/{slug}/registrations"),
            person,
            seen.clone(),
        ));
        if n % offer_every == offer_every - 1 {
            tasks.spawn(offer(
                http.clone(),
                format!("{base_url}/api/events/{slug}/cosponsor-offers"),
                n,
                seen.clone(),
            ));
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// One registration, retried until a 2xx: a registration is idempotent per address, so a
/// retry after an answer that never came is safe.
async fn register(
    http: reqwest::Client,
    url: String,
    person: serde_json::Value,
    seen: Arc<Mutex<Seen>>,
) {
    let email = person["email"].as_str().expect("email").to_owned();
    let started = Instant::now();
    let mut accepted = false;
    while started.elapsed() < GIVE_UP_AFTER {
        let answer = http.post(&url).json(&person).send().await;
        let (status, retry_after) = match &answer {
            Ok(r) => (r.status().as_u16(), retry_after(r)),
            Err(_) => (0, Duration::from_millis(500)),
        };
        seen.lock()
            .expect("lock")
            .answers
            .push((Instant::now(), status));
        match status {
            202 => {
                accepted = true;
                break;
            }
            // 429: a well-behaved client waits as told and tries again.
            0 | 429 | 502 | 503 | 504 => tokio::time::sleep(retry_after).await,
            _ => break, // a bug: reported as not accepted
        }
    }
    seen.lock().expect("lock").registrations.push(Attempt {
        email,
        started,
        accepted,
    });
}

/// One co-sponsorship offer. Offers are not idempotent, so it is retried only when
/// nothing can have been written: a 503, or a connection refused.
async fn offer(http: reqwest::Client, url: String, n: u64, seen: Arc<Mutex<Seen>>) {
    let contact = format!(
        "contact-{n}-{}@partner.example.org",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let body = json!({
        "organisation": format!("Partner Organisation {n}"),
        "country": "MX",
        "contact_name": "Lucía Pérez",
        "contact_email": contact,
        "support_kind": "hosting",
        "message": "We can host a session.",
    });
    let started = Instant::now();
    let mut accepted = false;
    while started.elapsed() < GIVE_UP_AFTER {
        let answer = http.post(&url).json(&body).send().await;
        let status = answer.as_ref().map_or(0, |r| r.status().as_u16());
        seen.lock()
            .expect("lock")
            .answers
            .push((Instant::now(), status));
        match &answer {
            Ok(r) if r.status().is_success() => {
                accepted = true;
                break;
            }
            Ok(r) if r.status() == 503 || r.status() == 429 => {
                tokio::time::sleep(retry_after(r)).await
            }
            Err(e) if e.is_connect() => tokio::time::sleep(Duration::from_millis(500)).await,
            _ => break, // maybe written, maybe not: Postgres says which
        }
    }
    seen.lock().expect("lock").offers.push(Attempt {
        email: contact,
        started,
        accepted,
    });
}

fn retry_after(response: &reqwest::Response) -> Duration {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .map_or(Duration::from_millis(500), Duration::from_secs)
}

/// Waits until nothing is left to do: both outboxes empty, no message in any queue but
/// the dead-letter ones, and the mail count steady and at least what Postgres expects.
async fn settle(stack: &Stack, rabbit: &PrivateRabbit, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut steady_since: Option<(Instant, usize)> = None;
    while Instant::now() < deadline {
        let pending = stack
            .scalar_i64(
                "SELECT (SELECT count(*) FROM registration.outbox) + (SELECT count(*) FROM scheduling.outbox)",
            )
            .await;
        let expected = stack
            .scalar_i64(&format!(
                "SELECT (SELECT count(*) FROM registration.registrations) \
                 + {} * (SELECT count(*) FROM registration.cosponsor_offers) \
                 + (SELECT count(*) FROM scheduling.reminders)",
                ORGANISERS.len()
            ))
            .await;
        let queued: i64 = queue_depths(rabbit, &stack.vhost.name)
            .iter()
            .filter(|(name, _)| !name.ends_with(".dead"))
            .map(|(_, n)| n)
            .sum();
        let mails = mail_count(stack);
        let quiet = pending == 0 && queued == 0 && mails as i64 >= expected;
        steady_since = match (quiet, steady_since) {
            (true, Some((since, n))) if n == mails => {
                if since.elapsed() > Duration::from_secs(3) {
                    return true;
                }
                Some((since, n))
            }
            (true, _) => Some((Instant::now(), mails)),
            (false, _) => None,
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

fn mail_count(stack: &Stack) -> usize {
    std::fs::read_dir(&stack.mailbox.dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count()
        })
        .unwrap_or(0)
}

/// `(queue, messages)` for every queue of the vhost.
fn queue_depths(rabbit: &PrivateRabbit, vhost: &str) -> Vec<(String, i64)> {
    let out = rabbit
        .ctl(&[
            "list_queues",
            "-q",
            "--no-table-headers",
            "-p",
            vhost,
            "name",
            "messages",
        ])
        .unwrap_or_default();
    out.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let name = parts.next()?.to_owned();
            let count = parts.next()?.parse().ok()?;
            Some((name, count))
        })
        .collect()
}

/// The suite's verdict: the lines to print and what is wrong.
struct Report {
    lines: Vec<String>,
    failures: Vec<String>,
}

/// Each email received, by what it is about.
#[derive(Default)]
struct Received {
    /// Participant address → when each confirmation arrived.
    confirmations: HashMap<String, Vec<SystemTime>>,
    /// Participant address → when each reminder arrived.
    reminders: HashMap<String, Vec<SystemTime>>,
    /// (offer contact address, organiser) → when each arrived.
    offers: HashMap<(String, String), Vec<SystemTime>>,
    other: Vec<String>,
}

fn classify(mails: Vec<Mail>) -> Received {
    let mut received = Received::default();
    for mail in mails {
        let at = std::fs::metadata(&mail.file)
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let to = address(&mail.to);
        if mail.subject.starts_with("Registered: ") {
            received.confirmations.entry(to).or_default().push(at);
        } else if mail.subject.starts_with("Reminder: ") {
            received.reminders.entry(to).or_default().push(at);
        } else if mail.subject.starts_with("Co-sponsorship offer: ") {
            let contact = address(mail.reply_to.as_deref().unwrap_or_default());
            received.offers.entry((contact, to)).or_default().push(at);
        } else {
            received
                .other
                .push(format!("{}: {}", mail.to, mail.subject));
        }
    }
    for times in received
        .confirmations
        .values_mut()
        .chain(received.reminders.values_mut())
        .chain(received.offers.values_mut())
    {
        times.sort();
    }
    received
}

/// The bare, lower-cased address in `Name <address>` or `address`.
fn address(header: &str) -> String {
    let inner = match (header.rfind('<'), header.rfind('>')) {
        (Some(a), Some(b)) if a < b => &header[a + 1..b],
        _ => header,
    };
    inner.trim().to_lowercase()
}

/// Whether the extra copies of one email are explained by the notification process being
/// killed inside the documented window: the first copy was accepted by the SMTP server
/// shortly before the kill, and every other copy after it.
fn inside_kill_window(times: &[SystemTime], killed_at: Option<SystemTime>) -> bool {
    let Some(killed) = killed_at else {
        return false;
    };
    let first = times[0];
    first <= killed
        && killed.duration_since(first).unwrap_or_default() < Duration::from_secs(10)
        && times[1..].iter().all(|t| *t >= killed)
}

/// Counts missing and duplicate emails for the given keys: `(missing, duplicates,
/// duplicates inside the kill window)`.
fn tally<K: std::hash::Hash + Eq>(
    keys: impl Iterator<Item = (K, usize)>,
    received: &HashMap<K, Vec<SystemTime>>,
    killed_at: Option<SystemTime>,
) -> (usize, usize, usize) {
    let (mut missing, mut duplicates, mut window) = (0, 0, 0);
    for (key, expected) in keys {
        let times = received.get(&key).map_or(&[][..], Vec::as_slice);
        if times.len() < expected {
            missing += expected - times.len();
        } else if times.len() > expected {
            let extra = times.len() - expected;
            if expected == 1 && inside_kill_window(times, killed_at) {
                window += extra;
            } else {
                duplicates += extra;
            }
        }
    }
    (missing, duplicates, window)
}

async fn verify(
    stack: &Stack,
    rabbit: &PrivateRabbit,
    seen: &Seen,
    faults: &[Fault],
    notification_killed_at: Option<SystemTime>,
) -> Report {
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    let pool = stack.db.pool().await;
    let received = classify(stack.mailbox.all());

    // What Postgres holds.
    let stored: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, lower(email) FROM registration.registrations")
            .fetch_all(&pool)
            .await
            .expect("registrations");
    let stored_emails: std::collections::HashSet<&str> =
        stored.iter().map(|(_, e)| e.as_str()).collect();
    let offers: Vec<String> =
        sqlx::query_scalar("SELECT lower(contact_email) FROM registration.cosponsor_offers")
            .fetch_all(&pool)
            .await
            .expect("offers");
    let reminders: Vec<(String, i64)> = sqlx::query_as(
        "SELECT lower(r.email), count(*) FROM scheduling.reminders s \
         JOIN registration.registrations r ON r.id = s.registration_id GROUP BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("reminders");
    // Every registration made before a reminder time that has passed must have that
    // reminder decided (the latest one it was due, as a scheduler catching up sends).
    let undecided: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM registration.registrations r \
         JOIN registration.events e ON e.id = r.event_id \
         CROSS JOIN LATERAL (SELECT min(o) AS due FROM unnest(e.reminder_offsets_minutes) o \
             WHERE e.starts_at - make_interval(mins => o) <= now() \
               AND e.starts_at - make_interval(mins => o) > r.registered_at) d \
         WHERE d.due IS NOT NULL AND NOT EXISTS (SELECT 1 FROM scheduling.reminders s \
             WHERE s.registration_id = r.id AND s.offset_minutes = d.due)",
    )
    .fetch_one(&pool)
    .await
    .expect("undecided reminders");
    let outbox: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM registration.outbox) + (SELECT count(*) FROM scheduling.outbox)",
    )
    .fetch_one(&pool)
    .await
    .expect("outbox");
    pool.close().await;
    let dead_letters: i64 = queue_depths(rabbit, &stack.vhost.name)
        .iter()
        .filter(|(name, _)| name.ends_with(".dead"))
        .map(|(_, n)| n)
        .sum();

    // Per fault: the registrations that began while it lasted.
    for fault in faults {
        let during: Vec<&Attempt> = seen
            .registrations
            .iter()
            .filter(|a| a.started >= fault.start && a.started <= fault.end)
            .collect();
        let accepted = during.iter().filter(|a| a.accepted).count();
        let (missing, duplicates, window) = tally(
            during
                .iter()
                .filter(|a| a.accepted)
                .map(|a| (a.email.clone(), 1)),
            &received.confirmations,
            notification_killed_at,
        );
        let confirmations = accepted - missing;
        let answers = seen
            .answers
            .iter()
            .filter(|(t, _)| *t >= fault.start && *t <= fault.end);
        let (refused, failed) = answers.fold((0, 0), |(r, f), (_, s)| match s {
            503 => (r + 1, f),
            0 => (r, f + 1),
            _ => (r, f),
        });
        let mut line = format!(
            "fault {:<22} {:<62} ready again after {:>5.1} s; registrations {accepted} accepted ({refused} answers 503, {failed} connections failed, retried), confirmations {confirmations}, missing {missing}, duplicates {duplicates}",
            fault.name,
            fault.what,
            fault.end.duration_since(fault.start).as_secs_f64(),
        );
        if window > 0 {
            line.push_str(&format!(", duplicates inside the kill -9 window {window}"));
        }
        lines.push(line);
        if accepted != during.len() {
            failures.push(format!(
                "{}: {} registrations never accepted",
                fault.name,
                during.len() - accepted
            ));
        }
        if missing > 0 || duplicates > 0 {
            failures.push(format!(
                "{}: missing {missing}, duplicates {duplicates}",
                fault.name
            ));
        }
    }

    // Reminders, from two schedulers.
    let decided: i64 = reminders.iter().map(|(_, n)| n).sum();
    let (r_missing, r_duplicates, r_window) = tally(
        reminders.iter().map(|(e, n)| (e.clone(), *n as usize)),
        &received.reminders,
        notification_killed_at,
    );
    let reminder_mails: usize = received.reminders.values().map(Vec::len).sum();
    lines.push(format!(
        "reminders decided {decided} (2 schedulers), reminder emails {reminder_mails}, missing {r_missing}, duplicates {r_duplicates}, due but undecided {undecided}{}",
        if r_window > 0 { format!(", duplicates inside the kill -9 window {r_window}") } else { String::new() }
    ));
    if r_missing > 0 || r_duplicates > 0 || undecided > 0 || decided == 0 {
        failures.push(format!(
            "reminders: decided {decided}, missing {r_missing}, duplicates {r_duplicates}, undecided {undecided}"
        ));
    }

    // Co-sponsorship offers: every stored offer emails every organiser once.
    let offers_accepted = seen.offers.iter().filter(|a| a.accepted).count();
    let offers_lost = seen
        .offers
        .iter()
        .filter(|a| a.accepted && !offers.contains(&a.email.to_lowercase()))
        .count();
    let (o_missing, o_duplicates, o_window) = tally(
        offers.iter().flat_map(|c| {
            ORGANISERS
                .iter()
                .map(move |o| ((c.clone(), o.to_string()), 1))
        }),
        &received.offers,
        notification_killed_at,
    );
    let offer_mails: usize = received.offers.values().map(Vec::len).sum();
    lines.push(format!(
        "co-sponsor offers accepted {offers_accepted} (stored {}), organiser emails {offer_mails}, missing {o_missing}, duplicates {o_duplicates}{}",
        offers.len(),
        if o_window > 0 { format!(", duplicates inside the kill -9 window {o_window}") } else { String::new() }
    ));
    if o_missing > 0 || o_duplicates > 0 || offers_lost > 0 {
        failures.push(format!(
            "offers: missing {o_missing}, duplicates {o_duplicates}, accepted but not stored {offers_lost}"
        ));
    }

    // Totals: every accepted registration is stored, and every stored one was emailed once.
    let accepted: Vec<&Attempt> = seen.registrations.iter().filter(|a| a.accepted).collect();
    let not_accepted = seen.registrations.len() - accepted.len();
    let not_stored = accepted
        .iter()
        .filter(|a| !stored_emails.contains(a.email.to_lowercase().as_str()))
        .count();
    let (missing, duplicates, window) = tally(
        stored.iter().map(|(_, e)| (e.clone(), 1)),
        &received.confirmations,
        notification_killed_at,
    );
    let confirmations = stored.len() - missing;
    lines.push(format!(
        "registrations accepted {}, confirmations {confirmations}, missing {missing}, duplicates {duplicates}, dead letters {dead_letters}",
        accepted.len()
    ));
    let all_window = window + r_window + o_window;
    lines.push(format!(
        "duplicates inside the documented kill -9 window (SMTP accepted, record not committed): {all_window} (notification killed once)"
    ));
    lines.push(window_line(&stack.notification.logs()));
    if !received.other.is_empty() {
        failures.push(format!("unexpected emails: {:?}", received.other));
    }
    if not_accepted > 0 {
        failures.push(format!("{not_accepted} registrations were never accepted"));
    }
    if not_stored > 0 {
        failures.push(format!(
            "{not_stored} accepted registrations are not in Postgres"
        ));
    }
    if stored.len() != accepted.len() {
        failures.push(format!(
            "Postgres holds {} registrations, the client had {} accepted",
            stored.len(),
            accepted.len()
        ));
    }
    if missing > 0 || duplicates > 0 || dead_letters > 0 || outbox > 0 {
        failures.push(format!(
            "missing {missing}, duplicates {duplicates}, dead letters {dead_letters}, outbox rows left {outbox}"
        ));
    }
    Report { lines, failures }
}

/// How long accepted emails went unrecorded, from the notification service's log
/// (`email sent … unrecorded_ms=…`), and what that means for a kill at a random moment.
fn window_line(log: &str) -> String {
    let mut windows: Vec<f64> = strip_ansi(log)
        .lines()
        .filter(|l| l.contains("email sent"))
        .filter_map(|l| {
            let value = l.split("unrecorded_ms=").nth(1)?;
            value.split_whitespace().next()?.parse().ok()
        })
        .collect();
    if windows.is_empty() {
        return "the kill -9 window: no measurement in the notification log".to_owned();
    }
    windows.sort_by(f64::total_cmp);
    let at = |q: f64| windows[((windows.len() - 1) as f64 * q).round() as usize];
    let first_and_last = strip_ansi(log)
        .lines()
        .filter(|l| l.contains("email sent"))
        .filter_map(|l| chrono::DateTime::parse_from_rfc3339(l.split_whitespace().next()?).ok())
        .fold(None, |span: Option<(_, _)>, t| match span {
            None => Some((t, t)),
            Some((a, b)) => Some((a.min(t), b.max(t))),
        });
    let span_ms = first_and_last.map_or(1.0, |(a, b)| (b - a).num_milliseconds().max(1) as f64);
    let exposed: f64 = windows.iter().sum();
    format!(
        "the kill -9 window, measured over {} emails: median {:.1} ms, p99 {:.1} ms, max {:.1} ms; a kill at a random moment of this run would duplicate {:.3} emails on average",
        windows.len(),
        at(0.5),
        at(0.99),
        at(1.0),
        // The expected number of windows open at a uniformly random moment.
        exposed / span_ms
    )
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
