//! Exchanges that ask participants to confirm their address (`confirm_email`): a
//! registration holds no seat until the link emailed to the address is opened, and lapses,
//! silently, when it is not opened within `EMAIL_CONFIRM_HOURS`. Invented addresses cannot
//! fill the exchange.

use std::time::{Duration, Instant};

use convene_tests::stack::participant;
use convene_tests::{Stack, StackOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

async fn start() -> Stack {
    Stack::start_with(StackOptions {
        // The deadlines sweep looks every second, so a lapse is seen at once.
        env: vec![("OFFER_CHECK_SECS".into(), "1".into())],
        ..StackOptions::default()
    })
    .await
}

/// Registers a new participant, returns their address and the stored status.
async fn register(stack: &Stack, slug: &str, name: &str) -> (String, String) {
    let p = participant(name);
    let registered = stack.register(slug, &p).await;
    (p["email"].as_str().unwrap().to_owned(), registered.status)
}

/// Waits until `email`'s registration of `slug` has `status`.
async fn wait_for_status(stack: &Stack, slug: &str, email: &str, status: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = stack.registration_of(slug, email).await.map(|r| r.status);
        if now.as_deref() == Some(status) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{email} is {now:?}, not {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn page(stack: &Stack, link: &str) -> (u16, String) {
    let response = stack.http.get(link).send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

#[tokio::test]
async fn an_unconfirmed_address_takes_no_seat_until_its_link_is_opened() {
    let stack = start().await;

    // The setting is a boolean, named when wrong, and shown to organisers.
    let mut bad = convene_tests::stack::event_body();
    bad["confirm_email"] = json!("yes");
    let response = stack.create_event(&bad).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["fields"]["confirm_email"].is_string(), "{body}");
    let mut body = convene_tests::stack::event_body();
    body["capacity"] = json!(1);
    body["confirm_email"] = json!(true);
    let response = stack.create_event(&body).await;
    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["confirm_email"], json!(true), "{event}");
    let slug = event["slug"].as_str().unwrap().to_owned();

    // 1. Two people register for the one seat: neither takes it yet.
    let (ana, ana_status) = register(&stack, &slug, "Ana").await;
    let (ben, ben_status) = register(&stack, &slug, "Ben").await;
    assert_eq!(
        (ana_status.as_str(), ben_status.as_str()),
        ("unconfirmed", "unconfirmed")
    );
    let ask = |email: String| {
        let stack = &stack;
        async move {
            let mail = stack
                .mailbox
                .wait_for(1, WAIT, |m| m.to.contains(&email))
                .await;
            assert!(
                mail[0]
                    .subject
                    .starts_with("Please confirm your registration"),
                "{}",
                mail[0].subject
            );
            assert!(
                mail[0].body.contains("open your personal page below by "),
                "{}",
                mail[0].body
            );
            mail[0].manage_link().unwrap()
        }
    };
    let ana_link = ask(ana.clone()).await;
    let ben_link = ask(ben.clone()).await;

    // Registering again (a bot, or a second click) changes nothing and sends nothing.
    let mut again = participant("Ana");
    again["email"] = json!(ana);
    assert_eq!(stack.register(&slug, &again).await.status, "unconfirmed");

    // 2. Ben, second to register, is first to open his link: the seat is his.
    let (status, text) = page(&stack, &ben_link).await;
    assert_eq!(status, 200);
    assert!(text.contains("Confirmed"), "{text}");
    wait_for_status(&stack, &slug, &ben, "confirmed").await;
    let registered = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&ben) && m.subject.starts_with("Registered:")
        })
        .await;
    assert!(
        registered[0].manage_link().as_deref() == Some(ben_link.as_str()),
        "the confirmation carries the same link: {}",
        registered[0].body
    );

    // 3. Ana confirms too late for the seat: she waits in line.
    let (_, text) = page(&stack, &ana_link).await;
    assert!(text.contains("waiting list"), "{text}");
    wait_for_status(&stack, &slug, &ana, "waitlisted").await;
    stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&ana) && m.subject.starts_with("Waiting list")
        })
        .await;

    // 4. Opening a link again changes nothing: Ben keeps his seat, nobody is emailed twice.
    page(&stack, &ben_link).await;
    page(&stack, &ana_link).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack.mailbox.to(&ben).len(),
        2,
        "asked to confirm, then registered"
    );
    assert_eq!(
        stack.mailbox.to(&ana).len(),
        2,
        "asked to confirm, then in line"
    );
    assert_eq!(
        stack.registration_of(&slug, &ben).await.unwrap().status,
        "confirmed"
    );

    // 5. Whoever registers with an invitation link confirmed the address by receiving it.
    let invited_slug = stack.given_event(json!({ "confirm_email": true })).await;
    let dee = participant("Dee");
    let dee_email = dee["email"].as_str().unwrap().to_owned();
    let (status, body) = stack
        .admin_json(
            reqwest::Method::POST,
            &format!("/api/admin/events/{invited_slug}/invitations"),
            Some(&json!({"invitees": [{"email": dee_email}]})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let invitation = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&dee_email))
        .await;
    let secret = invitation[0]
        .body
        .split_whitespace()
        .find_map(|w| w.split("invitation=").nth(1))
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let mut with_invitation = dee.clone();
    with_invitation["invitation"] = json!(secret);
    assert_eq!(
        stack.register(&invited_slug, &with_invitation).await.status,
        "confirmed"
    );
}

#[tokio::test]
async fn an_address_not_confirmed_in_time_lapses_silently_and_may_register_again() {
    let stack = start().await;
    let slug = stack
        .given_event(json!({ "capacity": 1, "confirm_email": true }))
        .await;
    let (cy, status) = register(&stack, &slug, "Cy").await;
    assert_eq!(status, "unconfirmed");
    let first = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&cy))
        .await[0]
        .manage_link()
        .unwrap();

    // EMAIL_CONFIRM_HOURS pass (in the database's eyes) without the link being opened.
    stack
        .scalar_i64(
            "WITH due AS (UPDATE registration.registrations \
             SET confirm_by = now() - interval '1 second' WHERE status = 'unconfirmed' RETURNING 1) \
             SELECT count(*) FROM due",
        )
        .await;
    wait_for_status(&stack, &slug, &cy, "lapsed").await;

    // The notification service learns of it, and writes to nobody: the address may be
    // anybody's.
    let deadline = Instant::now() + WAIT;
    while stack
        .scalar_i64("SELECT count(*) FROM notification.recipients WHERE status = 'lapsed'")
        .await
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the lapse never reached notification"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        stack.mailbox.to(&cy).len(),
        1,
        "only the request to confirm"
    );

    // Opening the link now takes no seat: the page says what happened.
    let (status, text) = page(&stack, &first).await;
    assert_eq!(status, 200);
    assert!(text.contains("not confirmed in time"), "{text}");
    assert_eq!(
        stack.registration_of(&slug, &cy).await.unwrap().status,
        "lapsed"
    );

    // The address may register again: a new request with a new link, the old one dead.
    let mut again = participant("Cy");
    again["email"] = json!(cy);
    assert_eq!(stack.register(&slug, &again).await.status, "unconfirmed");
    let mails = stack
        .mailbox
        .wait_for(2, WAIT, |m| m.to.contains(&cy))
        .await;
    let second = mails
        .iter()
        .filter_map(convene_tests::Mail::manage_link)
        .find(|l| *l != first)
        .expect("a new link");
    assert_eq!(page(&stack, &first).await.0, 404);
    let (_, text) = page(&stack, &second).await;
    assert!(text.contains("Confirmed"), "{text}");
    wait_for_status(&stack, &slug, &cy, "confirmed").await;
}
