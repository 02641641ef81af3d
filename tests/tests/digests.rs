//! Organisers' daily digest: one email a day per organiser, in their time zone, with the
//! new registrations, pending approvals and open co-sponsorship offers of their exchanges;
//! none for an organiser with nothing new. Checked against the emails actually received.

use std::time::Duration;

use chrono::Timelike as _;
use convene_tests::stack::participant;
use convene_tests::{Stack, StackOptions};
use serde_json::json;

#[tokio::test]
async fn each_organiser_gets_one_digest_in_their_zone_and_one_with_nothing_new_gets_none() {
    // The digest clock fires once, 30 s from now (daily, at that UTC second); from hour 0,
    // every organiser's digest is due at it. Two schedulers: still one digest each.
    let fire = chrono::Utc::now() + chrono::Duration::seconds(30);
    let stack = Stack::start_with(StackOptions {
        schedulers: 2,
        env: vec![
            ("DIGEST_HOUR".into(), "0".into()),
            (
                "DIGEST_SCHEDULE".into(),
                format!("{} {} {} * * *", fire.second(), fire.minute(), fire.hour()),
            ),
        ],
        ..StackOptions::default()
    })
    .await;
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let lead = format!("lead-{tag}@un.example.org");
    let co = format!("co-{tag}@gov.example.org");
    let quiet = format!("quiet-{tag}@un.example.org");
    let busy = stack
        .given_event(json!({
            "title": "Case management in practice",
            "organiser_emails": [lead, co],
            "requires_approval": true,
        }))
        .await;
    stack
        .given_event(json!({ "organiser_emails": [quiet] }))
        .await;

    // The co-lead reads theirs in Bogotá; a bad zone is refused, naming the field.
    let path = format!("/api/admin/organisers/{co}");
    let (status, body) = stack
        .admin_json(
            reqwest::Method::PUT,
            &path,
            Some(&json!({"timezone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["fields"]["timezone"].is_string(), "{body}");
    let (status, body) = stack
        .admin_json(
            reqwest::Method::PUT,
            &path,
            Some(&json!({"timezone": "America/Bogota", "digest": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = stack.admin_json(reqwest::Method::GET, &path, None).await;
    assert_eq!(body["timezone"], "America/Bogota", "{body}");
    assert_eq!(body["exchanges"], json!([busy]), "{body}");
    let (_, lead_view) = stack
        .admin_json(
            reqwest::Method::GET,
            &format!("/api/admin/organisers/{lead}"),
            None,
        )
        .await;
    assert_eq!(
        lead_view["timezone"], "Europe/Zurich",
        "their exchange's zone"
    );
    let (status, _) = stack
        .admin_json(
            reqwest::Method::GET,
            "/api/admin/organisers/nobody@example.org",
            None,
        )
        .await;
    assert_eq!(status, 404);

    // Two people ask to come (pending approval) and a ministry offers to co-sponsor.
    let mut ana = participant("Ana");
    ana["name"] = json!("Ana Pereira");
    let mut kofi = participant("Kofi");
    kofi["name"] = json!("Kofi Mensah");
    kofi["country"] = json!("GH");
    for p in [&ana, &kofi] {
        stack.register(&busy, p).await;
    }
    let offer = stack
        .http
        .post(stack.url(&format!("/api/events/{busy}/cosponsor-offers")))
        .json(
            &json!({"organisation": "Ministerio del Interior", "country": "CO",
                      "contact_name": "Lucía", "contact_email": "lucia@mininterior.example.co",
                      "support_kind": "hosting", "message": ""}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(offer.status(), 201);
    assert!(
        chrono::Utc::now() < fire,
        "the setup must finish before the digest clock fires"
    );

    // At the fire: one digest each for the two organisers of the busy exchange.
    let wait = (fire - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(30);
    for (who, zone) in [(&lead, "Europe/Zurich"), (&co, "America/Bogota")] {
        let digest = stack
            .mailbox
            .wait_for(1, wait, |m| {
                m.to.contains(who.as_str()) && m.subject.starts_with("Convene digest")
            })
            .await;
        let mail = &digest[0];
        assert_eq!(
            mail.subject,
            "Convene digest: 2 new registrations, 2 pending approvals, 1 open co-sponsorship offer"
        );
        for expected in [
            "== Case management in practice ==",
            "Ana Pereira (Ministry of the Interior, SN, government official) — pending",
            "Kofi Mensah (Ministry of the Interior, GH, government official) — pending",
            "Waiting for your approval (2):",
            "Ministerio del Interior (CO): hosting, contact Lucía",
            &format!("({zone}, "),
            "/api/admin/registrations/{id}/approve",
            "In the organisers' console: http://127.0.0.1:",
        ] {
            assert!(
                mail.body.contains(expected),
                "{expected:?} missing from {who}'s digest:\n{}",
                mail.body
            );
        }
    }

    // Nothing new for the other exchange's organiser: no digest. And no second one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        stack.mailbox.to(&quiet).is_empty(),
        "nothing new, no digest"
    );
    for who in [&lead, &co] {
        let digests = stack
            .mailbox
            .to(who)
            .into_iter()
            .filter(|m| m.subject.starts_with("Convene digest"))
            .count();
        assert_eq!(digests, 1, "{who}: one digest a day");
    }
}
