//! Each service works as a Postgres role and a RabbitMQ user of its own, and no further:
//! the roles of `deploy/postgres/10-convene-roles.sh` and the users and permissions of
//! `deploy/rabbitmq/definitions.sh`, applied by running those very scripts (as the
//! containers do) with names unique to this test, then the whole stack started with each
//! service connecting as its own. Roles and users are removed afterwards.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Timelike as _;
use convene_shared::topology::{self, ALL_INBOXES, NOTIFICATION_INBOX};
use convene_tests::infra::{workspace_root, TestDatabase, TestVhost};
use convene_tests::stack::participant;
use convene_tests::{Stack, StackOptions};
use lapin::options::{
    BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeleteOptions,
};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::json;
use sqlx::Connection as _;

const SERVICES: [&str; 3] = ["registration", "notification", "scheduling"];
const MAIL_WAIT: Duration = Duration::from_secs(60);

/// The parts of a `scheme://user[:password]@host:port` server URL.
struct Server {
    user: String,
    password: Option<String>,
    host_port: String,
}

fn server(url: &str) -> Server {
    let rest = url.split_once("://").expect("a URL").1;
    let (credentials, host_port) = rest.rsplit_once('@').expect("a user in the URL");
    let (user, password) = match credentials.split_once(':') {
        Some((user, password)) => (user.to_owned(), Some(password.to_owned())),
        None => (credentials.to_owned(), None),
    };
    Server {
        user,
        password,
        host_port: host_port.to_owned(),
    }
}

/// The Postgres roles made for this test, dropped when it ends with the database their
/// schemas are in (a role that owns objects cannot be dropped).
struct Roles {
    server: String,
    database: String,
    names: Vec<String>,
}

impl Drop for Roles {
    fn drop(&mut self) {
        let server = self.server.clone();
        let database = self.database.clone();
        let names = self.names.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) =
                    sqlx::PgConnection::connect(&format!("{server}/postgres")).await
                {
                    let _ = sqlx::query(&format!(
                        "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                    ))
                    .execute(&mut admin)
                    .await;
                    for name in names {
                        let _ = sqlx::query(&format!("DROP ROLE IF EXISTS \"{name}\""))
                            .execute(&mut admin)
                            .await;
                    }
                }
            });
        })
        .join();
    }
}

fn rabbitmqctl(args: &[&str]) -> std::process::Output {
    let ctl = std::env::var("RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".to_owned());
    Command::new(ctl)
        .args(args)
        .output()
        .expect("running rabbitmqctl")
}

/// The RabbitMQ users made for this test, deleted when it ends.
struct BrokerUsers(Vec<String>);

impl Drop for BrokerUsers {
    fn drop(&mut self) {
        for user in &self.0 {
            let _ = rabbitmqctl(&["delete_user", user]);
        }
    }
}

/// Runs one of the deploy scripts with `env`; its standard output.
fn run_script(script: &str, env: &[(String, String)]) -> String {
    let out = Command::new("sh")
        .arg(workspace_root().join(script))
        .envs(env.iter().cloned())
        .output()
        .unwrap_or_else(|e| panic!("running {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Creates the three roles in `db` as `10-convene-roles.sh` does in the container.
fn create_roles(db: &TestDatabase, tag: &str) -> (Roles, Vec<(String, String)>) {
    let admin = server(&db.server);
    let (host, port) = admin.host_port.rsplit_once(':').expect("host:port");
    let mut env = vec![
        ("POSTGRES_USER".to_owned(), admin.user.clone()),
        ("POSTGRES_DB".to_owned(), db.name.clone()),
        ("PGHOST".to_owned(), host.to_owned()),
        ("PGPORT".to_owned(), port.to_owned()),
    ];
    if let Some(password) = &admin.password {
        env.push(("PGPASSWORD".to_owned(), password.clone()));
    }
    let mut roles = Roles {
        server: db.server.clone(),
        database: db.name.clone(),
        names: Vec::new(),
    };
    let mut logins = Vec::new();
    for service in SERVICES {
        let upper = service.to_uppercase();
        let role = format!("convene_t{tag}_{service}");
        let password = uuid::Uuid::new_v4().simple().to_string();
        env.push((format!("{upper}_DATABASE_USER"), role.clone()));
        env.push((format!("{upper}_DATABASE_PASSWORD"), password.clone()));
        roles.names.push(role.clone());
        logins.push((role, password));
    }
    run_script("deploy/postgres/10-convene-roles.sh", &env);
    (roles, logins)
}

/// Loads the users and permissions of `definitions.sh` into `vhost`, as RabbitMQ does at
/// boot with the file the container's entrypoint writes.
fn create_broker_users(
    vhost: &TestVhost,
    tag: &str,
    dir: &Path,
) -> (BrokerUsers, Vec<(String, String)>) {
    let admin = format!("convene-t{tag}-admin");
    let mut env = vec![
        ("CONVENE_AMQP_VHOST".to_owned(), vhost.name.clone()),
        ("RABBITMQ_DEFAULT_USER".to_owned(), admin.clone()),
        (
            "RABBITMQ_DEFAULT_PASS".to_owned(),
            uuid::Uuid::new_v4().simple().to_string(),
        ),
    ];
    let mut users = BrokerUsers(vec![admin]);
    let mut logins = Vec::new();
    for service in SERVICES {
        let upper = service.to_uppercase();
        let user = format!("convene-t{tag}-{service}");
        let password = uuid::Uuid::new_v4().simple().to_string();
        env.push((format!("{upper}_AMQP_USER"), user.clone()));
        env.push((format!("{upper}_AMQP_PASSWORD"), password.clone()));
        users.0.push(user.clone());
        logins.push((user, password));
    }
    let definitions = dir.join("definitions.json");
    std::fs::write(
        &definitions,
        run_script("deploy/rabbitmq/definitions.sh", &env),
    )
    .unwrap();
    let out = rabbitmqctl(&["import_definitions", definitions.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "rabbitmqctl import_definitions: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The import finishes in the background: wait until every user has its permissions.
    let deadline = Instant::now() + Duration::from_secs(20);
    for (user, _) in &logins {
        while !String::from_utf8_lossy(&rabbitmqctl(&["list_user_permissions", "-q", user]).stdout)
            .contains(&vhost.name)
        {
            assert!(Instant::now() < deadline, "{user} not imported in 20 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    (users, logins)
}

/// Whether `sql` is refused for lack of privilege (SQLSTATE 42501) on `url`.
async fn refused_in_postgres(url: &str, sql: &str) -> bool {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connecting");
    let result = sqlx::query(sql).execute(&mut conn).await;
    match result {
        Ok(_) => false,
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => true,
        Err(e) => panic!("{sql}: an error other than a refusal: {e}"),
    }
}

async fn amqp(url: &str) -> Connection {
    Connection::connect(url, ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("connecting as {url}: {e}"))
}

/// Whether an AMQP error is RabbitMQ's refusal for lack of permission (and not, say, a
/// queue that does not exist).
fn is_access_refused(error: &lapin::Error) -> bool {
    let text = error.to_string();
    text.contains("ACCESS") && text.contains("refused")
}

/// Whether RabbitMQ refuses `basic.get` on `queue` (on a channel of its own).
///
/// # Panics
/// On any other error.
async fn get_refused(conn: &Connection, queue: &str) -> bool {
    let channel = conn.create_channel().await.unwrap();
    match channel
        .basic_get(queue.into(), BasicGetOptions::default())
        .await
    {
        Ok(_) => false,
        Err(e) if is_access_refused(&e) => true,
        Err(e) => panic!("basic.get {queue}: an error other than a refusal: {e}"),
    }
}

/// Deletes every queue Convene declares in a vhost, with an administrator's `url`.
async fn delete_every_queue(url: &str) {
    let conn = amqp(url).await;
    for inbox in ALL_INBOXES {
        let mut queues = vec![inbox.queue.to_owned(), inbox.dead_letter_queue()];
        queues.extend([500, 1000, 10_000, 60_000].map(|d| inbox.retry_queue(d)));
        for queue in queues {
            let channel = conn.create_channel().await.unwrap();
            channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await
                .unwrap_or_else(|e| panic!("deleting {queue}: {e}"));
        }
    }
    let _ = conn.close(200, "done".into()).await;
}

/// Each user can declare, on an empty vhost, everything its service declares at start:
/// RabbitMQ checks more when a queue is created (read on it and write on its dead-letter
/// exchange) than when it is declared again, and at a first start any service may be the
/// first to declare any inbox.
async fn each_user_declares_its_topology_from_scratch(admin_url: &str, amqp_urls: &[String]) {
    let [registration, notification, scheduling] = amqp_urls else {
        unreachable!()
    };
    delete_every_queue(admin_url).await;
    let conn = amqp(notification).await;
    let channel = conn.create_channel().await.unwrap();
    NOTIFICATION_INBOX
        .declare(&channel, &[500, 1000])
        .await
        .expect("notification declaring its inbox on an empty vhost");
    for (service, url) in [("registration", registration), ("scheduling", scheduling)] {
        delete_every_queue(admin_url).await;
        let conn = amqp(url).await;
        let channel = conn.create_channel().await.unwrap();
        topology::declare_for_publishing(&channel)
            .await
            .unwrap_or_else(|e| panic!("{service} declaring every inbox on an empty vhost: {e}"));
        let inbox = ALL_INBOXES
            .into_iter()
            .find(|i| i.queue.starts_with(service))
            .unwrap();
        inbox
            .declare(&channel, &[1000, 10_000, 60_000])
            .await
            .unwrap_or_else(|e| panic!("{service} declaring its inbox: {e}"));
    }
    delete_every_queue(admin_url).await;
}

#[tokio::test]
async fn each_service_works_as_its_own_user_and_cannot_touch_the_others_data() {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..10];
    let scratch = tempfile::tempdir().unwrap();
    let db = TestDatabase::create().await;
    let vhost = TestVhost::create();
    // Declared before the stack, so dropped after it (and after its database).
    let (_roles, pg_logins) = create_roles(&db, tag);
    let (_users, amqp_logins) = create_broker_users(&vhost, tag, scratch.path());

    let pg = server(&db.server);
    let broker = server(&vhost.url);
    let mut service_env = Vec::new();
    let mut database_urls = Vec::new();
    let mut amqp_urls = Vec::new();
    for (i, service) in SERVICES.iter().enumerate() {
        let (role, password) = &pg_logins[i];
        let database_url = format!("postgres://{role}:{password}@{}/{}", pg.host_port, db.name);
        let (user, password) = &amqp_logins[i];
        let host_port = broker.host_port.rsplit_once('/').unwrap().0;
        let amqp_url = format!("amqp://{user}:{password}@{host_port}/{}", vhost.name);
        service_env.push((
            (*service).to_owned(),
            "DATABASE_URL".to_owned(),
            database_url.clone(),
        ));
        service_env.push((
            (*service).to_owned(),
            "AMQP_URL".to_owned(),
            amqp_url.clone(),
        ));
        database_urls.push(database_url);
        amqp_urls.push(amqp_url);
    }

    each_user_declares_its_topology_from_scratch(&vhost.url, &amqp_urls).await;

    // The organisers' digest clock fires once, 30 s from now: scheduling publishes
    // digest.due, registration consumes it and publishes the digest, notification sends it.
    let fire = chrono::Utc::now() + chrono::Duration::seconds(30);
    let stack = Stack::start_in(
        StackOptions {
            env: vec![
                ("DIGEST_HOUR".into(), "0".into()),
                (
                    "DIGEST_SCHEDULE".into(),
                    format!("{} {} {} * * *", fire.second(), fire.minute(), fire.hour()),
                ),
            ],
            service_env,
            ..StackOptions::default()
        },
        db,
        vhost,
    )
    .await;

    // Everything works: a registration is confirmed by email, and the organiser's digest
    // crosses all three services.
    let lead = format!("lead-{tag}@un.example.org");
    let slug = stack
        .given_event(json!({ "organiser_emails": [lead] }))
        .await;
    let person = participant("Ana");
    stack.register(&slug, &person).await;
    let email = person["email"].as_str().unwrap();
    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(email))
        .await;
    assert!(
        chrono::Utc::now() < fire,
        "the registration must be in before the digest clock fires"
    );
    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&lead))
        .await;
    // An export asks the notification service over RabbitMQ (request and reply).
    let (status, export) = stack
        .admin_json(
            reqwest::Method::GET,
            &format!("/api/admin/personal-data?email={email}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(export["incomplete"], json!([]), "{export}");
    assert_eq!(
        export["notification"]["recipients"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Each schema, and everything in it, belongs to its service's role.
    let admin = stack.db.pool().await;
    for (i, service) in SERVICES.iter().enumerate() {
        let foreign: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tableowner <> $2",
        )
        .bind(service)
        .bind(&pg_logins[i].0)
        .fetch_one(&admin)
        .await
        .unwrap();
        assert_eq!(foreign, 0, "tables in {service} not owned by its role");
    }
    admin.close().await;

    // Postgres: a role reads its own schema, not another's, and creates nothing in public.
    let [registration_db, notification_db, scheduling_db] = &database_urls[..] else {
        unreachable!()
    };
    assert!(
        !refused_in_postgres(registration_db, "SELECT * FROM registration.registrations").await
    );
    assert!(refused_in_postgres(notification_db, "SELECT * FROM registration.registrations").await);
    assert!(refused_in_postgres(scheduling_db, "SELECT * FROM notification.recipients").await);
    assert!(refused_in_postgres(registration_db, "DELETE FROM scheduling.reminders").await);
    assert!(refused_in_postgres(scheduling_db, "CREATE TABLE public.intruder (id int)").await);
    assert!(refused_in_postgres(notification_db, "CREATE SCHEMA intruder").await);

    // RabbitMQ: a service reads its own dead letters and nobody else's; notification
    // cannot consume another inbox or publish to the exchange; scheduling cannot delete
    // notification's queues.
    let [registration_mq, notification_mq, scheduling_mq] = &amqp_urls[..] else {
        unreachable!()
    };
    let notification = amqp(notification_mq).await;
    assert!(!get_refused(&notification, "notification.inbox.dead").await);
    assert!(get_refused(&notification, "scheduling.inbox").await);
    assert!(get_refused(&notification, "registration.inbox.dead").await);
    let channel = notification.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let published = async {
        channel
            .basic_publish(
                "convene".into(),
                "registration.confirmed".into(),
                BasicPublishOptions::default(),
                b"{}",
                BasicProperties::default(),
            )
            .await?
            .await
    }
    .await;
    assert!(
        matches!(&published, Err(e) if is_access_refused(e)),
        "notification may publish to the convene exchange: {published:?}"
    );

    let scheduling = amqp(scheduling_mq).await;
    assert!(!get_refused(&scheduling, "scheduling.inbox.dead").await);
    assert!(get_refused(&scheduling, "notification.inbox.dead").await);
    let channel = scheduling.create_channel().await.unwrap();
    let deleted = channel
        .queue_delete(
            "notification.inbox.retry.500ms".into(),
            QueueDeleteOptions::default(),
        )
        .await;
    assert!(
        matches!(&deleted, Err(e) if is_access_refused(e)),
        "scheduling may delete notification's retry queue: {deleted:?}"
    );

    let registration = amqp(registration_mq).await;
    assert!(!get_refused(&registration, "registration.inbox.dead").await);
    assert!(get_refused(&registration, "notification.inbox.dead").await);
    assert!(get_refused(&registration, "scheduling.inbox.retry.1000ms").await);
    // Questions to the notification service are for it alone to read.
    assert!(get_refused(&registration, "notification.requests").await);
    assert!(get_refused(&scheduling, "notification.requests").await);
}
