//! Participants' data is personal data: it can be exported and erased, it is erased after
//! the retention period, and erasing keeps the figures right.

use std::time::Duration;

use convene_tests::stack::{participant, ADMIN_TOKEN};
use convene_tests::{infra, Mailbox, Stack, StackOptions};
use serde_json::{json, Value};

#[tokio::test]
async fn an_organiser_exports_then_erases_everything_about_one_address() {
    let stack = Stack::start().await;
    let first = stack.given_event(json!({})).await;
    let second = stack.given_event(json!({})).await;
    let mut person = participant("Erase Me");
    person["timezone"] = json!("Africa/Dakar");
    let email = person["email"].as_str().unwrap().to_owned();
    for slug in [&first, &second] {
        stack.register(slug, &person).await;
    }
    let offer = stack
        .http
        .post(stack.url(&format!("/api/events/{first}/cosponsor-offers")))
        .json(
            &json!({"organisation": "Ministry", "country": "KE", "contact_name": "Erase Me",
                      "contact_email": email.to_uppercase(), "support_kind": "speakers"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(offer.status(), 201);
    // Declined with a note that names the person.
    let offer: Value = offer.json().await.unwrap();
    let declined = stack
        .admin(
            reqwest::Method::POST,
            &format!(
                "/api/admin/cosponsor-offers/{}/decline",
                offer["id"].as_str().unwrap()
            ),
        )
        .json(&json!({"note": "Erase Me already co-sponsors another exchange."}))
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), 200);
    let mails = stack
        .mailbox
        .wait_for(2, Duration::from_secs(30), |m| m.to.contains(&email))
        .await;
    let link = mails[0].manage_link().unwrap();

    // Export: both registrations with their consent, and the offer.
    let url = stack.url(&format!(
        "/api/admin/personal-data?email={}",
        email.replace('+', "%2B")
    ));
    let export = stack
        .http
        .get(&url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    let export: Value = export.json().await.unwrap();
    assert_eq!(
        export["registrations"].as_array().unwrap().len(),
        2,
        "{export}"
    );
    assert_eq!(export["registrations"][0]["name"], "Erase Me");
    assert!(export["registrations"][0]["consent_text"]
        .as_str()
        .unwrap()
        .contains("I agree"));
    assert!(export["registrations"][0]["consent_version"].is_string());
    assert_eq!(export["cosponsor_offers"].as_array().unwrap().len(), 1);
    // What the notification service holds, asked of it over RabbitMQ, in the same answer.
    assert_eq!(export["incomplete"], json!([]), "{export}");
    let held = export["notification"]["recipients"].as_array().unwrap();
    assert_eq!(held.len(), 2, "one per registration: {export}");
    assert_eq!(held[0]["name"], "Erase Me");
    assert_eq!(held[0]["timezone"], "Africa/Dakar");
    assert!(held[0].get("manage_url").is_none(), "no link in an export");

    // Erase.
    let erased = stack
        .http
        .delete(&url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 200);
    let erased: Value = erased.json().await.unwrap();
    assert_eq!(erased["erased"]["registrations"], 2);

    // Nothing is left to export, the link is dead, and the count is kept.
    let again: Value = stack
        .http
        .get(&url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(again["registrations"].as_array().unwrap().is_empty());
    assert!(again["cosponsor_offers"].as_array().unwrap().is_empty());
    assert_eq!(stack.http.get(&link).send().await.unwrap().status(), 404);
    let sql = format!("SELECT count(*) FROM registration.registrations WHERE country = 'SN' AND email NOT ILIKE '%{email}%'");
    assert_eq!(
        stack.scalar_i64(&sql).await,
        2,
        "anonymised rows keep the figures"
    );
    let sql = format!("SELECT count(*) FROM registration.registrations WHERE email ILIKE '%{email}%' OR name <> '' OR timezone IS NOT NULL");
    assert_eq!(
        stack.scalar_i64(&sql).await,
        0,
        "no name, address or time zone left"
    );
    let sql = "SELECT count(*) FROM registration.cosponsor_offers WHERE decision_note <> ''";
    assert_eq!(stack.scalar_i64(sql).await, 0, "no decision note left");

    // The other services drop their copies too.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let notification = stack
            .scalar_i64(&format!(
                "SELECT count(*) FROM notification.recipients WHERE email ILIKE '%{email}%'"
            ))
            .await;
        let scheduling = stack
            .scalar_i64("SELECT count(*) FROM scheduling.registrations WHERE status <> 'erased'")
            .await;
        if notification == 0 && scheduling == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "copies remain: notification {notification}, scheduling {scheduling}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let export = |stack: &Stack| stack.http.get(&url).bearer_auth(ADMIN_TOKEN).send();
    let again: Value = export(&stack).await.unwrap().json().await.unwrap();
    assert_eq!(again["notification"]["recipients"], json!([]), "{again}");

    // Without the notification service, the export still answers, and says it lacks its
    // part.
    let mut stack = stack;
    stack.notification.kill();
    let started = std::time::Instant::now();
    let partial = export(&stack).await.unwrap();
    assert_eq!(partial.status(), 200);
    let partial: Value = partial.json().await.unwrap();
    assert!(partial["notification"].is_null(), "{partial}");
    assert!(
        partial["incomplete"][0]
            .as_str()
            .unwrap()
            .starts_with("notification: "),
        "{partial}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn personal_data_goes_when_the_retention_period_ends() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("RETENTION_DAYS".into(), "0".into())],
        ..StackOptions::default()
    })
    .await;
    // An exchange that starts in 3 s and ends a second later.
    let start = chrono::Utc::now() + chrono::Duration::seconds(3);
    let slug = stack
        .given_event(json!({
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::seconds(1)).to_rfc3339(),
        }))
        .await;
    let person = participant("Short Lived");
    stack.register(&slug, &person).await;
    let email = person["email"].as_str().unwrap();
    stack
        .mailbox
        .wait_for(1, Duration::from_secs(30), |m| m.to.contains(email))
        .await;

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = stack
            .scalar_i64("SELECT count(*) FROM registration.registrations WHERE erased_at IS NULL")
            .await;
        let copies = stack
            .scalar_i64("SELECT count(*) FROM notification.recipients WHERE email <> ''")
            .await;
        if left == 0 && copies == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not erased: {left} registrations, {copies} copies"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.registrations")
            .await,
        1,
        "still counted"
    );
}

/// `DELETE /api/admin/personal-data?email=…`, expecting `200`.
async fn erase(stack: &Stack, email: &str) {
    let erased = stack
        .http
        .delete(stack.url(&format!(
            "/api/admin/personal-data?email={}",
            email.replace('+', "%2B")
        )))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 200);
}

/// The bodies of `notification.inbox.dead`, as `notification dead-letters list` prints them.
fn dead_letters(stack: &Stack) -> String {
    let out = std::process::Command::new(infra::bin_dir().join("notification"))
        .args(["dead-letters", "list"])
        .env("AMQP_URL", &stack.vhost.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Waits until `check` holds, for up to 30 s.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn erasing_a_person_takes_their_dead_letters_and_leaves_the_others() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    std::fs::write(stack.mailbox.dir.join("refuse-5xx"), "").unwrap();
    let (gone, kept) = (participant("Gone"), participant("Kept"));
    let (gone, kept) = (
        gone["email"].as_str().unwrap().to_owned(),
        kept["email"].as_str().unwrap().to_owned(),
    );
    // Messages carry contacts sealed: a dead letter is told by its registration's id.
    let mut ids = Vec::new();
    for email in [&gone, &kept] {
        let mut person = participant("Someone");
        person["email"] = json!(email);
        ids.push(stack.register(&slug, &person).await.id.to_string());
    }
    let (gone_id, kept_id) = (&ids[0], &ids[1]);
    eventually("both confirmations dead-lettered", || {
        let letters = dead_letters(&stack);
        letters.contains(gone_id) && letters.contains(kept_id)
    })
    .await;
    assert!(
        !dead_letters(&stack).contains(&gone),
        "no address readable in a dead letter"
    );

    erase(&stack, &gone).await;
    // The notification service takes the dead letters before it blanks its own row: once
    // the row is blank the purge is done. (Listing meanwhile would hold the letters where
    // the purge cannot see them: see docs/security.md.)
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while stack
        .scalar_i64(&format!(
            "SELECT count(*) FROM notification.recipients WHERE email = '{gone}'"
        ))
        .await
        > 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the erasure was handled"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let letters = dead_letters(&stack);
    assert!(
        !letters.contains(gone_id),
        "the erased person's dead letter goes"
    );
    assert!(letters.contains(kept_id), "the other one stays");
}

#[tokio::test]
async fn erasing_a_person_deletes_the_email_files_written_to_them() {
    // Without SMTP_URL, emails are written as .eml files under MAIL_DIR.
    let files = tempfile::tempdir().unwrap();
    let stack = Stack::start_with(StackOptions {
        env: vec![
            ("SMTP_URL".into(), String::new()),
            ("MAIL_DIR".into(), files.path().to_str().unwrap().to_owned()),
        ],
        ..StackOptions::default()
    })
    .await;
    let written = Mailbox::new(files.path());
    let slug = stack.given_event(json!({})).await;
    let (gone, kept) = (participant("Gone"), participant("Kept"));
    for person in [&gone, &kept] {
        stack.register(&slug, person).await;
    }
    let gone = gone["email"].as_str().unwrap();
    let kept = kept["email"].as_str().unwrap();
    written
        .wait_for(2, Duration::from_secs(30), |m| {
            m.to.contains(gone) || m.to.contains(kept)
        })
        .await;
    // The export lists the file written to them, and only that one.
    let export: Value = stack
        .http
        .get(stack.url(&format!("/api/admin/personal-data?email={gone}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let theirs = written.to(gone)[0].file.file_name().unwrap().to_owned();
    assert_eq!(
        export["notification"]["email_files"],
        json!([theirs.to_str().unwrap()]),
        "{export}"
    );

    erase(&stack, gone).await;
    eventually("the erased person's email file goes", || {
        written.to(gone).is_empty()
    })
    .await;
    assert_eq!(written.to(kept).len(), 1, "the other one stays");
}
