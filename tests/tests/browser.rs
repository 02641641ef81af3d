//! Journeys in a real browser: Debian's headless Chromium, driven by scripts in
//! `tests/browser/` (playwright-core), against the real services and SMTP server. A
//! participant's (`flow.mjs`), a participant's during an online exchange (`online.mjs`), and
//! an organiser's through the console (`console.mjs`).
//! With `CONVENE_SCREENSHOTS=<dir>` they also save the screenshots shown in the README
//! (`make screenshots`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use convene_tests::stack::participant;
use convene_tests::{infra, Stack, StackOptions};
use reqwest::Method;
use serde_json::{json, Value};

/// Runs `node tests/browser/<script> <args…> [screenshot dir]` and returns what it printed;
/// fails the test, with its output, when it fails.
fn run_browser_script(script: &str, args: &[&str]) -> String {
    let browser_dir = infra::workspace_root().join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").exists()
            && browser_dir.join("node_modules/axe-core").exists(),
        "playwright-core or axe-core is missing: run `make test-deps` (make test does)"
    );
    assert!(
        Path::new(&std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()))
            .exists(),
        "Chromium is missing: run `make test-deps` (make test does)"
    );
    let mut command = Command::new("node");
    command.arg(browser_dir.join(script)).args(args);
    if let Ok(dir) = std::env::var("CONVENE_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        command.arg(dir);
    }
    let out = command.output().expect("running node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn a_participant_registers_and_cancels_in_a_real_browser() {
    let stack = Stack::start().await;
    let slug = stack
        .given_event(json!({
            "title": "Global peer learning exchange on alternatives to immigration detention",
            "description": "Officials from governments and UN entities compare what works: public perceptions, whole-of-government approaches, ethical use of technology and case management.",
            "topics": ["Public perceptions", "Whole-of-government approach", "Ethical use of technology", "Case management"],
            "capacity": 120,
        }))
        .await;
    run_browser_script(
        "flow.mjs",
        &[&stack.base_url, &slug, &stack.mailbox.dir.to_string_lossy()],
    );
}

const CONSOLE_ADMIN: &str = "boss@convene.example.org";
const ORGANISER: &str = "lead@ohchr.example.org";

/// The whole organiser path through the console, in the browser (see `console.mjs`); then,
/// behind the browser's back, the admin API and the mailbox say it really happened.
#[tokio::test]
async fn an_organiser_runs_an_exchange_from_the_console_in_a_real_browser() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("CONSOLE_ADMINS".into(), CONSOLE_ADMIN.into())],
        ..StackOptions::default()
    })
    .await;
    let out = run_browser_script(
        "console.mjs",
        &[
            &stack.base_url,
            &stack.mailbox.dir.to_string_lossy(),
            CONSOLE_ADMIN,
            ORGANISER,
        ],
    );
    let made: Value = out
        .lines()
        .filter_map(|l| l.strip_prefix("console flow: "))
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("console.mjs did not say what it made:\n{out}"));
    let (slug, participant, sponsor) = (
        made["slug"].as_str().unwrap(),
        made["participant"].as_str().unwrap(),
        made["sponsor"].as_str().unwrap(),
    );

    // The exchange, as the form set it: approval required, times in its own zone (09:00
    // in Dakar is 09:00 UTC), the organiser named.
    let event = stack.get_json(&format!("/api/events/{slug}")).await;
    assert_eq!(event["timezone"], "Africa/Dakar", "{event}");
    assert!(
        event["starts_at"].as_str().unwrap().ends_with("T09:00:00Z"),
        "{event}"
    );
    let set_up = stack
        .scalar_i64(&format!(
            "SELECT count(*) FROM registration.events WHERE slug = '{slug}' \
             AND requires_approval AND organiser_emails = ARRAY['{ORGANISER}']"
        ))
        .await;
    assert_eq!(set_up, 1, "the exchange is not as the form set it: {event}");

    // The participant has a seat; one of the five is still pending.
    let (code, list) = stack
        .admin_json(
            Method::GET,
            &format!("/api/admin/events/{slug}/registrations"),
            None,
        )
        .await;
    assert_eq!(code, 200);
    let statuses: Vec<(&str, &str)> = list["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["email"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert!(
        statuses.contains(&(participant, "confirmed")),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|(_, s)| *s == "pending").count(),
        1,
        "{statuses:?}"
    );

    // The offer is accepted, with the organiser's note.
    let (_, offers) = stack
        .admin_json(
            Method::GET,
            &format!("/api/admin/events/{slug}/cosponsor-offers"),
            None,
        )
        .await;
    let offer = &offers["cosponsor_offers"][0];
    assert_eq!(offer["organisation"], sponsor, "{offers}");
    assert_eq!(offer["status"], "accepted", "{offers}");
    assert!(
        offer["decision_note"].as_str().unwrap().contains("Accra"),
        "{offers}"
    );

    // Each decision is on the activity log under the address that made it.
    let (_, activity) = stack
        .admin_json(
            Method::GET,
            &format!("/api/admin/events/{slug}/activity"),
            None,
        )
        .await;
    let done: Vec<(&str, &str)> = activity["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["actor"].as_str().unwrap(), a["action"].as_str().unwrap()))
        .collect();
    for (who, what, times) in [
        (CONSOLE_ADMIN, "exchange.created", 1),
        (CONSOLE_ADMIN, "registration.approved", 4),
        (ORGANISER, "offer.accepted", 1),
    ] {
        assert_eq!(
            done.iter().filter(|d| **d == (who, what)).count(),
            times,
            "{who} {what}: {done:?}"
        );
    }

    // The participant is told of the approval, the co-sponsor of the decision.
    let wait = Duration::from_secs(30);
    stack
        .mailbox
        .wait_for(1, wait, |m| {
            m.to.contains(participant) && m.subject.starts_with("Registered:")
        })
        .await;
    let contact = offer["contact_email"].as_str().unwrap();
    stack
        .mailbox
        .wait_for(1, wait, |m| {
            m.to.contains(contact) && m.body.contains("Accra")
        })
        .await;
}

/// An online exchange under way, in the browser (see `online.mjs`): the participant joins
/// from their personal page and answers the feedback survey; the join is recorded and the
/// organisers see the answer.
#[tokio::test]
async fn a_participant_joins_online_and_answers_the_survey_in_a_real_browser() {
    let stack = Stack::start().await;
    let meeting = "https://meet.example.org/room-42";
    let slug = stack.given_event(json!({ "meeting_url": meeting })).await;
    let p = participant("Amina");
    let email = p["email"].as_str().unwrap().to_owned();
    assert_eq!(stack.register(&slug, &p).await.status, "confirmed");
    let link = stack.manage_link_of(&email).await;
    // The exchange began ten minutes ago.
    stack
        .scalar_i64(&format!(
            "WITH moved AS (UPDATE registration.events SET starts_at = now() - interval '10 minutes', \
             ends_at = now() + interval '50 minutes' WHERE slug = '{slug}' RETURNING 1) SELECT count(*) FROM moved"
        ))
        .await;
    run_browser_script("online.mjs", &[&link, meeting]);
    assert_eq!(
        stack
            .scalar_i64(
                "SELECT count(*) FROM registration.registrations WHERE joined_at IS NOT NULL"
            )
            .await,
        1,
        "the join is recorded"
    );
    let (code, survey) = stack
        .admin_json(
            Method::GET,
            &format!("/api/admin/events/{slug}/survey"),
            None,
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(survey["average_rating"], 4.0, "{survey}");
    assert_eq!(survey["answers"][0]["name"], "Amina", "{survey}");
}
