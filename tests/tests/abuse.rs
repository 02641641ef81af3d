//! Hostile or careless input: rate limits, admin tokens, oversized and injected values.

use std::time::Duration;

use convene_tests::stack::{event_body, participant, ADMIN_TOKEN, RECEIVED};
use convene_tests::{Stack, StackOptions};
use serde_json::{json, Value};

#[tokio::test]
async fn one_client_flooding_is_limited_while_others_go_through() {
    let stack = Stack::start_with(StackOptions {
        env: vec![
            // Two a minute: a token comes back every 30 s, far longer than these
            // requests take even on a loaded CI machine (at 5 a minute, one came back
            // after 12 s and the sixth request went through).
            ("RATE_LIMIT_PER_MINUTE".into(), "2".into()),
            ("TRUSTED_PROXIES".into(), "127.0.0.1".into()),
        ],
        ..StackOptions::default()
    })
    .await;
    let slug = stack.given_event(json!({})).await;
    let get = |client: &'static str| {
        stack
            .http
            .get(stack.url(&format!("/events/{slug}/register")))
            .header("x-forwarded-for", client)
            .send()
    };
    for _ in 0..2 {
        assert_eq!(get("203.0.113.1").await.unwrap().status(), 200);
    }
    let limited = get("203.0.113.1").await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    assert_eq!(
        get("203.0.113.2").await.unwrap().status(),
        200,
        "another client is unaffected"
    );
    // Admin routes are not public: the token is the limit there.
    for _ in 0..8 {
        assert_eq!(stack.create_event(&event_body()).await.status(), 201);
    }
}

#[tokio::test]
async fn several_admin_tokens_are_valid_and_one_can_be_limited_to_an_exchange() {
    let old = "old-token-still-valid-123";
    let limited = "limited-token-0123456789";
    let stack = Stack::start_with(StackOptions {
        env: vec![(
            "ADMIN_TOKEN".into(),
            format!("{ADMIN_TOKEN}, {old}, {limited}:only-this-one"),
        )],
        ..StackOptions::default()
    })
    .await;
    let post = |token: &str, body: serde_json::Value| {
        stack
            .http
            .post(stack.url("/api/admin/events"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    assert_eq!(post(ADMIN_TOKEN, event_body()).await.unwrap().status(), 201);
    assert_eq!(post(old, event_body()).await.unwrap().status(), 201);
    assert_eq!(post(limited, event_body()).await.unwrap().status(), 403);
    let mut mine = event_body();
    mine["slug"] = json!("only-this-one");
    assert_eq!(post(limited, mine).await.unwrap().status(), 201);
    let wrong = post("not-a-token-at-all-000", event_body()).await.unwrap();
    assert_eq!(wrong.status(), 401);
    let body = wrong.text().await.unwrap();
    assert!(
        !body.contains("token-at-all"),
        "a 401 says nothing about why"
    );
    // Cross-exchange personal data needs an unrestricted token.
    let export = stack
        .http
        .get(stack.url("/api/admin/personal-data?email=a@b.org"))
        .bearer_auth(limited)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 403);
}

#[tokio::test]
async fn oversized_and_injected_values_change_nothing_they_should_not() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;

    // Over the body limit: 413.
    let mut huge = participant("Big");
    huge["name"] = json!("x".repeat(100_000));
    assert_eq!(stack.register_json(&slug, &huge).await.status(), 413);

    // Header injection, direction overrides and 10 000 characters are refused, each named.
    for (field, value) in [
        ("name", "Ana\r\nBcc: victim@example.org"),
        ("organisation", "Ministry\u{202E}lanigiro"),
        ("name", &"n".repeat(10_000)),
        ("email", "ana@example.org\r\nBcc: victim@example.org"),
    ] {
        let mut body = participant("Injector");
        body[field] = json!(value);
        let response = stack.register_json(&slug, &body).await;
        assert_eq!(response.status(), 422, "{field}={value:?}");
        let errors: serde_json::Value = response.json().await.unwrap();
        assert!(errors["fields"][field].is_string(), "{errors}");
    }

    // Markup is stored verbatim and never rendered as markup.
    let mut body = participant("Markup");
    body["name"] = json!("<script>alert(1)</script> Ana");
    stack.register(&slug, &body).await;
    let email = body["email"].as_str().unwrap();
    let mails = stack
        .mailbox
        .wait_for(1, Duration::from_secs(30), |m| m.to.contains(email))
        .await;
    assert!(
        mails[0].body.contains("<script>alert(1)</script> Ana"),
        "plain text keeps it verbatim"
    );
    let raw = std::fs::read_to_string(&mails[0].file).unwrap();
    assert!(
        !raw.to_lowercase().contains("\nbcc:"),
        "no header was added"
    );
    assert_eq!(raw.lines().filter(|l| l.starts_with("To:")).count(), 1);
}

#[tokio::test]
async fn a_bot_filling_the_hidden_field_is_told_it_worked_and_nothing_is_stored() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    let response = stack
        .register_form(
            &slug,
            &[
                ("name", "Bot"),
                ("email", "bot@spam.example.org"),
                ("organisation", "Spam Inc"),
                ("country", "FR"),
                ("role", "other"),
                ("consent", "on"),
                ("website", "https://spam.example.org"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "the bot sees the usual answer");
    // Invalid input is answered as anybody's is (the form again, with its messages), so
    // the field gives nothing away; the same for the offer form below.
    let response = stack
        .register_form(
            &slug,
            &[
                ("name", "Bot"),
                ("email", "not-an-address"),
                ("organisation", "Spam Inc"),
                ("country", "FR"),
                ("role", "other"),
                ("consent", "on"),
                ("website", "https://spam.example.org"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let invalid_offer = stack
        .http
        .post(stack.url(&format!("/events/{slug}/cosponsor")))
        .form(&[
            ("organisation", "Spam Inc"),
            ("country", "FR"),
            ("contact_name", "Bot"),
            ("contact_email", "not-an-address"),
            ("support_kind", "other"),
            ("website", "https://spam.example.org"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(invalid_offer.status(), 422);
    let offer = stack
        .http
        .post(stack.url(&format!("/events/{slug}/cosponsor")))
        .form(&[
            ("organisation", "Spam Inc"),
            ("country", "FR"),
            ("contact_name", "Bot"),
            ("contact_email", "bot@spam.example.org"),
            ("support_kind", "other"),
            ("website", "https://spam.example.org"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(offer.status(), 200);
    let offer = stack
        .http
        .post(stack.url(&format!("/api/events/{slug}/cosponsor-offers")))
        .json(&json!({
            "organisation": "Spam Inc", "country": "FR", "contact_name": "Bot",
            "contact_email": "bot@spam.example.org", "support_kind": "other",
            "website": "https://spam.example.org",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(offer.status(), 201, "the bot sees the usual answer");
    let answer: Value = offer.json().await.unwrap();
    assert!(answer["id"].is_string(), "{answer}");
    // The JSON API: the answer every registration gets, byte for byte.
    let mut bot = participant("Bot");
    bot["website"] = json!("https://spam.example.org");
    let response = stack.register_json(&slug, &bot).await;
    assert_eq!(response.status(), 202, "the bot sees the usual answer");
    assert_eq!(response.text().await.unwrap(), RECEIVED);
    // Invalid input is answered as anybody's is, so the field gives nothing away.
    bot["email"] = json!("not-an-address");
    let response = stack.register_json(&slug, &bot).await;
    assert_eq!(response.status(), 422);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.registrations")
            .await,
        0
    );
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.cosponsor_offers")
            .await,
        0
    );
    assert!(stack.mailbox.all().is_empty(), "no email to anyone");
}

/// An answer as a client sees it, minus what differs between any two requests (`date`,
/// `x-correlation-id`): status, every other header, body.
async fn answer_of(response: reqwest::Response) -> (u16, Vec<(String, String)>, String) {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-correlation-id"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn a_known_address_gets_the_same_answer_as_a_new_one() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("RATE_LIMIT_PER_MINUTE".into(), "0".into())],
        ..StackOptions::default()
    })
    .await;
    // One seat: the first takes it, the next waits in line; an exchange with approval
    // holds a rejected registration.
    let slug = stack.given_event(json!({ "capacity": 1 })).await;
    let vetted = stack
        .given_event(json!({ "requires_approval": true }))
        .await;
    let (ana, ben, cy) = (participant("Ana"), participant("Ben"), participant("Cy"));
    let rejected = stack.register(&vetted, &cy).await;
    let (status, _) = stack
        .admin_json(
            reqwest::Method::POST,
            &format!("/api/admin/registrations/{}/reject", rejected.id),
            None,
        )
        .await;
    assert_eq!(status, 200);

    // The JSON API: new (a seat), new (the line), known (each of three statuses, one in
    // another case), and a repeat of a rejected one: one answer.
    let mut ana_shouting = ana.clone();
    ana_shouting["email"] = json!(ana["email"].as_str().unwrap().to_uppercase());
    let mut answers = Vec::new();
    for (exchange, person) in [
        (&slug, &ana),
        (&slug, &ben),
        (&slug, &ana),
        (&slug, &ana_shouting),
        (&slug, &ben),
        (&vetted, &cy),
    ] {
        answers.push(answer_of(stack.register_json(exchange, person).await).await);
    }
    assert_eq!(answers[0].0, 202);
    assert_eq!(answers[0].2, RECEIVED);
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer, &answers[0], "answer {i}");
    }
    // Behind the one answer, what happened differs.
    let email = |p: &serde_json::Value| p["email"].as_str().unwrap().to_owned();
    let now = [
        (&slug, email(&ana)),
        (&slug, email(&ben)),
        (&vetted, email(&cy)),
    ];
    let mut statuses = Vec::new();
    for (exchange, email) in &now {
        statuses.push(stack.registration_of(exchange, email).await.unwrap());
    }
    assert_eq!(statuses[0].status, "confirmed");
    assert_eq!(statuses[1].status, "waitlisted");
    assert_eq!(
        (statuses[2].id, statuses[2].status.as_str()),
        (rejected.id, "rejected"),
        "a rejected registration stays rejected"
    );
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.registrations")
            .await,
        3
    );

    // The form: new and known, in English and in French, go to the same address.
    let form = |person: &serde_json::Value, lang: &'static str| {
        let fields: Vec<(String, String)> = ["name", "email", "organisation", "country", "role"]
            .iter()
            .map(|f| ((*f).to_owned(), person[*f].as_str().unwrap().to_owned()))
            .chain([
                ("consent".to_owned(), "on".to_owned()),
                ("lang".to_owned(), lang.to_owned()),
            ])
            .collect();
        let stack = &stack;
        let slug = slug.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            answer_of(stack.register_form(&slug, &fields).await).await
        }
    };
    let dee = participant("Dee");
    let eve = participant("Eve");
    let new = form(&dee, "en").await;
    assert_eq!(new.0, 303);
    assert!(new
        .1
        .contains(&("location".into(), format!("/events/{slug}/registered"))));
    assert_eq!(form(&dee, "en").await, new, "known");
    assert_eq!(form(&ana, "en").await, new, "known through the API");
    assert_eq!(form(&ben, "en").await, new, "known, waiting");
    let new_fr = form(&eve, "fr").await;
    assert!(new_fr.1.contains(&(
        "location".into(),
        format!("/events/{slug}/registered?lang=fr")
    )));
    assert_eq!(form(&eve, "fr").await, new_fr, "known, in French");
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.registrations")
            .await,
        5
    );
}

/// The `'sha256-…'` a Content-Security-Policy names an inline element by.
fn csp_hash(text: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Every text between `open` and `close` in `html`.
fn inline<'a>(html: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    html.split(open)
        .skip(1)
        .map(|rest| &rest[..rest.find(close).expect("closed")])
        .collect()
}

#[tokio::test]
async fn pages_forbid_foreign_content_and_secret_links_are_never_cached() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;

    // A public page: the policy, and exactly its own inline style and script allowed.
    let form = stack
        .http
        .get(stack.url(&format!("/events/{slug}/register")))
        .send()
        .await
        .unwrap();
    let headers = form.headers().clone();
    let html = form.text().await.unwrap();
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'self';"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    // Each inline style and script, on the form and on the console (which adds its own
    // style), is allowed by its hash.
    let console = stack.get_text("/console").await;
    for page in [&html, &console] {
        let styles = inline(page, "<style>", "</style>");
        let scripts = inline(page, "<script>", "</script>");
        assert!(!styles.is_empty(), "the page is styled");
        for element in styles.into_iter().chain(scripts) {
            assert!(
                policy.contains(&csp_hash(element)),
                "an inline element is not allowed by the policy {policy}: {element}"
            );
        }
    }
    assert_eq!(inline(&console, "<style>", "</style>").len(), 2);
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers.get("cache-control").is_none(),
        "a public page may be cached"
    );

    // The participant's own page, its calendar and its answers: never stored.
    let person = participant("Amina");
    stack.register(&slug, &person).await;
    let mail = stack
        .mailbox
        .wait_for(1, Duration::from_secs(30), |m| {
            m.to.contains(person["email"].as_str().unwrap())
        })
        .await;
    let link = mail[0].manage_link().expect("a manage link");
    let path = &link[link.find("/registrations/").unwrap()..];
    for (method, url) in [
        (reqwest::Method::GET, path.to_owned()),
        (reqwest::Method::GET, format!("{path}/calendar.ics")),
        (reqwest::Method::POST, format!("{path}/cancel")),
        (
            reqwest::Method::GET,
            format!("/events/{slug}/register?invitation=abc"),
        ),
    ] {
        let response = stack
            .http
            .request(method, stack.url(&url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{url} ({})",
            response.status()
        );
        assert_eq!(
            response.headers()["referrer-policy"],
            "no-referrer",
            "{url}"
        );
    }

    // JSON is not a page: no policy needed, but never sniffed as one.
    let api = stack
        .http
        .get(stack.url("/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}

/// Writes `bytes` one at a time, `pause` apart, until written or the server hangs up;
/// returns whether all were written, and how long that went on.
async fn trickle(
    stream: &mut (impl tokio::io::AsyncWrite + Unpin),
    bytes: &[u8],
    pause: Duration,
) -> (bool, Duration) {
    use tokio::io::AsyncWriteExt as _;
    let started = std::time::Instant::now();
    for byte in bytes {
        if stream.write_all(&[*byte]).await.is_err() {
            return (false, started.elapsed());
        }
        tokio::time::sleep(pause).await;
    }
    (true, started.elapsed())
}

/// Reads what the server says until it closes (or 20 s pass), and when that was.
async fn read_until_closed(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
) -> (String, std::time::Instant) {
    use tokio::io::AsyncReadExt as _;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        std::time::Instant::now(),
    )
}

#[tokio::test]
async fn a_client_that_trickles_its_request_is_cut_off() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("HTTP_REQUEST_TIMEOUT_SECS".into(), "2".into())],
        ..StackOptions::default()
    })
    .await;
    let address = stack.base_url.trim_start_matches("http://").to_owned();
    let slug = stack.given_event(json!({})).await;

    // Headers a byte every 200 ms (about 14 s to send): the server hangs up after 2.
    let request = format!("GET /events/{slug}/register HTTP/1.1\r\nHost: convene.example\r\n\r\n");
    let (mut reader, mut writer) = tokio::net::TcpStream::connect(&address)
        .await
        .unwrap()
        .into_split();
    let started = std::time::Instant::now();
    let ((finished, _), (answer, closed)) = tokio::join!(
        trickle(&mut writer, request.as_bytes(), Duration::from_millis(200)),
        read_until_closed(&mut reader)
    );
    let after = closed - started;
    assert!(!finished, "the whole request went in: {answer}");
    assert!(!answer.contains("200 OK"), "it was served: {answer}");
    assert!(after < Duration::from_secs(6), "cut off after {after:?}");

    // Headers at once, then the body a byte every 200 ms: 408 after 2 s.
    let body = json!({"name": "Amina", "email": "amina@interior.example.sn", "organisation": "Ministry", "country": "SN", "role": "government_official", "consent": true}).to_string();
    let head = format!(
        "POST /api/events/{slug}/registrations HTTP/1.1\r\nHost: convene.example\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (mut reader, mut writer) = tokio::net::TcpStream::connect(&address)
        .await
        .unwrap()
        .into_split();
    trickle(&mut writer, head.as_bytes(), Duration::ZERO).await;
    let started = std::time::Instant::now();
    let (_, (answer, closed)) = tokio::join!(
        trickle(&mut writer, body.as_bytes(), Duration::from_millis(200)),
        read_until_closed(&mut reader)
    );
    let after = closed - started;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(after < Duration::from_secs(6), "answered after {after:?}");
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.registrations")
            .await,
        0,
        "nothing half-written"
    );
}

#[tokio::test]
async fn connections_beyond_the_bound_wait_their_turn() {
    let stack = Stack::start_with(StackOptions {
        env: vec![("HTTP_MAX_CONNECTIONS".into(), "2".into())],
        ..StackOptions::default()
    })
    .await;
    let address = stack.base_url.trim_start_matches("http://").to_owned();
    // A client of our own, keeping no connection open between requests.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    // The harness's own client may hold one connection: two idle ones fill the bound.
    let idle: Vec<_> = futures_util::future::join_all(
        (0..2).map(|_| tokio::net::TcpStream::connect(address.clone())),
    )
    .await;
    let waiting = client.get(stack.url("/healthz")).send().await;
    assert!(
        waiting.is_err(),
        "a connection beyond the bound was served: {waiting:?}"
    );
    drop(idle);
    let served = client.get(stack.url("/healthz")).send().await.unwrap();
    assert_eq!(served.status(), 200);
}
