//! Personal join links (issue 19): an online exchange's private meeting link is reached only
//! through each confirmed participant's own link, during the exchange's window, and the
//! first opening records them as joined. The meeting link never appears in a message, an
//! email or a public page; the join link reaches the participant in their confirmation,
//! reminders and calendar entry, and on their page.

use std::time::Duration;

use convene_shared::messages::{join_url_context, open_link, Contact};
use convene_shared::sealed::{LinkKeys, Sealed};
use convene_tests::stack::{participant, LINK_KEY};
use convene_tests::tap::Tap;
use convene_tests::{Stack, StackOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);
/// Every meeting link of these tests is on this host: it must never be seen but in a
/// redirect (and the admin API).
const MEETING_HOST: &str = "meet.example.org";

/// The join link in an email's text, if any.
fn join_link(body: &str) -> Option<String> {
    body.split_whitespace()
        .find(|w| w.contains("/j/"))
        .map(|w| w.trim_end_matches(['.', ',', ')']).to_owned())
}

/// A calendar entry with its folded lines joined again.
fn unfolded(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\n ", "")
}

/// What opening a link answered: status, `Location`, `Cache-Control`, body.
struct Opened {
    status: u16,
    location: Option<String>,
    cache_control: Option<String>,
    body: String,
}

async fn open(stack: &Stack, url: &str) -> Opened {
    let response = stack.http.get(url).send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (location, cache_control) = (header("location"), header("cache-control"));
    Opened {
        status: response.status().as_u16(),
        location,
        cache_control,
        body: response.text().await.unwrap(),
    }
}

/// When the registration under `email` was recorded as joined.
async fn joined_at(stack: &Stack, email: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let pool = stack.db.pool().await;
    let at = sqlx::query_scalar(
        "SELECT joined_at FROM registration.registrations WHERE lower(email) = lower($1)",
    )
    .bind(email)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    at
}

/// Waits until the registration under `email` has `status`.
async fn wait_for_status(stack: &Stack, email: &str, status: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let n = stack
            .scalar_i64(&format!(
                "SELECT count(*) FROM registration.registrations \
                 WHERE lower(email) = lower('{email}') AND status = '{status}'"
            ))
            .await;
        if n == 1 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{email} never {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The join link registration sealed into a registration's first message, opened with the
/// test's `LINK_KEY` (for participants whose emails do not carry it: not confirmed).
fn sealed_join_link(messages: &[Value], registration_id: uuid::Uuid) -> String {
    let keys = LinkKeys::new(LINK_KEY, &[]).unwrap();
    let sealed = messages
        .iter()
        .filter(|m| m["payload"]["registration_id"] == json!(registration_id))
        .find_map(|m| m["payload"]["sealed_contact"].as_str())
        .unwrap_or_else(|| panic!("no first message about {registration_id}"));
    let contact = Contact::open(
        &keys,
        registration_id,
        &Sealed::from_stored(sealed.to_owned()),
    )
    .unwrap();
    assert!(!contact.join_url.is_empty(), "no join link sealed in");
    assert!(contact.join_url.looks_sealed());
    open_link(&keys, &join_url_context(registration_id), &contact.join_url).unwrap()
}

async fn registration_id(stack: &Stack, email: &str) -> uuid::Uuid {
    let pool = stack.db.pool().await;
    let id = sqlx::query_scalar(
        "SELECT id FROM registration.registrations WHERE lower(email) = lower($1)",
    )
    .bind(email)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    id
}

fn email_of(p: &Value) -> String {
    p["email"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn during_the_exchange_a_join_link_leads_confirmed_participants_to_the_current_meeting() {
    let stack = Stack::start_with(StackOptions::default()).await;
    let mut tap = Tap::start(&stack).await;

    // Two online exchanges in their join window (they start in 19 min 45 s; links open 30
    // min before), whose 19-minute reminder falls due in ~45 s; one needs approval. And
    // the same without a meeting link.
    let start = chrono::Utc::now() + chrono::Duration::seconds(19 * 60 + 45);
    let soon = json!({
        "starts_at": start.to_rfc3339(),
        "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(),
        "reminder_offsets_minutes": [19],
    });
    let with = |extra: Value| {
        let mut body = soon.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let first_meeting = format!("https://{MEETING_HOST}/atd-first?pwd=s3cret");
    let online = stack
        .given_event(with(json!({ "meeting_url": first_meeting, "capacity": 2 })))
        .await;
    let vetted = stack
        .given_event(with(json!({
            "meeting_url": format!("https://{MEETING_HOST}/vetted"),
            "requires_approval": true,
        })))
        .await;
    let offline = stack.given_event(soon.clone()).await;

    // Ana and Cleo take the two seats, Ben and Gus wait in line; Dan waits for approval;
    // Eve registers for the exchange held in a room.
    let [ana, cleo, ben, gus, dan, eve] = [
        "Ana Silva",
        "Cleo Martin",
        "Ben Okafor",
        "Gus Lindqvist",
        "Dan Moreau",
        "Eve Adeyemi",
    ]
    .map(participant);
    for (slug, p) in [
        (&online, &ana),
        (&online, &cleo),
        (&online, &ben),
        (&online, &gus),
        (&vetted, &dan),
        (&offline, &eve),
    ] {
        let response = stack.register_json(slug, p).await;
        assert!(
            response.status().is_success(),
            "{:?}",
            response.text().await
        );
    }
    let first = |p: &Value| {
        let email = email_of(p);
        let mailbox = stack.mailbox.clone();
        async move { mailbox.wait_for(1, WAIT, |m| m.to.contains(&email)).await[0].clone() }
    };
    let (ana_mail, cleo_mail, ben_mail, eve_mail) = (
        first(&ana).await,
        first(&cleo).await,
        first(&ben).await,
        first(&eve).await,
    );
    first(&dan).await;

    // 1. The confirmation of an online exchange carries the join link, in its text and as
    //    the calendar entry's URL and LOCATION; the one held in a room carries none.
    let ana_join = join_link(&ana_mail.body).expect("a join link in Ana's confirmation");
    assert!(ana_join.starts_with(&stack.url("/j/")), "{ana_join}");
    let ics = unfolded(ana_mail.calendar.as_deref().expect("a calendar entry"));
    assert!(ics.contains(&format!("URL:{ana_join}")), "{ics}");
    assert!(ics.contains(&format!("LOCATION:{ana_join}")), "{ics}");
    assert!(join_link(&eve_mail.body).is_none(), "{}", eve_mail.body);
    assert!(!unfolded(eve_mail.calendar.as_deref().unwrap()).contains("/j/"));
    let cleo_join = join_link(&cleo_mail.body).unwrap();
    assert_ne!(cleo_join, ana_join, "each participant has their own link");

    // 2. During the window, Ana's link leads to the meeting, is never cached, and records
    //    her as joined.
    assert_eq!(joined_at(&stack, &email_of(&ana)).await, None);
    let opened = open(&stack, &ana_join).await;
    assert_eq!(opened.status, 303);
    assert_eq!(opened.location.as_deref(), Some(first_meeting.as_str()));
    assert_eq!(opened.cache_control.as_deref(), Some("no-store"));
    let joined = joined_at(&stack, &email_of(&ana))
        .await
        .expect("Ana recorded as joined");

    // 3. The organisers move the meeting: the next opening goes there; the first join is
    //    kept. Her page's link does the same.
    let second_meeting = format!("https://{MEETING_HOST}/atd-second");
    let (status, body) = stack
        .admin_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/events/{online}"),
            Some(&json!({ "meeting_url": second_meeting })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meeting_url"], json!(second_meeting));
    assert_eq!(body["join_opens_minutes"], 30);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let again = open(&stack, &ana_join).await;
    assert_eq!(again.status, 303);
    assert_eq!(again.location.as_deref(), Some(second_meeting.as_str()));
    assert_eq!(joined_at(&stack, &email_of(&ana)).await, Some(joined));
    let ana_page = ana_mail.manage_link().unwrap();
    let page = open(&stack, &ana_page).await;
    let page_join = format!("{}/join", ana_page.trim_start_matches(&stack.base_url));
    assert!(
        page.body.contains(&format!("href=\"{page_join}\""))
            && page.body.contains("Join the exchange"),
        "{}",
        page.body
    );
    let from_page = open(&stack, &format!("{ana_page}/join")).await;
    assert_eq!(from_page.status, 303);
    assert_eq!(from_page.location.as_deref(), Some(second_meeting.as_str()));
    assert_eq!(from_page.cache_control.as_deref(), Some("no-store"));
    assert_eq!(joined_at(&stack, &email_of(&ana)).await, Some(joined));

    // 4. Cleo cancels: her link no longer leads to the meeting, and her seat is offered to
    //    Ben; Gus still waits; Dan is pending. None of them reaches the meeting, through
    //    the join link (read from their first message) or their page, and none is recorded.
    let cleo_page = cleo_mail.manage_link().unwrap();
    let cancelled = stack
        .http
        .post(format!("{cleo_page}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    wait_for_status(&stack, &email_of(&ben), "offered").await;
    wait_for_status(&stack, &email_of(&gus), "waitlisted").await;
    wait_for_status(&stack, &email_of(&dan), "pending").await;
    let messages = tap.drain().await;
    let mut refused = vec![("cancelled", cleo_join.clone(), email_of(&cleo))];
    for (status, p) in [("offered", &ben), ("waitlisted", &gus), ("pending", &dan)] {
        let id = registration_id(&stack, &email_of(p)).await;
        refused.push((status, sealed_join_link(&messages, id), email_of(p)));
    }
    let ben_page = ben_mail.manage_link().unwrap();
    refused.push((
        "offered, from the page",
        format!("{ben_page}/join"),
        email_of(&ben),
    ));
    for (status, link, email) in &refused {
        let opened = open(&stack, link).await;
        assert_eq!(opened.status, 403, "{status}: {}", opened.body);
        assert!(opened.location.is_none(), "{status}");
        assert!(
            !opened.body.contains(MEETING_HOST),
            "{status}: {}",
            opened.body
        );
        assert!(
            opened.body.contains("This link does not open the meeting"),
            "{status}: {}",
            opened.body
        );
        assert_eq!(opened.cache_control.as_deref(), Some("no-store"));
        assert_eq!(joined_at(&stack, email).await, None, "{status}");
    }
    let ben_page = open(&stack, &ben_page).await;
    assert!(!ben_page.body.contains("/join\""), "{}", ben_page.body);

    // 5. Eve's exchange is held in a room: her link says so; an unknown link is a 404.
    let eve_id = registration_id(&stack, &email_of(&eve)).await;
    let eve_join = open(&stack, &sealed_join_link(&messages, eve_id)).await;
    assert_eq!(eve_join.status, 200);
    assert!(eve_join.location.is_none());
    assert!(
        eve_join.body.contains("has no online meeting"),
        "{}",
        eve_join.body
    );
    let unknown = open(&stack, &stack.url(&format!("/j/{}", "ab".repeat(32)))).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.cache_control.as_deref(), Some("no-store"));

    // 6. The reminders carry Ana's join link (text and calendar), not Eve's.
    let reminder = |p: &Value| {
        let email = email_of(p);
        let mailbox = stack.mailbox.clone();
        async move {
            mailbox
                .wait_for(1, Duration::from_secs(90), |m| {
                    m.to.contains(&email) && m.subject.starts_with("Reminder")
                })
                .await[0]
                .clone()
        }
    };
    let ana_reminder = reminder(&ana).await;
    assert_eq!(join_link(&ana_reminder.body), Some(ana_join.clone()));
    let ics = unfolded(ana_reminder.calendar.as_deref().unwrap());
    assert!(ics.contains(&format!("URL:{ana_join}")), "{ics}");
    assert!(ics.contains(&format!("LOCATION:{ana_join}")), "{ics}");
    let eve_reminder = reminder(&eve).await;
    assert!(
        join_link(&eve_reminder.body).is_none(),
        "{}",
        eve_reminder.body
    );
    assert!(!unfolded(eve_reminder.calendar.as_deref().unwrap()).contains("/j/"));

    // 7. The meeting link is in no message, no email and no public page; the messages say
    //    which exchanges are online.
    let messages = [messages, tap.drain().await].concat();
    assert!(messages.iter().any(|m| m["kind"] == "reminder.due"));
    for message in &messages {
        let text = message.to_string();
        assert!(
            !text.contains(MEETING_HOST),
            "the meeting link travels: {text}"
        );
        if let Some(event) = message["payload"].get("event") {
            let slug = event["slug"].as_str().unwrap();
            let expected = slug != offline.as_str();
            assert_eq!(event["online"], json!(expected), "{text}");
        }
    }
    for mail in stack.mailbox.all() {
        assert!(!mail.body.contains(MEETING_HOST), "{}", mail.body);
        assert!(
            !mail.calendar.unwrap_or_default().contains(MEETING_HOST),
            "an email's calendar entry holds the meeting link"
        );
    }
    for path in [
        "/api/events".to_owned(),
        format!("/api/events/{online}"),
        format!("/events/{online}"),
        format!("/events/{online}/register"),
        "/events".to_owned(),
    ] {
        let text = stack.get_text(&path).await;
        assert!(!text.contains(MEETING_HOST), "{path}: {text}");
    }
    assert!(!stack
        .registration
        .logs()
        .contains(&ana_join[ana_join.len() - 64..]));
}

#[tokio::test]
async fn before_and_after_the_window_the_join_link_says_so_in_the_participants_language() {
    let stack = Stack::start().await;
    let meeting = format!("https://{MEETING_HOST}/later");
    let start = chrono::Utc::now() + chrono::Duration::hours(3);

    // Organisers' mistakes are named: a meeting link must be https, the window bounded.
    let bad = stack
        .create_event(&{
            let mut body = convene_tests::stack::event_body();
            body["meeting_url"] = json!(format!("http://{MEETING_HOST}/x"));
            body["join_opens_minutes"] = json!(2000);
            body
        })
        .await;
    assert_eq!(bad.status(), 422);
    let errors: Value = bad.json().await.unwrap();
    let text = errors.to_string();
    assert!(
        text.contains("meeting_url") && text.contains("join_opens_minutes"),
        "{text}"
    );

    let slug = stack
        .given_event(json!({
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(),
            "meeting_url": meeting,
        }))
        .await;
    let (status, body) = stack
        .admin_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/events/{slug}"),
            Some(&json!({ "meeting_url": "meet.example.org/later" })),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("meeting_url"), "{body}");

    let mut fay = participant("Fay Dubois");
    fay["lang"] = json!("fr");
    fay["timezone"] = json!("America/Bogota");
    let email = email_of(&fay);
    assert!(stack.register_json(&slug, &fay).await.status().is_success());
    let mail = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(&email))
        .await;
    let join = join_link(&mail[0].body).expect("a join link in the confirmation");
    assert!(
        mail[0]
            .body
            .contains("Votre lien personnel pour participer en ligne"),
        "{}",
        mail[0].body
    );

    // 1. Three hours early: a page in French with the start in her zone and the exchange's,
    //    and when the link opens; nothing recorded. (The pages escape apostrophes.)
    let text = |o: &Opened| o.body.replace("&#39;", "'");
    let early = open(&stack, &join).await;
    assert_eq!(early.status, 200);
    assert!(early.location.is_none());
    for expected in [
        "L'échange n'a pas encore commencé",
        "pour vous",
        "America/Bogota",
        "Europe/Zurich",
        "ouvre la réunion à partir du",
        "lang=\"fr\"",
    ] {
        assert!(
            text(&early).contains(expected),
            "{expected:?} in {}",
            early.body
        );
    }
    assert!(!early.body.contains(MEETING_HOST));
    assert_eq!(early.cache_control.as_deref(), Some("no-store"));
    assert_eq!(joined_at(&stack, &email).await, None);

    // 2. The organisers open links four hours before: the link now leads to the meeting.
    let (status, body) = stack
        .admin_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/events/{slug}"),
            Some(&json!({ "join_opens_minutes": 240 })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let opened = open(&stack, &join).await;
    assert_eq!(opened.status, 303);
    assert_eq!(opened.location.as_deref(), Some(meeting.as_str()));
    let joined = joined_at(&stack, &email).await.expect("recorded");

    // 3. After the end (set in the database: the API takes no past times), the link says
    //    the exchange has ended; the join stays as it was.
    let pool = stack.db.pool().await;
    sqlx::query(
        "UPDATE registration.events SET starts_at = now() - interval '3 hours', \
         ends_at = now() - interval '1 hour' WHERE slug = $1",
    )
    .bind(&slug)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let ended = open(&stack, &join).await;
    assert_eq!(ended.status, 410);
    assert!(ended.location.is_none());
    assert!(
        text(&ended).contains("L'échange est terminé"),
        "{}",
        ended.body
    );
    assert!(!ended.body.contains(MEETING_HOST));
    assert_eq!(joined_at(&stack, &email).await, Some(joined));

    // 4. Once her data is erased, the link says the registration no longer exists.
    let (status, body) = stack
        .admin_json(
            reqwest::Method::DELETE,
            &format!("/api/admin/personal-data?email={email}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let erased = open(&stack, &join).await;
    assert_eq!(erased.status, 403);
    assert!(text(&erased).contains("n'existe plus"), "{}", erased.body);
    assert!(!erased.body.contains(MEETING_HOST));
}
