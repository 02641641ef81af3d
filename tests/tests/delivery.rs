//! Emails survive a failing SMTP server: transient refusals are retried with backoff,
//! permanent ones end in the dead-letter queue, which an operator can list and replay.

use std::process::Command;
use std::time::Duration;

use convene_tests::infra;
use convene_tests::stack::participant;
use convene_tests::Stack;
use serde_json::json;

#[tokio::test]
async fn a_temporarily_refusing_smtp_server_gets_the_email_once_it_recovers() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    std::fs::write(stack.mailbox.dir.join("refuse-4xx"), "").unwrap();

    let person = participant("Retry Person");
    assert_eq!(stack.register_json(&slug, &person).await.status(), 201);
    // Let a first attempt or two fail, then recover.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(stack.mailbox.all().is_empty());
    std::fs::remove_file(stack.mailbox.dir.join("refuse-4xx")).unwrap();

    let email = person["email"].as_str().unwrap();
    stack
        .mailbox
        .wait_for(1, Duration::from_secs(30), |m| m.to.contains(email))
        .await;
    assert!(
        stack.notification.logs().contains("retrying later"),
        "the failure was retried, not lost"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.mailbox.to(email).len(), 1);
}

#[tokio::test]
async fn a_permanent_refusal_is_dead_lettered_and_can_be_replayed() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    std::fs::write(stack.mailbox.dir.join("refuse-5xx"), "").unwrap();
    let person = participant("Dead Letter");
    assert_eq!(stack.register_json(&slug, &person).await.status(), 201);

    // The operator sees it in the dead-letter queue, with the reason.
    let notification = infra::bin_dir().join("notification");
    let mut listed = String::new();
    for _ in 0..100 {
        let out = Command::new(&notification)
            .args(["dead-letters", "list"])
            .env("AMQP_URL", &stack.vhost.url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        listed = String::from_utf8(out.stdout).unwrap();
        if !listed.trim().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let letter: serde_json::Value =
        serde_json::from_str(listed.lines().next().expect("one dead letter")).unwrap();
    assert_eq!(letter["kind"], "registration.confirmed");
    assert!(
        letter["reason"].as_str().unwrap().contains("refused"),
        "{letter}"
    );
    // Listing does not consume it.
    let again = Command::new(&notification)
        .args(["dead-letters", "list"])
        .env("AMQP_URL", &stack.vhost.url)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap().lines().count(), 1);

    // Once the cause is fixed, replaying delivers it.
    std::fs::remove_file(stack.mailbox.dir.join("refuse-5xx")).unwrap();
    let out = Command::new(&notification)
        .args(["dead-letters", "replay"])
        .env("AMQP_URL", &stack.vhost.url)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("replayed 1"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let email = person["email"].as_str().unwrap();
    stack
        .mailbox
        .wait_for(1, Duration::from_secs(30), |m| m.to.contains(email))
        .await;
    let out = Command::new(&notification)
        .args(["dead-letters", "list"])
        .env("AMQP_URL", &stack.vhost.url)
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().trim().is_empty());
}
