//! The follow-up after an exchange (issue 19): `FOLLOW_UP_DELAY_MINUTES` after the end,
//! each confirmed participant is emailed once, in their language: a thank-you to those who
//! joined through their personal link during the exchange, a "sorry we missed you" to the
//! others, both with the materials and recording links as the organisers last set them
//! (also after the end). Nobody cancelled is emailed, nor anyone of a cancelled exchange;
//! exactly once with two schedulers and across a scheduler's restart.

use std::time::Duration;

use convene_tests::mail::Mail;
use convene_tests::stack::participant;
use convene_tests::tap::Tap;
use convene_tests::{Stack, StackOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);
/// The delay the tests run with: 9 s after the end, long enough to change a link after
/// the end and before the follow-up goes.
const DELAY_MINUTES: &str = "0.15";

fn email_of(p: &Value) -> String {
    p["email"].as_str().unwrap().to_owned()
}

/// The follow-ups to `to`, by their subjects (in any of the three languages).
fn follow_ups(stack: &Stack, to: &str) -> Vec<Mail> {
    stack
        .mailbox
        .to(to)
        .into_iter()
        .filter(is_follow_up)
        .collect()
}

fn is_follow_up(m: &Mail) -> bool {
    [
        "Thank you for taking part",
        "Sorry we missed you",
        "Merci de votre participation",
        "Vous nous avez manqué",
        "Gracias por participar",
        "Le echamos de menos",
    ]
    .iter()
    .any(|s| m.subject.contains(s))
}

/// The first link in `body` containing `needle`.
fn link(body: &str, needle: &str) -> String {
    body.split_whitespace()
        .find(|w| w.contains(needle))
        .unwrap_or_else(|| panic!("no {needle} link in {body}"))
        .trim_end_matches(['.', ',', ')'])
        .to_owned()
}

async fn patch(stack: &Stack, slug: &str, body: Value) -> (u16, Value) {
    stack
        .admin_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/events/{slug}"),
            Some(&body),
        )
        .await
}

#[tokio::test]
async fn after_the_exchange_each_participant_gets_one_follow_up_for_attending_or_not() {
    let mut stack = Stack::start_with(StackOptions {
        schedulers: 2,
        env: vec![("FOLLOW_UP_DELAY_MINUTES".into(), DELAY_MINUTES.into())],
        ..StackOptions::default()
    })
    .await;
    let mut tap = Tap::start(&stack).await;

    // Three online exchanges starting in 10 s and ending 10 s later (join links open 30
    // minutes before the start, so at once): one with its links, one without, one that
    // will be cancelled.
    let start = chrono::Utc::now() + chrono::Duration::seconds(10);
    let end = start + chrono::Duration::seconds(10);
    let timing = |extra: Value| {
        let mut body = json!({
            "starts_at": start.to_rfc3339(),
            "ends_at": end.to_rfc3339(),
            "meeting_url": "https://meet.example.org/atd",
            "reminder_offsets_minutes": [1440],
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let mut body = convene_tests::stack::event_body();
    body.as_object_mut().unwrap().extend(
        timing(json!({
            "materials_url": "https://files.example.org/before",
            "recording_url": "https://video.example.org/atd-recording",
        }))
        .as_object()
        .unwrap()
        .clone(),
    );
    let mut bad = body.clone();
    bad["materials_url"] = json!("ftp://files.example.org/atd");
    let refused = stack.create_event(&bad).await;
    assert_eq!(refused.status(), 422);
    let errors = refused.text().await.unwrap();
    assert!(errors.contains("materials_url"), "{errors}");
    let created = stack.create_event(&body).await;
    assert_eq!(created.status(), 201);
    let view: Value = created.json().await.unwrap();
    let slug = view["slug"].as_str().unwrap().to_owned();
    assert_eq!(view["materials_url"], "https://files.example.org/before");
    assert_eq!(
        view["recording_url"],
        "https://video.example.org/atd-recording"
    );
    let bare = stack.given_event(timing(json!({}))).await;
    let doomed = stack.given_event(timing(json!({}))).await;

    // Ada joins; Ben (in French) does not; Cy cancels; Dee, of the bare exchange, does not
    // join; Eli's exchange is cancelled.
    let ada = participant("Ada Joiner");
    let mut ben = participant("Ben Absent");
    ben["lang"] = json!("fr");
    let cy = participant("Cy Cancelled");
    let dee = participant("Dee Bare");
    let eli = participant("Eli Doomed");
    // Gus (in Spanish) does not join, but the organisers mark him attended: the mark wins.
    let mut gus = participant("Gus Marked");
    gus["lang"] = json!("es");
    for (exchange, p) in [
        (&slug, &gus),
        (&slug, &ada),
        (&slug, &ben),
        (&slug, &cy),
        (&bare, &dee),
        (&doomed, &eli),
    ] {
        assert_eq!(stack.register(exchange, p).await.status, "confirmed");
    }
    let confirmation = |p: &Value| {
        let email = email_of(p);
        let mailbox = stack.mailbox.clone();
        async move { mailbox.wait_for(1, WAIT, |m| m.to.contains(&email)).await }
    };
    let ada_mail = confirmation(&ada).await;
    let joined = stack
        .http
        .get(link(&ada_mail[0].body, "/j/"))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 303, "Ada's join link opens the meeting");
    let cy_mail = confirmation(&cy).await;
    let cancelled = stack
        .http
        .post(format!(
            "{}/cancel",
            link(&cy_mail[0].body, "/registrations/")
        ))
        .send()
        .await
        .unwrap();
    assert!(cancelled.status().is_success() || cancelled.status().is_redirection());
    assert_eq!(
        stack
            .registration_of(&slug, &email_of(&cy))
            .await
            .unwrap()
            .status,
        "cancelled"
    );
    confirmation(&ben).await;
    confirmation(&dee).await;
    confirmation(&gus).await;
    let gus_id = stack
        .registration_of(&slug, &email_of(&gus))
        .await
        .unwrap()
        .id;
    let (status, body) = stack
        .admin_json(
            reqwest::Method::PUT,
            &format!("/api/admin/events/{slug}/attendance"),
            Some(
                &json!({ "attendance": [{ "registration_id": gus_id, "attendance": "attended" }] }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = stack
        .admin_json(
            reqwest::Method::POST,
            &format!("/api/admin/events/{doomed}/cancel"),
            None,
        )
        .await;
    assert!((200..300).contains(&status), "{body}");

    // After the end (and before the follow-up is due), the organisers change the materials
    // link: the change is taken; a bad link is refused, naming it.
    let wait_end = (end - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait_end + Duration::from_secs(1)).await;
    let (status, body) = patch(
        &stack,
        &slug,
        json!({ "materials_url": "https://files.example.org/after" }),
    )
    .await;
    assert_eq!(status, 200, "a change after the end: {body}");
    assert_eq!(body["materials_url"], "https://files.example.org/after");
    for bad in [
        "http://files.example.org/x",
        "files.example.org",
        "https://",
    ] {
        let (status, body) = patch(&stack, &slug, json!({ "recording_url": bad })).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body.to_string().contains("recording_url"), "{body}");
    }
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM scheduling.follow_up_announced")
            .await,
        0,
        "nothing is due before FOLLOW_UP_DELAY_MINUTES"
    );

    // The follow-ups: Ada's thanks, Ben's and Dee's "sorry we missed you".
    let ada_follow_up = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&email_of(&ada)) && is_follow_up(m)
        })
        .await;
    let ben_follow_up = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&email_of(&ben)) && is_follow_up(m)
        })
        .await;
    let dee_follow_up = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&email_of(&dee)) && is_follow_up(m)
        })
        .await;

    let ada_mail = &ada_follow_up[0];
    assert!(
        ada_mail.subject.starts_with("Thank you for taking part"),
        "{}",
        ada_mail.subject
    );
    for expected in [
        "Thank you for taking part in",
        "https://files.example.org/after",
        "https://video.example.org/atd-recording",
    ] {
        assert!(
            ada_mail.body.contains(expected),
            "{expected:?} in {}",
            ada_mail.body
        );
    }
    let ben_mail = &ben_follow_up[0];
    assert!(
        ben_mail.subject.starts_with("Vous nous avez manqué"),
        "{}",
        ben_mail.subject
    );
    for expected in [
        "Nous regrettons que vous n'ayez pas pu",
        "https://files.example.org/after",
        "https://video.example.org/atd-recording",
    ] {
        assert!(
            ben_mail.body.contains(expected),
            "{expected:?} in {}",
            ben_mail.body
        );
    }
    // Who attended is asked for feedback, through their own page's survey; who did not, not.
    assert!(
        ada_mail.body.contains("Tell us what you thought"),
        "{}",
        ada_mail.body
    );
    let survey = ada_mail
        .body
        .split_whitespace()
        .find(|w| w.ends_with("/survey"))
        .unwrap_or_else(|| panic!("a survey link in {}", ada_mail.body));
    assert!(survey.contains("/registrations/"), "{survey}");
    let form = stack.http.get(survey).send().await.unwrap();
    assert_eq!(form.status(), 200, "the survey opens from the email");
    assert!(!ben_mail.body.contains("/survey"), "{}", ben_mail.body);
    for mail in [ada_mail, ben_mail] {
        assert!(!mail.body.contains("/before"), "{}", mail.body);
        assert!(!mail.body.contains("meet.example.org"), "{}", mail.body);
    }
    let gus_follow_up = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&email_of(&gus)) && is_follow_up(m)
        })
        .await;
    let gus_mail = &gus_follow_up[0];
    assert!(
        gus_mail.subject.starts_with("Gracias por participar"),
        "{}",
        gus_mail.subject
    );
    assert!(
        gus_mail.body.contains("https://files.example.org/after"),
        "{}",
        gus_mail.body
    );
    let dee_mail = &dee_follow_up[0];
    assert!(
        dee_mail.subject.starts_with("Sorry we missed you"),
        "{}",
        dee_mail.subject
    );
    assert!(
        !dee_mail.body.contains("https://"),
        "no links were set: {}",
        dee_mail.body
    );

    // Once each, also after a scheduler restarts; nothing to Cy nor Eli.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stack.schedulers[0].restart();
    stack.wait_until_ready(WAIT).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    for (p, expected) in [
        (&ada, 1),
        (&ben, 1),
        (&gus, 1),
        (&dee, 1),
        (&cy, 0),
        (&eli, 0),
    ] {
        assert_eq!(
            follow_ups(&stack, &email_of(p)).len(),
            expected,
            "follow-ups to {}",
            p["name"]
        );
    }
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM scheduling.follow_up_announced")
            .await,
        2,
        "the two exchanges not cancelled, announced once each"
    );
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.follow_ups")
            .await,
        2
    );

    // On the broker: one announcement per exchange not cancelled, one follow-up each,
    // carrying ids and attendance, never a name or an address.
    let messages = tap.drain().await;
    let of_kind =
        |kind: &str| -> Vec<&Value> { messages.iter().filter(|m| m["kind"] == kind).collect() };
    assert_eq!(of_kind("event.follow_up_due").len(), 2, "{messages:#?}");
    let follow_ups = of_kind("event.follow_up");
    assert_eq!(follow_ups.len(), 2, "{follow_ups:#?}");
    let main = follow_ups
        .iter()
        .find(|m| m["payload"]["event"]["slug"] == json!(slug))
        .expect("the follow-up of the exchange with links");
    let mut ids = Vec::new();
    for p in [&ada, &ben, &cy] {
        ids.push(stack.registration_of(&slug, &email_of(p)).await.unwrap().id);
    }
    let attended = |id: uuid::Uuid| {
        main["payload"]["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["registration_id"] == json!(id))
            .map(|x| x["attended"].clone())
    };
    assert_eq!(attended(ids[0]), Some(json!(true)), "Ada");
    assert_eq!(attended(ids[1]), Some(json!(false)), "Ben");
    assert_eq!(attended(ids[2]), None, "Cy, cancelled, is not in it");
    assert_eq!(attended(gus_id), Some(json!(true)), "Gus, marked");
    let text = main.to_string();
    for p in [&ada, &ben] {
        assert!(!text.contains(&email_of(p)), "{text}");
        assert!(!text.contains(p["name"].as_str().unwrap()), "{text}");
    }
}

#[tokio::test]
async fn an_exchange_moved_later_has_its_follow_up_after_its_new_end() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("FOLLOW_UP_DELAY_MINUTES".into(), "0".into())],
        ..StackOptions::default()
    })
    .await;
    let start = chrono::Utc::now() + chrono::Duration::seconds(8);
    let slug = stack
        .given_event(json!({
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::seconds(4)).to_rfc3339(),
            "reminder_offsets_minutes": [1440],
            "recording_url": "https://video.example.org/moved",
        }))
        .await;
    let fay = participant("Fay Moved");
    stack.register(&slug, &fay).await;
    stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&email_of(&fay)))
        .await;

    // Moved 25 s later before it starts: nothing at the first end, the follow-up after the
    // new one.
    let new_start = start + chrono::Duration::seconds(25);
    let new_end = new_start + chrono::Duration::seconds(4);
    let (status, body) = patch(
        &stack,
        &slug,
        json!({ "starts_at": new_start.to_rfc3339(), "ends_at": new_end.to_rfc3339() }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let first_end = start + chrono::Duration::seconds(4);
    let until = (first_end - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(until + Duration::from_secs(5)).await;
    assert!(
        follow_ups(&stack, &email_of(&fay)).is_empty(),
        "no follow-up at the old end"
    );
    let mail = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&email_of(&fay)) && is_follow_up(m)
        })
        .await;
    assert!(
        chrono::Utc::now() >= new_end,
        "the follow-up came before the new end"
    );
    assert!(mail[0].subject.starts_with("Sorry we missed you"));
    assert!(mail[0].body.contains("https://video.example.org/moved"));
}
