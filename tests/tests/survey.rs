//! The feedback survey after an exchange (issue 19): each confirmed participant answers
//! once through their own page (`/registrations/{token}/survey`), may change the answer
//! until `survey_closes_days` after the end, and organisers see the answers and their
//! average without names unless the participant allowed it. An exchange may name an
//! external survey instead. (The follow-up email's link to it: `follow_up.rs`.)

use convene_tests::stack::participant;
use convene_tests::Stack;
use reqwest::Method;
use serde_json::{json, Value};

/// Moves the exchange `slug`'s end to `ended_ago` before now (started two hours earlier).
async fn ended(stack: &Stack, slug: &str, ended_ago: &str) {
    let pool = stack.db.pool().await;
    sqlx::query(&format!(
        "UPDATE registration.events SET starts_at = now() - interval '{ended_ago}' - interval '2 hours', \
             ends_at = now() - interval '{ended_ago}' WHERE slug = $1"
    ))
    .bind(slug)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

/// Registers `name` and returns their address and survey link.
async fn participant_of(stack: &Stack, slug: &str, name: &str) -> (String, String) {
    let p = participant(name);
    let email = p["email"].as_str().unwrap().to_owned();
    assert_eq!(stack.register(slug, &p).await.status, "confirmed");
    let link = stack.manage_link_of(&email).await;
    (email, format!("{link}/survey"))
}

async fn answer(stack: &Stack, survey: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = stack.http.post(survey).form(fields).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn results(stack: &Stack, slug: &str) -> Value {
    let (code, body) = stack
        .admin_json(
            Method::GET,
            &format!("/api/admin/events/{slug}/survey"),
            None,
        )
        .await;
    assert_eq!(code, 200, "{body}");
    body
}

#[tokio::test]
async fn participants_answer_once_change_it_until_it_closes_and_organisers_see_names_only_when_allowed(
) {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({ "survey_closes_days": 7 })).await;
    let (_, ana) = participant_of(&stack, &slug, "Ana").await;
    let (ben_email, ben) = participant_of(&stack, &slug, "Ben").await;
    let (_, cy) = participant_of(&stack, &slug, "Cy").await;

    // Before the exchange it is not open.
    assert_eq!(stack.http.get(&ana).send().await.unwrap().status(), 409);

    // Cy cancels; the exchange ends.
    let cy_page = cy.trim_end_matches("/survey");
    assert_eq!(
        stack
            .http
            .post(format!("{cy_page}/cancel"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    ended(&stack, &slug, "1 hour").await;
    assert_eq!(
        stack.http.get(&cy).send().await.unwrap().status(),
        403,
        "cancelled: no survey"
    );

    // Bad parts are named beside their fields, what was typed kept, nothing stored.
    let long = "x".repeat(2001);
    let (status, page) = answer(
        &stack,
        &ana,
        &[
            ("rating", "9"),
            ("most_useful", "The case studies"),
            ("should_change", &long),
        ],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"rating-error\""), "{page}");
    assert!(page.contains("id=\"should_change-error\""), "{page}");
    assert!(
        page.contains(">The case studies</textarea>"),
        "typed text kept: {page}"
    );
    assert_eq!(results(&stack, &slug).await["count"], 0);

    // Ana answers, allowing her name, then changes her mind on both.
    let (status, page) = answer(
        &stack,
        &ana,
        &[
            ("rating", "4"),
            ("most_useful", "The case studies"),
            ("may_name", "on"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Thank you for your feedback"), "{page}");
    let form = stack
        .http
        .get(&ana)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("value=\"4\" checked"),
        "her answer shown: {form}"
    );
    assert!(
        form.contains("id=\"may_name\" name=\"may_name\" value=\"on\" checked"),
        "{form}"
    );
    let (status, _) = answer(
        &stack,
        &ana,
        &[("rating", "5"), ("most_useful", "The case studies, really")],
    )
    .await;
    assert_eq!(status, 200);

    // Ben answers and may be named.
    let (status, _) = answer(
        &stack,
        &ben,
        &[
            ("rating", "2"),
            ("should_change", "Longer breakout groups"),
            ("may_name", "on"),
        ],
    )
    .await;
    assert_eq!(status, 200);

    // Organisers: one answer each, the average, Ben's name, not Ana's.
    let seen = results(&stack, &slug).await;
    assert_eq!(seen["count"], 2, "{seen}");
    assert_eq!(seen["average_rating"], 3.5, "{seen}");
    let answers = seen["answers"].as_array().unwrap();
    let by_text = |text: &str| {
        answers
            .iter()
            .find(|a| a["most_useful"] == text || a["should_change"] == text)
            .unwrap_or_else(|| panic!("{text:?} in {seen}"))
            .clone()
    };
    let anas = by_text("The case studies, really");
    assert_eq!(
        (anas["rating"].clone(), anas["name"].clone()),
        (json!(5), Value::Null)
    );
    let bens = by_text("Longer breakout groups");
    assert_eq!(bens["name"], "Ben", "{seen}");

    // Ben is erased: his words and name go, his rating still counts.
    let (code, erased) = stack
        .admin_json(
            Method::DELETE,
            &format!("/api/admin/personal-data?email={ben_email}"),
            None,
        )
        .await;
    assert_eq!(code, 200, "{erased}");
    let seen = results(&stack, &slug).await;
    assert_eq!(seen["average_rating"], 3.5, "{seen}");
    assert!(
        !seen.to_string().contains("Longer breakout groups"),
        "{seen}"
    );
    assert!(!seen.to_string().contains("\"Ben\""), "{seen}");

    // Eight days after the end, a week's survey is closed: nothing changes any more.
    ended(&stack, &slug, "8 days").await;
    let (status, page) = answer(&stack, &ana, &[("rating", "1")]).await;
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("The survey is closed"), "{page}");
    assert_eq!(results(&stack, &slug).await["average_rating"], 3.5);
}

#[tokio::test]
async fn an_exchange_with_its_own_survey_sends_participants_there() {
    let stack = Stack::start().await;
    let slug = stack
        .given_event(json!({ "survey_url": "https://forms.example.org/atd" }))
        .await;
    let mut bad = convene_tests::stack::event_body();
    bad["survey_url"] = json!("http://forms.example.org/atd");
    let response = stack.create_event(&bad).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["fields"]["survey_url"].is_string(), "{body}");

    let (_, survey) = participant_of(&stack, &slug, "Dee").await;
    ended(&stack, &slug, "1 hour").await;
    let response = stack.http.get(&survey).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        "https://forms.example.org/atd"
    );
    assert_eq!(
        results(&stack, &slug).await["external_survey_url"],
        "https://forms.example.org/atd"
    );
}
