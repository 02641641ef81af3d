//! `make bench`: how fast Convene registers and confirms, measured against the ceilings of
//! its own parts on the same machine in the same run, printed as one table.
//!
//! It starts the release binaries on a fresh database and vhost, with Postfix's `smtp-sink`
//! as the SMTP server of every row, then measures:
//! 1. JSON registrations at several client counts, beside `pgbench` running the same
//!    transaction a registration runs (the ceiling, with pgbench's own p99), and their
//!    ratio, with the consumers below the request path's priority as deployed; 1b, a
//!    diagnosis: the same at 32 clients with the consumers paused, the registration service
//!    alone; 1c: the same with every process at one priority;
//! 2. the form page at 32 clients;
//! 3. end to end: from the HTTP response to the SMTP server accepting the confirmation;
//! 4. the reminder fan-out: an exchange of 100 000 seeded participants whose reminder falls
//!    due, until Postfix's smtp-sink has accepted every reminder, beside `smtp-source`'s
//!    ceiling into the same kind of sink (see `fanout.rs`);
//! 5. each service's resident memory, and how fast a service is ready;
//! 6. rows 1 (32 clients) and 4 again with 1 000 000 registrations already stored;
//! 7. (1r in the report) the reference: the floor of HTTP plus Postgres in Rust, at each of
//!    row 1's client counts (see `reference.rs`), and the line
//!    `reference ratio at 32 clients: …` comparing Convene (row 1c: every confirmation
//!    emailed, every process at one priority) with it;
//!
//! and, under the tables, where the CPU went during rows 1, 1b, 1c and 4 (see `cpu.rs`): on 2
//! cores shared by every part, that is what says which part bounds a row. Each ceiling is
//! measured once the consumers have caught up with the load before it.
//!
//! `QUICK=1` shortens every phase (CI runs it so the benchmark keeps working); the full run
//! writes its table to `docs/benchmarks.md`. `BENCH_PHASE_SECS` and `BENCH_FANOUT` change
//! a phase's length and the fan-out's size, for profiling one row. It fails only when emails go missing (or a
//! reminder is sent twice), never because something is slow.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use convene_tests::stack::participant;
use convene_tests::{infra, Stack, StackOptions};
use serde_json::json;
use tokio::sync::Mutex;

mod cpu;
mod fanout;
mod reference;

/// Where the results go in the report; the text around them is kept.
const START: &str = "<!-- make bench: results -->";
const END: &str = "<!-- end of results -->";

/// The notification service's SMTP pool in every phase (its default).
const SMTP_POOL_SIZE: u32 = 10;

/// The niceness the consumers (notification, scheduling) run at, as `deploy/compose.yaml`
/// deploys them: there `cpu_shares: 128` gives their containers 1/8 of a default one's
/// weight when the CPU is contended; nice 10 weighs 110 against nice 0's 1024, about the
/// same. A participant waiting on a response goes first; a confirmation can follow seconds
/// later. Row 1c measures the same load with every process at the same priority.
const CONSUMER_NICE: i32 = 10;

/// Latencies and errors of one load phase.
struct Phase {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Runs `clients` loops of `request` for `length`, each waiting for its answer.
async fn load<F, Fut>(clients: usize, length: Duration, request: F) -> Phase
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let results = Arc::new(Mutex::new((Vec::new(), 0usize)));
    let started = Instant::now();
    let deadline = started + length;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let request = request.clone();
        let results = results.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut errors = 0;
            let mut n = 0;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let ok = request(client * 1_000_000 + n).await;
                mine.push(t0.elapsed());
                if !ok {
                    errors += 1;
                }
                n += 1;
            }
            let mut all = results.lock().await;
            all.0.extend(mine);
            all.1 += errors;
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed();
    let (mut latencies, errors) = std::mem::take(&mut *results.lock().await);
    latencies.sort();
    Phase {
        requests: latencies.len(),
        errors,
        elapsed,
        latencies,
    }
}

/// The statements one JSON registration runs, as the service sends them (checked with
/// `log_statement = 'all'` on the bench's database): the exchange's lookup by slug, then
/// one transaction with the check for an existing registration, the registration row and
/// its outbox row (an envelope of the real size), and marking an invitation to that
/// address answered. pgbench runs them with prepared
/// statements (`-M prepared`), as sqlx does. It runs on
/// copies of the registration service's tables (`ceiling.*`, see [`copy_tables`]), so
/// that its rows never reach the service's outbox relay.
const PGBENCH_SCRIPT: &str = r#"
SELECT id AS event_id, * FROM ceiling.events WHERE slug = 'bench' \gset
BEGIN;
SELECT * FROM ceiling.registrations WHERE event_id = :event_id AND lower(email) = lower('nobody@bench.invalid') FOR UPDATE;
INSERT INTO ceiling.registrations (id, event_id, name, email, organisation, country, role, status, token_hash, consent_version, consent_text, consented_at, waitlisted_at, timezone, lang)
  VALUES (gen_random_uuid(), :event_id, 'Bench Person', md5(random()::text) || '@bench.example.org', 'Ministry of the Interior', 'SN', 'government_official', 'confirmed',
         decode(md5(random()::text) || md5(random()::text), 'hex'), '2026-11', 'I agree that my name, email, organisation and country are stored to manage my registration.', now(), NULL, NULL, 'en')
  ON CONFLICT (event_id, lower(email)) DO NOTHING RETURNING *;
UPDATE ceiling.invitations SET registration_id = gen_random_uuid(), answered_at = coalesce(answered_at, now())
  WHERE event_id = :event_id AND lower(email) = lower('nobody@bench.invalid') AND erased_at IS NULL;
INSERT INTO ceiling.outbox (message_id, routing_key, envelope)
  VALUES (gen_random_uuid(), 'registration.confirmed', '{"kind": "registration.confirmed", "message_id": "0190d5b4-0000-7000-8000-000000000000", "correlation_id": "0190d5b4-0000-7000-8000-000000000001", "occurred_at": "2026-11-29T18:00:00Z", "payload": {"registration_id": "0190d5b4-0000-7000-8000-000000000002", "event": {"event_id": "0190d5b4-0000-7000-8000-000000000003", "slug": "bench", "title": "Global peer learning exchange on alternatives to immigration detention", "starts_at": "2026-12-29T18:00:00Z", "ends_at": "2026-12-29T20:00:00Z", "timezone": "Europe/Zurich", "version": 1}, "name": "Bench Person", "email": "bench-person@bench.example.org", "timezone": null, "manage_url": "http://127.0.0.1:8080/registrations/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "registered_at": "2026-11-29T18:00:00Z", "lang": "en"}}');
COMMIT;
"#;

/// Copies the registration service's `events`, `registrations` and `outbox` into the
/// schema `ceiling`, with their rows, indexes, constraints and foreign key: the tables
/// pgbench writes to are the same size and shape as the service's at that moment.
async fn copy_tables(db_url: &str) {
    let pool = sqlx::PgPool::connect(db_url)
        .await
        .expect("connecting for the ceiling's tables");
    for sql in [
        "DROP SCHEMA IF EXISTS ceiling CASCADE",
        "CREATE SCHEMA ceiling",
        "CREATE TABLE ceiling.events (LIKE registration.events INCLUDING ALL)",
        "CREATE TABLE ceiling.registrations (LIKE registration.registrations INCLUDING ALL)",
        "CREATE TABLE ceiling.outbox (LIKE registration.outbox INCLUDING ALL)",
        "CREATE TABLE ceiling.invitations (LIKE registration.invitations INCLUDING ALL)",
        "INSERT INTO ceiling.events SELECT * FROM registration.events",
        "INSERT INTO ceiling.registrations SELECT * FROM registration.registrations",
        "ALTER TABLE ceiling.registrations ADD FOREIGN KEY (event_id) REFERENCES ceiling.events (id)",
        "ANALYZE ceiling.events",
        "ANALYZE ceiling.registrations",
    ] {
        sqlx::query(sql)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    pool.close().await;
}

/// What pgbench reached: its transactions per second, and its own latencies' p99 (none
/// when its per-transaction log could not be read).
struct Ceiling {
    rate: f64,
    p99: Option<Duration>,
}

/// pgbench's ceiling for the registration transaction at `clients`. Its p99 comes from its
/// per-transaction log (`-l`): the latency the same transaction has on this machine with
/// nothing else running, the floor under the service's own p99.
fn pgbench(db_url: &str, clients: usize, length: Duration, dir: &Path) -> Option<Ceiling> {
    let script = dir.join("registration.sql");
    std::fs::write(&script, PGBENCH_SCRIPT).ok()?;
    let logs = dir.join(format!(
        "pgbench-{clients}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&logs).ok()?;
    // The Postgres server is shared (max_connections): if its slots are taken for a
    // moment, try again rather than report no ceiling.
    let mut attempts = 0;
    let out = loop {
        let out = Command::new("pgbench")
            .args([
                "-n",
                "-M",
                "prepared",
                "-c",
                &clients.to_string(),
                "-j",
                &clients.min(2).to_string(),
                "-l",
                "--log-prefix",
            ])
            .arg(logs.join("tx"))
            .args(["-T", &length.as_secs().max(1).to_string(), "-f"])
            .arg(&script)
            .arg(db_url)
            .output()
            .ok()?;
        attempts += 1;
        let refused = String::from_utf8_lossy(&out.stderr).contains("too many clients");
        if out.status.success() || !refused || attempts == 3 {
            break out;
        }
        std::thread::sleep(Duration::from_secs(3));
    };
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!(
            "pgbench at {clients} clients failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rate = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| {
            l.trim_start_matches("tps = ")
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })?;
    // Each log line: client, transaction number, latency in µs, script, epoch s, µs.
    let mut latencies: Vec<Duration> = std::fs::read_dir(&logs)
        .ok()?
        .flatten()
        .filter_map(|f| std::fs::read_to_string(f.path()).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(2)?.parse().ok())
                .map(Duration::from_micros)
                .collect::<Vec<_>>()
        })
        .collect();
    let _ = std::fs::remove_dir_all(&logs);
    latencies.sort();
    Some(Ceiling {
        rate,
        p99: (!latencies.is_empty()).then(|| percentile(&latencies, 0.99)),
    })
}

/// The confirmations row 1's registrations (addresses `bench-…`) are owed, and those the
/// SMTP server has accepted so far, read from its dump file as it grows. Row 3 times its
/// own (`e2e-…`); the reminders of rows 4 and 6 are in the same file and not counted.
struct Confirmations {
    dump: fanout::DumpCounter,
    accepted: usize,
    expected: usize,
}

impl Confirmations {
    fn new(dump: &Path) -> Self {
        Self {
            dump: fanout::DumpCounter::from_start(dump),
            accepted: 0,
            expected: 0,
        }
    }

    /// Waits (at most `limit`) until every confirmation expected is accepted; returns how
    /// long that took.
    async fn wait(&mut self, limit: Duration) -> Duration {
        let started = Instant::now();
        while started.elapsed() < limit {
            let accepted = &mut self.accepted;
            self.dump.poll_each(|address| {
                *accepted += usize::from(address.starts_with("bench-"));
            });
            if self.accepted >= self.expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        started.elapsed()
    }
}

/// Sets the niceness of every thread of `pids` (niceness is per thread on Linux; threads
/// started later inherit their parent thread's). Returns whether every thread took it
/// (lowering it again needs root).
fn renice(pids: &[u32], nice: i32) -> bool {
    let mut threads = Vec::new();
    for pid in pids {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return false;
        };
        threads.extend(tasks.flatten().map(|task| task.file_name()));
    }
    // renice exits non-zero if any of them failed.
    Command::new("renice")
        .args(["-n", &nice.to_string(), "-p"])
        .args(&threads)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Sends a signal (`-STOP`, `-CONT`) to processes.
fn signal(pids: &[u32], sig: &str) {
    for pid in pids {
        let _ = Command::new("kill").arg(sig).arg(pid.to_string()).status();
    }
}

/// The heading and separator of a table of row-1 phases (rows 1, 1b, 1c and 6), named
/// `title`.
fn registrations_header(title: &str) -> String {
    format!(
        "| {title} | clients | req/s | p50 | p99 | p99.9 | errors | pgbench ceiling (tx/s, its p99) | ratio | confirmations done after the load |\n{}",
        "|---|---|---|---|---|---|---|---|---|---|"
    )
}

/// What a phase of registrations measured, for the comparison with the reference.
#[derive(Debug, Clone, Copy)]
struct Measured {
    rate: f64,
    p99: Duration,
    /// Machine CPU (every process) per registration, in µs.
    cpu_us: f64,
}

impl Measured {
    fn of(phase: &Phase, used: &[(String, f64)]) -> Self {
        let seconds: f64 = used.iter().map(|(_, s)| s).sum();
        Self {
            rate: phase.rate(),
            p99: phase.percentile(0.99),
            cpu_us: seconds * 1e6 / phase.requests.max(1) as f64,
        }
    }
}

/// The reference (see `reference.rs`) at `clients` for `phase`: its row of table 1r, and
/// what it measured.
async fn reference_row(
    stack: &Stack,
    port: u16,
    clients: usize,
    phase: Duration,
    convene: Option<Measured>,
) -> (String, Measured) {
    let cpu_before = cpu::snapshot();
    let http = stack.http.clone();
    let url = format!("http://127.0.0.1:{port}/api/events/bench/registrations");
    let result = load(clients, phase, move |n| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let mut body = participant("Reference");
            body["email"] = json!(format!(
                "reference-{n}-{}@bench.example.org",
                uuid::Uuid::new_v4().simple()
            ));
            matches!(http.post(&url).json(&body).send().await, Ok(r) if r.status() == 201)
        }
    })
    .await;
    let used = cpu::since(&cpu_before);
    let measured = Measured::of(&result, &used);
    println!("reference at {clients} clients: {:.0}/s", result.rate());
    let row = format!(
        "| | {clients} | {:.0} | {} | {} | {} | {:.0} µs | {} |",
        result.rate(),
        ms(result.percentile(0.5)),
        ms(result.percentile(0.99)),
        result.errors,
        measured.cpu_us,
        convene.map_or("n/a".to_owned(), |c| format!(
            "{:.2}",
            c.rate / measured.rate
        )),
    );
    (row, measured)
}

/// Row 1 at `clients`: JSON registrations for `phase`, then pgbench's ceiling; also where
/// the CPU went during the load, and how long after the load the SMTP server had every
/// confirmation it was owed (the last column). The processes in `paused` are stopped
/// (SIGSTOP) during the load only, and resumed before the ceiling is measured, once the
/// SMTP server has accepted every confirmation owed.
async fn registrations_row(
    stack: &Stack,
    clients: usize,
    phase: Duration,
    paused: &[u32],
    confirmations: &mut Confirmations,
) -> (String, String, Measured) {
    signal(paused, "-STOP");
    let cpu_before = cpu::snapshot();
    let http = stack.http.clone();
    let url = stack.url("/api/events/bench/registrations");
    let result = load(clients, phase, move |n| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let mut body = participant("Bench");
            body["email"] = json!(format!(
                "bench-{n}-{}@bench.example.org",
                uuid::Uuid::new_v4().simple()
            ));
            matches!(http.post(&url).json(&body).send().await, Ok(r) if r.status() == 202)
        }
    })
    .await;
    let used = cpu::since(&cpu_before);
    let measured = Measured::of(&result, &used);
    let cpu_used = cpu::per_unit(&used, result.requests, "registration");
    signal(paused, "-CONT");
    // The consumers catch up with what queued during the load (all of it, when they were
    // paused) before pgbench runs: measured during their backlog, the ceiling came out at
    // half its height.
    confirmations.expected += result.requests - result.errors;
    let drained = confirmations.wait(Duration::from_secs(600)).await;
    copy_tables(&stack.db.url).await;
    let ceiling = pgbench(&stack.db.url, clients, phase, stack.dir.path());
    let ratio = ceiling.as_ref().map_or("n/a".to_owned(), |c| {
        format!("{:.2}", result.rate() / c.rate)
    });
    println!("registrations at {clients} clients: {:.0}/s", result.rate());
    let row = format!(
        "| | {clients} | {:.0} | {} | {} | {} | {} | {} | {ratio} | {:.1} s |",
        result.rate(),
        ms(result.percentile(0.5)),
        ms(result.percentile(0.99)),
        ms(result.percentile(0.999)),
        result.errors,
        ceiling.map_or("n/a".to_owned(), |c| format!(
            "{:.0}, p99 {}",
            c.rate,
            c.p99.map_or("n/a".to_owned(), ms)
        )),
        drained.as_secs_f64(),
    );
    (row, cpu_used, measured)
}

/// Starts a notification service on the stack's database and vhost that sends to
/// `smtp_url`, and waits until it is ready.
async fn start_notification(stack: &Stack, smtp_url: &str) -> convene_tests::stack::Process {
    let port = infra::free_port();
    let process = convene_tests::stack::Process::spawn(
        "notification-sink",
        &infra::bin_dir().join("notification"),
        &[],
        &[
            ("DATABASE_URL".to_owned(), stack.db.url.clone()),
            ("AMQP_URL".to_owned(), stack.vhost.url.clone()),
            ("HTTP_ADDR".to_owned(), format!("127.0.0.1:{port}")),
            ("SMTP_URL".to_owned(), smtp_url.to_owned()),
            (
                "LINK_KEY".to_owned(),
                convene_tests::stack::LINK_KEY.to_owned(),
            ),
            ("SMTP_POOL_SIZE".to_owned(), SMTP_POOL_SIZE.to_string()),
            ("RETRY_DELAYS_MS".to_owned(), "500,1000".to_owned()),
            ("DATABASE_MAX_CONNECTIONS".to_owned(), "20".to_owned()),
            ("RUST_LOG".to_owned(), "warn".to_owned()),
        ],
        stack.dir.path(),
    );
    let ready = format!("http://127.0.0.1:{port}/readyz");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(stack.http.get(&ready).send().await, Ok(r) if r.status() == 200) {
        assert!(
            Instant::now() < deadline,
            "the notification service for the fan-out is not ready:\n{}",
            process.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    process
}

/// Resident memory now and at peak, in MB, of a process.
fn rss(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .unwrap_or_default()
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // The same binary is the reference service (reference.rs), started by the bench below.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(reference::FLAG) {
        let port = args[3].parse().expect("a port");
        reference::serve(&args[2], port).await;
        return std::process::ExitCode::SUCCESS;
    }
    let quick = std::env::var("QUICK").is_ok_and(|q| q == "1");
    // BENCH_PHASE_SECS overrides each load phase's length (for profiling one).
    let phase = Duration::from_secs(
        std::env::var("BENCH_PHASE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(if quick { 3 } else { 20 }),
    );
    let client_counts: &[usize] = if quick { &[1, 32] } else { &[1, 8, 32, 128] };
    if std::env::var_os("CONVENE_BIN_DIR").is_none() {
        // SAFETY: set before any thread that reads the environment is started.
        unsafe {
            std::env::set_var(
                "CONVENE_BIN_DIR",
                infra::workspace_root().join("target/release"),
            )
        };
    }

    let mut stack = Stack::start_with(StackOptions {
        env: vec![
            ("RATE_LIMIT_PER_MINUTE".into(), "0".into()),
            ("RUST_LOG".into(), "warn".into()),
            // Leaves Postgres (max_connections 100) room for pgbench's clients.
            ("DATABASE_MAX_CONNECTIONS".into(), "20".into()),
            ("SMTP_POOL_SIZE".into(), SMTP_POOL_SIZE.to_string()),
        ],
        ..StackOptions::default()
    })
    .await;
    stack.given_event(json!({ "slug": "bench" })).await;
    // Every row's emails go to Postfix's smtp-sink: the harness's aiosmtpd (Python, a file
    // per message) took 15–30 % of the 2 cores during row 1, a share of the machine the
    // services under test then lacked. Its notification service is replaced by one
    // pointed at the sink.
    let sink = fanout::Sink::start(stack.dir.path(), "sink").await;
    stack.notification.kill();
    let notification = start_notification(&stack, &sink.url()).await;
    // The consumers run below the request path's priority, as deployed (CONSUMER_NICE).
    let consumers: Vec<u32> = std::iter::once(notification.id())
        .chain(stack.schedulers.iter().map(|p| p.id()))
        .collect();
    let reniced = renice(&consumers, CONSUMER_NICE);
    let consumers_nice = if reniced {
        format!("consumers (notification, scheduling) at nice {CONSUMER_NICE}, as deployed")
    } else {
        "consumers NOT reniced (renice failed): every process at one priority".to_owned()
    };
    let mut report = String::new();
    let machine = format!(
        "{} cores, {}; {}; {}; RabbitMQ {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        command_line(
            "sh",
            &[
                "-c",
                "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs"
            ]
        ),
        command_line("rustc", &["--version"]),
        command_line("psql", &["--version"]),
        command_line("sh", &["-c", "rabbitmqctl version 2>/dev/null"]),
    );
    let _ = writeln!(
        report,
        "Machine: {machine}\nMode: {}; {consumers_nice}\n",
        if quick { "quick (QUICK=1)" } else { "full" }
    );

    // 1. Registrations, beside the ceiling.
    let _ = writeln!(report, "{}", registrations_header("1. JSON registrations"));
    let url = stack.url("/api/events/bench/registrations");
    let mut cpu_lines = Vec::new();
    let mut confirmations = Confirmations::new(&sink.dump);
    // The reference runs beside, on tables of its own, after each of row 1's phases.
    reference::prepare(&stack.db.url).await;
    let reference_port = infra::free_port();
    let reference_process = reference::spawn(&stack.db.url, reference_port, stack.dir.path());
    reference::wait_ready(reference_port).await;
    let mut reference_rows = Vec::new();
    let mut convene_at_32 = None;
    let mut reference_at_32 = None;
    for &clients in client_counts {
        let (row, cpu_used, measured) =
            registrations_row(&stack, clients, phase, &[], &mut confirmations).await;
        let _ = writeln!(report, "{row}");
        let (reference_row, reference) =
            reference_row(&stack, reference_port, clients, phase, Some(measured)).await;
        reference_rows.push(reference_row);
        if clients == 32 {
            cpu_lines.push(format!("Row 1 at 32 clients: {cpu_used}."));
            cpu_lines.push(format!(
                "Row 1r (the reference) at 32 clients: CPU per registration: {:.0} µs in all.",
                reference.cpu_us
            ));
            convene_at_32 = Some(measured);
            reference_at_32 = Some(reference);
        }
    }
    let _ = writeln!(
        report,
        "\n| 1r. The reference: HTTP + Postgres (axum, sqlx; no broker, no email) | clients | req/s | p50 | p99 | errors | CPU per registration | row 1 ÷ reference |\n|---|---|---|---|---|---|---|---|"
    );
    for row in &reference_rows {
        let _ = writeln!(report, "{row}");
    }
    drop(reference_process);
    // 1b. A diagnosis, not a goal: the same at 32 clients with the consumers (notification,
    //     schedulers) paused, so the registration service and its relay have the machine
    //     with Postgres and RabbitMQ alone; the messages wait in RabbitMQ and are delivered
    //     after (row 3 waits for them). At most 10 s: a consumer stopped for longer misses
    //     its heartbeats and RabbitMQ drops its connection.
    let (row, cpu_used, _) = registrations_row(
        &stack,
        32,
        phase.min(Duration::from_secs(10)),
        &consumers,
        &mut confirmations,
    )
    .await;
    cpu_lines.push(format!("Row 1b (consumers paused): {cpu_used}."));
    let _ = writeln!(
        report,
        "\n{}\n{row}",
        registrations_header("1b. The same, consumers paused (diagnosis)")
    );
    // 1c. What the priority buys: the same at 32 clients with the consumers at the request
    //     path's priority (nice 0), competing for the cores on equal terms.
    // Without renice, row 1 already ran with every process at one priority.
    let mut equal_priority_at_32 = if reniced { None } else { convene_at_32 };
    if reniced && renice(&consumers, 0) {
        let (row, cpu_used, measured) =
            registrations_row(&stack, 32, phase, &[], &mut confirmations).await;
        // The comparison with the reference takes this row: every confirmation emailed,
        // every process at one priority.
        equal_priority_at_32 = Some(measured);
        if !renice(&consumers, CONSUMER_NICE) {
            eprintln!("bench: the consumers could not be reniced back to {CONSUMER_NICE}; the rows after 1c ran at equal priority");
        }
        cpu_lines.push(format!("Row 1c (equal priority): {cpu_used}."));
        let _ = writeln!(
            report,
            "\n{}\n{row}",
            registrations_header("1c. The same, consumers at equal priority")
        );
    }

    // The line CI and readers look for (issue 20): Convene at equal priority, every
    // confirmation emailed, against the reference, at 32 clients.
    if let (Some(convene), Some(reference)) = (equal_priority_at_32, reference_at_32) {
        let line = format!(
            "reference ratio at 32 clients: {:.2} (convene {:.0}/s, reference {:.0}/s, p99 {:.1} ms vs {:.1} ms, CPU per registration {:.0} µs vs {:.0} µs)",
            convene.rate / reference.rate,
            convene.rate,
            reference.rate,
            convene.p99.as_secs_f64() * 1000.0,
            reference.p99.as_secs_f64() * 1000.0,
            convene.cpu_us,
            reference.cpu_us,
        );
        println!("{line}");
        let _ = writeln!(report, "\n{line}");
        if let Some(nice) = convene_at_32.filter(|_| reniced) {
            let _ = writeln!(
                report,
                "(With the consumers at nice {CONSUMER_NICE}, as deployed: {:.2}, convene {:.0}/s, p99 {:.1} ms.)",
                nice.rate / reference.rate,
                nice.rate,
                nice.p99.as_secs_f64() * 1000.0,
            );
        }
    }

    // 2. The form page.
    let form = stack.url("/events/bench/register");
    let http = stack.http.clone();
    let result = load(32, phase, move |_| {
        let http = http.clone();
        let form = form.clone();
        async move { matches!(http.get(&form).send().await, Ok(r) if r.status() == 200) }
    })
    .await;
    let _ = writeln!(
        report,
        "\n| 2. Form page (GET /events/{{slug}}/register) | clients | req/s | p50 | p99 | errors |\n|---|---|---|---|---|---|\n| | 32 | {:.0} | {} | {} | {} |",
        result.rate(),
        ms(result.percentile(0.5)),
        ms(result.percentile(0.99)),
        result.errors
    );

    // 3. End to end: HTTP response → the SMTP server has the confirmation. Row 1's
    //    confirmations are all out (each of its phases waits for them), so none queue ahead.
    let (rate, seconds) = if quick { (50u64, 4u64) } else { (200, 30) };
    // When the sink accepted each address's message: its dump file is read every 2 ms.
    let arrivals: Arc<std::sync::Mutex<HashMap<String, SystemTime>>> = Arc::default();
    let watching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let (arrivals, watching) = (arrivals.clone(), watching.clone());
        let mut dump = fanout::DumpCounter::new(&sink.dump);
        tokio::spawn(async move {
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                let now = SystemTime::now();
                dump.poll_each(|address| {
                    arrivals.lock().unwrap().entry(address).or_insert(now);
                });
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let mut sent: Vec<(String, SystemTime)> = Vec::new();
    let interval = Duration::from_micros(1_000_000 / rate);
    let mut ticker = tokio::time::interval(interval);
    let mut pending = Vec::new();
    for n in 0..rate * seconds {
        ticker.tick().await;
        let http = stack.http.clone();
        let url = url.clone();
        pending.push(tokio::spawn(async move {
            let email = format!(
                "e2e-{n}-{}@bench.example.org",
                uuid::Uuid::new_v4().simple()
            );
            let mut body = participant("E2e");
            body["email"] = json!(email);
            let ok = matches!(http.post(&url).json(&body).send().await, Ok(r) if r.status() == 202);
            ok.then(|| (email, SystemTime::now()))
        }));
    }
    for p in pending {
        if let Ok(Some(pair)) = p.await {
            sent.push(pair);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let arrived = || {
        let arrivals = arrivals.lock().unwrap();
        sent.iter()
            .filter(|(email, _)| arrivals.contains_key(email))
            .count()
    };
    while arrived() < sent.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = watcher.await;
    let mut delays: Vec<Duration> = Vec::new();
    let mut missing = 0;
    {
        let arrivals = arrivals.lock().unwrap();
        for (email, answered) in &sent {
            match arrivals.get(email) {
                Some(accepted) => {
                    delays.push(accepted.duration_since(*answered).unwrap_or_default())
                }
                None => missing += 1,
            }
        }
    }
    delays.sort();
    let _ = writeln!(
        report,
        "\n| 3. End to end at {rate}/s for {seconds} s | p50 | p99 | max | missing |\n|---|---|---|---|---|\n| response → SMTP accepted | {} | {} | {} | {missing} |",
        ms(percentile(&delays, 0.5)),
        ms(percentile(&delays, 0.99)),
        ms(delays.last().copied().unwrap_or_default()),
    );

    // 4. Reminder fan-out, into Postfix's smtp-sink: the notification service is started
    //    again, pointed at it (aiosmtpd, writing a file per message, is slower than what
    //    is measured here).
    // BENCH_FANOUT overrides the number of participants (for profiling one row).
    let fanout_size: u64 = std::env::var("BENCH_FANOUT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 2_000 } else { 100_000 });
    let fanout_timeout = Duration::from_secs(if quick { 60 } else { 900 });
    let _ = writeln!(report, "\n{}", fanout::HEADER);
    let fan = fanout::run(
        &stack,
        &sink,
        "fanout",
        fanout_size,
        SMTP_POOL_SIZE,
        fanout_timeout,
    )
    .await;
    let _ = writeln!(report, "{}", fan.row("empty database"));
    cpu_lines.push(format!("Row 4: {}.", fan.cpu));
    let mut broken = fan.missing + fan.duplicates;

    // 5. Footprint, and how fast a service is ready on a warm database.
    let _ = writeln!(
        report,
        "\n| 5. Footprint | RSS now | RSS peak |\n|---|---|---|"
    );
    for process in [&stack.registration, &notification, &stack.schedulers[0]] {
        let (now, peak) = rss(process.id());
        let _ = writeln!(report, "| {} | {now:.1} MB | {peak:.1} MB |", process.name);
    }
    let port = infra::free_port();
    let started = Instant::now();
    let extra = convene_tests::stack::Process::spawn(
        "registration-ready",
        &infra::bin_dir().join("registration"),
        &[],
        &[
            ("DATABASE_URL".to_owned(), stack.db.url.clone()),
            ("AMQP_URL".to_owned(), stack.vhost.url.clone()),
            ("HTTP_ADDR".to_owned(), format!("127.0.0.1:{port}")),
            (
                "ADMIN_TOKEN".to_owned(),
                "bench-admin-token-0123456789".to_owned(),
            ),
            (
                "LINK_KEY".to_owned(),
                convene_tests::stack::LINK_KEY.to_owned(),
            ),
        ],
        stack.dir.path(),
    );
    let ready_url = format!("http://127.0.0.1:{port}/readyz");
    while !matches!(stack.http.get(&ready_url).send().await, Ok(r) if r.status() == 200) {
        if started.elapsed() > Duration::from_secs(30) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = writeln!(
        report,
        "\nStart to ready (registration, warm database): {}",
        ms(started.elapsed())
    );
    drop(extra);

    // 6. Growth: rows 1 (32 clients) and 4 again with many registrations stored.
    let stored: u64 = if quick { 50_000 } else { 1_000_000 };
    stack.given_event(json!({ "slug": "growth" })).await;
    let seeded_in = fanout::seed(&stack, "growth", "growth", stored).await;
    println!("growth: {stored} registrations stored in {seeded_in:?}");
    let _ = writeln!(
        report,
        "\n6. Growth: the same with {stored} registrations of another exchange already stored (seeded in {:.0} s).\n\n{}",
        seeded_in.as_secs_f64(),
        registrations_header("1. JSON registrations")
    );
    let (row, _, _) = registrations_row(&stack, 32, phase, &[], &mut confirmations).await;
    let _ = writeln!(report, "{row}\n\n{}", fanout::HEADER);
    let fan = fanout::run(
        &stack,
        &sink,
        "fanout-grown",
        fanout_size,
        SMTP_POOL_SIZE,
        fanout_timeout,
    )
    .await;
    let _ = writeln!(report, "{}", fan.row(&format!("{stored} stored")));
    broken += fan.missing + fan.duplicates;
    drop(notification);

    // Where the CPU went: the 2 cores are shared by every program below.
    let _ = writeln!(
        report,
        "\nWhere the CPU went (every process of a program added up, from /proc):\n"
    );
    for line in &cpu_lines {
        let _ = writeln!(report, "- {line}");
    }

    println!("\n{report}");
    let target = if quick {
        infra::workspace_root().join("var/bench-quick.md")
    } else {
        infra::workspace_root().join("docs/benchmarks.md")
    };
    if let Some(parent) = target.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let table = format!(
        "Written by `make bench{}` (tests/src/bin/bench). Each row is measured on this machine in the same run as its ceiling.\n\n{report}",
        if quick { " QUICK=1" } else { "" }
    );
    // docs/benchmarks.md keeps its prose: only what lies between the markers is replaced.
    let existing = std::fs::read_to_string(&target).unwrap_or_default();
    let page = match (existing.find(START), existing.find(END)) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{START}\n{table}\n{}", &existing[..a], &existing[b..])
        }
        _ => format!("# Benchmarks\n\n{START}\n{table}\n{END}\n"),
    };
    std::fs::write(&target, page).expect("writing the benchmark report");
    println!("written to {}", target.display());
    // Returning (not exiting) lets the stack stop its processes and drop its database.
    drop(stack);
    if sent.is_empty() || missing > 0 || broken > 0 {
        eprintln!("bench: {missing} confirmations missing, {broken} reminders missing or repeated");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
