//! What organisers do: change or cancel an exchange, follow who is coming, quote figures,
//! and decide on co-sponsorship offers — checked against the emails actually received.

use std::time::Duration;

use convene_tests::stack::{participant, ADMIN_TOKEN};
use convene_tests::{Stack, StackOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

async fn register_people(stack: &Stack, slug: &str, people: &[(&str, &str, &str)]) -> Vec<Value> {
    let mut bodies = Vec::new();
    for (name, country, role) in people {
        // The address is made from a tame name; the name itself may be anything.
        let mut p = participant("Person");
        p["name"] = json!(name);
        p["country"] = json!(country);
        p["role"] = json!(role);
        stack.register(slug, &p).await;
        bodies.push(p);
    }
    bodies
}

#[tokio::test]
async fn changing_an_exchange_tells_each_participant_what_changed_and_cancelling_tells_everyone() {
    let stack = Stack::start().await;
    let slug = stack
        .given_event(json!({ "location": "Geneva, Palais des Nations" }))
        .await;
    let people = register_people(
        &stack,
        &slug,
        &[
            ("Ana", "BR", "government_official"),
            ("Ben", "GH", "un_entity"),
            ("Cy", "FR", "other"),
        ],
    )
    .await;
    let email = |i: usize| people[i]["email"].as_str().unwrap().to_owned();
    // Cy cancels and must hear nothing more.
    let confirmation = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&email(2)))
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

    // Move it a day later and online.
    let event: Value = stack
        .http
        .get(stack.url(&format!("/api/events/{slug}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let start: chrono::DateTime<chrono::Utc> =
        event["starts_at"].as_str().unwrap().parse().unwrap();
    let new_start = start + chrono::Duration::days(1);
    let patch = json!({
        "starts_at": new_start.to_rfc3339(),
        "ends_at": (new_start + chrono::Duration::hours(3)).to_rfc3339(),
        "location": "",
        "online_link": "https://meet.example.org/atd",
    });
    let response = stack
        .admin(reqwest::Method::PATCH, &format!("/api/admin/events/{slug}"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["online_link"], "https://meet.example.org/atd");
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["starts_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        new_start
    );

    for i in [0, 1] {
        let changed = stack
            .mailbox
            .wait_for(1, WAIT, |m| {
                m.to.contains(&email(i)) && m.subject.starts_with("Changed")
            })
            .await;
        let body = &changed[0].body;
        assert!(
            body.contains("When:") && body.contains("was:") && body.contains("now:"),
            "{body}"
        );
        assert!(
            body.contains("Palais des Nations"),
            "the old location is named: {body}"
        );
        assert!(body.contains("https://meet.example.org/atd"), "{body}");
    }
    // The scheduler moved its copy, so pending reminders move with the exchange.
    let deadline = std::time::Instant::now() + WAIT;
    while stack
        .scalar_i64(&format!(
            "SELECT count(*) FROM scheduling.events WHERE slug = '{slug}' AND starts_at = '{}'",
            new_start.to_rfc3339()
        ))
        .await
        != 1
    {
        assert!(
            std::time::Instant::now() < deadline,
            "scheduling never saw the new start"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Bad changes are named; the slug cannot change.
    let bad = stack
        .admin(reqwest::Method::PATCH, &format!("/api/admin/events/{slug}"))
        .json(&json!({ "slug": "other", "ends_at": "2000-01-01T00:00:00Z", "colour": "red" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let bad: Value = bad.json().await.unwrap();
    assert!(
        bad["fields"]["slug"].is_string() && bad["fields"]["colour"].is_string(),
        "{bad}"
    );

    // Cancel, twice: everyone confirmed is told once; registering is refused after.
    for _ in 0..2 {
        let cancelled = stack
            .admin(
                reqwest::Method::POST,
                &format!("/api/admin/events/{slug}/cancel"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(cancelled.status(), 200);
    }
    for i in [0, 1] {
        stack
            .mailbox
            .wait_for(1, WAIT, |m| {
                m.to.contains(&email(i)) && m.subject.starts_with("Cancelled:")
            })
            .await;
    }
    assert_eq!(
        stack
            .register_json(&slug, &participant("Late"))
            .await
            .status(),
        409
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack.mailbox.to(&email(0)).len(),
        3,
        "confirmation, change, cancellation"
    );
    assert_eq!(
        stack.mailbox.to(&email(2)).len(),
        2,
        "Cy: confirmation and her own cancellation only"
    );
    assert_eq!(stack.scalar_i64(&format!("SELECT count(*) FROM scheduling.events WHERE slug = '{slug}' AND status = 'cancelled'")).await, 1);
}

#[tokio::test]
async fn organisers_see_who_is_coming_as_json_csv_and_figures() {
    let stack = Stack::start_with(StackOptions {
        env: vec![(
            "ADMIN_TOKEN".into(),
            format!("{ADMIN_TOKEN},scoped-token-0123456789:nothing-here"),
        )],
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({ "capacity": 50 })).await;
    let people = register_people(
        &stack,
        &slug,
        &[
            ("Ana", "BR", "government_official"),
            ("Bea", "BR", "government_official"),
            ("Chen", "CN", "government_official"),
            ("Dana", "SN", "civil_society"),
            ("=HYPERLINK(1)", "FR", "un_entity"),
        ],
    )
    .await;
    let confirmation = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(people[3]["email"].as_str().unwrap())
        })
        .await;
    assert_eq!(
        stack
            .http
            .post(format!("{}/cancel", confirmation[0].manage_link().unwrap()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let get = |path: String| stack.admin(reqwest::Method::GET, &path).send();
    let stats: Value = get(format!("/api/admin/events/{slug}/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["confirmed"], 4);
    assert_eq!(stats["cancelled"], 1);
    assert_eq!(stats["officials"], 3);
    assert_eq!(stats["countries"], 3, "BR, CN, FR among the confirmed");
    assert_eq!(
        stats["by_country"]["BR"],
        json!({ "confirmed": 2, "officials": 2 })
    );
    assert_eq!(stats["by_role"]["government_official"], 3);

    let page: Value = get(format!(
        "/api/admin/events/{slug}/registrations?country=br&per_page=1&page=2"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(page["total"], 2);
    assert_eq!(page["registrations"].as_array().unwrap().len(), 1);
    assert_eq!(page["registrations"][0]["name"], "Bea");
    let cancelled: Value = get(format!(
        "/api/admin/events/{slug}/registrations?status=cancelled"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(cancelled["registrations"][0]["name"], "Dana");
    assert_eq!(
        get(format!("/api/admin/events/{slug}/registrations?role=king"))
            .await
            .unwrap()
            .status(),
        422
    );
    // Numbers out of bounds (the first found by a fuzzer: its offset overflowed, a 500)
    // are a 422 naming the parameter.
    for (query, field) in [
        ("page=2432902008176640000&per_page=81", "page"),
        ("page=99999999999999999999999", "page"),
        ("page=0", "page"),
        ("page=1.5", "page"),
        ("page=1000001", "page"),
        ("per_page=1001", "per_page"),
        ("per_page=-1", "per_page"),
        ("per_page=ten", "per_page"),
    ] {
        let response = get(format!("/api/admin/events/{slug}/registrations?{query}"))
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(body["fields"][field].is_string(), "{query}: {body}");
    }
    let last: Value = get(format!(
        "/api/admin/events/{slug}/registrations?page=1000000&per_page=1000"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(last["registrations"], json!([]), "the last page is empty");

    let csv = stack
        .admin(
            reqwest::Method::GET,
            &format!("/api/admin/events/{slug}/registrations"),
        )
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with('\u{FEFF}'),
        "a BOM, so spreadsheet programs read accents"
    );
    assert_eq!(csv.lines().count(), 6, "a header and five rows:\n{csv}");
    assert!(csv.contains("\"Brazil\""));
    assert!(
        csv.contains("\"'=HYPERLINK(1)\""),
        "no formula runs when the file is opened"
    );
    let same = get(format!("/api/admin/events/{slug}/registrations?format=csv"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(same, csv);

    // A token for another exchange sees nothing here.
    let scoped = stack
        .http
        .get(stack.url(&format!("/api/admin/events/{slug}/stats")))
        .bearer_auth("scoped-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(scoped.status(), 403);

    // The public page shows the seats left.
    let page = stack
        .http
        .get(stack.url(&format!("/events/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Seats left:</strong> 46"),
        "50 seats, 4 taken"
    );
    let list = stack
        .http
        .get(stack.url("/events"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("href=\"/events/{slug}\"")));
}

#[tokio::test]
async fn organisers_accept_or_decline_offers_and_an_organisation_offers_once() {
    let stack = Stack::start().await;
    let slug = stack
        .given_event(json!({ "organiser_emails": ["lead@iom.example.org"] }))
        .await;
    let offer = |organisation: &str, email: &str, kind: &str| {
        stack
            .http
            .post(stack.url(&format!("/api/events/{slug}/cosponsor-offers")))
            .json(
                &json!({ "organisation": organisation, "country": "MX", "contact_name": "Lucía",
                           "contact_email": email, "support_kind": kind, "message": "" }),
            )
            .send()
    };
    let first: Value = offer(
        "Secretaría de Gobernación",
        "lucia@segob.example.mx",
        "hosting",
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let again: Value = offer(
        "SECRETARÍA DE GOBERNACIÓN",
        "lucia@segob.example.mx",
        "funding",
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        first["id"], again["id"],
        "the second offer updates the first"
    );
    let declined: Value = offer("Ministry of Justice", "sam@justice.example.ca", "speakers")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stack
        .mailbox
        .wait_for(3, WAIT, |m| m.to.contains("lead@iom.example.org"))
        .await;

    let listed: Value = stack
        .admin(
            reqwest::Method::GET,
            &format!("/api/admin/events/{slug}/cosponsor-offers"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let offers = listed["cosponsor_offers"].as_array().unwrap();
    assert_eq!(offers.len(), 2);
    assert_eq!(offers[0]["support_kind"], "funding", "updated in place");

    let decide = |id: &Value, what: &str, body: Value| {
        stack
            .admin(
                reqwest::Method::POST,
                &format!(
                    "/api/admin/cosponsor-offers/{}/{what}",
                    id.as_str().unwrap()
                ),
            )
            .json(&body)
            .send()
    };
    assert_eq!(
        decide(&first["id"], "accept", json!({ "note": "Welcome aboard." }))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        decide(&declined["id"], "decline", json!({}))
            .await
            .unwrap()
            .status(),
        200
    );
    let unknown = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(
        decide(&unknown, "accept", json!({}))
            .await
            .unwrap()
            .status(),
        404
    );

    let accepted = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains("lucia@segob.example.mx"))
        .await;
    assert!(
        accepted[0].subject.ends_with("accepted"),
        "{}",
        accepted[0].subject
    );
    assert!(accepted[0].body.contains("Welcome aboard."));
    let refused = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains("sam@justice.example.ca"))
        .await;
    assert!(refused[0].subject.ends_with("not accepted"));

    let public: Value = stack
        .http
        .get(stack.url(&format!("/api/events/{slug}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        public["cosponsors"],
        json!([{ "organisation": "SECRETARÍA DE GOBERNACIÓN", "country": "MX" }])
    );
    let page = stack
        .http
        .get(stack.url(&format!("/events/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Co-sponsored by</strong> SECRETARÍA DE GOBERNACIÓN (Mexico)"),
        "{page}"
    );
}

#[tokio::test]
async fn organisers_notes_reach_each_reminder_in_the_participants_language() {
    let stack = Stack::start().await;
    // The 2-minute reminder falls due in ~10 s.
    let start = chrono::Utc::now() + chrono::Duration::seconds(130);
    let times = json!({
        "starts_at": start.to_rfc3339(),
        "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339(),
        "reminder_offsets_minutes": [2],
    });

    // A note for a reminder the exchange does not have is refused, naming the item.
    let mut bad = convene_tests::stack::event_body();
    bad.as_object_mut()
        .unwrap()
        .extend(times.as_object().unwrap().clone());
    bad["reminder_notes"] = json!([{"offset_minutes": 60, "lang": "en", "text": "Agenda"}]);
    let response = stack.create_event(&bad).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["fields"]["reminder_notes[0].offset_minutes"].is_string(),
        "{body}"
    );

    let mut event = times.clone();
    event["reminder_notes"] = json!([
        {"offset_minutes": 2, "lang": "en", "text": "Old link"},
        {"offset_minutes": 2, "lang": "fr", "text": "Lien : https://meet.example.org/fr\nOrdre du jour : cas pratiques"},
    ]);
    let slug = stack.given_event(event).await;
    // The organisers correct the English note; the reminder carries the new one.
    let response = stack
        .admin(reqwest::Method::PATCH, &format!("/api/admin/events/{slug}"))
        .json(&json!({"reminder_notes": [
            {"offset_minutes": 2, "lang": "en", "text": "Link: https://meet.example.org/en"},
            {"offset_minutes": 2, "lang": "fr", "text": "Lien : https://meet.example.org/fr\nOrdre du jour : cas pratiques"},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    assert_eq!(
        view["reminder_notes"].as_array().unwrap().len(),
        2,
        "{view}"
    );
    // The public view does not show notes (they may hold a private meeting link).
    let public = stack.get_json(&format!("/api/events/{slug}")).await;
    assert!(public.get("reminder_notes").is_none(), "{public}");

    let mut people = Vec::new();
    for lang in ["en", "fr", "es"] {
        let mut p = participant("Person");
        p["lang"] = json!(lang);
        stack.register(&slug, &p).await;
        people.push((lang, p["email"].as_str().unwrap().to_owned()));
    }
    for (lang, email) in &people {
        let reminder = stack
            .mailbox
            .wait_for(1, WAIT, |m| {
                m.to.contains(email.as_str())
                    && ["Reminder", "Rappel", "Recordatorio"]
                        .iter()
                        .any(|s| m.subject.starts_with(s))
            })
            .await;
        let body = &reminder[0].body;
        match *lang {
            "fr" => {
                assert!(body.contains("Un mot des organisateurs"), "{body}");
                assert!(body.contains("Ordre du jour : cas pratiques"), "{body}");
            }
            // No Spanish note: the English one, under a Spanish heading.
            "es" => {
                assert!(body.contains("Una nota de los organizadores"), "{body}");
                assert!(body.contains("Link: https://meet.example.org/en"), "{body}");
            }
            _ => {
                assert!(body.contains("A note from the organisers:"), "{body}");
                assert!(body.contains("Link: https://meet.example.org/en"), "{body}");
                assert!(!body.contains("Old link"), "{body}");
            }
        }
    }
}

/// A flood of offers must not flood the organisers' inboxes: at most 10 offer emails per
/// exchange in any hour (`OFFER_EMAILS_PER_HOUR`). Every offer is still stored and listed;
/// another exchange has its own allowance; an hour later emails flow again.
#[tokio::test]
async fn offer_emails_to_organisers_are_limited_per_exchange_per_hour() {
    let stack = Stack::start().await;
    let slug = stack
        .given_event(json!({ "organiser_emails": ["lead@iom.example.org"] }))
        .await;
    let other = stack
        .given_event(json!({ "organiser_emails": ["other@iom.example.org"] }))
        .await;
    let offer = |slug: &str, n: usize| {
        stack
            .http
            .post(stack.url(&format!("/api/events/{slug}/cosponsor-offers")))
            .json(&json!({
                "organisation": format!("Organisation {n}"), "country": "MX",
                "contact_name": "Lucía", "contact_email": format!("contact{n}@example.org"),
                "support_kind": "hosting", "message": "",
            }))
            .send()
    };
    let offer_emails = |to: &str| {
        stack
            .mailbox
            .to(to)
            .into_iter()
            .filter(|m| m.subject.starts_with("Co-sponsorship offer"))
            .count()
    };
    for n in 1..=11 {
        assert_eq!(offer(&slug, n).await.unwrap().status(), 201, "offer {n}");
    }
    assert_eq!(offer(&other, 12).await.unwrap().status(), 201);
    stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains("other@iom.example.org"))
        .await;
    stack
        .mailbox
        .wait_for(10, WAIT, |m| m.to.contains("lead@iom.example.org"))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        offer_emails("lead@iom.example.org"),
        10,
        "no eleventh email"
    );

    let listed = |slug: String| {
        let stack = &stack;
        async move {
            let (_, body) = stack
                .admin_json(
                    reqwest::Method::GET,
                    &format!("/api/admin/events/{slug}/cosponsor-offers"),
                    None,
                )
                .await;
            body["cosponsor_offers"].as_array().unwrap().len()
        }
    };
    assert_eq!(listed(slug.clone()).await, 11, "every offer is stored");

    // An hour later the exchange's organisers hear of offers again.
    let pool = stack.db.pool().await;
    sqlx::query(
        "UPDATE registration.offer_emails SET announced_at = announced_at - interval '61 minutes'",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(offer(&slug, 13).await.unwrap().status(), 201);
    let mails = stack
        .mailbox
        .wait_for(11, WAIT, |m| m.to.contains("lead@iom.example.org"))
        .await;
    assert!(mails.iter().any(|m| m.body.contains("Organisation 13")));
    assert!(!mails.iter().any(|m| m.body.contains("Organisation 11")));
    assert_eq!(listed(slug).await, 12);
}
