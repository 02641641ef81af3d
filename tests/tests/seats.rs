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

/// A registration's id and status as organisers list it, found by address (so that the
/// test does not depend on what the public registration answer says).
async fn listed(stack: &Stack, slug: &str, email: &str) -> (String, String) {
    let (_, body) = stack
        .admin_json(
            reqwest::Method::GET,
            &format!("/api/admin/events/{slug}/registrations"),
            None,
        )
        .await;
    let found = body["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {body}"));
    (
        found["id"].as_str().unwrap().to_owned(),
        found["status"].as_str().unwrap().to_owned(),
    )
}

/// `POST /api/admin/registrations/{id}/{what}`: its status and answer.
async fn decide(stack: &Stack, id: &str, what: &str) -> (u16, Value) {
    stack
        .admin_json(
            reqwest::Method::POST,
            &format!("/api/admin/registrations/{id}/{what}"),
            None,
        )
        .await
}

/// The exchange's activity, newest first, as (action, subject id, outcome, actor).
async fn activity(stack: &Stack, slug: &str) -> Vec<(String, String, String, String)> {
    let (_, log) = stack
        .admin_json(
            reqwest::Method::GET,
            &format!("/api/admin/events/{slug}/activity"),
            None,
        )
        .await;
    log["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (
                text("action"),
                text("subject_id"),
                text("outcome"),
                text("actor"),
            )
        })
        .collect()
}

/// A rejected registration stays rejected, unless an organiser reopens it: then it is
/// pending again where the exchange requires approval, and elsewhere decided as a new
/// registration would be (a seat if one is free, else the waiting list). The participant
/// is emailed the new status, and the activity log says who reopened it.
#[tokio::test]
async fn an_organiser_reopens_a_rejected_registration_in_either_approval_mode() {
    let stack = Stack::start().await;
    let register = |slug: String, name: &'static str| {
        let stack = &stack;
        async move {
            let person = participant(name);
            assert!(stack
                .register_json(&slug, &person)
                .await
                .status()
                .is_success());
            let email = person["email"].as_str().unwrap().to_owned();
            let (id, _) = listed(stack, &slug, &email).await;
            (email, id)
        }
    };
    let subjects = |email: &str| -> Vec<String> {
        stack
            .mailbox
            .to(email)
            .into_iter()
            .map(|m| m.subject)
            .collect()
    };

    // With approval: pending → rejected → reopened: pending again, told so.
    let approval = stack
        .given_event(json!({ "capacity": 1, "requires_approval": true }))
        .await;
    let (cy, c) = register(approval.clone(), "Cy").await;
    stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&cy))
        .await;
    let (code, _) = decide(&stack, &c, "reopen").await;
    assert_eq!(code, 409, "a pending registration is not reopened");
    assert_eq!(decide(&stack, &c, "reject").await.0, 200);
    stack
        .mailbox
        .wait_for(2, WAIT, |m| m.to.contains(&cy))
        .await;
    let (code, body) = decide(&stack, &c, "reopen").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(listed(&stack, &approval, &cy).await.1, "pending");
    let mails = stack
        .mailbox
        .wait_for(3, WAIT, |m| m.to.contains(&cy))
        .await;
    assert_eq!(
        subjects(&cy)
            .iter()
            .filter(|s| s.starts_with("Received"))
            .count(),
        2,
        "told it awaits approval again: {:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert_eq!(
        activity(&stack, &approval).await[0],
        (
            "registration.reopened".to_owned(),
            c.clone(),
            "pending".to_owned(),
            "admin API".to_owned()
        )
    );
    assert_eq!(decide(&stack, &c, "reopen").await.0, 409, "now pending");
    // And it can be approved like any pending one.
    assert_eq!(decide(&stack, &c, "approve").await.1["status"], "confirmed");

    // Without approval, one seat: Ana has it, Ben waits, is rejected, reopened: the
    // exchange is full, so he waits again.
    let open = stack.given_event(json!({ "capacity": 1 })).await;
    let (ana, _) = register(open.clone(), "Ana").await;
    let (ben, b) = register(open.clone(), "Ben").await;
    assert_eq!(listed(&stack, &open, &ben).await.1, "waitlisted");
    let ben_link = link_of(&stack, &ben).await;
    assert_eq!(decide(&stack, &b, "reject").await.0, 200);
    assert_eq!(decide(&stack, &b, "reopen").await.1["status"], "waitlisted");
    stack
        .mailbox
        .wait_for(2, WAIT, |m| {
            m.to.contains(&ben) && m.subject.starts_with("Waiting list")
        })
        .await;
    // Rejected again; Ana gives up her seat; reopened, Ben takes it, and his confirmation
    // carries the link he has had from the start.
    assert_eq!(decide(&stack, &b, "reject").await.0, 200);
    let ana_link = link_of(&stack, &ana).await;
    let cancelled = stack
        .http
        .post(format!("{ana_link}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    assert_eq!(
        listed(&stack, &open, &ben).await.1,
        "rejected",
        "a freed seat is not offered to a rejected registration"
    );
    let (code, body) = decide(&stack, &b, "reopen").await;
    assert_eq!((code, body["status"].clone()), (200, json!("confirmed")));
    let confirmed = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&ben) && m.subject.starts_with("Registered")
        })
        .await;
    assert_eq!(confirmed[0].manage_link(), Some(ben_link));
    let log = activity(&stack, &open).await;
    let reopened: Vec<&str> = log
        .iter()
        .filter(|(action, id, _, _)| action == "registration.reopened" && *id == b)
        .map(|(_, _, outcome, _)| outcome.as_str())
        .collect();
    assert_eq!(reopened, ["confirmed", "waitlisted"]);

    // An unknown registration is not found; a confirmed one is not reopened.
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(decide(&stack, &unknown, "reopen").await.0, 404);
    assert_eq!(decide(&stack, &b, "reopen").await.0, 409);
}
