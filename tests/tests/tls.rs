//! TLS to every server: SMTP (`smtps://`, STARTTLS required or opportunistic, a private CA
//! in `SMTP_CA_FILE`, percent-encoded credentials), Postgres (`sslmode=verify-full` with
//! `sslrootcert`) and RabbitMQ (`amqps://` with `AMQP_CA_FILE`), each against a real
//! server presenting a certificate the test made; and what happens when the certificate is
//! not one to trust.

use std::path::Path;
use std::time::{Duration, Instant};

use convene_shared::consumer::Failure;
use convene_tests::servers::{PrivatePostgres, PrivateRabbit};
use convene_tests::stack::{participant, spawn_smtp_server};
use convene_tests::tls::{cert_dir, ServerCert, TestCa};
use convene_tests::{Mailbox, Stack, StackOptions};
use notification::email::smtp_target::SmtpTarget;
use notification::email::transport::{Mailer, Timeouts};
use notification::email::Outgoing;
use serde_json::json;
use sqlx::Connection as _;

const MAIL_WAIT: Duration = Duration::from_secs(30);
/// The SMTP login of these tests; its password needs percent-encoding in a URL.
const SMTP_USER: &str = "convene@relay";
const SMTP_PASSWORD: &str = "p@ss:w/rd%";
const SMTP_USERINFO: &str = "convene%40relay:p%40ss%3Aw%2Frd%25";

/// How the test SMTP server runs: `SMTP_TLS_MODE` and whether it asks for a login.
fn smtp_env(mode: &str, cert: Option<&ServerCert>, login: bool) -> Vec<(String, String)> {
    let mut env = vec![("SMTP_TLS_MODE".to_owned(), mode.to_owned())];
    if let Some(cert) = cert {
        env.push(("SMTP_TLS_CERT".to_owned(), path(&cert.cert)));
        env.push(("SMTP_TLS_KEY".to_owned(), path(&cert.key)));
    }
    if login {
        env.push((
            "SMTP_AUTH".to_owned(),
            format!("{SMTP_USER}:{SMTP_PASSWORD}"),
        ));
    }
    env
}

fn path(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_owned()
}

fn email(to: &str) -> Outgoing {
    Outgoing {
        key: uuid::Uuid::new_v4().to_string(),
        kind: "confirmation",
        to: to.to_owned(),
        to_name: Some("Amina Diallo".to_owned()),
        reply_to: None,
        subject: "TLS test".to_owned(),
        body: "Sent over TLS, or not at all.".to_owned(),
        calendar: None,
    }
}

/// Sends one email through a fresh SMTP server started with `server_env`, to `SMTP_URL`
/// `url` (`{port}` replaced) trusting `ca`; returns the send's result and what arrived.
async fn send_one(
    server_env: Vec<(String, String)>,
    url: &str,
    ca: Option<&str>,
) -> (Result<(), Failure>, Vec<convene_tests::Mail>) {
    let dir = tempfile::tempdir().unwrap();
    let port = convene_tests::infra::free_port();
    let mail_dir = dir.path().join("mail");
    let _server = spawn_smtp_server(dir.path(), port, &mail_dir, &server_env).await;
    let target = SmtpTarget::parse(&url.replace("{port}", &port.to_string())).unwrap();
    let timeouts = Timeouts {
        command: Duration::from_secs(10),
        end_of_data: Duration::from_secs(10),
    };
    let mailer = Mailer::smtp(target, ca, 1, timeouts).unwrap();
    let from = "Convene <no-reply@convene.localhost>".parse().unwrap();
    let outgoing = email("amina@interior.example.sn");
    let mut results = mailer.send_all(&from, &[&outgoing]).await;
    let (result, _) = results.pop().expect("one result");
    (result, Mailbox::new(&mail_dir).all())
}

#[tokio::test]
async fn smtp_speaks_each_tls_mode_against_a_real_server() {
    let certs = cert_dir();
    let ca = TestCa::new("Convene test CA");
    let good = ca.issue(&["localhost", "127.0.0.1"], certs.path(), "smtp");
    let ca_pem = ca.pem();

    // (what the server does, SMTP_URL, whether the email must have come over TLS)
    let cases = [
        (
            smtp_env("smtps", Some(&good), true),
            format!("smtps://{SMTP_USERINFO}@localhost:{{port}}"),
            true,
        ),
        (
            smtp_env("starttls-only", Some(&good), true),
            format!("smtp://{SMTP_USERINFO}@localhost:{{port}}?tls=required"),
            true,
        ),
        (
            smtp_env("starttls", Some(&good), false),
            "smtp://localhost:{port}?tls=opportunistic".to_owned(),
            true,
        ),
        (
            smtp_env("", None, false),
            "smtp://localhost:{port}?tls=opportunistic".to_owned(),
            false,
        ),
    ];
    for (server, url, over_tls) in cases {
        let (result, arrived) = send_one(server, &url, Some(&ca_pem)).await;
        assert!(result.is_ok(), "{url}: {:?}", result.err());
        assert_eq!(arrived.len(), 1, "{url}: one email arrives");
        assert_eq!(arrived[0].tls, Some(over_tls), "{url}: over TLS");
    }
}

#[tokio::test]
async fn smtp_refuses_to_send_without_the_tls_it_was_told_to_use() {
    let certs = cert_dir();
    let ca = TestCa::new("Convene test CA");
    let rogue = TestCa::new("Someone else's CA");
    let untrusted = rogue.issue(&["localhost", "127.0.0.1"], certs.path(), "untrusted");
    let other_name = ca.issue(&["mail.example.org"], certs.path(), "other-name");
    let ca_pem = ca.pem();

    // (what the server does, SMTP_URL, what the error must say)
    let cases = [
        (
            smtp_env("", None, false),
            "smtp://localhost:{port}?tls=required",
            "does not offer STARTTLS",
        ),
        (
            smtp_env("smtps", Some(&untrusted), false),
            "smtps://localhost:{port}",
            "certificate",
        ),
        (
            smtp_env("starttls", Some(&untrusted), false),
            "smtp://localhost:{port}?tls=required",
            "certificate",
        ),
        (
            smtp_env("starttls", Some(&untrusted), false),
            "smtp://localhost:{port}?tls=opportunistic",
            "certificate",
        ),
        (
            smtp_env("smtps", Some(&other_name), false),
            "smtps://localhost:{port}",
            "certificate",
        ),
    ];
    for (server, url, says) in cases {
        let (result, arrived) = send_one(server, url, Some(&ca_pem)).await;
        match result {
            Err(Failure::Transient(e)) => {
                let e = format!("{e:#}");
                eprintln!("{url}: {e}");
                assert!(e.contains(says), "{url}: the error says {says:?}: {e}");
            }
            other => panic!("{url}: a transient failure (retried), got {other:?}"),
        }
        assert!(arrived.is_empty(), "{url}: nothing is sent");
    }
}

#[tokio::test]
async fn an_untrusted_smtp_certificate_holds_the_email_until_the_server_is_fixed() {
    let certs = cert_dir();
    let ca = TestCa::new("Convene test CA");
    let rogue = TestCa::new("Someone else's CA");
    // The server presents a certificate from the wrong CA, at the paths it reads.
    let served = rogue.issue(&["localhost", "127.0.0.1"], certs.path(), "smtp");
    let smtp_port = convene_tests::infra::free_port();
    let ca_file = ca.write(certs.path(), "ca.pem");
    let mut stack = Stack::start_with(StackOptions {
        retry_delays_ms: "1000,1000,1000,1000,1000,1000,1000,1000,1000,1000,1000,1000".to_owned(),
        smtp_port: Some(smtp_port),
        smtp_env: smtp_env("smtps", Some(&served), true),
        env: vec![
            (
                "SMTP_URL".to_owned(),
                format!("smtps://{SMTP_USERINFO}@localhost:{smtp_port}"),
            ),
            ("SMTP_CA_FILE".to_owned(), path(&ca_file)),
        ],
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({})).await;
    let person = participant("Amina");
    let address = person["email"].as_str().unwrap().to_owned();
    stack.register(&slug, &person).await;

    // The send fails, says why, and is retried; nothing arrives.
    let deadline = Instant::now() + MAIL_WAIT;
    while !stack
        .notification
        .logs()
        .contains("TLS with the SMTP server failed")
    {
        assert!(
            Instant::now() < deadline,
            "the notification log says why: {}",
            stack.notification.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(stack.notification.logs().contains("certificate"));
    assert!(stack.mailbox.to(&address).is_empty());

    // The operator fixes the server's certificate: the email goes out, once.
    let fixed = ca.issue(&["localhost", "127.0.0.1"], certs.path(), "fixed");
    std::fs::copy(&fixed.cert, &served.cert).unwrap();
    std::fs::copy(&fixed.key, &served.key).unwrap();
    stack.smtp.restart();
    let mails = stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&address))
        .await;
    assert_eq!(mails[0].tls, Some(true));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.mailbox.to(&address).len(), 1, "sent exactly once");
    for process in [&stack.registration, &stack.notification] {
        let logs = process.logs();
        assert!(
            !logs.contains(SMTP_PASSWORD) && !logs.contains("p%40ss"),
            "{}'s log holds the SMTP password",
            process.name
        );
    }
}

/// Needs root (the private servers run as `postgres` and `rabbitmq`), as `make test` in CI.
#[tokio::test]
async fn everything_goes_over_tls_to_postgres_rabbitmq_and_smtp_with_a_private_ca() {
    let certs = cert_dir();
    let ca = TestCa::new("Convene test CA");
    let server = ca.issue(&["localhost", "127.0.0.1"], certs.path(), "server");
    let ca_file = ca.write(certs.path(), "ca.pem");
    let postgres = PrivatePostgres::start_with_tls(&server);
    let mut rabbit = PrivateRabbit::start_with_tls(&server);
    let tls_port = rabbit.tls_port.expect("an AMQPS port");
    let smtp_port = convene_tests::infra::free_port();

    let stack = Stack::start_with(StackOptions {
        postgres_server: Some(postgres.server_url()),
        // Only the `postgres` database may be reached without TLS (the harness's own).
        postgres_via: Some(format!("postgres://postgres@localhost:{}", postgres.port)),
        database_query: format!("?sslmode=verify-full&sslrootcert={}", path(&ca_file)),
        rabbitmq: Some((rabbit.node.clone(), rabbit.server_url())),
        amqp_via: Some(format!("amqps://guest:guest@127.0.0.1:{tls_port}")),
        smtp_port: Some(smtp_port),
        smtp_env: smtp_env("smtps", Some(&server), true),
        env: vec![
            ("AMQP_CA_FILE".to_owned(), path(&ca_file)),
            (
                "SMTP_URL".to_owned(),
                format!("smtps://{SMTP_USERINFO}@localhost:{smtp_port}"),
            ),
            ("SMTP_CA_FILE".to_owned(), path(&ca_file)),
        ],
        ..StackOptions::default()
    })
    .await;

    // A registration goes all the way: Postgres, RabbitMQ, SMTP.
    let slug = stack.given_event(json!({})).await;
    let first = participant("Amina");
    stack.register(&slug, &first).await;
    let mails = stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| {
            m.to.contains(first["email"].as_str().unwrap())
        })
        .await;
    assert_eq!(mails[0].tls, Some(true), "the email went over TLS");

    // Every connection of the services to Postgres is encrypted.
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", postgres.server_url()))
        .await
        .unwrap();
    let (plain, encrypted): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE NOT s.ssl), count(*) FILTER (WHERE s.ssl)
         FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = $1",
    )
    .bind(&stack.db.name)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(plain, 0, "no plain connection to the test database");
    assert!(encrypted >= 3, "each service is connected ({encrypted})");

    // And every connection to RabbitMQ.
    let connections = rabbit
        .ctl(&[
            "list_connections",
            "vhost",
            "ssl",
            "--no-table-headers",
            "-q",
        ])
        .unwrap();
    let ours: Vec<&str> = connections
        .lines()
        .filter(|l| l.contains(&stack.vhost.name))
        .collect();
    assert!(ours.len() >= 3, "each service is connected: {connections}");
    assert!(
        ours.iter().all(|l| l.trim_end().ends_with("true")),
        "every AMQP connection uses TLS: {connections}"
    );

    // RabbitMQ restarts: the services come back over TLS on their own.
    rabbit.stop_app();
    rabbit.start_app();
    let second = participant("Bongani");
    stack.register(&slug, &second).await;
    stack
        .mailbox
        .wait_for(1, Duration::from_secs(60), |m| {
            m.to.contains(second["email"].as_str().unwrap())
        })
        .await;

    for process in [&stack.registration, &stack.notification] {
        let logs = process.logs();
        assert!(
            !logs.contains(SMTP_PASSWORD) && !logs.contains("p%40ss"),
            "{}'s log holds the SMTP password",
            process.name
        );
    }
}
