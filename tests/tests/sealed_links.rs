//! Secrets stay where they must be (issue 18, §2): personal links and participants'
//! contacts cross the broker sealed with `LINK_KEY`, the notification service stores links
//! sealed, and the scheduling service receives no name, address or link. Checked by
//! reading every message the services publish (a queue of the test's own, bound to the
//! exchange for every routing key) and the notification service's tables.

use std::time::Duration;

use convene_tests::stack::{participant, LINK_KEY};
use convene_tests::tap::Tap;
use convene_tests::{Stack, StackOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);
const ADMIN: &str = "console-admin@example.org";

/// The first link in `body` that contains `marker`.
fn link(body: &str, marker: &str) -> String {
    body.split_whitespace()
        .find(|w| w.contains(marker))
        .unwrap_or_else(|| panic!("no {marker} link in {body}"))
        .trim_end_matches(['.', ',', ')'])
        .to_owned()
}

/// The secret part of a link: its last path segment, or its `invitation` parameter.
fn secret(link: &str) -> String {
    match link.split_once("invitation=") {
        Some((_, rest)) => rest.split('&').next().unwrap().to_owned(),
        None => link.rsplit('/').next().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn links_and_contacts_cross_the_broker_sealed_and_are_stored_sealed() {
    let stack = Stack::start_with(StackOptions {
        service_env: vec![("registration".into(), "CONSOLE_ADMINS".into(), ADMIN.into())],
        ..StackOptions::default()
    })
    .await;
    let mut tap = Tap::start(&stack).await;

    // 1. Every kind of message that carries a link or a contact: a confirmation, a
    //    pending registration then its approval, an invitation, a console sign-in link
    //    and a renewed manage link.
    let open = stack.given_event(json!({})).await;
    let vetted = stack
        .given_event(json!({ "requires_approval": true }))
        .await;
    let ana = participant("Anastasia Quillfeather");
    let ben = participant("Benedikt Strohmaier");
    let email = |p: &Value| p["email"].as_str().unwrap().to_owned();
    let (ana_email, ben_email, cleo_email) = (email(&ana), email(&ben), "cleo@example.org");
    stack.register(&open, &ana).await;
    let ben_id = stack.register(&vetted, &ben).await.id;
    stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&ben_email))
        .await;
    let (status, _) = stack
        .admin_json(
            reqwest::Method::POST,
            &format!("/api/admin/registrations/{ben_id}/approve"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = stack
        .admin_json(
            reqwest::Method::POST,
            &format!("/api/admin/events/{open}/invitations"),
            Some(&json!({ "invitees": [{ "email": cleo_email, "name": "Cleo" }] })),
        )
        .await;
    assert!((200..300).contains(&status), "{body}");
    let signed_in = stack
        .http
        .post(stack.url("/console/sign-in"))
        .form(&[("email", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let first = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&ana_email))
        .await;
    let first_link = first[0].manage_link().unwrap();
    let renewed = stack
        .http
        .post(stack.url("/registrations/link"))
        .form(&[("email", &ana_email)])
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), 200);

    // 2. The emails arrive with working links.
    let ana_mails = stack
        .mailbox
        .wait_for(2, WAIT, |m| m.to.contains(&ana_email))
        .await;
    let ben_mails = stack
        .mailbox
        .wait_for(2, WAIT, |m| m.to.contains(&ben_email))
        .await;
    let cleo = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(cleo_email))
        .await;
    let admin = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(ADMIN))
        .await;
    let new_link = ana_mails
        .iter()
        .filter_map(|m| m.manage_link())
        .find(|l| *l != first_link)
        .expect("the renewed link");
    let links = [
        first_link.clone(),
        new_link.clone(),
        ben_mails[0].manage_link().unwrap(),
        link(&cleo[0].body, "invitation="),
        link(&admin[0].body, "/console/sign-in/"),
    ];
    let page = stack.http.get(&new_link).send().await.unwrap();
    assert_eq!(page.status(), 200, "the renewed link opens the page");
    let page = stack.http.get(&links[3]).send().await.unwrap();
    assert_eq!(page.status(), 200, "the invitation link opens the form");

    // 3. No message carries a link's secret, and only the messages meant for the
    //    notification service alone name anybody; registration.confirmed (which the
    //    scheduling service receives) names nobody.
    let messages = tap.drain().await;
    let kinds: Vec<&str> = messages
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "registration.confirmed",
        "registration.status_changed",
        "registration.link_renewed",
        "invitation.sent",
        "console.sign_in_requested",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    for message in &messages {
        let text = message.to_string();
        for link in &links {
            assert!(
                !text.contains(&secret(link)),
                "a link's secret travels readable in {text}"
            );
        }
    }
    let about_participants: Vec<&Value> = messages
        .iter()
        .filter(|m| m["kind"].as_str().unwrap().starts_with("registration."))
        .collect();
    assert!(about_participants.len() >= 4, "{about_participants:?}");
    for message in about_participants {
        let text = message.to_string();
        for person in [&ana, &ben] {
            for field in ["email", "name", "organisation"] {
                let value = person[field].as_str().unwrap();
                assert!(
                    !text.contains(value),
                    "{field} {value:?} readable in {text}"
                );
            }
        }
    }
    let confirmed: Vec<&Value> = messages
        .iter()
        .filter(|m| m["kind"] == "registration.confirmed")
        .collect();
    assert_eq!(confirmed.len(), 2, "Ana's, and Ben's on approval");
    for message in confirmed {
        let payload = message["payload"].as_object().unwrap();
        let mut fields: Vec<&str> = payload.keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "event",
                "registered_at",
                "registration_id",
                "sealed_contact"
            ],
            "what the scheduling service receives"
        );
        assert!(payload["sealed_contact"]
            .as_str()
            .unwrap()
            .starts_with("v1."));
    }

    // 4. The notification service keeps the links sealed.
    let pool = stack.db.pool().await;
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT manage_url FROM notification.recipients \
         UNION ALL SELECT register_url FROM notification.invitees",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(stored.len(), 3, "{stored:?}");
    for value in &stored {
        assert!(value.starts_with("v1."), "stored readable: {value}");
        for link in &links {
            assert!(!value.contains(&secret(link)));
        }
    }
}

#[tokio::test]
async fn a_notification_service_with_another_key_holds_the_email_until_the_key_is_fixed() {
    // Registration seals with LINK_KEY; this notification service was given another one.
    let stack = Stack::start_with(StackOptions {
        service_env: vec![(
            "notification".into(),
            "LINK_KEY".into(),
            "a-different-link-key-0123456789abcdef".into(),
        )],
        retry_delays_ms: "100".into(),
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({})).await;
    let ana = participant("Anastasia Quillfeather");
    let ana_email = ana["email"].as_str().unwrap().to_owned();
    stack.register(&slug, &ana).await;

    // 1. Nothing is sent; the message waits in the dead-letter queue, and the log says why.
    let deadline = std::time::Instant::now() + WAIT;
    while !stack.notification.logs().contains("does not open") {
        assert!(
            std::time::Instant::now() < deadline,
            "no log line about the key: {}",
            stack.notification.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(stack.mailbox.to(&ana_email).is_empty());
    assert!(
        !stack.notification.logs().contains(&ana_email),
        "the address is not logged"
    );

    // 2. With the right key, a replay sends it, once.
    let mut stack = stack;
    stack.notification.restart_with(&[("LINK_KEY", LINK_KEY)]);
    stack.wait_until_ready(WAIT).await;
    let replay = std::process::Command::new(convene_tests::infra::bin_dir().join("notification"))
        .args(["dead-letters", "replay"])
        .env("AMQP_URL", &stack.vhost.url)
        .output()
        .unwrap();
    assert!(replay.status.success(), "{replay:?}");
    let mails = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&ana_email))
        .await;
    assert!(mails[0].manage_link().is_some());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(stack.mailbox.to(&ana_email).len(), 1);
}

#[tokio::test]
async fn stored_links_are_sealed_anew_after_an_upgrade_and_a_key_rotation() {
    use convene_shared::messages::{manage_url_context, open_link};
    use convene_shared::sealed::{LinkKeys, Sealed};

    let mut stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    let ana = participant("Anastasia Quillfeather");
    let ana_email = ana["email"].as_str().unwrap().to_owned();
    let id = stack.register(&slug, &ana).await.id;
    let mails = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&ana_email))
        .await;
    let link = mails[0].manage_link().unwrap();
    let pool = stack.db.pool().await;
    let stored = || async {
        let raw: String = sqlx::query_scalar(
            "SELECT manage_url FROM notification.recipients WHERE registration_id = $1",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        Sealed::from_stored(raw)
    };

    // 1. A link kept plain by an older version is sealed when the service starts.
    sqlx::query("UPDATE notification.recipients SET manage_url = $2 WHERE registration_id = $1")
        .bind(id)
        .bind(&link)
        .execute(&pool)
        .await
        .unwrap();
    stack.notification.restart();
    stack.wait_until_ready(WAIT).await;
    let sealed = stored().await;
    assert!(sealed.looks_sealed(), "still plain: {sealed:?}");
    let old_keys = LinkKeys::new(LINK_KEY, &[]).unwrap();
    let context = manage_url_context(id);
    assert_eq!(open_link(&old_keys, &context, &sealed).unwrap(), link);

    // 2. After a rotation (the old key in LINK_KEY_PREVIOUS), it is sealed under the new
    //    key, so the old one can go.
    let new_key = "the-new-link-key-after-rotation-0123456789";
    stack
        .notification
        .restart_with(&[("LINK_KEY", new_key), ("LINK_KEY_PREVIOUS", LINK_KEY)]);
    stack.wait_until_ready(WAIT).await;
    let resealed = stored().await;
    let new_keys = LinkKeys::new(new_key, &[]).unwrap();
    assert!(new_keys.is_current(&resealed), "not under the new key");
    assert_eq!(open_link(&new_keys, &context, &resealed).unwrap(), link);
    assert!(open_link(&old_keys, &context, &resealed).is_err());
}
