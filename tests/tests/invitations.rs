//! Exchanges by invitation: organisers invite a list of addresses, each invitee gets a
//! personal link bound to their address and one reminder if they have not answered, and a
//! forwarded link registers nobody else. Checked against the emails actually received.

use std::time::Duration;

use convene_tests::stack::participant;
use convene_tests::{Mail, Stack, StackOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

/// The personal link in an invitation email.
fn invitation_link(mail: &Mail) -> String {
    mail.body
        .split_whitespace()
        .find(|w| w.contains("invitation="))
        .unwrap_or_else(|| panic!("no invitation link in {:?}", mail.body))
        .to_owned()
}

/// The secret in an invitation link.
fn secret(link: &str) -> String {
    link.split("invitation=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn invitees_register_with_their_own_link_only_and_those_who_do_not_answer_are_reminded_once()
{
    // Invitation reminders after 9 seconds, checked every second.
    let stack = Stack::start_with(StackOptions {
        env: vec![
            ("INVITATION_REMINDER_HOURS".into(), "0.0025".into()),
            ("OFFER_CHECK_SECS".into(), "1".into()),
        ],
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({ "invitation_only": true })).await;
    let invitations = format!("/api/admin/events/{slug}/invitations");
    let ana = participant("Ana");
    let ben = participant("Ben");
    let (ana_email, ben_email) = (
        ana["email"].as_str().unwrap().to_owned(),
        ben["email"].as_str().unwrap().to_owned(),
    );

    // 1. A bad list names each bad item and invites nobody.
    let (status, body) = stack
        .admin_json(
            reqwest::Method::POST,
            &invitations,
            Some(&json!({"invitees": [{"email": ana_email}, {"email": "nope", "lang": "de"}]})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["fields"]["invitees[1].email"].is_string(), "{body}");
    assert!(body["fields"]["invitees[1].lang"].is_string(), "{body}");

    // 2. Two people invited, Ben in French.
    let (status, body) = stack
        .admin_json(
            reqwest::Method::POST,
            &invitations,
            Some(&json!({"invitees": [
                {"email": ana_email, "name": "Ana Silva"},
                {"email": ben_email, "name": "Ben Okafor", "lang": "fr"},
            ]})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["invited"].as_array().unwrap().len(), 2, "{body}");
    let ana_mail = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&ana_email))
        .await;
    assert!(
        ana_mail[0].subject.starts_with("Invitation: "),
        "{}",
        ana_mail[0].subject
    );
    assert!(
        ana_mail[0].body.contains("Dear Ana Silva,"),
        "{}",
        ana_mail[0].body
    );
    let ben_mail = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&ben_email))
        .await;
    assert!(
        ben_mail[0].subject.starts_with("Invitation\u{a0}: "),
        "{}",
        ben_mail[0].subject
    );
    let ana_link = invitation_link(&ana_mail[0]);
    let ben_link = invitation_link(&ben_mail[0]);
    assert_ne!(secret(&ana_link), secret(&ben_link));
    assert!(ben_link.ends_with("&lang=fr"), "{ben_link}");

    // 3. Inviting Ana again invites nobody and sends nothing.
    let (status, body) = stack
        .admin_json(
            reqwest::Method::POST,
            &invitations,
            Some(&json!({"invitees": [{"email": ana_email.to_uppercase()}]})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["invited"], json!([]), "{body}");
    assert_eq!(
        body["already_invited"].as_array().unwrap().len(),
        1,
        "{body}"
    );

    // 4. It is not listed publicly, and without a link nobody registers: the page says why and shows no form, the API
    //    names the field.
    let listed = stack.get_json("/api/events").await;
    assert!(
        listed["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["slug"] != slug.as_str()),
        "{listed}"
    );
    assert!(!stack.get_text("/events").await.contains(&slug));
    let page = stack.get_text(&format!("/events/{slug}/register")).await;
    assert!(page.contains("by invitation only"), "{page}");
    assert!(
        !page.contains("<form method=\"post\""),
        "no form without an invitation"
    );
    let response = stack
        .register_json(&slug, &participant("Gatecrasher"))
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["fields"]["invitation"].is_string(), "{body}");

    // 5. Ana's link forwarded to someone else registers nobody: not by the API...
    let mut other = participant("Forwarded");
    other["invitation"] = json!(secret(&ana_link));
    let response = stack.register_json(&slug, &other).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["fields"]["email"]
            .as_str()
            .unwrap()
            .contains("another address"),
        "{body}"
    );
    // ... nor by the form, which says so beside the address and keeps what was typed.
    let forwarded_email = other["email"].as_str().unwrap().to_owned();
    let ana_secret = secret(&ana_link);
    let response = stack
        .register_form(
            &slug,
            &[
                ("name", "Forwarded Person"),
                ("email", &forwarded_email),
                ("organisation", "Somewhere"),
                ("country", "FR"),
                ("role", "other"),
                ("consent", "on"),
                ("invitation", &ana_secret),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"email-error\""), "{page}");
    assert!(page.contains("another address"), "{page}");
    assert!(page.contains(&forwarded_email), "input kept");
    // A made-up link is refused too.
    let mut guess = participant("Guesser");
    guess["invitation"] = json!("0".repeat(64));
    let response = stack.register_json(&slug, &guess).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.registrations")
            .await,
        0,
        "nobody registered"
    );

    // 6. Ana's own link shows the form addressed to her, and registers her.
    let page = stack
        .http
        .get(&ana_link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("value=\"{ana_email}\"")), "{page}");
    assert!(page.contains(" readonly"), "the address is fixed");
    assert!(page.contains(&format!("name=\"invitation\" value=\"{ana_secret}\"")));
    let response = stack
        .register_form(
            &slug,
            &[
                ("name", "Ana Silva"),
                ("email", &ana_email),
                ("organisation", "Ministry of Justice"),
                ("country", "BR"),
                ("role", "government_official"),
                ("consent", "on"),
                ("invitation", &ana_secret),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&ana_email) && m.subject.starts_with("Registered: ")
        })
        .await;

    // 7. Ben has not answered: one reminder, in French, with the same link; Ana none.
    let reminders = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(&ben_email) && m.subject.starts_with("Rappel")
        })
        .await;
    assert!(
        reminders[0].body.contains(&ben_link),
        "{}",
        reminders[0].body
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        stack.mailbox.to(&ben_email).len(),
        2,
        "an invitation and one reminder"
    );
    assert!(
        stack
            .mailbox
            .to(&ana_email)
            .iter()
            .all(|m| !m.subject.contains("Reminder")),
        "Ana answered: no reminder"
    );

    // 8. Organisers see who answered.
    let (_, list) = stack
        .admin_json(reqwest::Method::GET, &invitations, None)
        .await;
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(list["registered"], 1, "{list}");
    assert_eq!(list["reminded"], 1, "{list}");
    let status_of = |email: &str| {
        list["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["email"] == email)
            .map(|i| i["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status_of(&ana_email).as_deref(), Some("registered"));
    assert_eq!(status_of(&ben_email).as_deref(), Some("reminded"));
}

#[tokio::test]
async fn an_erased_invitee_is_sent_nothing_more_and_their_link_dies() {
    let stack = Stack::start_with(StackOptions {
        env: vec![
            ("INVITATION_REMINDER_HOURS".into(), "0.002".into()),
            ("OFFER_CHECK_SECS".into(), "1".into()),
        ],
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({ "invitation_only": true })).await;
    let invitations = format!("/api/admin/events/{slug}/invitations");
    let email = participant("Cleo")["email"].as_str().unwrap().to_owned();
    let (status, body) = stack
        .admin_json(
            reqwest::Method::POST,
            &invitations,
            Some(&json!({"invitees": [{"email": email}]})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mail = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&email))
        .await;
    let link = invitation_link(&mail[0]);

    // Their data is exported with the invitation, then erased.
    let personal_data = format!("/api/admin/personal-data?email={email}");
    let (_, export) = stack
        .admin_json(reqwest::Method::GET, &personal_data, None)
        .await;
    assert_eq!(
        export["invitations"].as_array().unwrap().len(),
        1,
        "{export}"
    );
    let (_, erased) = stack
        .admin_json(reqwest::Method::DELETE, &personal_data, None)
        .await;
    assert_eq!(erased["erased"]["invitations"], 1, "{erased}");

    // The link no longer works, and the reminder never comes.
    let mut person = participant("Cleo");
    person["email"] = json!(email);
    person["invitation"] = json!(secret(&link));
    assert_eq!(stack.register_json(&slug, &person).await.status(), 422);
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(stack.mailbox.to(&email).len(), 1, "only the invitation");
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM notification.invitees WHERE email <> ''")
            .await,
        0,
        "the notification service's copy is gone"
    );
}

#[tokio::test]
async fn an_invitee_who_registers_without_their_link_has_answered() {
    // An open exchange (anyone may register): the invitee uses the public form, not their
    // link, which takes registration's quickest path; their invitation is answered all the
    // same, so they get no reminder.
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    let invitations = format!("/api/admin/events/{slug}/invitations");
    let person = participant("Dara");
    let email = person["email"].as_str().unwrap().to_owned();
    let (status, body) = stack
        .admin_json(
            reqwest::Method::POST,
            &invitations,
            Some(&json!({"invitees": [{"email": email.to_uppercase()}]})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(stack.register(&slug, &person).await.status, "confirmed");
    let (_, list) = stack
        .admin_json(reqwest::Method::GET, &invitations, None)
        .await;
    assert_eq!(list["registered"], 1, "{list}");
    assert_eq!(list["invitations"][0]["status"], "registered", "{list}");
}
