//! Attendance (issue 19): organisers mark confirmed registrations attended, absent or
//! excused through the admin API, all or nothing; a join through the personal link counts
//! as attended unless they say otherwise; a Zoom or Teams participant report marks who came
//! and says which rows matched nobody; the stats and the CSV count it by country and role.

use std::time::Duration;

use convene_tests::stack::{participant, ADMIN_TOKEN};
use convene_tests::{Stack, StackOptions};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);
const SCOPED: &str = "scoped-token-0123456789";

/// A stack whose second token covers only the exchange `scoped_slug`.
async fn stack_with_scoped_token(scoped_slug: &str) -> Stack {
    Stack::start_with(StackOptions {
        env: vec![(
            "ADMIN_TOKEN".into(),
            format!("{ADMIN_TOKEN},{SCOPED}:{scoped_slug}"),
        )],
        ..StackOptions::default()
    })
    .await
}

fn unique_slug(prefix: &str) -> String {
    format!("{prefix}-{}", &Uuid::new_v4().simple().to_string()[..10])
}

/// A participant from `country` in `role`.
fn someone(name: &str, country: &str, role: &str) -> Value {
    let mut p = participant(name);
    p["country"] = json!(country);
    p["role"] = json!(role);
    p
}

fn email(p: &Value) -> &str {
    p["email"].as_str().unwrap()
}

/// `PUT /api/admin/events/{slug}/attendance` with `entries`.
async fn put_marks(stack: &Stack, slug: &str, entries: Value) -> (u16, Value) {
    stack
        .admin_json(
            Method::PUT,
            &format!("/api/admin/events/{slug}/attendance"),
            Some(&json!({ "attendance": entries })),
        )
        .await
}

/// Every stored mark of the exchange: (email, attendance, source), by email.
async fn stored_marks(stack: &Stack, slug: &str) -> Vec<(String, String, String)> {
    let pool = stack.db.pool().await;
    let rows = sqlx::query_as(
        "SELECT r.email, r.attendance, r.attendance_source FROM registration.registrations r \
         JOIN registration.events e ON e.id = r.event_id \
         WHERE e.slug = $1 AND r.attendance IS NOT NULL ORDER BY r.email",
    )
    .bind(slug)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

/// Moves the exchange into the past: it ended an hour ago.
async fn end_exchange(stack: &Stack, slug: &str) {
    let pool = stack.db.pool().await;
    sqlx::query(
        "UPDATE registration.events SET starts_at = now() - interval '3 hours', \
             ends_at = now() - interval '1 hour' WHERE slug = $1",
    )
    .bind(slug)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

async fn stats(stack: &Stack, slug: &str) -> Value {
    let (code, stats) = stack
        .admin_json(
            Method::GET,
            &format!("/api/admin/events/{slug}/stats"),
            None,
        )
        .await;
    assert_eq!(code, 200, "{stats}");
    stats
}

/// The registrations' CSV: each row's (email, joined_at set, attendance, basis).
async fn csv_attendance(stack: &Stack, slug: &str) -> Vec<(String, bool, String, String)> {
    let csv = stack
        .admin(
            Method::GET,
            &format!("/api/admin/events/{slug}/registrations?format=csv"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.trim_start_matches('\u{FEFF}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (e, j, a, b) = (
        at("email"),
        at("joined_at"),
        at("attendance"),
        at("attendance_basis"),
    );
    let mut rows: Vec<(String, bool, String, String)> = lines
        .map(|line| {
            let cells: Vec<String> = line
                .split(',')
                .map(|c| c.trim_matches('"').to_owned())
                .collect();
            (
                cells[e].clone(),
                !cells[j].is_empty(),
                cells[a].clone(),
                cells[b].clone(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn tally(attended: i64, absent: i64, excused: i64, unknown: i64) -> Value {
    json!({ "attended": attended, "absent": absent, "excused": excused, "unknown": unknown })
}

#[tokio::test]
async fn marking_names_each_bad_entry_writes_nothing_and_takes_only_confirmed_registrations_of_that_exchange(
) {
    let other = unique_slug("other");
    let stack = stack_with_scoped_token(&other).await;
    let slug = stack.given_event(json!({ "capacity": 2 })).await;
    stack
        .given_event(json!({ "slug": other, "capacity": 10 }))
        .await;

    // Ana and Ben take the two seats, Cleo waits; Dora registered for the other exchange.
    let [ana, ben, cleo, dora] = ["Ana", "Ben", "Cleo", "Dora"].map(participant);
    let ana_r = stack.register(&slug, &ana).await;
    let ben_r = stack.register(&slug, &ben).await;
    let cleo_r = stack.register(&slug, &cleo).await;
    let dora_r = stack.register(&other, &dora).await;
    assert_eq!(
        [&ana_r.status, &ben_r.status, &cleo_r.status, &dora_r.status],
        ["confirmed", "confirmed", "waitlisted", "confirmed"]
    );

    // One good entry among bad ones: every bad one is named, and nothing is written.
    let (code, body) = put_marks(
        &stack,
        &slug,
        json!([
            { "registration_id": ana_r.id, "attendance": "attended" },
            { "registration_id": cleo_r.id, "attendance": "attended" },
            { "registration_id": dora_r.id, "attendance": "absent" },
            { "registration_id": "not-an-id", "attendance": "attended" },
            { "registration_id": ben_r.id, "attendance": "present" },
            { "registration_id": ana_r.id, "attendance": "absent" },
        ]),
    )
    .await;
    assert_eq!(code, 422, "{body}");
    let fields = body["fields"].as_object().unwrap();
    let mut named: Vec<&str> = fields.keys().map(String::as_str).collect();
    named.sort_unstable();
    // Those that cannot be read and those that cannot be marked (waitlisted, another
    // exchange's, a repeat), all at once; not the good one.
    assert_eq!(
        named,
        [
            "attendance[1].registration_id",
            "attendance[2].registration_id",
            "attendance[3].registration_id",
            "attendance[4].attendance",
            "attendance[5].registration_id",
        ],
        "{body}"
    );
    assert!(stored_marks(&stack, &slug).await.is_empty());
    assert!(stored_marks(&stack, &other).await.is_empty());
    let fields = &body["fields"];
    assert!(
        fields["attendance[1].registration_id"]
            .as_str()
            .unwrap()
            .contains("waitlisted"),
        "{body}"
    );
    assert!(
        fields["attendance[2].registration_id"]
            .as_str()
            .unwrap()
            .contains("No registration of this exchange"),
        "{body}"
    );
    assert!(
        fields["attendance[5].registration_id"]
            .as_str()
            .unwrap()
            .contains("already in entry 0"),
        "{body}"
    );
    assert!(
        fields["attendance[4].attendance"]
            .as_str()
            .unwrap()
            .contains("attended, absent or excused"),
        "{body}"
    );

    // A token for another exchange, and none at all, are refused.
    let (code, _) = {
        let response = stack
            .http
            .put(stack.url(&format!("/api/admin/events/{slug}/attendance")))
            .bearer_auth(SCOPED)
            .json(&json!({ "attendance": [{ "registration_id": ana_r.id, "attendance": "attended" }] }))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), ())
    };
    assert_eq!(code, 403);
    let response = stack
        .http
        .put(stack.url(&format!("/api/admin/events/{slug}/attendance")))
        .json(&json!({ "attendance": [{ "registration_id": ana_r.id, "attendance": "attended" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(stored_marks(&stack, &slug).await.is_empty());

    // The scoped token marks its own exchange's registration.
    let response = stack
        .http
        .put(stack.url(&format!("/api/admin/events/{other}/attendance")))
        .bearer_auth(SCOPED)
        .json(&json!({ "attendance": [{ "registration_id": dora_r.id, "attendance": "excused" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        stored_marks(&stack, &other).await,
        [(
            email(&dora).to_owned(),
            "excused".to_owned(),
            "organiser".to_owned()
        )]
    );

    // A good list is set whole, and answered with each one's attendance as it counts.
    let (code, body) = put_marks(
        &stack,
        &slug,
        json!([
            { "registration_id": ana_r.id, "attendance": "attended" },
            { "registration_id": ben_r.id, "attendance": "excused" },
        ]),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["marked"], 2);
    let answered: Vec<(String, String)> = body["attendance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["registration_id"].as_str().unwrap().to_owned(),
                format!("{} {}", a["attendance"], a["basis"]),
            )
        })
        .collect();
    assert!(answered.contains(&(ana_r.id.to_string(), "\"attended\" \"marked\"".into())));
    assert!(answered.contains(&(ben_r.id.to_string(), "\"excused\" \"marked\"".into())));
    let mut expected = vec![
        (
            email(&ana).to_owned(),
            "attended".to_owned(),
            "organiser".to_owned(),
        ),
        (
            email(&ben).to_owned(),
            "excused".to_owned(),
            "organiser".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(stored_marks(&stack, &slug).await, expected);

    // The activity log says who marked.
    let (_, log) = stack
        .admin_json(
            Method::GET,
            &format!("/api/admin/events/{slug}/activity"),
            None,
        )
        .await;
    assert_eq!(log["activity"][0]["action"], "attendance.marked");
    assert_eq!(log["activity"][0]["actor"], "admin API");

    // A cancelled exchange takes no marks.
    let (code, _) = stack
        .admin_json(
            Method::POST,
            &format!("/api/admin/events/{slug}/cancel"),
            None,
        )
        .await;
    assert_eq!(code, 200);
    let (code, body) = put_marks(
        &stack,
        &slug,
        json!([{ "registration_id": ana_r.id, "attendance": "absent" }]),
    )
    .await;
    assert_eq!(code, 409, "{body}");
    // Nobody attends a cancelled exchange: Ana's mark is kept, but not counted.
    assert_eq!(
        stats(&stack, &slug).await["attendance"],
        json!({ "attended": 0, "absent": 0, "excused": 0, "unknown": 0, "by_country": {}, "by_role": {} })
    );
}

#[tokio::test]
async fn a_join_counts_as_attended_unless_an_organiser_says_otherwise_and_the_figures_count_it_by_country_and_role(
) {
    let stack = Stack::start_with(StackOptions::default()).await;

    // An online exchange starting in 10 minutes: the join links are open (30 minutes
    // before).
    let start = chrono::Utc::now() + chrono::Duration::minutes(10);
    let slug = stack
        .given_event(json!({
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(),
            "meeting_url": "https://meet.example.org/attendance",
            "reminder_offsets_minutes": [],
        }))
        .await;
    let ana = someone("Ana", "BR", "government_official");
    let ben = someone("Ben", "BR", "civil_society");
    let cleo = someone("Cleo", "SN", "government_official");
    let dora = someone("Dora", "SN", "un_entity");
    let mut ids = Vec::new();
    for p in [&ana, &ben, &cleo, &dora] {
        ids.push(stack.register(&slug, p).await.id);
    }
    let [ana_id, ben_id, _cleo_id, dora_id] = ids[..] else {
        unreachable!()
    };

    // Ana and Ben open the meeting from their page's join link.
    for p in [&ana, &ben] {
        let mail = stack
            .mailbox
            .wait_for(1, WAIT, |m| m.to.contains(email(p)))
            .await[0]
            .clone();
        let page = mail.manage_link().expect("a manage link");
        let response = stack.http.get(format!("{page}/join")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 303, "{}", email(p));
    }

    // During the exchange: a join counts as attended; the others are not known yet.
    let figures = stats(&stack, &slug).await;
    assert_eq!(figures["attendance"]["attended"], 2, "{figures}");
    assert_eq!(figures["attendance"]["unknown"], 2, "{figures}");

    // Ben joined but the organisers say he was absent (he left at once); Dora excused.
    let (code, body) = put_marks(
        &stack,
        &slug,
        json!([
            { "registration_id": ben_id, "attendance": "absent" },
            { "registration_id": dora_id, "attendance": "excused" },
        ]),
    )
    .await;
    assert_eq!(code, 200, "{body}");

    // Dora cancels and registers again: the mark of her earlier registration goes.
    let dora_mail = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains(email(&dora)))
        .await[0]
        .clone();
    let dora_page = dora_mail.manage_link().expect("a manage link");
    let response = stack
        .http
        .post(format!("{dora_page}/cancel"))
        .send()
        .await
        .unwrap();
    assert!(response.status().as_u16() < 400, "{}", response.status());
    assert_eq!(
        stack
            .registration_of(&slug, email(&dora))
            .await
            .unwrap()
            .status,
        "cancelled"
    );
    assert_eq!(stats(&stack, &slug).await["attendance"]["excused"], 0);
    let again = stack.register(&slug, &dora).await;
    assert_eq!((again.id, again.status.as_str()), (dora_id, "confirmed"));
    assert_eq!(
        stored_marks(&stack, &slug).await,
        [(
            email(&ben).to_owned(),
            "absent".to_owned(),
            "organiser".to_owned()
        )]
    );
    let (code, body) = put_marks(
        &stack,
        &slug,
        json!([{ "registration_id": dora_id, "attendance": "excused" }]),
    )
    .await;
    assert_eq!(code, 200, "{body}");

    // Once it has ended, no join and no mark is a no-show (Cleo).
    end_exchange(&stack, &slug).await;
    let figures = stats(&stack, &slug).await;
    let attendance = &figures["attendance"];
    assert_eq!(
        [
            &attendance["attended"],
            &attendance["absent"],
            &attendance["excused"],
            &attendance["unknown"]
        ],
        [1, 2, 1, 0],
        "{figures}"
    );
    assert_eq!(
        attendance["by_country"]["BR"],
        tally(1, 1, 0, 0),
        "{figures}"
    );
    assert_eq!(
        attendance["by_country"]["SN"],
        tally(0, 1, 1, 0),
        "{figures}"
    );
    assert_eq!(
        attendance["by_role"]["government_official"],
        tally(1, 1, 0, 0),
        "{figures}"
    );
    assert_eq!(
        attendance["by_role"]["civil_society"],
        tally(0, 1, 0, 0),
        "{figures}"
    );
    assert_eq!(
        attendance["by_role"]["un_entity"],
        tally(0, 0, 1, 0),
        "{figures}"
    );

    // The CSV says the same per person, and what each rests on.
    let mut expected = vec![
        (
            email(&ana).to_owned(),
            true,
            "attended".into(),
            "joined".into(),
        ),
        (
            email(&ben).to_owned(),
            true,
            "absent".into(),
            "marked".into(),
        ),
        (
            email(&cleo).to_owned(),
            false,
            "absent".into(),
            "not_joined".into(),
        ),
        (
            email(&dora).to_owned(),
            false,
            "excused".into(),
            "marked".into(),
        ),
    ];
    expected.sort();
    assert_eq!(csv_attendance(&stack, &slug).await, expected);

    // Removing Ben's mark gives the join its say again.
    let (code, body) = put_marks(
        &stack,
        &slug,
        json!([{ "registration_id": ben_id, "attendance": null }]),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["attendance"][0]["attendance"], "attended", "{body}");
    assert_eq!(body["attendance"][0]["basis"], "joined", "{body}");
    assert_eq!(stats(&stack, &slug).await["attendance"]["attended"], 2);

    // Ana's own export holds her attendance; erasing her keeps the figures.
    let (code, export) = stack
        .admin_json(
            Method::GET,
            &format!("/api/admin/personal-data?email={}", email(&ana)),
            None,
        )
        .await;
    assert_eq!(code, 200, "{export}");
    let registration = &export["registrations"][0];
    assert_eq!(registration["id"], json!(ana_id));
    assert_eq!(registration["attendance"], "attended", "{export}");
    assert!(registration["joined_at"].is_string(), "{export}");
    let before = stats(&stack, &slug).await["attendance"].clone();
    let (code, erased) = stack
        .admin_json(
            Method::DELETE,
            &format!("/api/admin/personal-data?email={}", email(&ana)),
            None,
        )
        .await;
    assert_eq!(code, 200, "{erased}");
    assert_eq!(erased["erased"]["registrations"], 1, "{erased}");
    assert_eq!(stats(&stack, &slug).await["attendance"], before);
    let csv = csv_attendance(&stack, &slug).await;
    assert!(!csv.iter().any(|(e, ..)| e == email(&ana)), "{csv:?}");
}

/// `text` as Teams writes its reports: UTF-16LE with a byte-order mark.
fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

async fn import(stack: &Stack, token: &str, slug: &str, report: Vec<u8>) -> (u16, Value) {
    let response = stack
        .http
        .post(stack.url(&format!("/api/admin/events/{slug}/attendance/import")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(report)
        .send()
        .await
        .unwrap();
    let code = response.status().as_u16();
    (code, response.json().await.unwrap_or(Value::Null))
}

/// The rows that matched nobody: (line, name, email, the start of why).
fn unmatched(answer: &Value) -> Vec<(u64, String, String, String)> {
    answer["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["row"].as_u64().unwrap(),
                u["name"].as_str().unwrap().to_owned(),
                u["email"].as_str().unwrap().to_owned(),
                u["reason"]
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn zoom_and_teams_reports_mark_who_attended_say_which_rows_matched_nobody_and_never_override_a_mark_by_hand(
) {
    let other = unique_slug("other");
    let stack = stack_with_scoped_token(&other).await;
    stack.given_event(json!({ "slug": other })).await;
    let slug = stack.given_event(json!({ "capacity": 3 })).await;
    let ana = someone("Ana", "BR", "government_official");
    let ben = someone("Ben", "SN", "civil_society");
    let kofi = someone("Kofi", "GH", "un_entity");
    let cleo = someone("Cleo", "SN", "government_official");
    let mut registrations = Vec::new();
    for p in [&ana, &ben, &kofi, &cleo] {
        registrations.push(stack.register(&slug, p).await);
    }
    assert_eq!(registrations[3].status, "waitlisted");
    end_exchange(&stack, &slug).await;

    // The organisers marked Ben absent by hand: he joined from a colleague's screen.
    let (code, body) = put_marks(
        &stack,
        &slug,
        json!([{ "registration_id": registrations[1].id, "attendance": "absent" }]),
    )
    .await;
    assert_eq!(code, 200, "{body}");

    // Zoom's participants report: Ana under another case and with spaces, twice (she
    // rejoined); Ben; a guest; a phone; Cleo, who is on the waiting list.
    let zoom = format!(
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n\
         Ana Silva, {ana_upper} ,12/15/2026 01:58:02 PM,12/15/2026 02:30:00 PM,32,No\r\n\
         \"Okafor, Ben (Ben O)\",{ben},12/15/2026 02:00:00 PM,12/15/2026 02:05:00 PM,5,Yes\r\n\
         Someone Else,guest@elsewhere.example.org,12/15/2026 02:00:00 PM,12/15/2026 03:00:00 PM,60,Yes\r\n\
         +41 22 555 01 01,,12/15/2026 02:01:00 PM,12/15/2026 02:50:00 PM,49,Yes\r\n\
         Cleo,{cleo},12/15/2026 02:01:00 PM,12/15/2026 02:50:00 PM,49,Yes\r\n\
         Ana Silva,{ana},12/15/2026 02:31:00 PM,12/15/2026 03:00:00 PM,29,No\r\n",
        ana_upper = email(&ana).to_uppercase(),
        ana = email(&ana),
        ben = email(&ben),
        cleo = email(&cleo),
    );

    // Only a token covering the exchange may import.
    let (code, _) = import(&stack, SCOPED, &slug, zoom.clone().into_bytes()).await;
    assert_eq!(code, 403);
    assert_eq!(stored_marks(&stack, &slug).await.len(), 1);

    let (code, answer) = import(&stack, ADMIN_TOKEN, &slug, zoom.into_bytes()).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["rows"], 6, "{answer}");
    assert_eq!(answer["matched_rows"], 3, "{answer}");
    assert_eq!(answer["matched_registrations"], 2, "{answer}");
    assert_eq!(answer["marked"], 1, "{answer}");
    assert_eq!(answer["kept_by_hand"], 1, "{answer}");
    assert_eq!(
        unmatched(&answer),
        [
            (
                4,
                "Someone Else".into(),
                "guest@elsewhere.example.org".into(),
                "no registration of this exchange has this address".into()
            ),
            (
                5,
                "+41 22 555 01 01".into(),
                String::new(),
                "no email address in this row".into()
            ),
            (
                6,
                "Cleo".into(),
                email(&cleo).to_owned(),
                "this registration is waitlisted".into()
            ),
        ]
    );
    let mut expected = vec![
        (
            email(&ana).to_owned(),
            "attended".to_owned(),
            "import".to_owned(),
        ),
        (
            email(&ben).to_owned(),
            "absent".to_owned(),
            "organiser".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(stored_marks(&stack, &slug).await, expected);

    // Teams' attendance report, UTF-16 and TAB-separated, with its summary first: Kofi
    // has no Email but his sign-in name (UPN) is his address; Ana again; a stranger.
    let teams = format!(
        "1. Summary\r\n\
         Meeting title\tAlternatives to detention\r\n\
         Attended participants\t3\r\n\
         Start time\t12/15/26, 1:58:02 PM\r\n\
         \r\n\
         2. Participants\r\n\
         Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\r\n\
         Kofi Mensah\t12/15/26, 2:00:00 PM\t12/15/26, 2:50:00 PM\t50m\t\t{kofi}\tAttendee\r\n\
         Ana Silva\t12/15/26, 1:58:02 PM\t12/15/26, 3:00:10 PM\t1h 2m\t{ana}\t{ana}\tAttendee\r\n\
         Stranger (Unverified)\t12/15/26, 2:00:00 PM\t12/15/26, 2:10:00 PM\t10m\tstranger@example.net\t\tAttendee\r\n\
         \r\n\
         3. In-Meeting Activities\r\n\
         Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\r\n\
         Not A Participant\t12/15/26, 2:00:00 PM\t12/15/26, 2:50:00 PM\t50m\tnobody@example.net\tAttendee\r\n",
        kofi = email(&kofi).to_uppercase(),
        ana = email(&ana),
    );
    let (code, answer) = import(&stack, ADMIN_TOKEN, &slug, utf16le_with_bom(&teams)).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["rows"], 3, "{answer}");
    assert_eq!(answer["matched_registrations"], 2, "{answer}");
    assert_eq!(answer["marked"], 1, "{answer}");
    assert_eq!(
        unmatched(&answer),
        [(
            10,
            "Stranger (Unverified)".into(),
            "stranger@example.net".into(),
            "no registration of this exchange has this address".into()
        )]
    );

    // Attended: Ana and Kofi (the report); absent: Ben (by hand); Cleo is not confirmed.
    let attendance = stats(&stack, &slug).await["attendance"].clone();
    assert_eq!(
        [
            &attendance["attended"],
            &attendance["absent"],
            &attendance["excused"],
            &attendance["unknown"]
        ],
        [2, 1, 0, 0],
        "{attendance}"
    );
    assert_eq!(attendance["by_country"]["GH"], tally(1, 0, 0, 0));
    assert_eq!(attendance["by_role"]["civil_society"], tally(0, 1, 0, 0));
    let csv = csv_attendance(&stack, &slug).await;
    let kofi_row = csv.iter().find(|(e, ..)| e == email(&kofi)).unwrap();
    assert_eq!(
        (kofi_row.2.as_str(), kofi_row.3.as_str()),
        ("attended", "imported")
    );

    // A mark by hand replaces an imported one.
    let (code, _) = put_marks(
        &stack,
        &slug,
        json!([{ "registration_id": registrations[0].id, "attendance": "excused" }]),
    )
    .await;
    assert_eq!(code, 200);
    let (code, answer) = import(&stack, ADMIN_TOKEN, &slug, utf16le_with_bom(&teams)).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["marked"], 0, "{answer}");
    assert_eq!(answer["kept_by_hand"], 1, "{answer}");
    assert_eq!(stats(&stack, &slug).await["attendance"]["excused"], 1);

    // A file that is no participant report is refused, naming `report`; nothing changes.
    let before = stored_marks(&stack, &slug).await;
    let (code, answer) = import(
        &stack,
        ADMIN_TOKEN,
        &slug,
        b"Name,Duration\nAna,60\n".to_vec(),
    )
    .await;
    assert_eq!(code, 422, "{answer}");
    assert!(answer["fields"]["report"]
        .as_str()
        .unwrap()
        .contains("email column"));
    assert_eq!(stored_marks(&stack, &slug).await, before);

    // A report over the service's usual body limit (64 KiB) is read: a Teams report of
    // 2 000 people; one over 4 MiB is refused with 413.
    let mut big = String::from("Name\tEmail\tRole\r\n");
    for i in 0..2000 {
        big.push_str(&format!(
            "Participant number {i}\tparticipant-{i}@example.net\tAttendee\r\n"
        ));
    }
    let big = utf16le_with_bom(&big);
    assert!(big.len() > 65_536, "{}", big.len());
    let (code, answer) = import(&stack, ADMIN_TOKEN, &slug, big).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["rows"], 2000);
    assert_eq!(answer["unmatched"].as_array().unwrap().len(), 2000);
    assert_eq!(answer["unmatched"][1999]["row"], 2001);
    // The service answers 413 as soon as the limit is passed and closes the connection: a
    // client still writing the rest may see its write fail first (a broken pipe) and never
    // read the answer. Either way, nothing is read past the limit and nothing is stored.
    let refused = stack
        .http
        .post(stack.url(&format!("/api/admin/events/{slug}/attendance/import")))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(vec![b'a'; 5 * 1024 * 1024])
        .send()
        .await;
    match refused {
        Ok(response) => assert_eq!(response.status(), 413),
        Err(e) => assert!(e.is_request(), "{e:?}"),
    }
    assert_eq!(stored_marks(&stack, &slug).await, before);
}

#[tokio::test]
async fn who_attended_opens_a_certificate_of_participation_in_their_language_and_nobody_else_does()
{
    let stack = Stack::start().await;
    let slug = stack
        .given_event(json!({
            "title": "Alternatives to detention",
            "organised_by": "IDC, UNHCR and IOM",
        }))
        .await;
    // A co-sponsor, accepted; another, not.
    for (organisation, country) in [("Ministry of Justice", "MX"), ("Declined Inc", "FR")] {
        let response = stack
            .http
            .post(stack.url(&format!("/api/events/{slug}/cosponsor-offers")))
            .json(&json!({
                "organisation": organisation, "country": country, "contact_name": "Contact",
                "contact_email": format!("contact@{}.example.org", country.to_lowercase()),
                "support_kind": "funding", "message": "",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        if country == "MX" {
            let offer: Value = response.json().await.unwrap();
            let (code, _) = stack
                .admin_json(
                    Method::POST,
                    &format!(
                        "/api/admin/cosponsor-offers/{}/accept",
                        offer["id"].as_str().unwrap()
                    ),
                    Some(&json!({})),
                )
                .await;
            assert_eq!(code, 200);
        }
    }
    let mut ana = someone("Ana", "MX", "government_official");
    ana["lang"] = json!("es");
    ana["organisation"] = json!("Secretaría de Gobernación");
    let ben = someone("Ben", "GH", "civil_society");
    let ana_id = stack.register(&slug, &ana).await.id;
    let ben_id = stack.register(&slug, &ben).await.id;
    let ana_link = stack.manage_link_of(email(&ana)).await;
    let ben_link = stack.manage_link_of(email(&ben)).await;
    let certificate = |link: &str| format!("{link}/certificate");

    // Before the exchange, nobody has one: their page offers none.
    let (status, body) = get(&stack, &certificate(&ana_link)).await;
    assert_eq!(status, 404, "{body}");
    assert!(!get(&stack, &ana_link).await.1.contains("/certificate"));

    // Once it has begun, an organiser marks Ana present; Ben is absent.
    end_exchange(&stack, &slug).await;
    let (code, body) = put_marks(
        &stack,
        &slug,
        json!([
            {"registration_id": ana_id, "attendance": "attended"},
            {"registration_id": ben_id, "attendance": "absent"},
        ]),
    )
    .await;
    assert_eq!(code, 200, "{body}");

    // Ana's page links to hers, in Spanish, with who organised and who supported it.
    let (_, page) = get(&stack, &ana_link).await;
    assert!(page.contains("Su certificado de participación"), "{page}");
    let (status, body) = get(&stack, &certificate(&ana_link)).await;
    assert_eq!(status, 200, "{body}");
    for expected in [
        "Certificado de participación",
        "Se certifica que Ana (Secretaría de Gobernación) participó en «Alternatives to detention» el ",
        "Organizado por IDC, UNHCR and IOM.",
        "Con el apoyo de Ministry of Justice (México).",
    ] {
        assert!(body.contains(expected), "{expected:?} in {body}");
    }
    assert!(!body.contains("Declined Inc"), "{body}");

    // Ben's says why he has none; a link nobody holds learns nothing.
    let (status, body) = get(&stack, &certificate(&ben_link)).await;
    assert_eq!(status, 404);
    assert!(
        body.contains("No certificate for this registration"),
        "{body}"
    );
    assert!(!get(&stack, &ben_link).await.1.contains("/certificate"));
    let (status, body) = get(
        &stack,
        &stack.url(&format!("/registrations/{}/certificate", "0".repeat(64))),
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        !body.contains("No certificate for this registration"),
        "an unknown link is not told about certificates: {body}"
    );
}

async fn get(stack: &Stack, url: &str) -> (u16, String) {
    let response = stack.http.get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}
