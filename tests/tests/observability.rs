//! Seeing inside: every service's `/healthz`, `/readyz` and `/metrics`, and logs that
//! follow one registration through every service under one correlation id without
//! giving away who registered.

use std::time::{Duration, Instant};

use convene_tests::scrape::{scrape, wait_for_value};
use convene_tests::stack::participant;
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

/// One registration (plus a repeat, an invalid one and a reminder) moves the counters of
/// all three services, and the HTTP metrics name routes by template, never by the token.
#[tokio::test]
async fn metrics_count_registrations_messages_emails_and_reminders() {
    let stack = Stack::start().await;
    let [registration, notification, scheduling] = &stack.service_urls()[..] else {
        panic!("three services")
    };
    // The 2-minute reminder falls due ~15 s after the registration below.
    let start = chrono::Utc::now() + chrono::Duration::seconds(135);
    let slug = stack
        .given_event(json!({
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339(),
            "reminder_offsets_minutes": [2],
        }))
        .await;

    // Before anything happened, the series are there at 0.
    let before = scrape(&stack.http, registration).await;
    assert_eq!(
        before.value("convene_registrations_total{outcome=\"created\"}"),
        Some(0.0),
        "{}",
        before.text
    );

    let person = participant("Metric Person");
    let email = person["email"].as_str().unwrap();
    stack.register(&slug, &person).await;
    stack.register(&slug, &person).await; // already registered: the same answer
    let invalid = json!({ "name": "", "email": "nope" });
    assert_eq!(stack.register_json(&slug, &invalid).await.status(), 422);
    let confirmation = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(email))
        .await;
    let link = confirmation[0].manage_link().unwrap();
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert_eq!(stack.http.get(&link).send().await.unwrap().status(), 200);
    let nowhere = stack.http.get(stack.url("/no/such/page")).send().await;
    assert_eq!(nowhere.unwrap().status(), 404);

    // registration: outcomes, requests by route template, what the relay published.
    let r = wait_for_value(
        &stack.http,
        registration,
        "convene_messages_published_total{kind=\"registration.confirmed\"}",
        1.0,
        WAIT,
    )
    .await;
    for (series, value) in [
        ("convene_registrations_total{outcome=\"created\"}", 1.0),
        ("convene_registrations_total{outcome=\"already_registered\"}", 1.0),
        ("convene_registrations_total{outcome=\"invalid\"}", 1.0),
        ("convene_registrations_total{outcome=\"waitlisted\"}", 0.0),
        (
            "convene_http_requests_total{method=\"POST\",route=\"/api/events/{slug}/registrations\",status=\"202\"}",
            2.0,
        ),
        (
            "convene_http_requests_total{method=\"POST\",route=\"/api/events/{slug}/registrations\",status=\"422\"}",
            1.0,
        ),
        (
            "convene_http_requests_total{method=\"GET\",route=\"/registrations/{token}\",status=\"200\"}",
            1.0,
        ),
        (
            "convene_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}",
            1.0,
        ),
        (
            "convene_http_request_duration_seconds_count{method=\"POST\",route=\"/api/events/{slug}/registrations\"}",
            3.0,
        ),
        ("convene_messages_published_total{kind=\"event.scheduled\"}", 1.0),
    ] {
        assert_eq!(r.value(series), Some(value), "{series}\n{}", r.text);
    }
    assert!(
        !r.text.contains(&token) && !r.text.contains(&slug),
        "raw paths never become labels"
    );
    assert!(
        r.value("convene_outbox_backlog_messages").is_some()
            && r.value("convene_outbox_oldest_age_seconds").is_some(),
        "{}",
        r.text
    );

    // notification: the confirmation, then the reminder.
    let n = wait_for_value(
        &stack.http,
        notification,
        "convene_reminders_sent_total",
        1.0,
        Duration::from_secs(90),
    )
    .await;
    for (series, value) in [
        ("convene_emails_sent_total{kind=\"confirmation\"}", 1.0),
        ("convene_emails_sent_total{kind=\"reminder\"}", 1.0),
        (
            "convene_emails_failed_total{failure=\"transient\",kind=\"confirmation\"}",
            0.0,
        ),
        (
            // event.scheduled (the new exchange) and registration.confirmed.
            "convene_messages_consumed_total{queue=\"notification.inbox\"}",
            3.0,
        ),
        (
            "convene_messages_retried_total{queue=\"notification.inbox\"}",
            0.0,
        ),
        (
            "convene_messages_dead_lettered_total{queue=\"notification.inbox\"}",
            0.0,
        ),
    ] {
        assert_eq!(n.value(series), Some(value), "{series}\n{}", n.text);
    }
    assert!(
        n.value("convene_outbox_backlog_messages").is_none(),
        "notification has no outbox"
    );

    // scheduling: what it consumed, the reminder it decided (on time), what it published.
    let s = scrape(&stack.http, scheduling).await;
    for (series, value) in [
        ("convene_reminders_due_total", 1.0),
        ("convene_reminders_late_total", 0.0),
        ("convene_reminder_lateness_seconds_count", 1.0),
        (
            "convene_messages_published_total{kind=\"reminder.due\"}",
            1.0,
        ),
        (
            "convene_messages_consumed_total{queue=\"scheduling.inbox\"}",
            2.0,
        ),
        ("convene_outbox_backlog_messages", 0.0),
    ] {
        assert_eq!(s.value(series), Some(value), "{series}\n{}", s.text);
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
    for expected in ["registration received", "published", "request answered"] {
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
