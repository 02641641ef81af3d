//! Row 4, the reminder fan-out, and the seeding rows 4 and 6 need.
//!
//! The SMTP server is Postfix's `smtp-sink`, appending every message it accepts to one
//! dump file (`-D`), from which the bench counts acceptances and checks that each
//! participant got exactly one reminder. The ceiling is Postfix's `smtp-source -d`
//! pushing the same number of messages of the same size into a second, identical sink
//! with as many sessions as the notification service's SMTP pool.
//!
//! Participants are seeded with SQL, one `INSERT … SELECT generate_series` per table:
//! the registration service's `registrations`, the scheduler's copy (`registrations`) and
//! the notification service's `recipients`, exactly the rows the `registration.confirmed`
//! message would have left in each. The path under test is the real one: the scheduler's
//! tick decides the reminders and writes the outbox, the relay publishes to RabbitMQ, the
//! notification service renders and sends each over SMTP and records it.

use std::collections::HashMap;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use convene_tests::stack::Process;
use convene_tests::{infra, Stack};

/// Where Postfix's test programs are: extracted by `make bench` under `var/postfix`, or
/// installed (`/usr/sbin`).
fn postfix(program: &str) -> (PathBuf, Vec<(String, String)>) {
    let root = infra::workspace_root().join("var/postfix");
    let local = root.join("usr/sbin").join(program);
    if local.exists() {
        let libs = root.join("usr/lib/postfix").display().to_string();
        (local, vec![("LD_LIBRARY_PATH".to_owned(), libs)])
    } else {
        (PathBuf::from("/usr/sbin").join(program), Vec::new())
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A running `smtp-sink` dumping what it accepts to one file.
pub struct Sink {
    pub port: u16,
    pub dump: PathBuf,
    _process: Process,
}

impl Sink {
    /// Starts a sink in a folder of its own under `dir`.
    pub async fn start(dir: &Path, name: &str) -> Self {
        let folder = dir.join(name);
        std::fs::create_dir_all(&folder).expect("sink folder");
        let dump = folder.join("dump");
        std::fs::write(&dump, b"").expect("sink dump file");
        let port = infra::free_port();
        let mut args: Vec<String> = Vec::new();
        if running_as_root() {
            // smtp-sink refuses to run as root: it drops to nobody, who must write the dump.
            let _ = Command::new("chmod").arg("777").arg(&folder).status();
            let _ = Command::new("chmod").arg("666").arg(&dump).status();
            args.extend(["-u".to_owned(), "nobody".to_owned()]);
        }
        args.extend([
            "-D".to_owned(),
            dump.display().to_string(),
            format!("127.0.0.1:{port}"),
            "256".to_owned(),
        ]);
        let (program, env) = postfix("smtp-sink");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let process = Process::spawn(name, &program, &args, &env, dir);
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "smtp-sink ({}) does not listen: {}",
                program.display(),
                process.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self {
            port,
            dump,
            _process: process,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

/// Counts the messages in a dump file as it grows, reading only what is new.
pub struct DumpCounter {
    path: PathBuf,
    offset: u64,
    pub messages: usize,
}

const RCPT: &[u8] = b"X-Rcpt-Args: ";

impl DumpCounter {
    /// Counts every message in the file, those already there included.
    pub fn from_start(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            offset: 0,
            messages: 0,
        }
    }

    /// Counts the messages appended from now on.
    pub fn new(path: &Path) -> Self {
        let offset = std::fs::metadata(path).map_or(0, |m| m.len());
        Self {
            path: path.to_path_buf(),
            offset,
            messages: 0,
        }
    }

    /// Reads what was appended since the last call (whole lines only).
    pub fn poll(&mut self) -> usize {
        self.poll_each(|_| {})
    }

    /// As [`Self::poll`], calling `each` with every new message's recipient address.
    pub fn poll_each(&mut self, mut each: impl FnMut(String)) -> usize {
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return self.messages;
        };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return self.messages;
        }
        let mut new = Vec::new();
        let _ = file.read_to_end(&mut new);
        let Some(last_newline) = new.iter().rposition(|b| *b == b'\n') else {
            return self.messages;
        };
        let whole = &new[..=last_newline];
        for line in whole.split(|b| *b == b'\n') {
            if let Some(args) = line.strip_prefix(RCPT) {
                self.messages += 1;
                each(address(args));
            }
        }
        self.offset += whole.len() as u64;
        self.messages
    }
}

/// The address in an `X-Rcpt-Args` value: `<address> [parameters]`, in any case the
/// server was given.
fn address(args: &[u8]) -> String {
    String::from_utf8_lossy(args)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_matches(['<', '>', '\r'])
        .to_lowercase()
}

/// Seeds `n` confirmed participants of the exchange `slug` into the three services'
/// tables, registered an hour ago, with addresses `{prefix}-{i}@bench.example.org`.
/// Returns how long it took.
pub async fn seed(stack: &Stack, slug: &str, prefix: &str, n: u64) -> Duration {
    let started = Instant::now();
    let pool = stack.db.pool().await;
    let event_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM registration.events WHERE slug = $1")
            .bind(slug)
            .fetch_one(&pool)
            .await
            .expect("the exchange to seed");
    // The same registration ids in every service, derived from the address.
    let id = format!("md5('{prefix}-' || i)::uuid");
    let email = format!("'{prefix}-' || i || '@bench.example.org'");
    let statements = [
        format!(
            "INSERT INTO registration.registrations (id, event_id, name, email, organisation, country, role, status, \
                 token_hash, consent_version, consent_text, consented_at, registered_at) \
             SELECT {id}, $1, 'Fan ' || i, {email}, 'Ministry of the Interior', 'SN', 'government_official', 'confirmed', \
                 decode(md5('{prefix}-token-' || i) || md5('{prefix}-salt-' || i), 'hex'), 'v1', 'I agree.', \
                 now() - interval '1 hour', now() - interval '1 hour' \
             FROM generate_series(1, $2::bigint) AS i"
        ),
        format!(
            "INSERT INTO scheduling.registrations (registration_id, event_id, status, registered_at, status_at) \
             SELECT {id}, $1, 'confirmed', now() - interval '1 hour', now() - interval '1 hour' \
             FROM generate_series(1, $2::bigint) AS i"
        ),
        format!(
            "INSERT INTO notification.recipients (registration_id, event_id, name, email, manage_url, status, status_at) \
             SELECT {id}, $1, 'Fan ' || i, {email}, \
                 'http://127.0.0.1/registrations/' || md5('{prefix}-token-' || i) || md5('{prefix}-salt-' || i), \
                 'confirmed', now() - interval '1 hour' \
             FROM generate_series(1, $2::bigint) AS i"
        ),
    ];
    for sql in &statements {
        sqlx::query(sql)
            .bind(event_id)
            .bind(n as i64)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("seeding: {e}\n{sql}"));
    }
    for table in [
        "registration.registrations",
        "scheduling.registrations",
        "notification.recipients",
    ] {
        let _ = sqlx::query(&format!("ANALYZE {table}"))
            .execute(&pool)
            .await;
    }
    pool.close().await;
    started.elapsed()
}

/// What one fan-out measured.
pub struct FanOut {
    pub participants: u64,
    pub seconds: f64,
    pub ceiling_per_s: Option<f64>,
    pub missing: u64,
    pub duplicates: u64,
    pub mean_size: u64,
    /// Where the CPU went, per email, from the due moment until the last was accepted.
    pub cpu: String,
}

impl FanOut {
    pub fn rate(&self) -> f64 {
        self.participants as f64 / self.seconds
    }

    pub fn row(&self, label: &str) -> String {
        let ceiling = self
            .ceiling_per_s
            .map_or("n/a".to_owned(), |c| format!("{c:.0}"));
        let ratio = self
            .ceiling_per_s
            .map_or("n/a".to_owned(), |c| format!("{:.2}", self.rate() / c));
        format!(
            "| {label} | {} | {:.1} s | {:.0} | {ceiling} | {ratio} | {} | {} | {} B |",
            self.participants,
            self.seconds,
            self.rate(),
            self.missing,
            self.duplicates,
            self.mean_size,
        )
    }
}

pub const HEADER: &str = "| 4. Reminder fan-out | participants | due → all accepted | messages/s | ceiling: smtp-source -d (msg/s) | ratio | missing | duplicates | mean size |\n|---|---|---|---|---|---|---|---|---|";

/// Creates an exchange of `n` seeded participants, makes its reminder fall due, and
/// times until `sink` has accepted every reminder; then measures the ceiling.
pub async fn run(
    stack: &Stack,
    sink: &Sink,
    slug: &str,
    n: u64,
    pool_size: u32,
    timeout: Duration,
) -> FanOut {
    // Far enough ahead that nothing is due yet, one reminder a day before.
    stack
        .given_event(serde_json::json!({
            "slug": slug,
            "reminder_offsets_minutes": [1440],
        }))
        .await;
    let pool = stack.db.pool().await;
    // The scheduler learns of the exchange from `event.scheduled`.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let known: i64 =
            sqlx::query_scalar("SELECT count(*) FROM scheduling.events WHERE slug = $1")
                .bind(slug)
                .fetch_one(&pool)
                .await
                .expect("scheduling.events");
        if known == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the scheduler never heard of {slug}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seeded_in = seed(stack, slug, slug, n).await;
    println!("fan-out {slug}: seeded {n} participants in {seeded_in:?}");

    let mut counter = DumpCounter::new(&sink.dump);
    let dump_from = std::fs::metadata(&sink.dump).map_or(0, |m| m.len());
    // The due moment: the scheduler's copy of the exchange now starts a day from now
    // (minus a second), so its one-day reminder is due; its next tick (every second)
    // decides all of them.
    sqlx::query(
        "UPDATE scheduling.events SET starts_at = now() + interval '1 day' - interval '1 second', \
             ends_at = now() + interval '1 day 2 hours' WHERE slug = $1",
    )
    .bind(slug)
    .execute(&pool)
    .await
    .expect("making the reminder due");
    let due = Instant::now();
    let cpu_before = crate::cpu::snapshot();
    let give_up = due + timeout;
    // How many messages each address got, counted as the dump file is read.
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut count = |address: String| *counts.entry(address).or_insert(0) += 1;
    // The pace, second by second (printed, not tabled): how long the first email took,
    // and whether the rate holds or tails off.
    let mut progress = Vec::new();
    let mut first = None;
    let mut next_mark = Duration::from_secs(1);
    loop {
        let accepted = counter.poll_each(&mut count) as u64;
        if accepted > 0 && first.is_none() {
            first = Some(due.elapsed());
        }
        if due.elapsed() >= next_mark {
            progress.push(format!("{accepted} at {:.0} s", next_mark.as_secs_f64()));
            next_mark += Duration::from_secs(1);
        }
        if accepted >= n || Instant::now() >= give_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = due.elapsed().as_secs_f64();
    let first = first.map_or("none accepted".to_owned(), |t| {
        format!("the first accepted {:.2} s after due", t.as_secs_f64())
    });
    println!("fan-out {slug}: {first}; {}", progress.join(", "));
    let cpu = crate::cpu::per_unit(&crate::cpu::since(&cpu_before), n as usize, "email");
    // A moment for duplicates to show up, if any would.
    tokio::time::sleep(Duration::from_millis(500)).await;
    counter.poll_each(&mut count);
    pool.close().await;

    let prefix = format!("{slug}-");
    let mut missing = 0;
    let mut duplicates = 0;
    for i in 1..=n {
        match counts.get(&format!("{prefix}{i}@bench.example.org")) {
            None => missing += 1,
            Some(&c) => duplicates += (c - 1) as u64,
        }
    }
    let dumped = std::fs::metadata(&sink.dump).map_or(0, |m| m.len()) - dump_from;
    let mean_size = dumped / (counter.messages.max(1) as u64);
    println!(
        "fan-out {slug}: {} accepted in {seconds:.1} s ({missing} missing, {duplicates} duplicates)",
        counter.messages
    );

    let ceiling_per_s = ceiling(stack, n, pool_size, mean_size).await;
    FanOut {
        participants: n,
        seconds,
        ceiling_per_s,
        missing,
        duplicates,
        mean_size,
        cpu,
    }
}

/// `smtp-source -d` with `sessions` connections pushing `n` messages of about `size`
/// bytes into a fresh sink like the one under test: messages per second.
async fn ceiling(stack: &Stack, n: u64, sessions: u32, size: u64) -> Option<f64> {
    let sink = Sink::start(stack.dir.path(), "sink-ceiling").await;
    let (program, env) = postfix("smtp-source");
    // smtp-source's -l is the body's length; the sink's own headers and ours take ~700 B.
    let body = size.saturating_sub(700).max(100);
    let started = Instant::now();
    let out = Command::new(&program)
        .envs(env)
        .args(["-d", "-s", &sessions.to_string(), "-m", &n.to_string()])
        .args(["-l", &body.to_string(), "-f", "no-reply@convene.localhost"])
        .args(["-t", "ceiling@bench.example.org"])
        .arg(format!("127.0.0.1:{}", sink.port))
        .output()
        .ok()?;
    let elapsed = started.elapsed();
    if !out.status.success() {
        eprintln!(
            "smtp-source failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let mut counter = DumpCounter::from_start(&sink.dump);
    // The sink may still be writing the last few.
    let deadline = Instant::now() + Duration::from_secs(5);
    while (counter.poll() as u64) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if (counter.messages as u64) < n {
        eprintln!(
            "the ceiling's sink counted {} of {n} messages",
            counter.messages
        );
    }
    Some(n as f64 / elapsed.as_secs_f64())
}
