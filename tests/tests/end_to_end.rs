//! The whole path through all three services, over HTTP, RabbitMQ, Postgres and SMTP.

use std::time::Duration;

use convene_tests::stack::{event_body, participant};
use convene_tests::{Stack, StackOptions};
use serde_json::{json, Value};

const MAIL_WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_participant_registers_is_emailed_a_working_link_and_can_cancel() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;

    // The form is there.
    let form = stack
        .http
        .get(stack.url(&format!("/events/{slug}/register")))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    for field in [
        "name=\"name\"",
        "name=\"email\"",
        "name=\"organisation\"",
        "name=\"country\"",
        "name=\"role\"",
        "name=\"consent\"",
    ] {
        assert!(html.contains(field), "the form lacks {field}");
    }
    assert!(
        html.contains(">Senegal</option>"),
        "countries are shown by name"
    );

    // Register through the form: a redirect to the "registration received" page.
    let email = format!(
        "amina-{}@interior.example.sn",
        uuid::Uuid::new_v4().simple()
    );
    let response = stack
        .register_form(
            &slug,
            &[
                ("name", "Amina Diallo"),
                ("email", &email),
                ("organisation", "Ministère de l'Intérieur"),
                ("country", "SN"),
                ("role", "government_official"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/events/{slug}/registered"));
    let page = stack.http.get(stack.url(&location)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Your registration is received"));
    assert_eq!(
        stack.registration_of(&slug, &email).await.unwrap().status,
        "confirmed"
    );

    // The confirmation names the exchange, its time in its zone, and a personal link.
    let mails = stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&email))
        .await;
    let confirmation = &mails[0];
    assert!(
        confirmation
            .subject
            .contains("alternatives to immigration detention"),
        "{}",
        confirmation.subject
    );
    assert!(
        confirmation.body.contains("Europe/Zurich"),
        "{}",
        confirmation.body
    );
    let link = confirmation.manage_link().expect("a manage link");
    assert!(link.starts_with(&stack.base_url), "{link}");
    let token = link.rsplit('/').next().unwrap();
    assert!(
        token.len() >= 32,
        "the token is long enough to be unguessable"
    );

    // The link works; a wrong one reveals nothing.
    let manage = stack.http.get(&link).send().await.unwrap();
    assert_eq!(manage.status(), 200);
    let manage = manage.text().await.unwrap();
    assert!(
        manage.contains("Confirmed") && manage.contains("alternatives to immigration detention")
    );
    let wrong = stack
        .http
        .get(stack.url(&format!("/registrations/{}", "0".repeat(64))))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);

    // Cancel, twice: one change, one email.
    for _ in 0..2 {
        let cancelled = stack
            .http
            .post(format!("{link}/cancel"))
            .send()
            .await
            .unwrap();
        assert_eq!(cancelled.status(), 200);
    }
    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| {
            m.to.contains(&email) && m.subject.starts_with("Cancelled")
        })
        .await;
    let after = stack
        .http
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(after.contains("Cancelled"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack.mailbox.to(&email).len(),
        2,
        "one confirmation and one cancellation"
    );
}

#[tokio::test]
async fn the_same_email_twice_makes_one_registration_and_one_confirmation() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    let mut body = participant("Jean Dupont");
    let first = stack.register(&slug, &body).await;
    assert_eq!(first.status, "confirmed");

    // Same address in another case: the same answer (`register` checks it), and the same
    // registration, untouched.
    let email = body["email"].as_str().unwrap().to_owned();
    body["email"] = json!(email.to_uppercase());
    let second = stack.register(&slug, &body).await;
    assert_eq!(first, second);

    stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.to_lowercase().contains(&email))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        stack.mailbox.to(&email).len(),
        1,
        "exactly one confirmation"
    );
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.registrations")
            .await,
        1
    );
}

#[tokio::test]
async fn every_organiser_is_emailed_each_cosponsorship_offer() {
    let stack = Stack::start().await;
    let organisers = [
        "lead@iom.example.org",
        "colead@unhcr.example.org",
        "champion@gov.example.mx",
    ];
    let slug = stack
        .given_event(json!({ "organiser_emails": organisers }))
        .await;

    let response = stack
        .http
        .post(stack.url(&format!("/api/events/{slug}/cosponsor-offers")))
        .json(&json!({
            "organisation": "Secretaría de Gobernación",
            "country": "MX",
            "contact_name": "Lucía Pérez",
            "contact_email": "lucia@segob.example.mx",
            "support_kind": "hosting",
            "message": "We can host the second session.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // The HTML form works too.
    let form = stack
        .http
        .post(stack.url(&format!("/events/{slug}/cosponsor")))
        .form(&[
            ("organisation", "Ministry of Justice"),
            ("country", "CA"),
            ("contact_name", "Sam Lee"),
            ("contact_email", "sam@justice.example.ca"),
            ("support_kind", "expertise"),
            ("message", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);

    for organiser in organisers {
        let mails = stack
            .mailbox
            .wait_for(2, MAIL_WAIT, |m| m.to.contains(organiser))
            .await;
        let offer = mails
            .iter()
            .find(|m| m.body.contains("Secretaría de Gobernación"))
            .expect("the API offer");
        assert!(offer.body.contains("Mexico"), "{}", offer.body);
        assert!(offer.body.contains("Hosting"), "{}", offer.body);
        assert!(
            offer.body.contains("alternatives to immigration detention"),
            "{}",
            offer.body
        );
        assert_eq!(offer.reply_to.as_deref(), Some("lucia@segob.example.mx"));
        assert!(mails
            .iter()
            .any(|m| m.body.contains("Ministry of Justice") && m.body.contains("Canada")));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack.mailbox.all().len(),
        6,
        "two offers, three organisers, one email each"
    );
}

#[tokio::test]
async fn reminders_reach_each_confirmed_participant_once_even_with_two_schedulers() {
    let stack = Stack::start_with(StackOptions {
        schedulers: 2,
        ..StackOptions::default()
    })
    .await;
    // Starts in 2 min 20 s: the 2-minute reminder falls due in ~20 s; the 60-minute one was
    // due before anyone registered, so nobody gets it.
    let start = chrono::Utc::now() + chrono::Duration::seconds(140);
    let slug = stack
        .given_event(json!({
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339(),
            "reminder_offsets_minutes": [60, 2],
        }))
        .await;
    let people: Vec<Value> = ["Ana Silva", "Omar Haddad", "Mei Chen"]
        .iter()
        .map(|n| participant(n))
        .collect();
    for p in &people {
        stack.register(&slug, p).await;
    }
    // Omar cancels: he gets no reminder.
    let omar = people[1]["email"].as_str().unwrap();
    let confirmation = stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(omar))
        .await;
    let link = confirmation[0].manage_link().unwrap();
    assert_eq!(
        stack
            .http
            .post(format!("{link}/cancel"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let reminders = stack
        .mailbox
        .wait_for(2, Duration::from_secs(90), |m| {
            m.subject.starts_with("Reminder")
        })
        .await;
    for p in [&people[0], &people[2]] {
        let email = p["email"].as_str().unwrap();
        let mine: Vec<_> = reminders.iter().filter(|m| m.to.contains(email)).collect();
        assert_eq!(
            mine.len(),
            1,
            "{email} gets one reminder, addressed to them alone"
        );
        assert!(mine[0].body.contains("Europe/Zurich"));
    }
    // Let both schedulers tick a few more times: nothing more is sent.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let all: Vec<_> = stack
        .mailbox
        .all()
        .into_iter()
        .filter(|m| m.subject.starts_with("Reminder"))
        .collect();
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(all.iter().all(|m| !m.to.contains(omar)));
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_naming_each_field() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;

    // JSON: 422 naming each bad field.
    let response = stack
        .register_json(
            &slug,
            &json!({ "name": "", "email": "not-an-email", "country": "XX", "role": "king" }),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    for field in [
        "name",
        "email",
        "organisation",
        "country",
        "role",
        "consent",
    ] {
        assert!(
            body["fields"][field].is_string(),
            "{field} not named: {body}"
        );
    }

    // HTML: 422, the message beside the field, what they typed kept.
    let response = stack
        .register_form(
            &slug,
            &[
                ("name", "Ana <b>Silva</b>"),
                ("email", "ana@"),
                ("organisation", "MoI"),
                ("country", "BR"),
                ("role", "government_official"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("id=\"email-error\""),
        "the email error sits by the field"
    );
    assert!(html.contains("id=\"consent-error\""));
    assert!(html.contains("value=\"ana@\""), "input kept");
    assert!(
        html.contains("Ana &#60;b&#62;Silva&#60;/b&#62;")
            || html.contains("Ana &lt;b&gt;Silva&lt;/b&gt;"),
        "escaped"
    );
    assert!(
        html.contains("<option value=\"BR\" selected>"),
        "selection kept"
    );

    // Nothing was stored.
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.registrations")
            .await,
        0
    );

    // Unknown exchange.
    assert_eq!(
        stack
            .register_json("no-such-exchange", &participant("X"))
            .await
            .status(),
        404
    );
    let page = stack
        .http
        .get(stack.url("/events/no-such-exchange/register"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);

    // Admin: no token, wrong token.
    let no_token = stack
        .http
        .post(stack.url("/api/admin/events"))
        .json(&event_body())
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    let wrong = stack
        .http
        .post(stack.url("/api/admin/events"))
        .bearer_auth("nope")
        .json(&event_body())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    // Admin: each bad field named; a taken slug is 409.
    let mut bad = event_body();
    bad["slug"] = json!("Not A Slug");
    bad["ends_at"] = json!("2020-01-01T00:00:00Z");
    bad["timezone"] = json!("Mars/Olympus_Mons");
    bad["organiser_emails"] = json!(["nobody"]);
    let response = stack.create_event(&bad).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    for field in ["slug", "ends_at", "timezone", "organiser_emails"] {
        assert!(
            body["fields"][field].is_string(),
            "{field} not named: {body}"
        );
    }
    let mut taken = event_body();
    taken["slug"] = json!(slug);
    let response = stack.create_event(&taken).await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert!(body["fields"]["slug"].is_string(), "{body}");

    // Malformed bodies are 4xx, never 500.
    let response = stack
        .http
        .post(stack.url(&format!("/api/events/{slug}/registrations")))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = stack
        .admin(reqwest::Method::POST, "/api/admin/events")
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn the_public_api_lists_and_shows_exchanges() {
    let stack = Stack::start().await;
    let slug = stack
        .given_event(json!({ "topics": ["Public perceptions", "Case management"] }))
        .await;
    let list: Value = stack
        .http
        .get(stack.url("/api/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["slug"] == slug));
    let one = stack
        .http
        .get(stack.url(&format!("/api/events/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["timezone"], "Europe/Zurich");
    assert_eq!(one["topics"][0], "Public perceptions");
    assert!(
        one.get("organiser_emails").is_none(),
        "organisers' addresses are not public"
    );
    assert_eq!(
        stack
            .http
            .get(stack.url("/api/events/unknown-one"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
