//! Focused checks of what the fault suite (`make faults`) exercises at length: a service
//! losing Postgres or RabbitMQ behind a proxy the test cuts, and a graceful stop.
//! The shared servers are never stopped: only the proxies in front of them are cut.

use std::time::{Duration, Instant};

use convene_shared::broker::Broker;
use convene_shared::messages::{Envelope, EventRetentionDue};
use convene_shared::{outbox, topology};
use convene_tests::infra::{self, amqp_server_url, postgres_server_url};
use convene_tests::scrape::scrape;
use convene_tests::stack::participant;
use convene_tests::{Proxy, Stack, StackOptions};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use serde_json::json;

const MAIL_WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_registration_while_postgres_is_unreachable_gets_503_with_retry_after_and_writes_nothing()
{
    let (proxy, stack) = behind_a_postgres_proxy().await;
    let slug = stack.given_event(json!({})).await;
    let person = participant("Unreachable Database");
    let email = person["email"].as_str().unwrap().to_owned();

    proxy.cut();
    let response = stack.register_json(&slug, &person).await;
    assert_eq!(response.status(), 503);
    assert!(
        response.headers().contains_key("retry-after"),
        "503 says when to come back"
    );
    let ready = stack.http.get(stack.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "not ready without Postgres");

    proxy.restore();
    let written = stack
        .scalar_i64(&format!(
            "SELECT count(*) FROM registration.registrations WHERE email = '{email}'"
        ))
        .await;
    assert_eq!(written, 0, "a 503 wrote nothing");
    // Once Postgres is back, it works.
    stack.register(&slug, &person).await;
    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&email))
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(stack.mailbox.to(&email).len(), 1);
}

#[tokio::test]
async fn while_rabbitmq_is_unreachable_services_are_not_ready_registrations_still_work_and_are_emailed_after(
) {
    let server = amqp_server_url();
    let proxy = Proxy::start(&infra::host_port(&server));
    let stack = Stack::start_with(StackOptions {
        amqp_via: Some(infra::through(&server, proxy.addr())),
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({})).await;

    proxy.cut();
    // Every service notices within a few seconds.
    for url in &stack.health_urls {
        wait_for_status(&stack, url, 503, Duration::from_secs(15)).await;
    }
    // A registration is only a database write: it neither fails nor waits for the broker.
    let person = participant("Broker Away");
    let email = person["email"].as_str().unwrap().to_owned();
    let started = Instant::now();
    let response = stack.register_json(&slug, &person).await;
    assert_eq!(response.status(), 202);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stack.registration_of(&slug, &email).await.is_some(),
        "stored"
    );

    proxy.restore();
    for url in &stack.health_urls {
        wait_for_status(&stack, url, 200, Duration::from_secs(60)).await;
    }
    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&email))
        .await;
    // And the path works for a new registration too, once.
    let later = participant("Broker Back");
    let later_email = later["email"].as_str().unwrap().to_owned();
    stack.register(&slug, &later).await;
    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&later_email))
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(stack.mailbox.to(&email).len(), 1);
    assert_eq!(stack.mailbox.to(&later_email).len(), 1);
}

#[tokio::test]
async fn sigterm_drains_every_service_within_the_bound_and_loses_nothing() {
    let mut stack = Stack::start_with(StackOptions {
        env: vec![("SHUTDOWN_TIMEOUT_SECS".to_owned(), "5".to_owned())],
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({})).await;
    let person = participant("Graceful Stop");
    let email = person["email"].as_str().unwrap().to_owned();
    stack.register(&slug, &person).await;

    // Stop everything at once, the registration's message possibly still in the outbox.
    stack.registration.terminate();
    stack.notification.terminate();
    for scheduler in &stack.schedulers {
        scheduler.terminate();
    }
    let bound = Duration::from_secs(5 + 2); // SHUTDOWN_TIMEOUT_SECS, plus start-up slack
    let mut processes: Vec<&mut convene_tests::stack::Process> =
        vec![&mut stack.registration, &mut stack.notification];
    processes.extend(stack.schedulers.iter_mut());
    for process in processes {
        let status = process.wait_exit(bound).await;
        assert!(
            status.is_some_and(|s| s.success()),
            "{} did not exit cleanly within {bound:?}: {status:?}\n{}",
            process.name,
            process.logs()
        );
    }

    // Started again, they deliver what was committed before the stop, once.
    stack.registration.restart();
    stack.notification.restart();
    for scheduler in &mut stack.schedulers {
        scheduler.restart();
    }
    stack.wait_until_ready(Duration::from_secs(60)).await;
    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&email))
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(stack.mailbox.to(&email).len(), 1);
}

async fn wait_for_status(stack: &Stack, url: &str, status: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let got = stack
            .http
            .get(url)
            .send()
            .await
            .map(|r| r.status().as_u16());
        if got.as_ref().ok() == Some(&status) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} answered {got:?}, not {status}, for {timeout:?}\nregistration:\n{}\nnotification:\n{}",
            stack.registration.logs(),
            stack.notification.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_registration_published_before_the_notification_queue_exists_is_emailed_once_notification_starts(
) {
    let mut stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    // As on a first deployment (or a broker that lost its definitions): notification is
    // not running and its queue does not exist. Registration starts again and publishes.
    stack.notification.kill();
    let ctl = std::env::var("RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".to_owned());
    let out = std::process::Command::new(ctl)
        .args([
            "delete_queue",
            "-p",
            &stack.vhost.name,
            "notification.inbox",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stack.registration.restart();
    stack.wait_until_ready_except_notification().await;

    let person = participant("Early Bird");
    let email = person["email"].as_str().unwrap().to_owned();
    stack.register(&slug, &person).await;
    tokio::time::sleep(Duration::from_secs(2)).await; // published by now

    stack.notification.restart();
    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&email))
        .await;
}

/// What the registration service consumes while Postgres is unreachable (here an
/// exchange's retention period ending) is held and done once Postgres is back, using up
/// no retry — as in the other two services.
#[tokio::test]
async fn an_erasure_due_while_postgres_is_unreachable_is_held_and_done_once_it_is_back() {
    let (proxy, stack) = behind_a_postgres_proxy().await;
    let slug = stack.given_event(json!({})).await;
    let person = participant("Held Erasure");
    let email = person["email"].as_str().unwrap().to_owned();
    stack.register(&slug, &person).await;
    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&email))
        .await;
    let pool = stack.db.pool().await;
    let event_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM registration.events WHERE slug = $1")
            .bind(&slug)
            .fetch_one(&pool)
            .await
            .unwrap();

    // The scheduler says the retention period is over while Postgres is out of reach.
    proxy.cut();
    let due = EventRetentionDue {
        event_id,
        ended_at: chrono::Utc::now(),
    };
    publish(&stack.vhost.url, &Envelope::new(&due, uuid::Uuid::new_v4())).await;

    let deadline = Instant::now() + Duration::from_secs(15);
    while !stack.registration.logs().contains("holding the message") {
        assert!(
            Instant::now() < deadline,
            "the message was not held: {}",
            stack.registration.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Postgres stays away past the first retry delay (1 s), so that a message retried
    // rather than held would have been through a retry by now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.restore();

    let deadline = Instant::now() + Duration::from_secs(30);
    while stack
        .scalar_i64("SELECT count(*) FROM registration.registrations WHERE erased_at IS NULL")
        .await
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "not erased once Postgres was back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let metrics = scrape(&stack.http, &stack.service_urls()[0]).await;
    for counter in ["messages_retried_total", "messages_dead_lettered_total"] {
        assert_eq!(
            metrics.value(&format!(
                "convene_{counter}{{queue=\"{}\"}}",
                topology::REGISTRATION_INBOX.queue
            )),
            Some(0.0),
            "{counter}"
        );
    }
    pool.close().await;
}

/// Convene whose services reach Postgres through a proxy the test can cut.
async fn behind_a_postgres_proxy() -> (Proxy, Stack) {
    let server = postgres_server_url();
    let proxy = Proxy::start(&infra::host_port(&server));
    let stack = Stack::start_with(StackOptions {
        postgres_via: Some(infra::through(&server, proxy.addr())),
        ..StackOptions::default()
    })
    .await;
    (proxy, stack)
}

/// Publishes `envelope` as the outbox relay does, and waits for the broker's confirm.
async fn publish(amqp_url: &str, envelope: &Envelope) {
    let conn = Broker::new(amqp_url, None)
        .connect()
        .await
        .expect("RabbitMQ");
    let channel = conn.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let confirm = channel
        .basic_publish(
            topology::EXCHANGE.into(),
            envelope.kind.as_str().into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            &serde_json::to_vec(envelope).unwrap(),
            outbox::properties(envelope),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(confirm.is_ack(), "{confirm:?}");
    conn.close(200, "published".into()).await.unwrap();
}
