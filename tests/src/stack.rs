//! The whole of Convene, running: three service processes, an SMTP server, a fresh
//! database and vhost. Dropping a [`Stack`] stops everything and deletes its data.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::infra::{self, TestDatabase, TestVhost};
use crate::mail::Mailbox;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
/// The `LINK_KEY` registration and notification share in tests (never scheduling).
pub const LINK_KEY: &str = "test-link-key-0123456789abcdef0123456789";

/// A child process that is killed when dropped, its output kept in a log file. It can be
/// killed and started again with the same command (its log goes on in the same file).
pub struct Process {
    pub name: String,
    child: Child,
    pub log: PathBuf,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Process {
    /// Starts `program` with `env`, logging to `dir/name.log`.
    ///
    /// # Panics
    /// When the program cannot be started.
    pub fn spawn(
        name: &str,
        program: &Path,
        args: &[&str],
        env: &[(String, String)],
        dir: &Path,
    ) -> Self {
        let log = dir.join(format!("{name}.log"));
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let child = launch(program, &args, env, &log);
        Self {
            name: name.to_owned(),
            child,
            log,
            program: program.to_path_buf(),
            args,
            env: env.to_vec(),
        }
    }

    /// Kills the process if it still runs (SIGKILL), then starts the same command again.
    pub fn restart(&mut self) {
        self.kill();
        self.child = launch(&self.program, &self.args, &self.env, &self.log);
    }

    /// [`Self::restart`] with some variables changed (or added), for this and later restarts.
    pub fn restart_with(&mut self, changes: &[(&str, &str)]) {
        for (name, value) in changes {
            self.env.retain(|(k, _)| k != name);
            self.env.push(((*name).to_owned(), (*value).to_owned()));
        }
        self.restart();
    }

    /// Sends SIGTERM (a graceful stop) without waiting.
    pub fn terminate(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }

    /// Waits up to `timeout` for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGKILL and waits.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process has exited, and how.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

/// Starts `program`, appending its output to `log`.
fn launch(program: &Path, args: &[String], env: &[(String, String)], log: &Path) -> Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("opening a log file");
    Command::new(program)
        .args(args)
        .envs(env.iter().cloned())
        .stdout(out.try_clone().expect("log handle"))
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}); run `make test`, which builds it",
                program.display()
            )
        })
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("----- {} log -----\n{}", self.name, self.logs());
        }
    }
}

/// Knobs a test may turn.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// The scheduler's cron expression (default: every second, so tests do not wait).
    pub schedule: String,
    /// How many scheduling processes to run.
    pub schedulers: usize,
    /// The notification service's retry delays.
    pub retry_delays_ms: String,
    /// Extra environment for every service.
    pub env: Vec<(String, String)>,
    /// Extra environment for one service only, after `env`: (`registration`,
    /// `notification` or `scheduling`, name, value); e.g. each its own `DATABASE_URL`.
    pub service_env: Vec<(String, String, String)>,
    /// The Postgres server (`postgres://…:port`) to create the test database on; `None`:
    /// `DATABASE_URL`'s server.
    pub postgres_server: Option<String>,
    /// What the services connect to instead of `postgres_server` (a [`crate::Proxy`] in
    /// front of it, as `postgres://…:port`).
    pub postgres_via: Option<String>,
    /// The RabbitMQ node and server (`amqp://user:pass@host:port`) to create the test
    /// vhost on; `None`: rabbitmqctl's default node and `AMQP_URL`'s server.
    pub rabbitmq: Option<(String, String)>,
    /// What the services connect to instead (a proxy in front of it, as
    /// `amqp://user:pass@host:port`).
    pub amqp_via: Option<String>,
    /// Appended to the services' `DATABASE_URL`, e.g. `?sslmode=verify-full&sslrootcert=…`.
    pub database_query: String,
    /// The SMTP server's port (`None`: a free one) and environment (its TLS and login,
    /// see `tests/support/smtp_server.py`).
    pub smtp_port: Option<u16>,
    pub smtp_env: Vec<(String, String)>,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            schedule: "* * * * * *".to_owned(),
            schedulers: 1,
            retry_delays_ms: "500,1000".to_owned(),
            env: Vec::new(),
            service_env: Vec::new(),
            postgres_server: None,
            postgres_via: None,
            rabbitmq: None,
            amqp_via: None,
            database_query: String::new(),
            smtp_port: None,
            smtp_env: Vec::new(),
        }
    }
}

/// Convene running for one test.
pub struct Stack {
    pub http: reqwest::Client,
    pub base_url: String,
    pub mailbox: Mailbox,
    pub registration: Process,
    pub notification: Process,
    pub schedulers: Vec<Process>,
    pub smtp: Process,
    pub db: TestDatabase,
    pub vhost: TestVhost,
    pub health_urls: Vec<String>,
    /// Logs and mail live here until the stack is dropped.
    pub dir: tempfile::TempDir,
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(StackOptions::default()).await
    }

    /// Starts everything and waits until every service answers `/readyz`.
    ///
    /// # Panics
    /// When a dependency is missing or a service does not become ready in 60 s.
    pub async fn start_with(options: StackOptions) -> Self {
        let db = match &options.postgres_server {
            Some(server) => TestDatabase::create_on(server).await,
            None => TestDatabase::create().await,
        };
        let vhost = match &options.rabbitmq {
            Some((node, server)) => TestVhost::create_on(Some(node), server),
            None => TestVhost::create(),
        };
        Self::start_in(options, db, vhost).await
    }

    /// Like [`Stack::start_with`], on a database and vhost the test created (and prepared,
    /// say with users of its own) beforehand; they are dropped with the stack.
    ///
    /// # Panics
    /// When a dependency is missing or a service does not become ready in 60 s.
    pub async fn start_in(options: StackOptions, db: TestDatabase, vhost: TestVhost) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = options
            .postgres_via
            .as_ref()
            .map_or_else(|| db.url.clone(), |via| format!("{via}/{}", db.name))
            + &options.database_query;
        let amqp_url = options
            .amqp_via
            .as_ref()
            .map_or_else(|| vhost.url.clone(), |via| format!("{via}/{}", vhost.name));

        // A real SMTP server on its own port, writing what it accepts to a folder.
        let smtp_port = options.smtp_port.unwrap_or_else(infra::free_port);
        let mail_dir = dir.path().join("mail");
        let smtp = spawn_smtp_server(dir.path(), smtp_port, &mail_dir, &options.smtp_env).await;

        let http_port = infra::free_port();
        let base_url = format!("http://127.0.0.1:{http_port}");
        let common = vec![
            ("DATABASE_URL".to_owned(), database_url),
            ("AMQP_URL".to_owned(), amqp_url),
            ("RUST_LOG".to_owned(), "info".to_owned()),
            ("STARTUP_TIMEOUT_SECS".to_owned(), "30".to_owned()),
        ];
        // The test's own settings come last, so they override the harness's.
        let with = |service: &str, extra: &[(&str, String)]| {
            let mut env = common.clone();
            env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
            env.extend(options.env.iter().cloned());
            env.extend(
                options
                    .service_env
                    .iter()
                    .filter(|(s, _, _)| s == service)
                    .map(|(_, k, v)| (k.clone(), v.clone())),
            );
            env
        };
        let bin = infra::bin_dir();
        let mut health_urls = Vec::new();

        let registration = Process::spawn(
            "registration",
            &bin.join("registration"),
            &[],
            &with(
                "registration",
                &[
                    ("HTTP_ADDR", format!("127.0.0.1:{http_port}")),
                    ("ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
                    ("PUBLIC_BASE_URL", base_url.clone()),
                    ("LINK_KEY", LINK_KEY.to_owned()),
                ],
            ),
            dir.path(),
        );
        health_urls.push(format!("{base_url}/readyz"));

        let notification_port = infra::free_port();
        let notification = Process::spawn(
            "notification",
            &bin.join("notification"),
            &[],
            &with(
                "notification",
                &[
                    ("HTTP_ADDR", format!("127.0.0.1:{notification_port}")),
                    ("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
                    ("RETRY_DELAYS_MS", options.retry_delays_ms.clone()),
                    ("LINK_KEY", LINK_KEY.to_owned()),
                ],
            ),
            dir.path(),
        );
        health_urls.push(format!("http://127.0.0.1:{notification_port}/readyz"));

        let mut schedulers = Vec::new();
        for i in 0..options.schedulers {
            let port = infra::free_port();
            schedulers.push(Process::spawn(
                &format!("scheduling-{i}"),
                &bin.join("scheduling"),
                &[],
                &with(
                    "scheduling",
                    &[
                        ("HTTP_ADDR", format!("127.0.0.1:{port}")),
                        ("SCHEDULE", options.schedule.clone()),
                        // Organisers' digests only where a test asks for them (its own
                        // DIGEST_SCHEDULE): a test that counts emails must not see one because
                        // it ran across a quarter hour.
                        ("DIGEST_SCHEDULE", "0 0 0 1 1 * 2099".to_owned()),
                    ],
                ),
                dir.path(),
            ));
            health_urls.push(format!("http://127.0.0.1:{port}/readyz"));
        }

        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            // The services close a connection idle for HTTP_REQUEST_TIMEOUT_SECS (30 s, the
            // header-read timeout): a request sent on one just then fails ("connection
            // closed before message completed"). Idle ones are dropped well before.
            .pool_idle_timeout(Duration::from_secs(20))
            .build()
            .expect("http client");
        let stack = Self {
            http,
            base_url,
            mailbox: Mailbox::new(mail_dir),
            registration,
            notification,
            schedulers,
            smtp,
            db,
            vhost,
            health_urls,
            dir,
        };
        stack.wait_until_ready(Duration::from_secs(60)).await;
        stack
    }

    /// Waits until every service answers `/readyz` with 200.
    ///
    /// # Panics
    /// After `timeout`, with the services' logs.
    pub async fn wait_until_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        for url in &self.health_urls {
            loop {
                if let Ok(r) = self.http.get(url).send().await {
                    if r.status().is_success() {
                        break;
                    }
                }
                assert!(
                    Instant::now() < deadline,
                    "{url} not ready in {timeout:?}\nregistration:\n{}\nnotification:\n{}",
                    self.registration.logs(),
                    self.notification.logs()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// The base URL of every service's HTTP server: registration, notification, then each
    /// scheduler (each serves `/healthz`, `/readyz` and `/metrics`).
    pub fn service_urls(&self) -> Vec<String> {
        self.health_urls
            .iter()
            .map(|u| u.trim_end_matches("/readyz").to_owned())
            .collect()
    }

    /// Waits until registration and the schedulers answer `/readyz` (for a test that
    /// keeps notification stopped).
    ///
    /// # Panics
    /// After 60 s.
    pub async fn wait_until_ready_except_notification(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let urls = self
            .health_urls
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 1) // registration, notification, schedulers…
            .map(|(_, url)| url);
        for url in urls {
            while !matches!(self.http.get(url).send().await, Ok(r) if r.status().is_success()) {
                assert!(Instant::now() < deadline, "{url} not ready in 60 s");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Copies every process's log into `dest` (which is created), to keep them after the
    /// stack is gone.
    pub fn keep_logs(&self, dest: &Path) {
        let _ = std::fs::create_dir_all(dest);
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                if path.extension().is_some_and(|x| x == "log") {
                    let _ = std::fs::copy(&path, dest.join(entry.file_name()));
                }
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request to the admin API (`path` is relative to the registration service), with
    /// the admin token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// An admin API call with an optional JSON body: its status and JSON answer (`null`
    /// when the answer is not JSON).
    pub async fn admin_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.admin(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("admin API call");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `GET path` of the registration service, as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("a JSON answer")
    }

    /// `GET path` of the registration service, as text.
    pub async fn get_text(&self, path: &str) -> String {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("a text answer")
    }

    /// `POST /api/admin/events` with the admin token.
    pub async fn create_event(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url("/api/admin/events"))
            .bearer_auth(ADMIN_TOKEN)
            .json(body)
            .send()
            .await
            .expect("POST /api/admin/events")
    }

    /// Creates an exchange and returns its slug; panics unless `201`.
    pub async fn given_event(&self, overrides: Value) -> String {
        let mut body = event_body();
        if let (Value::Object(b), Value::Object(o)) = (&mut body, overrides) {
            b.extend(o);
        }
        let response = self.create_event(&body).await;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(status, 201, "creating the exchange: {text}");
        body["slug"].as_str().expect("slug").to_owned()
    }

    /// `POST /api/events/{slug}/registrations` for someone who should end up registered:
    /// checks the answer is the one every registration gets, `202 {"status": "received"}`
    /// (it never says more), then finds the registration of `body["email"]` in the
    /// database, as the organisers would see it.
    ///
    /// # Panics
    /// On any other answer, or when the address holds no registration of the exchange.
    pub async fn register(&self, slug: &str, body: &Value) -> Registration {
        let response = self.register_json(slug, body).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(
            (status, text.as_str()),
            (202, RECEIVED),
            "registering {}",
            body["email"]
        );
        let email = body["email"].as_str().expect("the body has an email");
        self.registration_of(slug, email)
            .await
            .unwrap_or_else(|| panic!("{email} holds no registration of {slug}"))
    }

    /// The registration of `email` (any case) for the exchange `slug`, if there is one.
    pub async fn registration_of(&self, slug: &str, email: &str) -> Option<Registration> {
        let pool = self.db.pool().await;
        let found: Option<(uuid::Uuid, String)> = sqlx::query_as(
            "SELECT r.id, r.status FROM registration.registrations r \
             JOIN registration.events e ON e.id = r.event_id \
             WHERE e.slug = $1 AND lower(r.email) = lower($2)",
        )
        .bind(slug)
        .bind(email)
        .fetch_optional(&pool)
        .await
        .expect("looking up a registration");
        pool.close().await;
        found.map(|(id, status)| Registration { id, status })
    }

    /// `POST /api/events/{slug}/registrations`, the raw answer.
    pub async fn register_json(&self, slug: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/events/{slug}/registrations")))
            .json(body)
            .send()
            .await
            .expect("POST registrations")
    }

    /// `POST /events/{slug}/register` as a browser would.
    pub async fn register_form(&self, slug: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/events/{slug}/register")))
            .form(fields)
            .send()
            .await
            .expect("POST register form")
    }

    /// The personal (manage) link in the first email `email` received, waiting up to 30 s.
    ///
    /// # Panics
    /// When no email with such a link arrives.
    pub async fn manage_link_of(&self, email: &str) -> String {
        self.mailbox
            .wait_for(1, Duration::from_secs(30), |m| m.to.contains(email))
            .await[0]
            .manage_link()
            .unwrap_or_else(|| panic!("no personal link in the first email to {email}"))
    }

    /// Runs a query on the test database.
    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        let pool = self.db.pool().await;
        let value: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.expect(sql);
        pool.close().await;
        value
    }
}

/// The body of the JSON API's answer to every registration it takes in, byte for byte.
pub const RECEIVED: &str = r#"{"status":"received"}"#;

/// A registration as stored: what the JSON API's answer no longer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: uuid::Uuid,
    /// `confirmed`, `waitlisted`, `pending`, …
    pub status: String,
}

/// A valid exchange starting in 30 days, with a unique slug.
pub fn event_body() -> Value {
    let start = chrono::Utc::now() + chrono::Duration::days(30);
    serde_json::json!({
        "slug": format!("exchange-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        "title": "Global peer learning exchange on alternatives to immigration detention",
        "description": "Officials and UN entities compare what works.",
        "starts_at": start.to_rfc3339(),
        "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(),
        "timezone": "Europe/Zurich",
        "capacity": null,
        "organiser_emails": ["lead@un.example.org"],
        "topics": ["Case management"],
    })
}

/// A valid participant with a unique address.
pub fn participant(name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "email": format!("{}-{}@ministry.example.org", name.to_lowercase().replace(' ', "."), &uuid::Uuid::new_v4().simple().to_string()[..8]),
        "organisation": "Ministry of the Interior",
        "country": "SN",
        "role": "government_official",
        "consent": true,
    })
}

/// Starts the test SMTP server (`tests/support/smtp_server.py`) on 127.0.0.1:`port`,
/// writing what it accepts to `mail_dir`, with `env` (its TLS and login settings), and
/// waits until it listens. Its log is `dir/smtp.log`.
///
/// # Panics
/// When it does not listen within 20 s.
pub async fn spawn_smtp_server(
    dir: &Path,
    port: u16,
    mail_dir: &Path,
    env: &[(String, String)],
) -> Process {
    std::fs::create_dir_all(mail_dir).expect("mail dir");
    let script = infra::workspace_root().join("tests/support/smtp_server.py");
    let smtp = Process::spawn(
        "smtp",
        &infra::python(),
        &[
            script.to_str().expect("utf-8 path"),
            "127.0.0.1",
            &port.to_string(),
            mail_dir.to_str().expect("utf-8 path"),
        ],
        env,
        dir,
    );
    wait_for_port(port, Duration::from_secs(20)).await;
    smtp
}

async fn wait_for_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "nothing listens on port {port} after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
