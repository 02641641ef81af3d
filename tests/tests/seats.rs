//! Seats: the waiting list, offers that lapse, approval, caps per country and the
//! registration window — with many requests at once, and the emails actually received.

use std::time::Duration;

use convene_tests::stack::{participant, Registration};
use convene_tests::{Stack, StackOptions};
use futures_util::future::join_all;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

async fn register(stack: &Stack, slug: &str, name: &str, country: &str) -> (String, Registration) {
    let mut p = participant(name);
    p["country"] = json!(country);
    let registered = stack.register(slug, &p).await;
    (p["email"].as_str().unwrap().to_owned(), registered)
}

async fn link_of(stack: &Stack, email: &str) -> String {
    stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(email))
        .await[0]
        .manage_link()
        .unwrap()
}

#[tokio::test]
async fn a_full_exchange_puts_people_in_line_and_offers_a_freed_seat_to_the_first() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({ "capacity": 2 })).await;
    let (ana, a) = register(&stack, &slug, "Ana", "BR").await;
    let (_, b) = register(&stack, &slug, "Ben", "GH").await;
    let (cy, c) = register(&stack, &slug, "Cy", "FR").await;
    let (dee, d) = register(&stack, &slug, "Dee", "KE").await;
    assert_eq!(
        (a.status.as_str(), b.status.as_str()),
        ("confirmed", "confirmed")
    );
    assert_eq!(
        (c.status.as_str(), d.status.as_str()),
        ("waitlisted", "waitlisted")
    );

    // Told so by email, with their place in line, and on their page.
    let cy_mail = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&cy))
        .await;
    assert!(
        cy_mail[0].subject.starts_with("Waiting list"),
        "{}",
        cy_mail[0].subject
    );
    assert!(
        cy_mail[0].body.contains("number 1 in line"),
        "{}",
        cy_mail[0].body
    );
    let dee_mail = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&dee))
        .await;
    assert!(dee_mail[0].body.contains("number 2 in line"));
    let cy_link = cy_mail[0].manage_link().unwrap();
    let page = stack
        .http
        .get(&cy_link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("number 1 in line"), "{page}");

    // Ana cancels: the seat is held for Cy (first in line), not Dee.
    let ana_link = link_of(&stack, &ana).await;
    assert_eq!(
        stack
            .http
            .post(format!("{ana_link}/cancel"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let offer = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&cy) && m.subject.starts_with("A seat is free")
        })
        .await;
    assert!(
        offer[0].body.contains("Accept my seat") && offer[0].body.contains("until"),
        "{}",
        offer[0].body
    );
    let page = stack
        .http
        .get(&cy_link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Accept my seat"), "{page}");

    // Cy accepts (twice: once counts).
    assert_eq!(
        stack
            .http
            .post(format!("{cy_link}/accept"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        stack
            .http
            .post(format!("{cy_link}/accept"))
            .send()
            .await
            .unwrap()
            .status(),
        409
    );
    let confirmed = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&cy) && m.subject.starts_with("Registered")
        })
        .await;
    assert_eq!(
        confirmed[0].manage_link().as_deref(),
        Some(cy_link.as_str()),
        "the same personal link throughout"
    );
    let stats: Value = stack
        .admin(
            reqwest::Method::GET,
            &format!("/api/admin/events/{slug}/stats"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            stats["confirmed"].as_i64(),
            stats["waitlisted"].as_i64(),
            stats["cancelled"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
}

#[tokio::test]
async fn an_offer_not_taken_passes_to_the_next_in_line() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("OFFER_CHECK_SECS".into(), "1".into())],
        ..StackOptions::default()
    })
    .await;
    let slug = stack
        .given_event(json!({ "capacity": 1, "waitlist_offer_hours": 1 }))
        .await;
    let (ana, _) = register(&stack, &slug, "Ana", "BR").await;
    let (ben, _) = register(&stack, &slug, "Ben", "GH").await;
    let (cy, _) = register(&stack, &slug, "Cy", "FR").await;
    let ana_link = link_of(&stack, &ana).await;
    assert_eq!(
        stack
            .http
            .post(format!("{ana_link}/cancel"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&ben) && m.subject.starts_with("A seat is free")
        })
        .await;

    // An hour passes (in the database's eyes).
    stack.scalar_i64(
        "WITH lapsed AS (UPDATE registration.registrations SET offer_expires_at = now() - interval '1 second' \
         WHERE status = 'offered' RETURNING 1) SELECT count(*) FROM lapsed",
    )
    .await;
    let lapsed = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&ben) && m.subject.contains("passed on")
        })
        .await;
    assert!(lapsed[0].body.contains("next person in line"));
    stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&cy) && m.subject.starts_with("A seat is free")
        })
        .await;
    let ben_link = link_of(&stack, &ben).await;
    assert_eq!(
        stack
            .http
            .post(format!("{ben_link}/accept"))
            .send()
            .await
            .unwrap()
            .status(),
        409,
        "too late"
    );
}

#[tokio::test]
async fn many_registrations_and_cancellations_at_once_never_overbook() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("RATE_LIMIT_PER_MINUTE".into(), "0".into())],
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({ "capacity": 5 })).await;
    let attempts = (0..40).map(|i| {
        let stack = &stack;
        let slug = slug.clone();
        async move {
            let mut p = participant(&format!("Crowd {i}"));
            p["country"] = json!(["SN", "FR", "BR", "IN"][i % 4]);
            let r = stack.register_json(&slug, &p).await;
            assert_eq!(r.status(), 202);
            p["email"].as_str().unwrap().to_owned()
        }
    });
    // Each one's status, read once all are in (nobody cancels meanwhile, so it is the
    // status each one was given).
    let mut results = Vec::new();
    for email in join_all(attempts).await {
        let status = stack.registration_of(&slug, &email).await.unwrap().status;
        results.push((email, status));
    }
    let confirmed: Vec<&String> = results
        .iter()
        .filter(|(_, s)| s == "confirmed")
        .map(|(e, _)| e)
        .collect();
    assert_eq!(confirmed.len(), 5);
    assert_eq!(
        results.iter().filter(|(_, s)| s == "waitlisted").count(),
        35
    );

    // Three confirmed people cancel at the same moment: exactly three seats are offered.
    let mut links = Vec::new();
    for email in confirmed.iter().take(3) {
        links.push(link_of(&stack, email).await);
    }
    let cancels = links
        .iter()
        .map(|l| stack.http.post(format!("{l}/cancel")).send());
    for r in join_all(cancels).await {
        assert_eq!(r.unwrap().status(), 200);
    }
    let holding =
        "SELECT count(*) FROM registration.registrations WHERE status IN ('confirmed', 'offered')";
    assert_eq!(stack.scalar_i64(holding).await, 5);
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.registrations WHERE status = 'offered'")
            .await,
        3
    );

    // More seats: the line moves at once.
    let patch = stack
        .admin(reqwest::Method::PATCH, &format!("/api/admin/events/{slug}"))
        .json(&json!({ "capacity": 8 }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    assert_eq!(stack.scalar_i64(holding).await, 8);
}

#[tokio::test]
async fn approval_caps_and_the_registration_window() {
    let stack = Stack::start().await;
    // Approval: pending holds no seat; approving the first takes the only seat, the
    // second approved one waits in line, a rejected one is told.
    let slug = stack
        .given_event(json!({ "capacity": 1, "requires_approval": true }))
        .await;
    let (ana, a) = register(&stack, &slug, "Ana", "BR").await;
    let (ben, b) = register(&stack, &slug, "Ben", "GH").await;
    let (cy, c) = register(&stack, &slug, "Cy", "FR").await;
    assert!([&a, &b, &c].iter().all(|r| r.status == "pending"));
    let received = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&ana))
        .await;
    assert!(
        received[0].subject.starts_with("Received"),
        "{}",
        received[0].subject
    );
    let ana_link = received[0].manage_link().unwrap();

    let approve = stack
        .admin(reqwest::Method::POST, "/api/admin/registrations/approve")
        .json(&json!({ "ids": [a.id, b.id] }))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 200);
    let approve: Value = approve.json().await.unwrap();
    assert_eq!(approve["results"][0]["status"], "confirmed");
    assert_eq!(approve["results"][1]["status"], "waitlisted");
    let reject = stack
        .admin(
            reqwest::Method::POST,
            &format!("/api/admin/registrations/{}/reject", c.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(reject.status(), 200);
    let again = stack
        .admin(
            reqwest::Method::POST,
            &format!("/api/admin/registrations/{}/approve", c.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        409,
        "a rejected registration cannot be approved"
    );

    let confirmed = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&ana) && m.subject.starts_with("Registered")
        })
        .await;
    assert_eq!(
        confirmed[0].manage_link().as_deref(),
        Some(ana_link.as_str())
    );
    stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&ben) && m.subject.starts_with("Waiting list")
        })
        .await;
    let refused = stack
        .mailbox
        .wait_for(2, WAIT, |m| m.to.contains(&cy))
        .await;
    assert!(refused
        .iter()
        .any(|m| m.body.contains("not able to accept")));
    // Registering again does not put a rejected person back in the queue.
    let mut cy_again = participant("Cy");
    cy_again["email"] = json!(cy);
    cy_again["country"] = json!("FR");
    // The answer is the one anybody gets; the registration stays as it was.
    assert_eq!(stack.register(&slug, &cy_again).await.status, "rejected");
    let pending = stack
        .scalar_i64(&format!(
            "SELECT count(*) FROM registration.registrations WHERE email = '{cy}' AND status <> 'rejected'"
        ))
        .await;
    assert_eq!(pending, 0, "still rejected");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.mailbox.to(&cy).len(), 2, "nothing more is sent");

    // A cap per country: the second from Senegal waits; someone from Ghana does not.
    let capped = stack.given_event(json!({ "country_cap": 1 })).await;
    assert_eq!(
        register(&stack, &capped, "Sn One", "SN").await.1.status,
        "confirmed"
    );
    assert_eq!(
        register(&stack, &capped, "Sn Two", "SN").await.1.status,
        "waitlisted"
    );
    assert_eq!(
        register(&stack, &capped, "Gh One", "GH").await.1.status,
        "confirmed"
    );

    // The window: not open yet, then closed.
    let opens = chrono::Utc::now() + chrono::Duration::days(2);
    let later = stack
        .given_event(json!({ "registration_opens_at": opens.to_rfc3339() }))
        .await;
    let response = stack.register_json(&later, &participant("Early")).await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("opens"), "{body}");
    let page = stack
        .http
        .get(stack.url(&format!("/events/{later}/register")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Registration opens"),
        "the form says when it opens"
    );
    assert!(
        !page.contains("<form method=\"post\" action=\"/events/"),
        "and offers no form"
    );

    let closes = chrono::Utc::now() + chrono::Duration::seconds(2);
    let closing = stack
        .given_event(json!({ "registration_closes_at": closes.to_rfc3339() }))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let response = stack.register_json(&closing, &participant("Late")).await;
    assert_eq!(response.status(), 409);
    let page = stack
        .http
        .get(stack.url(&format!("/events/{closing}/register")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("has closed"));
}
