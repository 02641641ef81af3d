//! What participants get beyond registering: times in their own zone, calendar entries
//! that update one entry, and their link again when they lose it.

use std::time::Duration;

use convene_tests::stack::participant;
use convene_tests::{Stack, StackOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

/// The content line starting with `name`, unfolded (RFC 5545 folds lines at 75 octets).
fn line(ics: &str, name: &str) -> String {
    let unfolded = ics.replace("\r\n ", "").replace("\n ", "");
    unfolded
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in\n{ics}"))
        .to_owned()
}

#[tokio::test]
async fn emails_show_both_zones_and_carry_one_calendar_entry_that_updates_then_cancels() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("ICS_ORGANIZER".into(), "organisers@iom.example.org".into())],
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({})).await;
    let event: Value = stack
        .http
        .get(stack.url(&format!("/api/events/{slug}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // A bad zone is named.
    let mut bad = participant("Zoned");
    bad["timezone"] = json!("Mars/Olympus");
    let response = stack.register_json(&slug, &bad).await;
    assert_eq!(response.status(), 422);
    assert!(response.json::<Value>().await.unwrap()["fields"]["timezone"].is_string());

    let mut person = participant("Lucia");
    person["timezone"] = json!("America/Bogota");
    stack.register(&slug, &person).await;
    let email = person["email"].as_str().unwrap().to_owned();

    let confirmation = &stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&email))
        .await[0];
    assert!(
        confirmation.body.contains("(Europe/Zurich"),
        "{}",
        confirmation.body
    );
    assert!(
        confirmation.body.contains("for you:") && confirmation.body.contains("(America/Bogota"),
        "{}",
        confirmation.body
    );
    let invite = confirmation.calendar.as_deref().unwrap_or_else(|| {
        panic!(
            "no invite.ics in\n{}",
            std::fs::read_to_string(&confirmation.file).unwrap()
        )
    });
    let uid = line(invite, "UID:");
    assert!(uid.contains(event["id"].as_str().unwrap()), "{uid}");
    assert_eq!(line(invite, "METHOD:"), "METHOD:REQUEST");
    assert_eq!(line(invite, "SEQUENCE:"), "SEQUENCE:1");
    assert_eq!(
        line(invite, "ORGANIZER:"),
        "ORGANIZER:mailto:organisers@iom.example.org"
    );
    assert!(line(invite, "ATTENDEE").ends_with(&format!("mailto:{email}")));
    let start: chrono::DateTime<chrono::Utc> =
        event["starts_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        line(invite, "DTSTART:"),
        format!("DTSTART:{}", start.format("%Y%m%dT%H%M%SZ"))
    );

    // The participant's page offers the same entry.
    let link = confirmation.manage_link().unwrap();
    let page = stack
        .http
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("calendar.ics"));
    let ics = stack
        .http
        .get(format!("{link}/calendar.ics"))
        .send()
        .await
        .unwrap();
    assert!(ics.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    assert_eq!(line(&ics.text().await.unwrap(), "UID:"), uid);

    // Moved: the same entry, a higher sequence, the new time.
    let new_start = start + chrono::Duration::hours(3);
    let patch = stack.admin(reqwest::Method::PATCH, &format!("/api/admin/events/{slug}"))
        .json(&json!({ "starts_at": new_start.to_rfc3339(), "ends_at": (new_start + chrono::Duration::hours(2)).to_rfc3339() }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    let changed = &stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&email) && m.subject.starts_with("Changed")
        })
        .await[0];
    let update = changed.calendar.as_deref().expect("an updated entry");
    assert_eq!(line(update, "UID:"), uid);
    assert_eq!(line(update, "SEQUENCE:"), "SEQUENCE:2");
    assert_eq!(
        line(update, "DTSTART:"),
        format!("DTSTART:{}", new_start.format("%Y%m%dT%H%M%SZ"))
    );

    // Cancelled: the entry is withdrawn.
    let cancel = stack
        .admin(
            reqwest::Method::POST,
            &format!("/api/admin/events/{slug}/cancel"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 200);
    let cancelled = &stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&email) && m.subject.starts_with("Cancelled:")
        })
        .await[0];
    let withdrawn = cancelled.calendar.as_deref().expect("a cancelling entry");
    assert_eq!(line(withdrawn, "UID:"), uid);
    assert_eq!(line(withdrawn, "METHOD:"), "METHOD:CANCEL");
    assert_eq!(line(withdrawn, "STATUS:"), "STATUS:CANCELLED");
}

#[tokio::test]
async fn a_participant_gets_a_new_link_by_email_and_the_page_reveals_nothing() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    let person = participant("Forgetful");
    let email = person["email"].as_str().unwrap().to_owned();
    stack.register(&slug, &person).await;
    let old = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&email))
        .await[0]
        .manage_link()
        .unwrap();

    let ask = |address: String| {
        stack
            .http
            .post(stack.url("/registrations/link"))
            .form(&[("email", address)])
            .send()
    };
    let known = ask(email.to_uppercase()).await.unwrap();
    assert_eq!(known.status(), 200);
    let known = known.text().await.unwrap();
    let unknown = ask("nobody-here@example.org".to_owned())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        known, unknown,
        "the same answer whether or not the address is registered"
    );
    assert_eq!(
        ask("not an address".to_owned()).await.unwrap().status(),
        422
    );

    let renewed = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&email) && m.subject.starts_with("Your link")
        })
        .await;
    let new = renewed[0].manage_link().unwrap();
    assert_ne!(new, old);
    // Asking does not take the old link away (anyone who knows the address may ask): it
    // works until the new one is opened, and then only the new one does.
    assert_eq!(
        stack.http.get(&old).send().await.unwrap().status(),
        200,
        "the old link works until the new one is opened"
    );
    assert_eq!(stack.http.get(&new).send().await.unwrap().status(), 200);
    assert_eq!(
        stack.http.get(&old).send().await.unwrap().status(),
        404,
        "the old link is dead once the new one was opened"
    );
    assert_eq!(stack.http.get(&new).send().await.unwrap().status(), 200);

    // Asking again at once sends nothing more (no flooding an inbox through the form).
    assert_eq!(ask(email.clone()).await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack.mailbox.to(&email).len(),
        2,
        "the confirmation and one renewed link"
    );
    assert!(stack.mailbox.to("nobody-here@example.org").is_empty());
}

/// Whoever knows an address may ask for its link again, so asking must neither take the
/// participant's link away nor flood their inbox: the new link waits beside the old one,
/// and an address gets at most 5 requests that send links a day, with the same answer
/// before and after.
#[tokio::test]
async fn asking_for_links_again_never_kills_the_old_one_and_is_limited_per_day() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    let person = participant("Targeted");
    let email = person["email"].as_str().unwrap().to_owned();
    assert!(stack
        .register_json(&slug, &person)
        .await
        .status()
        .is_success());
    let old = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&email))
        .await[0]
        .manage_link()
        .unwrap();
    let pool = stack.db.pool().await;
    // Each registration gets one such email every 5 minutes: pretend they have passed.
    let minutes_pass = || async {
        sqlx::query(
            "UPDATE registration.registrations \
             SET link_sent_at = now() - interval '6 minutes' WHERE link_sent_at IS NOT NULL",
        )
        .execute(&pool)
        .await
        .unwrap();
    };
    let ask = |address: String| async {
        let response = stack
            .http
            .post(stack.url("/registrations/link"))
            .form(&[("email", address)])
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    let renewed = || {
        stack
            .mailbox
            .to(&email)
            .into_iter()
            .filter(|m| m.subject.starts_with("Your link"))
            .collect::<Vec<_>>()
    };
    let unknown = ask("nobody-here@example.org".to_owned()).await;
    assert_eq!(unknown.0, 200);

    for n in 1..=5 {
        minutes_pass().await;
        assert_eq!(ask(email.clone()).await, unknown, "request {n}");
        stack
            .mailbox
            .wait_for(n, WAIT, |m| {
                m.to.contains(&email) && m.subject.starts_with("Your link")
            })
            .await;
    }
    assert_eq!(
        stack.http.get(&old).send().await.unwrap().status(),
        200,
        "five new links, none opened: the participant's link still works"
    );

    // The sixth in a day: the same answer, and nothing sent.
    minutes_pass().await;
    assert_eq!(ask(email.to_uppercase()).await, unknown, "at the limit");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(renewed().len(), 5, "no sixth link in a day");

    // A day later the address may ask again.
    sqlx::query("UPDATE registration.link_requests SET requested_at = now() - interval '25 hours'")
        .execute(&pool)
        .await
        .unwrap();
    minutes_pass().await;
    assert_eq!(ask(email.clone()).await, unknown);
    let links: Vec<String> = stack
        .mailbox
        .wait_for(6, WAIT, |m| {
            m.to.contains(&email) && m.subject.starts_with("Your link")
        })
        .await
        .iter()
        .filter_map(|m| m.manage_link())
        .collect();
    // Each request replaced the one before that was never opened: only the latest works,
    // and opening it retires the participant's old link.
    let mut working = 0;
    for link in &links {
        if stack.http.get(link).send().await.unwrap().status() == 200 {
            working += 1;
        }
    }
    assert_eq!(working, 1, "only the latest new link works");
    assert_eq!(stack.http.get(&old).send().await.unwrap().status(), 404);
    pool.close().await;
}
