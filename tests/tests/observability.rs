//! Seeing inside: every service's `/healthz` and `/readyz`, and logs that
//! follow one registration through every service under one correlation id without
//! giving away who registered.

use std::time::{Duration, Instant};

use convene_tests::{Stack, StackOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn every_service_answers_healthz_and_readyz() {
    let stack = Stack::start().await;
    for base in stack.service_urls() {
        let alive = stack
            .http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(alive.status(), 200, "{base}/healthz");
        let ready = stack
            .http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), 200, "{base}/readyz");
        let body: Value = ready.json().await.unwrap();
        assert_eq!(body, json!({ "database": true, "broker": true }), "{base}");
    }
}

/// With `LOG_FORMAT=json`, every line is a JSON object; the registration's request, its
/// outbox row, its publish and its email are logged under the correlation id the client
/// got back; and no line at the default level names the participant, their address or
/// their manage token.
#[tokio::test]
async fn one_registration_is_logged_under_one_correlation_id_and_nothing_personal() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("LOG_FORMAT".into(), "json".into())],
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({})).await;
    let name = "Amina Diallo-Sarr";
    let email = format!(
        "amina.{}@interior.example.sn",
        uuid::Uuid::new_v4().simple()
    );

    // Register through the form, as a person would; the answer carries the id.
    let response = stack
        .register_form(
            &slug,
            &[
                ("name", name),
                ("email", &email),
                ("organisation", "Ministère de l'Intérieur"),
                ("country", "SN"),
                ("role", "government_official"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let correlation_id = response.headers()["x-correlation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    uuid::Uuid::parse_str(&correlation_id).expect("the correlation id is a UUID");

    // The email arrives; the participant opens their page and cancels.
    let mails = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&email))
        .await;
    let link = mails[0].manage_link().unwrap();
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert_eq!(stack.http.get(&link).send().await.unwrap().status(), 200);
    let cancelled = stack
        .http
        .post(format!("{link}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    stack
        .mailbox
        .wait_for(2, WAIT, |m| m.to.contains(&email))
        .await;

    // The consumers log a message once they have handled it, a moment after the email.
    let deadline = Instant::now() + WAIT;
    let handled = |log: String| {
        lines_with(&log, &correlation_id)
            .iter()
            .any(|l| l["message"] == "message handled")
    };
    while !(handled(stack.notification.logs()) && handled(stack.schedulers[0].logs())) {
        assert!(
            Instant::now() < deadline,
            "the consumers never logged the message under {correlation_id}:\n{}\n{}",
            stack.notification.logs(),
            stack.schedulers[0].logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every line of every service is one JSON object.
    let mut logs = vec![
        ("registration", stack.registration.logs()),
        ("notification", stack.notification.logs()),
    ];
    for scheduler in &stack.schedulers {
        logs.push(("scheduling", scheduler.logs()));
    }
    for (service, log) in &logs {
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            serde_json::from_str::<Value>(line).unwrap_or_else(|e| {
                panic!("{service} logged a line that is not JSON ({e}): {line}")
            });
        }
    }

    // The journey, under one id: request, outbox (the action), publish, consume, email.
    let registration = lines_with(&stack.registration.logs(), &correlation_id);
    let messages: Vec<&str> = registration
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    for expected in ["registration confirmed", "published", "request answered"] {
        assert!(
            messages.contains(&expected),
            "registration logs {expected:?} under {correlation_id}: {registration:#?}"
        );
    }
    let answered = registration
        .iter()
        .find(|l| l["message"] == "request answered")
        .unwrap();
    assert_eq!(answered["status"], 303);
    assert_eq!(answered["span"]["route"], "/events/{slug}/register");
    let notification = lines_with(&stack.notification.logs(), &correlation_id);
    let sent = notification
        .iter()
        .find(|l| l["message"] == "email sent")
        .unwrap();
    assert_eq!(sent["kind"], "confirmation");
    assert_eq!(sent["span"]["kind"], "registration.confirmed");
    assert!(
        notification
            .iter()
            .any(|l| l["message"] == "message handled"),
        "{notification:#?}"
    );
    let scheduling = lines_with(&stack.schedulers[0].logs(), &correlation_id);
    assert!(
        scheduling
            .iter()
            .any(|l| l["message"] == "message handled" && l["span"]["queue"] == "scheduling.inbox"),
        "scheduling logs the registration it consumed under the same id: {scheduling:#?}"
    );
    // The cancellation is another action, with its own id.
    assert!(
        !notification.iter().any(|l| l["kind"] == "cancellation"),
        "{notification:#?}"
    );

    // Nothing personal, anywhere.
    let local_part = email.split('@').next().unwrap();
    for (service, log) in &logs {
        for secret in [name, "Amina", email.as_str(), local_part, token.as_str()] {
            assert!(
                !log.contains(secret),
                "{service} logged {secret:?}:\n{}",
                log.lines()
                    .filter(|l| l.contains(secret))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

/// The JSON lines of `log` that mention `id`.
fn lines_with(log: &str, id: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| l.contains(id))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
