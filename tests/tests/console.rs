//! The organisers' console: signing in by an emailed one-time link, the session cookie and
//! its CSRF token, who sees which exchange, and deciding on registrations — through the
//! real services, with the links read from the emails the SMTP server received.

use std::time::Duration;

use convene_tests::stack::participant;
use convene_tests::{Stack, StackOptions};
use reqwest::header::{HeaderMap, CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);
const ADMIN: &str = "boss@convene.example.org";

/// A stack whose console has one admin.
async fn stack() -> Stack {
    Stack::start_with(StackOptions {
        env: vec![("CONSOLE_ADMINS".into(), ADMIN.into())],
        ..StackOptions::default()
    })
    .await
}

/// An answer: status, headers, body.
struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The CSRF token the page's forms carry.
    fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.body))
            + "name=\"csrf\" value=\"".len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

/// A browser, holding the console's cookie by hand.
struct Browser<'a> {
    stack: &'a Stack,
    cookie: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(stack: &'a Stack) -> Self {
        Self {
            stack,
            cookie: None,
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = match &self.cookie {
            Some(cookie) => request.header(COOKIE, cookie),
            None => request,
        };
        let response = request.send().await.expect("a console request");
        let page = Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap_or_default(),
        };
        if let Some(set) = page.headers.get(SET_COOKIE) {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap().trim();
            self.cookie = (!pair.ends_with('=')).then(|| pair.to_owned());
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.stack.http.get(self.stack.url(path));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.stack.http.post(self.stack.url(path)).form(form);
        self.send(request).await
    }
}

/// Sign-in emails received by `email`.
fn sign_in_emails(stack: &Stack, email: &str) -> Vec<String> {
    stack
        .mailbox
        .to(email)
        .into_iter()
        .filter(|m| m.subject.contains("sign in"))
        .map(|m| link_in(&m.body))
        .collect()
}

fn link_in(body: &str) -> String {
    body.split_whitespace()
        .find(|w| w.contains("/console/sign-in/"))
        .unwrap_or_else(|| panic!("no sign-in link in {body}"))
        .to_owned()
}

/// Asks for a link for `email` (landing on `next`) and returns its path once emailed.
async fn link_for(stack: &Stack, email: &str, next: &str) -> String {
    let before = sign_in_emails(stack, email);
    let page = Browser::new(stack)
        .post("/console/sign-in", &[("email", email), ("next", next)])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The files' names say nothing of their order: the new link is the one not seen before.
    stack
        .mailbox
        .wait_for(before.len() + 1, WAIT, |m| {
            m.to.contains(email) && m.subject.contains("sign in")
        })
        .await;
    let link = sign_in_emails(stack, email)
        .into_iter()
        .find(|l| !before.contains(l))
        .expect("a new link");
    assert!(link.starts_with(&stack.url("/console/sign-in/")), "{link}");
    link.trim_start_matches(&stack.base_url).to_owned()
}

/// A browser signed in as `email`.
async fn signed_in<'a>(stack: &'a Stack, email: &str) -> Browser<'a> {
    let link = link_for(stack, email, "/console").await;
    let mut browser = Browser::new(stack);
    let page = browser.post(&link, &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(browser.cookie.is_some());
    browser
}

#[tokio::test]
async fn a_sign_in_link_works_once_and_a_used_or_expired_one_says_so() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"], "capacity": 40 }))
        .await;
    let link = link_for(&stack, "ana@un.example.org", "/console").await;

    // Opening the link (as a mail scanner would) spends nothing: it shows a button.
    let mut browser = Browser::new(&stack);
    for _ in 0..2 {
        let page = browser.get(&link).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(&format!("action=\"{link}\"")),
            "{}",
            page.body
        );
        assert_eq!(page.headers.get(CACHE_CONTROL).unwrap(), "no-store");
    }

    // The button signs in: a session cookie, HttpOnly, SameSite=Lax, only for the console,
    // not Secure on plain http.
    let page = browser.post(&link, &[]).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), "/console");
    let cookie = page.headers.get(SET_COOKIE).unwrap().to_str().unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/console"] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let home = browser.get("/console").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("My exchanges"), "{}", home.body);
    assert!(home.body.contains(&format!("/console/events/{slug}")));
    assert!(home.body.contains("0 of 40"), "{}", home.body);
    assert_eq!(home.headers.get(CACHE_CONTROL).unwrap(), "no-store");

    // Used: the link says so, both ways, and offers a new one.
    for page in [
        Browser::new(&stack).post(&link, &[]).await,
        Browser::new(&stack).get(&link).await,
    ] {
        assert_eq!(page.status, 404);
        assert!(page.body.contains("cannot be used"), "{}", page.body);
        assert!(page.body.contains("action=\"/console\""));
        assert!(page.headers.get(SET_COOKIE).is_none());
    }

    // Expired: a second link, its time over.
    let second = link_for(&stack, "ana@un.example.org", "/console").await;
    let pool = stack.db.pool().await;
    let expired = sqlx::query(
        "UPDATE registration.console_links SET expires_at = now() - interval '1 second' \
         WHERE used_at IS NULL",
    )
    .execute(&pool)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(expired, 1);
    let page = Browser::new(&stack).post(&second, &[]).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("cannot be used"));
    assert!(page.headers.get(SET_COOKIE).is_none());

    // A made-up link too.
    let page = Browser::new(&stack)
        .post(&format!("/console/sign-in/{}", "0".repeat(64)), &[])
        .await;
    assert_eq!(page.status, 404);

    // Neither the links nor the address are in any service's logs.
    let token = link.rsplit('/').next().unwrap();
    for process in [&stack.registration, &stack.notification] {
        let logs = process.logs();
        assert!(
            logs.contains("console"),
            "{} logged nothing of it",
            process.name
        );
        for secret in [token, "ana@un.example.org"] {
            assert!(!logs.contains(secret), "{} logged {secret}", process.name);
        }
    }
}

#[tokio::test]
async fn erasing_an_address_signs_it_out_of_the_console() {
    let stack = stack().await;
    stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    let mut ana = signed_in(&stack, "ana@un.example.org").await;
    assert!(ana.get("/console").await.body.contains("My exchanges"));
    let (code, _) = stack
        .admin_json(
            reqwest::Method::DELETE,
            "/api/admin/personal-data?email=ana@un.example.org",
            None,
        )
        .await;
    assert_eq!(code, 200);
    assert!(!ana.get("/console").await.body.contains("My exchanges"));
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.console_links")
            .await,
        0
    );
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_page_and_no_email_and_the_sixth_link_in_an_hour_is_not_sent(
) {
    let stack = stack().await;
    stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    let ask = |email: &'static str| {
        let stack = &stack;
        async move {
            Browser::new(stack)
                .post(
                    "/console/sign-in",
                    &[("email", email), ("next", "/console")],
                )
                .await
        }
    };

    // The same page, known or not; only the known address gets a link.
    let unknown = ask("nobody@elsewhere.example.org").await;
    let known = ask("ana@un.example.org").await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.body, known.body);
    // An address that is not one is the person's mistake, and is said so.
    let bad = ask("not-an-address").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("aria-invalid=\"true\""));

    // Four more for the known address, then a sixth: five links in all.
    for _ in 0..5 {
        assert_eq!(ask("ana@un.example.org").await.status, 200);
    }
    stack
        .mailbox
        .wait_for(5, WAIT, |m| m.to.contains("ana@un.example.org"))
        .await;
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.console_links")
            .await,
        5,
        "one link per allowed request, none for the unknown address or the sixth request"
    );
    // Whatever was still on its way has arrived by now (the outbox is empty).
    for _ in 0..100 {
        if stack
            .scalar_i64("SELECT count(*) FROM registration.outbox")
            .await
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sign_in_emails(&stack, "ana@un.example.org").len(), 5);
    assert!(stack.mailbox.to("nobody@elsewhere.example.org").is_empty());
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused_and_sign_out_ends_the_session() {
    let stack = stack().await;
    stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    let mut browser = signed_in(&stack, "ana@un.example.org").await;
    let home = browser.get("/console").await;
    let csrf = home.csrf();

    // Without the token, or with another, signing out is refused and changes nothing.
    for form in [vec![], vec![("csrf", "0123456789abcdef")]] {
        let page = browser.post("/console/sign-out", &form).await;
        assert_eq!(page.status, 403);
        assert_eq!(page.headers.get(CACHE_CONTROL).unwrap(), "no-store");
        assert!(browser.get("/console").await.body.contains("My exchanges"));
    }

    // With it, the session ends and the cookie goes.
    let saved = browser.cookie.clone();
    let page = browser.post("/console/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("signed out"));
    let cleared = page.headers.get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(browser.cookie.is_none());
    // The old cookie no longer signs anyone in.
    browser.cookie = saved;
    let page = browser.get("/console").await;
    assert!(!page.body.contains("My exchanges"));
    assert!(page.body.contains("Email me a sign-in link"));
    assert_eq!(
        stack
            .scalar_i64("SELECT count(*) FROM registration.console_sessions")
            .await,
        0
    );
}

#[tokio::test]
async fn each_person_sees_only_their_exchanges_viewers_change_nothing_and_organisers_approve() {
    let stack = stack().await;
    let a = stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    let b = stack
        .given_event(json!({
            "organiser_emails": ["ben@un.example.org"],
            "viewer_emails": ["Vera@Ministry.example.org"],
            "requires_approval": true,
            "capacity": 10,
        }))
        .await;
    let person = participant("Pending Person");
    let registered = stack.register(&b, &person).await;
    assert_eq!(registered.status, "pending");
    let id = registered.id.to_string();
    let approve = format!("/console/events/{b}/registrations/{id}/approve");
    let status = || async {
        let (_, body) = stack
            .admin_json(
                reqwest::Method::GET,
                &format!("/api/admin/events/{b}/registrations"),
                None,
            )
            .await;
        body["registrations"][0]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // Ana organises A only: B is not there for her, not even to approve.
    let mut ana = signed_in(&stack, "ana@un.example.org").await;
    let home = ana.get("/console").await;
    assert!(home.body.contains(&format!("/console/events/{a}")));
    assert!(!home.body.contains(&format!("/console/events/{b}")));
    assert_eq!(ana.get(&format!("/console/events/{b}")).await.status, 404);
    assert_eq!(ana.get(&format!("/console/events/{a}")).await.status, 200);
    let csrf = home.csrf();
    assert_eq!(ana.post(&approve, &[("csrf", &csrf)]).await.status, 404);
    assert_eq!(status().await, "pending");

    // Vera views B (her address in another case): she sees it, with no buttons, and
    // cannot approve.
    let mut vera = signed_in(&stack, "vera@ministry.example.org").await;
    let page = vera.get(&format!("/console/events/{b}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Pending Person"));
    assert!(page.body.contains("viewer"));
    assert!(!page.body.contains("/approve"));
    let csrf = page.csrf();
    assert_eq!(vera.post(&approve, &[("csrf", &csrf)]).await.status, 403);
    assert_eq!(status().await, "pending");

    // Ben organises B: its figures, the pending registration with its buttons.
    let mut ben = signed_in(&stack, "ben@un.example.org").await;
    let home = ben.get("/console").await;
    assert!(home.body.contains(&format!("/console/events/{b}")));
    let page = ben.get(&format!("/console/events/{b}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<strong>1</strong> pending approval"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&approve));
    let csrf = page.csrf();
    // Without his session's token, or with Vera's, nothing happens.
    let vera_csrf = vera.get("/console").await.csrf();
    for form in [vec![], vec![("csrf", vera_csrf.as_str())]] {
        assert_eq!(ben.post(&approve, &form).await.status, 403);
    }
    assert_eq!(status().await, "pending");
    // With it, approved: a seat, and the participant is told.
    let page = ben.post(&approve, &[("csrf", &csrf)]).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        format!("/console/events/{b}?decided=confirmed")
    );
    assert_eq!(status().await, "confirmed");
    let email = person["email"].as_str().unwrap();
    stack
        .mailbox
        .wait_for(2, WAIT, |m| m.to.contains(email))
        .await;
    let page = ben.get(page.location()).await;
    assert!(page.body.contains("Approved"));
    assert!(
        page.body.contains("<strong>1 of 10</strong> confirmed"),
        "{}",
        page.body
    );
    // A second time there is nothing to decide.
    assert_eq!(ben.post(&approve, &[("csrf", &csrf)]).await.status, 409);

    // The overview's chart counts them by country, officials apart.
    assert!(page.body.contains("aria-labelledby=\"by-country\""));
    assert!(page.body.contains(">Senegal</text>"), "{}", page.body);
    assert!(page.body.contains(">1 (1 official)</text>"));

    // Who approved whom is on record, in the console and the admin API.
    assert!(
        page.body
            .contains("ben@un.example.org approved Pending Person (confirmed)"),
        "{}",
        page.body
    );
    let (code, log) = stack
        .admin_json(
            reqwest::Method::GET,
            &format!("/api/admin/events/{b}/activity"),
            None,
        )
        .await;
    assert_eq!(code, 200);
    // (Its creation through the admin API is on record too, as the admin API's.)
    let entries: Vec<&serde_json::Value> = log["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] != "exchange.created")
        .collect();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["actor"], "ben@un.example.org");
    assert_eq!(entries[0]["action"], "registration.approved");
    assert_eq!(entries[0]["subject_id"], id.as_str());
    assert_eq!(entries[0]["outcome"], "confirmed");

    // The console admin sees both.
    let mut boss = signed_in(&stack, ADMIN).await;
    let home = boss.get("/console").await;
    assert!(home.body.contains(&format!("/console/events/{a}")));
    assert!(home.body.contains(&format!("/console/events/{b}")));

    // Taking Ben off B takes effect on his next request.
    let (code, _) = stack
        .admin_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/events/{b}"),
            Some(&json!({ "organiser_emails": ["someone.else@un.example.org"] })),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(ben.get(&format!("/console/events/{b}")).await.status, 404);
    assert!(!ben
        .get("/console")
        .await
        .body
        .contains(&format!("/console/events/{b}")));
}

#[tokio::test]
async fn a_deep_link_survives_sign_in_but_never_leads_off_the_console() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    let deep = format!("/console/events/{slug}");

    // Not signed in: to the sign-in page, which keeps where they were heading.
    let mut browser = Browser::new(&stack);
    let page = browser.get(&deep).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), format!("/console?next={deep}"));
    let page = browser.get(page.location()).await;
    assert!(page
        .body
        .contains(&format!("name=\"next\" value=\"{deep}\"")));

    // Signing in from there lands on the exchange.
    let link = link_for(&stack, "ana@un.example.org", &deep).await;
    let page = browser.post(&link, &[]).await;
    assert_eq!(page.location(), deep);
    assert_eq!(browser.get(&deep).await.status, 200);

    // Anywhere else is the console's home.
    for next in [
        "https://evil.example.org/console",
        "//evil.example.org",
        "/events",
    ] {
        let link = link_for(&stack, "ana@un.example.org", next).await;
        let page = Browser::new(&stack).post(&link, &[]).await;
        assert_eq!(page.location(), "/console", "{next}");
    }
}

#[tokio::test]
async fn viewer_emails_are_part_of_an_exchange_in_the_admin_api() {
    let stack = Stack::start().await;
    let slug = stack
        .given_event(json!({ "viewer_emails": ["vera@ministry.example.org"] }))
        .await;
    let path = format!("/api/admin/events/{slug}");
    let (code, body) = stack
        .admin_json(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({ "viewer_emails": ["not-an-address"] })),
        )
        .await;
    assert_eq!(code, 422);
    assert!(body["fields"]["viewer_emails"].is_string(), "{body}");
    let (code, body) = stack
        .admin_json(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({ "viewer_emails": ["vera@ministry.example.org", "vic@un.example.org"] })),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["viewer_emails"],
        json!(["vera@ministry.example.org", "vic@un.example.org"]),
        "{body}"
    );
}

#[tokio::test]
async fn registrations_filter_and_export_and_organisers_decide_on_offers() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({
            "organiser_emails": ["ben@un.example.org"],
            "viewer_emails": ["vera@ministry.example.org"],
            "requires_approval": true,
        }))
        .await;
    let other = stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    let pending = participant("Pending Person");
    let pending_id = stack.register(&slug, &pending).await.id.to_string();
    let offer: serde_json::Value = stack
        .http
        .post(stack.url(&format!("/api/events/{slug}/cosponsor-offers")))
        .json(&json!({
            "organisation": "Ministry of Justice of Ghana",
            "country": "GH",
            "contact_name": "Kofi Mensah",
            "contact_email": "kofi@justice.example.org",
            "support_kind": "hosting",
            "message": "We can host the second day in Accra.",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let offer_id = offer["id"].as_str().unwrap().to_owned();
    let accept = format!("/console/events/{slug}/cosponsor-offers/{offer_id}/accept");
    let csv = format!("/console/events/{slug}/registrations.csv");

    // The organisers' email about the offer leads to the console, where they decide on it.
    let mails = stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains("ben@un.example.org") && m.subject.contains("Co-sponsorship offer")
        })
        .await;
    assert!(
        mails[0]
            .body
            .contains(&stack.url(&format!("/console/events/{slug}#offers"))),
        "{}",
        mails[0].body
    );

    // The export needs a session, and then any access to the exchange: a viewer has it.
    let page = Browser::new(&stack).get(&csv).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), format!("/console?next={csv}"));
    let mut vera = signed_in(&stack, "vera@ministry.example.org").await;
    let page = vera.get(&format!("{csv}?status=pending")).await;
    assert_eq!(page.status, 200);
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(page.body.contains(pending["email"].as_str().unwrap()));
    let page = vera.get(&format!("{csv}?status=confirmed")).await;
    assert!(!page.body.contains(pending["email"].as_str().unwrap()));
    let mut ana = signed_in(&stack, "ana@un.example.org").await;
    assert_eq!(ana.get(&csv).await.status, 404);
    assert_eq!(
        ana.get(&format!("/console/events/{other}/registrations.csv"))
            .await
            .status,
        200
    );

    // The list by status.
    let page = vera
        .get(&format!("/console/events/{slug}?status=pending"))
        .await;
    assert!(page.body.contains("Pending Person"));
    assert!(page.body.contains("We can host the second day in Accra."));
    assert!(
        !page.body.contains(&accept),
        "a viewer gets no offer buttons"
    );
    let page = vera
        .get(&format!("/console/events/{slug}?status=confirmed"))
        .await;
    assert!(!page.body.contains("Pending Person"));

    // A viewer, a form without the session's token, an organiser of another exchange:
    // the offer stays open.
    let vera_csrf = page.csrf();
    assert_eq!(
        vera.post(&accept, &[("csrf", &vera_csrf)]).await.status,
        403
    );
    let mut ben = signed_in(&stack, "ben@un.example.org").await;
    let page = ben.get(&format!("/console/events/{slug}")).await;
    assert!(page.body.contains(&accept));
    let csrf = page.csrf();
    assert_eq!(ben.post(&accept, &[("note", "Welcome")]).await.status, 403);
    let ana_csrf = ana.get("/console").await.csrf();
    assert_eq!(ana.post(&accept, &[("csrf", &ana_csrf)]).await.status, 404);
    let offers_status = || async {
        let (_, body) = stack
            .admin_json(
                reqwest::Method::GET,
                &format!("/api/admin/events/{slug}/cosponsor-offers"),
                None,
            )
            .await;
        body["cosponsor_offers"][0]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(offers_status().await, "received");

    // Ben accepts, with a note: its contact is emailed it.
    let page = ben
        .post(
            &accept,
            &[
                ("csrf", &csrf),
                ("note", "Welcome aboard, see you in Accra."),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        format!("/console/events/{slug}?decided=accepted")
    );
    assert_eq!(offers_status().await, "accepted");
    let mails = stack
        .mailbox
        .wait_for(1, WAIT, |m| m.to.contains("kofi@justice.example.org"))
        .await;
    assert!(mails[0].body.contains("Welcome aboard, see you in Accra."));
    let page = ben.get(page.location()).await;
    assert!(page.body.contains("Offer accepted"));
    assert!(
        !page.body.contains(&accept),
        "a decided offer has no buttons"
    );
    assert!(page.body.contains(
        "ben@un.example.org accepted the offer of Ministry of Justice of Ghana (accepted)"
    ));

    // A decision through the admin API is on record too, as the API's.
    let (code, _) = stack
        .admin_json(
            reqwest::Method::POST,
            &format!("/api/admin/registrations/{pending_id}/reject"),
            None,
        )
        .await;
    assert_eq!(code, 200);
    let page = vera.get(&format!("/console/events/{slug}")).await;
    assert!(
        page.body
            .contains("admin API rejected Pending Person (rejected)"),
        "{}",
        page.body
    );
}

/// The fields a browser sends for the page's form with `action`: its inputs (checkboxes
/// when checked), textareas and selects, with their values as shown.
fn form_fields(body: &str, action: &str) -> Vec<(String, String)> {
    let start = body
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form for {action} in {body}"));
    let form = &body[start..start + body[start..].find("</form>").unwrap()];
    let unescape = |s: &str| {
        s.replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#38;", "&")
    };
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(unescape(&tag[at..at + tag[at..].find('"')?]))
    };
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let tag = &rest[..rest.find('>').unwrap() + 1];
        if tag.starts_with("<input ") {
            let checkbox = attr(tag, "type").as_deref() == Some("checkbox");
            if let Some(name) = attr(tag, "name") {
                if !checkbox || tag.contains(" checked") {
                    fields.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<textarea ") {
            let text = &rest[tag.len()..rest.find("</textarea>").unwrap()];
            fields.push((attr(tag, "name").unwrap(), unescape(text)));
        } else if tag.starts_with("<select ") {
            let options = &rest[..rest.find("</select>").unwrap()];
            let chosen = options
                .split("<option ")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| options.split("<option ").nth(1))
                .unwrap();
            let value = attr(&format!(" {chosen}"), "value").unwrap();
            fields.push((attr(tag, "name").unwrap(), value));
        }
        rest = &rest[tag.len()..];
    }
    fields
}

/// `fields` with `name` set to `value`.
fn with(mut fields: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(field) => value.clone_into(&mut field.1),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
    fields
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// The exchange's activity log, as the admin API gives it.
async fn activity(stack: &Stack, slug: &str) -> Vec<serde_json::Value> {
    let (code, log) = stack
        .admin_json(
            reqwest::Method::GET,
            &format!("/api/admin/events/{slug}/activity"),
            None,
        )
        .await;
    assert_eq!(code, 200);
    log["activity"].as_array().unwrap().clone()
}

/// The exchange as the public API shows it.
async fn public(stack: &Stack, slug: &str) -> (u16, serde_json::Value) {
    let response = stack
        .http
        .get(stack.url(&format!("/api/events/{slug}")))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn instant(value: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_console_admin_creates_an_exchange_in_its_own_time_zone_and_a_bad_form_keeps_what_was_typed(
) {
    let stack = stack().await;
    let theirs = stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    let next_year = chrono::Utc::now()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap()
        + 1;

    // Only console admins are offered the form, and only they may send it.
    let mut ana = signed_in(&stack, "ana@un.example.org").await;
    let home = ana.get("/console").await;
    assert!(!home.body.contains("/console/new-exchange"));
    assert_eq!(ana.get("/console/new-exchange").await.status, 403);
    let csrf = home.csrf();
    let slug = "made-in-the-console";
    let attempt = ana
        .post(
            "/console/new-exchange",
            &[("csrf", &csrf), ("slug", slug), ("title", "Mine")],
        )
        .await;
    assert_eq!(attempt.status, 403);
    assert!(!ana
        .get(&format!("/console/events/{theirs}"))
        .await
        .body
        .contains("/console/new-exchange"));

    let mut boss = signed_in(&stack, ADMIN).await;
    let home = boss.get("/console").await;
    assert!(
        home.body.contains("href=\"/console/new-exchange\""),
        "{}",
        home.body
    );
    let page = boss.get("/console/new-exchange").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers.get(CACHE_CONTROL).unwrap(), "no-store");
    let blank = form_fields(&page.body, "/console/new-exchange");
    let filled = [
        ("slug", slug.to_owned()),
        ("title", "Community case management".to_owned()),
        (
            "description",
            "Practitioners compare <what> works & why.".to_owned(),
        ),
        ("timezone", "America/New_York".to_owned()),
        ("starts_at", format!("{next_year}-06-10T09:00")),
        ("ends_at", format!("{next_year}-06-10T11:30")),
        ("capacity", "30".to_owned()),
        ("country_cap", "3".to_owned()),
        ("requires_approval", "on".to_owned()),
        ("registration_closes_at", format!("{next_year}-06-01T17:00")),
        ("reminder_offsets", "2d, 1h".to_owned()),
        ("organiser_emails", format!("ana@un.example.org\n{ADMIN}")),
        ("viewer_emails", "vera@ministry.example.org".to_owned()),
        ("topics", "Case management\nMonitoring".to_owned()),
    ]
    .into_iter()
    .fold(blank, |fields, (name, value)| with(fields, name, &value));
    // The first note row: for the last reminder, in English.
    let note_at = filled.iter().position(|(n, _)| n == "note_offset").unwrap();
    let mut filled = filled;
    filled[note_at].1 = "1h".to_owned();
    let text_at = filled.iter().position(|(n, _)| n == "note_text").unwrap();
    filled[text_at].1 = "Bring one question.".to_owned();

    // Without the session's token: nothing is created.
    let no_csrf: Vec<(String, String)> = filled
        .iter()
        .filter(|(n, _)| n != "csrf")
        .cloned()
        .collect();
    assert_eq!(
        boss.post("/console/new-exchange", &pairs(&no_csrf))
            .await
            .status,
        403
    );
    assert_eq!(public(&stack, slug).await.0, 404);

    // A bad form: each error beside its field, listed at the top, and what was typed kept.
    let bad = with(filled.clone(), "slug", "Bad Slug");
    let bad = with(bad, "title", "");
    // The clocks go forward over 02:30 on the second Sunday of March in New York.
    let march = (8..=14)
        .map(|day| chrono::NaiveDate::from_ymd_opt(next_year, 3, day).unwrap())
        .find(|d| chrono::Datelike::weekday(d) == chrono::Weekday::Sun)
        .unwrap();
    let bad = with(bad, "starts_at", &format!("{march}T02:30"));
    let bad = with(bad, "capacity", "lots");
    let bad = with(bad, "organiser_emails", "not-an-address");
    let page = boss.post("/console/new-exchange", &pairs(&bad)).await;
    assert_eq!(page.status, 422, "{}", page.body);
    for (field, problem) in [
        ("slug", "lowercase letters"),
        ("title", ""),
        ("starts_at", "does not exist in America/New_York"),
        ("capacity", "whole number"),
        ("organiser_emails", "not-an-address"),
    ] {
        let error = format!("<p class=\"error\" id=\"{field}-error\">");
        let at = page
            .body
            .find(&error)
            .unwrap_or_else(|| panic!("no error beside {field}: {}", page.body));
        assert!(
            page.body[at..]
                .split("</p>")
                .next()
                .unwrap()
                .contains(problem),
            "{field}"
        );
        assert!(
            page.body.contains(&format!("<li><a href=\"#{field}\">")),
            "{field}"
        );
        let input = &page.body[page.body.find(&format!("id=\"{field}\"")).unwrap()..];
        let input = &input[..input.find('>').unwrap()];
        assert!(input.contains("aria-invalid=\"true\""), "{input}");
        assert!(input.contains(&format!("{field}-error")), "{input}");
    }
    assert!(page.body.contains("value=\"Bad Slug\""));
    assert!(page.body.contains("value=\"lots\""));
    assert!(page.body.contains("&#60;what&#62; works &#38; why."));
    assert!(page.body.contains("Bring one question."));
    assert_eq!(public(&stack, slug).await.0, 404);

    // The good form: created, and the public API has its times converted from New York's
    // summer time (UTC-4).
    let page = boss.post("/console/new-exchange", &pairs(&filled)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location(),
        format!("/console/events/{slug}?decided=created")
    );
    let (code, event) = public(&stack, slug).await;
    assert_eq!(code, 200, "{event}");
    let utc = |local: &str| {
        chrono::NaiveDateTime::parse_from_str(&format!("{next_year}-{local}"), "%Y-%m-%dT%H:%M")
            .unwrap()
            .and_utc()
    };
    assert_eq!(instant(&event["starts_at"]), utc("06-10T13:00"));
    assert_eq!(instant(&event["ends_at"]), utc("06-10T15:30"));
    assert_eq!(event["timezone"], "America/New_York");
    let pool = stack.db.pool().await;
    let admin: serde_json::Value =
        sqlx::query_scalar("SELECT to_jsonb(e) FROM registration.events e WHERE slug = $1")
            .bind(slug)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(admin["capacity"], 30, "{admin}");
    assert_eq!(admin["country_cap"], 3);
    assert_eq!(admin["requires_approval"], true);
    assert_eq!(admin["invitation_only"], false);
    assert_eq!(
        instant(&admin["registration_closes_at"]),
        utc("06-01T21:00")
    );
    assert_eq!(admin["reminder_offsets_minutes"], json!([2880, 60]));
    assert_eq!(
        admin["reminder_notes"],
        json!([{ "offset_minutes": 60, "lang": "en", "text": "Bring one question." }])
    );
    assert_eq!(
        admin["organiser_emails"],
        json!(["ana@un.example.org", ADMIN])
    );
    assert_eq!(admin["viewer_emails"], json!(["vera@ministry.example.org"]));
    assert_eq!(admin["topics"], json!(["Case management", "Monitoring"]));
    assert_eq!(
        admin["description"],
        "Practitioners compare <what> works & why."
    );

    // Once, on record; and the same slug again is said beside the slug.
    let log = activity(&stack, slug).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["actor"], ADMIN);
    assert_eq!(log[0]["action"], "exchange.created");
    let page = boss.post("/console/new-exchange", &pairs(&filled)).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("id=\"slug-error\">Another exchange"),
        "{}",
        page.body
    );
    let page = boss
        .get(&format!("/console/events/{slug}?decided=created"))
        .await;
    assert!(page.body.contains("Exchange created"));
    assert!(
        page.body.contains(&format!("{ADMIN} created the exchange")),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn organisers_change_the_time_participants_are_told_and_cancelling_asks_first() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({
            "organiser_emails": ["ana@un.example.org"],
            "viewer_emails": ["vera@ministry.example.org"],
            "location": "Geneva, Palais des Nations",
        }))
        .await;
    let other = stack
        .given_event(json!({ "organiser_emails": ["ben@un.example.org"] }))
        .await;
    let people: Vec<String> = {
        let mut people = Vec::new();
        for name in ["Ana Pereira", "Kofi Mensah"] {
            let person = participant(name);
            stack.register(&slug, &person).await;
            people.push(person["email"].as_str().unwrap().to_owned());
        }
        people
    };
    let change = format!("/console/events/{slug}/change");
    let cancel = format!("/console/events/{slug}/cancel");
    let (_, before) = public(&stack, &slug).await;
    let mine = |log: &[serde_json::Value]| {
        log.iter()
            .filter(|e| e["actor"] != "admin API")
            .cloned()
            .collect::<Vec<_>>()
    };

    // Ana organises it: the exchange page offers both, and the form shows it as it is.
    let mut ana = signed_in(&stack, "ana@un.example.org").await;
    let page = ana.get(&format!("/console/events/{slug}")).await;
    assert!(
        page.body.contains(&format!("href=\"{change}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("href=\"{cancel}\"")));
    let form = ana.get(&change).await;
    assert_eq!(form.status, 200);
    let fields = form_fields(&form.body, &change);
    assert!(
        !fields.iter().any(|(n, _)| n == "slug"),
        "the slug cannot change"
    );
    let start = chrono::NaiveDateTime::parse_from_str(
        &fields.iter().find(|(n, _)| n == "starts_at").unwrap().1,
        "%Y-%m-%dT%H:%M",
    )
    .unwrap();
    use chrono::Timelike;
    let zurich: chrono_tz::Tz = "Europe/Zurich".parse().unwrap();
    assert_eq!(
        chrono::TimeZone::from_local_datetime(&zurich, &start)
            .unwrap()
            .with_timezone(&chrono::Utc),
        instant(&before["starts_at"])
            .with_second(0)
            .unwrap()
            .with_nanosecond(0)
            .unwrap(),
        "the form shows the start in the exchange's zone"
    );
    let moved = start + chrono::Duration::days(1) + chrono::Duration::hours(2);
    let local = |t: chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M").to_string();
    let changed = with(fields.clone(), "starts_at", &local(moved));
    let changed = with(
        changed,
        "ends_at",
        &local(moved + chrono::Duration::hours(2)),
    );

    // Vera views it: no buttons, and 403 on both forms. Ben organises another: 404.
    let mut vera = signed_in(&stack, "vera@ministry.example.org").await;
    let page = vera.get(&format!("/console/events/{slug}")).await;
    assert!(!page.body.contains(&change) && !page.body.contains(&cancel));
    assert_eq!(vera.get(&change).await.status, 403);
    let vera_csrf = page.csrf();
    let as_vera = with(changed.clone(), "csrf", &vera_csrf);
    assert_eq!(vera.post(&change, &pairs(&as_vera)).await.status, 403);
    assert_eq!(
        vera.post(&cancel, &[("csrf", &vera_csrf)]).await.status,
        403
    );
    let mut ben = signed_in(&stack, "ben@un.example.org").await;
    let ben_csrf = ben.get(&format!("/console/events/{other}")).await.csrf();
    let as_ben = with(changed.clone(), "csrf", &ben_csrf);
    assert_eq!(ben.get(&change).await.status, 404);
    assert_eq!(ben.post(&change, &pairs(&as_ben)).await.status, 404);
    assert_eq!(ben.post(&cancel, &[("csrf", &ben_csrf)]).await.status, 404);
    // Ana without her session's token: refused too.
    let no_csrf: Vec<(String, String)> = changed
        .iter()
        .filter(|(n, _)| n != "csrf")
        .cloned()
        .collect();
    assert_eq!(ana.post(&change, &pairs(&no_csrf)).await.status, 403);
    assert_eq!(ana.post(&cancel, &[]).await.status, 403);
    assert_eq!(public(&stack, &slug).await.1, before, "nothing changed");
    assert!(mine(&activity(&stack, &slug).await).is_empty());

    // Ana moves it a day and two hours later: saved, and each participant is told.
    let page = ana.post(&change, &pairs(&changed)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location(),
        format!("/console/events/{slug}?decided=changed")
    );
    let (_, after) = public(&stack, &slug).await;
    let expected = chrono::TimeZone::from_local_datetime(&zurich, &moved)
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(instant(&after["starts_at"]), expected);
    assert_eq!(after["title"], before["title"]);
    assert_eq!(after["location"], before["location"]);
    for email in &people {
        let mail = stack
            .mailbox
            .wait_for(1, WAIT, |m| {
                m.to.contains(email) && m.subject.starts_with("Changed")
            })
            .await;
        let body = &mail[0].body;
        assert!(
            body.contains("When:") && body.contains("was:") && body.contains("now:"),
            "{body}"
        );
    }
    let log = mine(&activity(&stack, &slug).await);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["actor"], "ana@un.example.org");
    assert_eq!(log[0]["action"], "exchange.changed");
    assert_eq!(log[0]["outcome"], "ends_at, starts_at");
    let page = ana.get(page.location()).await;
    assert!(page.body.contains("Changes saved"));
    assert!(page
        .body
        .contains("ana@un.example.org changed the exchange (ends_at, starts_at)"));

    // A bad change keeps what was typed and changes nothing.
    let bad = with(
        changed.clone(),
        "ends_at",
        &local(moved - chrono::Duration::hours(1)),
    );
    let bad = with(bad, "online_link", "meet.example.org");
    let page = ana.post(&change, &pairs(&bad)).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body
            .contains("id=\"ends_at-error\">Must be after the start."),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"online_link-error\">"));
    assert!(page.body.contains("value=\"meet.example.org\""));
    assert_eq!(mine(&activity(&stack, &slug).await).len(), 1);

    // Cancelling asks first: the page changes nothing, its button cancels.
    let page = ana.get(&cancel).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("The 2 people registered"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("action=\"{cancel}\"")));
    assert_eq!(public(&stack, &slug).await.0, 200);
    assert!(stack
        .mailbox
        .all()
        .iter()
        .all(|m| !m.subject.starts_with("Cancelled:")));
    let page = ana.post(&cancel, &[("csrf", &page.csrf())]).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        format!("/console/events/{slug}?decided=cancelled")
    );
    for email in &people {
        stack
            .mailbox
            .wait_for(1, WAIT, |m| {
                m.to.contains(email) && m.subject.starts_with("Cancelled:")
            })
            .await;
    }
    let log = mine(&activity(&stack, &slug).await);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["action"], "exchange.cancelled");
    // Cancelled: no button, nothing more to change.
    let page = ana.get(page.location()).await;
    assert!(page.body.contains("Exchange cancelled"));
    assert!(!page.body.contains(&format!("href=\"{change}\"")));
    assert_eq!(ana.get(&change).await.status, 409);
    assert_eq!(
        ana.post(&cancel, &[("csrf", &page.csrf())]).await.status,
        409
    );
    assert_eq!(mine(&activity(&stack, &slug).await).len(), 2);
}

#[tokio::test]
async fn organisers_approve_the_ticked_pending_registrations_in_one_post() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({
            "organiser_emails": ["ben@un.example.org"],
            "viewer_emails": ["vera@ministry.example.org"],
            "requires_approval": true,
            "capacity": 10,
        }))
        .await;
    let other = stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    let mut ids = Vec::new();
    for name in ["First Pending", "Second Pending", "Third Pending"] {
        let registered = stack.register(&slug, &participant(name)).await;
        assert_eq!(registered.status, "pending");
        ids.push(registered.id.to_string());
    }
    let statuses = || async {
        let pool = stack.db.pool().await;
        let mut statuses = Vec::new();
        for id in &ids {
            let status: String = sqlx::query_scalar(
                "SELECT status FROM registration.registrations WHERE id = $1::uuid",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
            statuses.push(status);
        }
        statuses
    };
    let decide = format!("/console/events/{slug}/registrations/decide");
    let ticked = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("id", ids[0].clone()),
            ("id", ids[1].clone()),
            ("decision", "approve".to_owned()),
        ]
    };

    // The page: a box to tick on each pending registration, for the one form.
    let mut ben = signed_in(&stack, "ben@un.example.org").await;
    let page = ben.get(&format!("/console/events/{slug}")).await;
    assert!(
        page.body.contains(&format!("action=\"{decide}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!(
        "name=\"id\" value=\"{}\" form=\"decide-many\"",
        ids[0]
    )));
    let csrf = page.csrf();

    // Vera views it: no boxes, 403. Ana organises another: 404. Without the token: 403.
    let mut vera = signed_in(&stack, "vera@ministry.example.org").await;
    let page = vera.get(&format!("/console/events/{slug}")).await;
    assert!(!page.body.contains("decide-many"));
    let form = ticked(&page.csrf());
    assert_eq!(vera.post(&decide, &pairs_of(&form)).await.status, 403);
    let mut ana = signed_in(&stack, "ana@un.example.org").await;
    let form = ticked(&ana.get(&format!("/console/events/{other}")).await.csrf());
    assert_eq!(ana.post(&decide, &pairs_of(&form)).await.status, 404);
    let form = ticked("");
    assert_eq!(ben.post(&decide, &pairs_of(&form)).await.status, 403);
    assert_eq!(statuses().await, ["pending", "pending", "pending"]);

    // Ben approves the first two at once: seats, the third still waits, two log lines.
    let page = ben.post(&decide, &pairs_of(&ticked(&csrf))).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location(),
        format!("/console/events/{slug}?decided=approved-many&done=2&left=0")
    );
    assert_eq!(statuses().await, ["confirmed", "confirmed", "pending"]);
    let page = ben.get(page.location()).await;
    assert!(page.body.contains("2 approved"), "{}", page.body);
    let log = activity(&stack, &slug).await;
    let approvals: Vec<_> = log
        .iter()
        .filter(|e| e["action"] == "registration.approved")
        .collect();
    assert_eq!(approvals.len(), 2, "{log:?}");
    assert!(approvals.iter().all(|e| e["actor"] == "ben@un.example.org"));

    // Again: nothing left to decide on those two, and it says so.
    let page = ben.post(&decide, &pairs_of(&ticked(&csrf))).await;
    assert_eq!(
        page.location(),
        format!("/console/events/{slug}?decided=approved-many&done=0&left=2")
    );
    assert_eq!(statuses().await, ["confirmed", "confirmed", "pending"]);
}

fn pairs_of<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// A participant with these details (and a unique address holding `tag`).
fn someone(name: &str, organisation: &str, country: &str, role: &str) -> serde_json::Value {
    let mut person = participant(name);
    person["organisation"] = json!(organisation);
    person["country"] = json!(country);
    person["role"] = json!(role);
    person
}

/// The names of the registrations listed on an exchange page (its registrations table).
fn listed_names(body: &str) -> Vec<String> {
    let start = body
        .find("id=\"registrations\"")
        .expect("the registrations");
    let end = body.find("id=\"waiting-list\"").expect("the waiting list");
    body[start..end]
        .split("<tr>")
        .skip(1)
        .filter_map(|row| {
            let cell = row.split("<td>").nth(1)?;
            let text = cell.split("</td>").next()?;
            // A name that can be ticked is in its label.
            let text = text
                .rsplit_once("\">")
                .map_or(text, |(_, t)| t)
                .trim_end_matches("</label>");
            (text != "None.").then(|| text.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_registration_list_filters_by_country_and_role_searches_and_keeps_its_filters() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({
            "organiser_emails": ["ben@un.example.org"],
            "timezone": "America/Bogota",
        }))
        .await;
    let people = [
        someone(
            "Ana Pereira",
            "Ministry of Justice",
            "BR",
            "government_official",
        ),
        someone("Kofi Mensah", "Legal Aid Network", "GH", "civil_society"),
        someone("Li Wei", "UNHCR", "CN", "un_entity"),
        someone("Ana Lopez", "Club 100%_Solidario", "BR", "civil_society"),
    ];
    for person in &people {
        stack.register(&slug, person).await;
    }
    let page_of = format!("/console/events/{slug}");
    let mut ben = signed_in(&stack, "ben@un.example.org").await;
    let list = |query: &str| format!("{page_of}?{query}");

    // Unfiltered: all four, oldest first; the filter form offers their countries by name.
    let page = ben.get(&page_of).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        listed_names(&page.body),
        ["Ana Pereira", "Kofi Mensah", "Li Wei", "Ana Lopez"]
    );
    assert!(
        page.body.contains("<option value=\"GH\">Ghana</option>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<label for=\"filter-q\">"));

    // By country (any case), by country and role.
    let page = ben.get(&list("country=br")).await;
    assert_eq!(page.status, 200);
    assert_eq!(listed_names(&page.body), ["Ana Pereira", "Ana Lopez"]);
    assert!(page
        .body
        .contains("<option value=\"BR\" selected>Brazil</option>"));
    let page = ben.get(&list("country=BR&role=civil_society")).await;
    assert_eq!(listed_names(&page.body), ["Ana Lopez"]);

    // Search: an organisation, a name, an address, in any case; and one that matches nobody.
    let cases = [
        ("q=JUSTICE", vec!["Ana Pereira"]),
        ("q=kofi", vec!["Kofi Mensah"]),
        ("q=ana", vec!["Ana Pereira", "Ana Lopez"]),
        ("q=li.wei-", vec!["Li Wei"]),
        ("q=ana&role=government_official", vec!["Ana Pereira"]),
        // `%` and `_` are themselves, not patterns that match anything.
        ("q=%25_", vec!["Ana Lopez"]),
        ("q=_", vec!["Ana Lopez"]),
        ("q=Nobody+by+that+name", vec![]),
    ];
    for (query, expected) in cases {
        let page = ben.get(&list(query)).await;
        assert_eq!(page.status, 200, "{query}");
        assert_eq!(listed_names(&page.body), expected, "{query}");
    }
    let page = ben.get(&list("q=Nobody+by+that+name")).await;
    assert!(
        page.body.contains("0 in all matching the filters"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"Nobody by that name\""),
        "the search is kept"
    );

    // The tabs, the pages and the CSV link keep the other filters.
    let page = ben.get(&list("country=BR&q=ana")).await;
    assert!(
        page.body.contains(&format!(
            "href=\"{page_of}?status=confirmed&#38;country=BR&#38;q=ana#registrations\""
        )),
        "{}",
        page.body
    );
    let csv = format!("/console/events/{slug}/registrations.csv?country=BR&q=ana");
    assert!(
        page.body.contains(&csv.replace('&', "&#38;")),
        "{}",
        page.body
    );
    let file = ben.get(&format!("{csv}&role=civil_society")).await;
    assert_eq!(file.status, 200);
    assert!(file.body.contains(people[3]["email"].as_str().unwrap()));
    assert!(!file.body.contains(people[0]["email"].as_str().unwrap()));

    // Bad values: said beside their field, what was typed kept, no list, never a 500.
    for (query, field, says) in [
        ("country=XX", "country", "Choose a country from the list"),
        ("role=king", "role", "Choose a role from the list"),
        ("status=maybe", "status", "Choose a status from the list"),
        ("page=0", "page", "Use a page number from 1"),
        ("page=abc", "page", "Use a page number from 1"),
        ("q=a%09b", "q", "Search: "),
    ] {
        let page = ben.get(&list(query)).await;
        assert_eq!(page.status, 422, "{query}: {}", page.body);
        assert!(page.body.contains(says), "{query}: {}", page.body);
        assert!(
            page.body.contains(&format!("href=\"#filter-{field}\"")),
            "{query}: the summary links to the field"
        );
        assert!(page.body.contains("Correct the filters above"), "{query}");
        assert!(!page.body.contains("Kofi Mensah"), "{query}: no list");
    }
    let long = "a".repeat(101);
    let page = ben.get(&list(&format!("q={long}"))).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("at most 100 characters"),
        "{}",
        page.body
    );
    let page = ben.get(&list("country=a&country=b")).await;
    assert_eq!(page.status, 422, "a filter given twice");
    let file = ben
        .get(&format!(
            "/console/events/{slug}/registrations.csv?role=king"
        ))
        .await;
    assert_eq!(file.status, 422);
    assert!(file.body.contains("Choose a role from the list"));

    // The overview charts registrations per day, in the exchange's zone, with the same
    // figures as a table.
    let page = ben.get(&page_of).await;
    assert!(
        page.body.contains("aria-labelledby=\"per-day\""),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("Registrations per day (4 in all, every status"));
    let registered_at: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT min(registered_at) FROM registration.registrations")
            .fetch_one(&stack.db.pool().await)
            .await
            .unwrap();
    let day = registered_at
        .with_timezone(&chrono_tz::America::Bogota)
        .format("%-d %b %Y")
        .to_string();
    assert!(
        page.body.contains(&format!("<title>{day}: 4</title>")),
        "{day}: {}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("<tr><td>{day}</td><td class=\"n\">4</td></tr>")));
}

#[tokio::test]
async fn a_long_list_pages_with_its_filters() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({ "organiser_emails": ["ben@un.example.org"] }))
        .await;
    // 101 from Senegal (the test participant's country), one from Ghana.
    for i in 0..101 {
        stack
            .register(&slug, &participant(&format!("Person {i:03}")))
            .await;
    }
    let ghana = someone("Kofi Mensah", "Legal Aid Network", "GH", "civil_society");
    stack.register(&slug, &ghana).await;
    let mut ben = signed_in(&stack, "ben@un.example.org").await;
    let first = format!("/console/events/{slug}?country=SN&q=person");
    let page = ben.get(&first).await;
    assert!(page
        .body
        .contains("101 in all matching the filters, page 1 of 2"));
    let next = format!("/console/events/{slug}?country=SN&#38;q=person&#38;page=2#registrations");
    assert!(page.body.contains(&next), "{}", page.body);
    let page = ben
        .get(&format!(
            "/console/events/{slug}?country=SN&q=person&page=2"
        ))
        .await;
    assert_eq!(listed_names(&page.body), ["Person 100"]);
}

#[tokio::test]
async fn the_waiting_list_is_shown_in_order_with_each_offers_deadline_in_the_exchanges_zone() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({
            "organiser_emails": ["ben@un.example.org"],
            "viewer_emails": ["vera@ministry.example.org"],
            "capacity": 1,
            "waitlist_offer_hours": 48,
            "timezone": "Asia/Kathmandu",
        }))
        .await;
    let mut statuses = Vec::new();
    for name in [
        "Seated Person",
        "First Waiting",
        "Second Waiting",
        "Third Waiting",
    ] {
        statuses.push(stack.register(&slug, &participant(name)).await.status);
    }
    assert_eq!(
        statuses,
        ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    );
    let waiting_list = |body: &str| {
        let start = body.find("id=\"waiting-list\"").expect("a waiting list");
        let end = body.find("id=\"invitations\"").expect("invitations");
        body[start..end].to_owned()
    };
    let order = |section: &str, names: &[&str]| {
        let at: Vec<usize> = names
            .iter()
            .map(|n| {
                section
                    .find(n)
                    .unwrap_or_else(|| panic!("{n} not in {section}"))
            })
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{names:?} out of order in {section}"
        );
    };

    // Three in line, numbered in order; the seated one is not there. Viewers see it too.
    let mut vera = signed_in(&stack, "vera@ministry.example.org").await;
    let section = waiting_list(&vera.get(&format!("/console/events/{slug}")).await.body);
    assert!(section.contains("3 offered a seat or waiting"), "{section}");
    order(
        &section,
        &["First Waiting", "Second Waiting", "Third Waiting"],
    );
    assert!(!section.contains("Seated Person"));
    for (n, name) in [
        (1, "First Waiting"),
        (2, "Second Waiting"),
        (3, "Third Waiting"),
    ] {
        assert!(
            section.contains(&format!("<td class=\"n\">{n}</td><td>{name}</td>")),
            "{name} is {n}: {section}"
        );
    }

    // A second seat: the first in line is offered it for 48 hours, and is shown first with
    // the deadline in Kathmandu's time; the others move up.
    let (code, _) = stack
        .admin_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/events/{slug}"),
            Some(&json!({ "capacity": 2 })),
        )
        .await;
    assert_eq!(code, 200);
    let deadline: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "SELECT offer_expires_at FROM registration.registrations WHERE status = 'offered'",
    )
    .fetch_one(&stack.db.pool().await)
    .await
    .unwrap();
    let shown = convene_shared::time::in_zone(deadline, "Asia/Kathmandu");
    assert!(shown.contains("Asia/Kathmandu"), "{shown}");
    let mut ben = signed_in(&stack, "ben@un.example.org").await;
    let section = waiting_list(&ben.get(&format!("/console/events/{slug}")).await.body);
    order(
        &section,
        &["First Waiting", "Second Waiting", "Third Waiting"],
    );
    assert!(
        section.contains(
            "<td class=\"n\"><span class=\"tag\">offered</span></td><td>First Waiting</td>"
        ),
        "{section}"
    );
    assert!(
        section.contains(&format!("<td>{shown}</td>")),
        "{shown} not in {section}"
    );
    assert_eq!(
        section.matches("<td>—</td>").count(),
        2,
        "no deadline for those in line"
    );
    for (n, name) in [(1, "Second Waiting"), (2, "Third Waiting")] {
        assert!(
            section.contains(&format!("<td class=\"n\">{n}</td><td>{name}</td>")),
            "{name} is {n}: {section}"
        );
    }
}

#[tokio::test]
async fn organisers_invite_pasted_addresses_and_see_who_was_invited_reminded_and_registered() {
    // Invitation reminders after 9 seconds, checked every second.
    let stack = Stack::start_with(StackOptions {
        env: vec![
            ("CONSOLE_ADMINS".into(), ADMIN.into()),
            ("INVITATION_REMINDER_HOURS".into(), "0.0025".into()),
            ("OFFER_CHECK_SECS".into(), "1".into()),
        ],
        ..StackOptions::default()
    })
    .await;
    let slug = stack
        .given_event(json!({
            "organiser_emails": ["ben@un.example.org"],
            "viewer_emails": ["vera@ministry.example.org"],
        }))
        .await;
    let other = stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    let invitations = format!("/console/events/{slug}/invitations");
    let (ana, li) = (
        format!(
            "ana.silva-{}@gov.example.org",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ),
        format!(
            "li.wei-{}@un.example.org",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ),
    );
    let invited_rows = || async {
        stack
            .scalar_i64("SELECT count(*) FROM registration.invitations")
            .await
    };

    // Viewers see the list, without the form, and cannot post; an organiser of another
    // exchange does not see it at all; a form without the session's token does nothing.
    let mut vera = signed_in(&stack, "vera@ministry.example.org").await;
    let page = vera.get(&invitations).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("name=\"invitees\""), "{}", page.body);
    let good = format!("{ana}\n");
    let csrf = page.csrf();
    let page = vera
        .post(
            &invitations,
            &[("csrf", &csrf), ("invitees", &good), ("lang", "en")],
        )
        .await;
    assert_eq!(page.status, 403);
    let mut ana_organiser = signed_in(&stack, "ana@un.example.org").await;
    assert_eq!(ana_organiser.get(&invitations).await.status, 404);
    let csrf = ana_organiser
        .get(&format!("/console/events/{other}"))
        .await
        .csrf();
    let page = ana_organiser
        .post(
            &invitations,
            &[("csrf", &csrf), ("invitees", &good), ("lang", "en")],
        )
        .await;
    assert_eq!(page.status, 404);
    let mut ben = signed_in(&stack, "ben@un.example.org").await;
    let page = ben.get(&invitations).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<label for=\"invitees\">"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let page = ben
        .post(&invitations, &[("invitees", &good), ("lang", "en")])
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(invited_rows().await, 0);

    // Bad lines: nobody is invited, each bad line is named, the list comes back as pasted.
    let pasted = format!("Ana Silva <{ana}>\nnot-an-address\n\nBen <ben@>\n{li}\n");
    let page = ben
        .post(
            &invitations,
            &[("csrf", &csrf), ("invitees", &pasted), ("lang", "fr")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("Line 2 (“not-an-address”): "),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Line 4 (“Ben &#60;ben@&#62;”): "),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Line 1 "), "{}", page.body);
    let fields = form_fields(&page.body, &invitations);
    assert!(
        fields.contains(&("invitees".to_owned(), pasted.clone())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("lang".to_owned(), "fr".to_owned())),
        "{fields:?}"
    );
    assert!(page.body.contains("aria-invalid=\"true\""));
    assert_eq!(invited_rows().await, 0);

    // The good lines, in French: both invited, and emailed their personal link.
    let pasted = format!("Ana Silva <{ana}>\n{li}\n");
    let page = ben
        .post(
            &invitations,
            &[("csrf", &csrf), ("invitees", &pasted), ("lang", "fr")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location(),
        format!("{invitations}?invited=2&already=0")
    );
    let page = ben.get(page.location()).await;
    assert!(page.body.contains("2 people invited"), "{}", page.body);
    for address in [&ana, &li] {
        let mails = stack
            .mailbox
            .wait_for(1, WAIT, |m| m.to.contains(address.as_str()))
            .await;
        assert!(
            mails[0].subject.starts_with("Invitation\u{a0}: "),
            "in French: {}",
            mails[0].subject
        );
        assert!(
            mails[0].body.contains(&format!("/events/{slug}/register")),
            "{}",
            mails[0].body
        );
    }
    let to_ana = stack.mailbox.to(&ana);
    assert!(to_ana[0].body.contains("Ana Silva"), "{}", to_ana[0].body);

    // Ana registers; Li does not, and is reminded.
    let mut person = participant("Ana Silva");
    person["email"] = json!(ana);
    stack.register(&slug, &person).await;
    stack
        .mailbox
        .wait_for(1, WAIT, |m| {
            m.to.contains(ana.as_str()) && m.subject.starts_with("Registered")
        })
        .await;
    stack
        .mailbox
        .wait_for(2, WAIT, |m| m.to.contains(li.as_str()))
        .await;

    // The list says who is where, for the viewer too.
    let page = vera.get(&invitations).await;
    let row = |address: &str| {
        let at = page
            .body
            .find(&format!("<td>{address}</td>"))
            .unwrap_or_else(|| panic!("{address} not listed: {}", page.body));
        page.body[at..at + page.body[at..].find("</tr>").unwrap()].to_owned()
    };
    assert!(
        row(&ana).contains("<td>fr</td><td>registered</td>"),
        "{}",
        row(&ana)
    );
    assert!(
        row(&li).contains("<td>fr</td><td>reminded</td>"),
        "{}",
        row(&li)
    );
    assert!(page.body.contains("<strong>2</strong> invited in all"));
    assert!(page.body.contains("<strong>1</strong> registered"));

    // Inviting Ana again emails nobody.
    let invitations_to_ana = || {
        stack
            .mailbox
            .to(&ana)
            .into_iter()
            .filter(|m| m.subject.starts_with("Invitation"))
            .count()
    };
    let page = ben
        .post(
            &invitations,
            &[
                ("csrf", &csrf),
                ("invitees", &ana.to_uppercase()),
                ("lang", "en"),
            ],
        )
        .await;
    assert_eq!(
        page.location(),
        format!("{invitations}?invited=0&already=1")
    );
    let page = ben.get(page.location()).await;
    assert!(
        page.body.contains("had been invited before"),
        "{}",
        page.body
    );

    // One line on the activity log, Ben's, for the one list that invited someone; the
    // exchange's page says so and links here.
    let sent: Vec<serde_json::Value> = activity(&stack, &slug)
        .await
        .into_iter()
        .filter(|e| e["action"] == "invitations.sent")
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["actor"], "ben@un.example.org");
    assert_eq!(sent[0]["outcome"], "2 invited");
    let page = ben.get(&format!("/console/events/{slug}")).await;
    assert!(page
        .body
        .contains("ben@un.example.org sent invitations (2 invited)"));
    assert!(
        page.body.contains("2 invited, 1 of them registered."),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("href=\"{invitations}\"")));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(invitations_to_ana(), 1, "no second invitation");
}

/// Anyone can post the co-sponsorship form: naming an organisation that already offered
/// must not redirect the organisers' replies to someone else. Another contact address is
/// another offer; the organisers see both, with their own contacts, in the admin API and
/// the console, and an organisation accepted twice is listed publicly once.
#[tokio::test]
async fn an_offer_resubmitted_with_another_contact_never_changes_the_first_offers_contact() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({ "organiser_emails": ["ben@un.example.org"] }))
        .await;
    let (stack, slug) = (&stack, slug.as_str());
    let offer = |organisation: &str, name: &str, email: &str, message: &str| {
        let body = json!({
            "organisation": organisation, "country": "GH", "contact_name": name,
            "contact_email": email, "support_kind": "hosting", "message": message,
        });
        async move {
            let response = stack
                .http
                .post(stack.url(&format!("/api/events/{slug}/cosponsor-offers")))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            response.json::<serde_json::Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let first = offer(
        "Ministry of Justice of Ghana",
        "Kofi Mensah",
        "kofi@justice.example.org",
        "We can host the second day in Accra.",
    )
    .await;
    let second = offer(
        "MINISTRY OF JUSTICE OF GHANA",
        "Kofi (new address)",
        "replies@elsewhere.example.net",
        "Please write to this address instead.",
    )
    .await;
    assert_ne!(first, second, "another contact is another offer");
    // The same contact again, nothing changed: the same offer, no new email.
    assert_eq!(
        offer(
            "Ministry of Justice of Ghana",
            "Kofi Mensah",
            "KOFI@justice.example.org",
            "We can host the second day in Accra.",
        )
        .await,
        first
    );

    let (_, listed) = stack
        .admin_json(
            reqwest::Method::GET,
            &format!("/api/admin/events/{slug}/cosponsor-offers"),
            None,
        )
        .await;
    let offers = listed["cosponsor_offers"].as_array().unwrap();
    assert_eq!(offers.len(), 2, "{listed}");
    let by_id = |id: &str| {
        offers
            .iter()
            .find(|o| o["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {listed}"))
    };
    assert_eq!(by_id(&first)["contact_email"], "kofi@justice.example.org");
    assert_eq!(by_id(&first)["contact_name"], "Kofi Mensah");
    assert_eq!(
        by_id(&first)["message"],
        "We can host the second day in Accra."
    );
    assert_eq!(
        by_id(&second)["contact_email"],
        "replies@elsewhere.example.net"
    );

    // Each email replies to its own offer's contact; the repeat sent none.
    let mails = stack
        .mailbox
        .wait_for(2, WAIT, |m| {
            m.to.contains("ben@un.example.org") && m.subject.contains("Co-sponsorship offer")
        })
        .await;
    let mut reply_to: Vec<String> = mails.iter().filter_map(|m| m.reply_to.clone()).collect();
    reply_to.sort();
    assert_eq!(
        reply_to,
        ["kofi@justice.example.org", "replies@elsewhere.example.net"]
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack
            .mailbox
            .to("ben@un.example.org")
            .iter()
            .filter(|m| m.subject.contains("Co-sponsorship offer"))
            .count(),
        2
    );

    // The console shows both offers, each with its contact and decision buttons.
    let mut ben = signed_in(stack, "ben@un.example.org").await;
    let page = ben.get(&format!("/console/events/{slug}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("kofi@justice.example.org"),
        "{}",
        page.body
    );
    assert!(page.body.contains("replies@elsewhere.example.net"));
    let csrf = page.csrf();
    for id in [&first, &second] {
        let accept = format!("/console/events/{slug}/cosponsor-offers/{id}/accept");
        assert!(page.body.contains(&accept), "{}", page.body);
        assert_eq!(ben.post(&accept, &[("csrf", &csrf)]).await.status, 303);
    }
    let (_, public) = public(stack, slug).await;
    assert_eq!(
        public["cosponsors"],
        json!([{ "organisation": "Ministry of Justice of Ghana", "country": "GH" }])
    );
}

/// A rejected registration shows a *Reopen* button to organisers (not to viewers, who get
/// `403` if they post it anyway); reopening needs the session's CSRF token, puts it back to
/// pending on an exchange that requires approval, tells the page and the activity log, and
/// emails the participant.
#[tokio::test]
async fn organisers_reopen_a_rejected_registration_from_the_list_and_viewers_cannot() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({
            "organiser_emails": ["ben@un.example.org"],
            "viewer_emails": ["vera@ministry.example.org"],
            "requires_approval": true,
        }))
        .await;
    let person = participant("Second Chance");
    let email = person["email"].as_str().unwrap().to_owned();
    assert!(stack
        .register_json(&slug, &person)
        .await
        .status()
        .is_success());
    let status = || async {
        let (_, body) = stack
            .admin_json(
                reqwest::Method::GET,
                &format!("/api/admin/events/{slug}/registrations"),
                None,
            )
            .await;
        let r = &body["registrations"][0];
        (
            r["id"].as_str().unwrap().to_owned(),
            r["status"].as_str().unwrap().to_owned(),
        )
    };
    let (id, _) = status().await;
    let reopen = format!("/console/events/{slug}/registrations/{id}/reopen");
    let mut ben = signed_in(&stack, "ben@un.example.org").await;

    // Pending: no Reopen button, and reopening is refused.
    let page = ben.get(&format!("/console/events/{slug}")).await;
    assert!(!page.body.contains(&reopen));
    let csrf = page.csrf();
    assert_eq!(ben.post(&reopen, &[("csrf", &csrf)]).await.status, 409);

    let reject = format!("/console/events/{slug}/registrations/{id}/reject");
    assert_eq!(ben.post(&reject, &[("csrf", &csrf)]).await.status, 303);
    assert_eq!(status().await.1, "rejected");
    stack
        .mailbox
        .wait_for(2, WAIT, |m| m.to.contains(&email))
        .await;

    // A viewer sees the rejected registration, without the button, and cannot reopen it.
    let mut vera = signed_in(&stack, "vera@ministry.example.org").await;
    let page = vera.get(&format!("/console/events/{slug}")).await;
    assert!(page.body.contains("Second Chance"));
    assert!(!page.body.contains(&reopen));
    let vera_csrf = page.csrf();
    assert_eq!(
        vera.post(&reopen, &[("csrf", &vera_csrf)]).await.status,
        403
    );
    // Nor can the organiser without his session's token.
    assert_eq!(ben.post(&reopen, &[]).await.status, 403);
    assert_eq!(ben.post(&reopen, &[("csrf", &vera_csrf)]).await.status, 403);
    assert_eq!(status().await.1, "rejected");

    // The organiser sees the button beside the rejected registration, and reopens it.
    let page = ben.get(&format!("/console/events/{slug}")).await;
    assert!(page.body.contains(&reopen), "{}", page.body);
    assert!(page.body.contains("aria-label=\"Reopen Second Chance\""));
    let page = ben.post(&reopen, &[("csrf", &csrf)]).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        format!("/console/events/{slug}?decided=reopened-pending")
    );
    assert_eq!(status().await.1, "pending");
    let page = ben.get(page.location()).await;
    assert!(
        page.body
            .contains("Reopened: the registration awaits approval again"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("ben@un.example.org reopened Second Chance (pending)"),
        "{}",
        page.body
    );
    let entries = activity(&stack, &slug).await;
    assert_eq!(entries[0]["action"], "registration.reopened");
    assert_eq!(entries[0]["actor"], "ben@un.example.org");
    assert_eq!(entries[0]["subject_id"], id.as_str());
    assert_eq!(entries[0]["outcome"], "pending");
    // The participant is told it awaits approval again.
    let mails = stack
        .mailbox
        .wait_for(3, WAIT, |m| m.to.contains(&email))
        .await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject.starts_with("Received"))
            .count(),
        2
    );
    // Once reopened there is nothing to reopen.
    assert_eq!(ben.post(&reopen, &[("csrf", &csrf)]).await.status, 409);
}

/// A `multipart/form-data` body of `fields` (name, file name if a file, content): its
/// content type and bytes, as a browser sends a form with a file.
fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----convene-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, content) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(file) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn organisers_mark_attendance_per_row_and_import_a_report_and_viewers_cannot() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({
            "organiser_emails": ["ben@un.example.org"],
            "viewer_emails": ["vera@ministry.example.org"],
        }))
        .await;
    let (ana, kofi) = (participant("Ana Attends"), participant("Kofi Came"));
    let ana_id = stack.register(&slug, &ana).await.id;
    let kofi_id = stack.register(&slug, &kofi).await.id;
    let stored = |id: uuid::Uuid| {
        let stack = &stack;
        async move {
            let pool = stack.db.pool().await;
            let mark: (Option<String>, Option<String>) = sqlx::query_as(
                "SELECT attendance, attendance_source FROM registration.registrations WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
            pool.close().await;
            mark
        }
    };
    let mark = format!("/console/events/{slug}/registrations/{ana_id}/attendance");
    let import = format!("/console/events/{slug}/attendance/import");

    // The organiser sees a labelled control on each confirmed row, and the upload form.
    let mut ben = signed_in(&stack, "ben@un.example.org").await;
    let page = ben.get(&format!("/console/events/{slug}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!("action=\"{mark}\"")),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("aria-label=\"Attendance of Ana Attends\""));
    assert!(page
        .body
        .contains("aria-label=\"Save the attendance of Ana Attends\""));
    assert!(page.body.contains(&format!("action=\"{import}\"")));
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("not known yet"));
    let csrf = page.csrf();
    assert_eq!(
        form_fields(&page.body, &mark),
        [
            ("csrf".to_owned(), csrf.clone()),
            ("attendance".to_owned(), String::new())
        ]
    );

    // Without the session's token, or with a value that is none: nothing changes.
    assert_eq!(
        ben.post(&mark, &[("attendance", "excused")]).await.status,
        403
    );
    assert_eq!(
        ben.post(&mark, &[("csrf", &csrf), ("attendance", "present")])
            .await
            .status,
        422
    );
    assert_eq!(stored(ana_id).await, (None, None));

    // The form as the page has it, with "excused" chosen.
    let fields = with(form_fields(&page.body, &mark), "attendance", "excused");
    let answer = ben.post(&mark, &pairs(&fields)).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.location(),
        format!("/console/events/{slug}?decided=attendance#registration-{ana_id}")
    );
    assert_eq!(
        stored(ana_id).await,
        (Some("excused".into()), Some("organiser".into()))
    );
    let page = ben.get(answer.location()).await;
    assert!(page.body.contains("Attendance saved."));
    assert!(page.body.contains("excused (marked)"), "{}", page.body);
    assert_eq!(form_fields(&page.body, &mark)[1].1, "excused");
    assert!(page.body.contains("Attendance by country"));

    // A report uploaded: Kofi is marked attended, Ana stays excused (by hand), the
    // stranger's row is listed with its line.
    let report = format!(
        "Name (Original Name),User Email,Total Duration (Minutes),Guest\n\
         Ana Attends,{},60,No\n\
         Kofi Came,{},55,No\n\
         A Stranger,stranger@example.net,10,Yes\n",
        ana["email"].as_str().unwrap(),
        kofi["email"].as_str().unwrap().to_uppercase(),
    );
    let (content_type, body) = multipart(&[
        ("csrf", None, csrf.as_bytes()),
        ("report", Some("participants.csv"), report.as_bytes()),
    ]);
    let request = stack
        .http
        .post(stack.url(&import))
        .header("content-type", &content_type)
        .body(body.clone());
    let page = ben.send(request).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("3 rows read: 2 confirmed registrations matched, 1 newly marked attended, 1 left as an organiser marked it by hand"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td class=\"n\">4</td><td>A Stranger</td><td class=\"email\">stranger@example.net</td>"), "{}", page.body);
    assert_eq!(
        stored(kofi_id).await,
        (Some("attended".into()), Some("import".into()))
    );
    assert_eq!(
        stored(ana_id).await,
        (Some("excused".into()), Some("organiser".into()))
    );
    let entries = activity(&stack, &slug).await;
    assert_eq!(entries[0]["action"], "attendance.imported");
    assert_eq!(entries[0]["actor"], "ben@un.example.org");
    assert_eq!(entries[1]["action"], "attendance.marked");
    assert_eq!(entries[1]["outcome"], "excused");

    // A file that is no report is said, and imports nothing.
    let (content_type, not_a_report) = multipart(&[
        ("csrf", None, csrf.as_bytes()),
        ("report", Some("notes.csv"), b"Name,Notes\nAna,fine\n"),
    ]);
    let request = stack
        .http
        .post(stack.url(&import))
        .header("content-type", &content_type)
        .body(not_a_report);
    let page = ben.send(request).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("No header row with an email column"));

    // A viewer sees the attendance, no control and no upload, and is refused both.
    let mut vera = signed_in(&stack, "vera@ministry.example.org").await;
    let page = vera.get(&format!("/console/events/{slug}")).await;
    assert!(page.body.contains("excused (marked)"));
    assert!(page.body.contains("attended (report)"));
    assert!(!page.body.contains(&format!("action=\"{mark}\"")));
    assert!(!page.body.contains(&format!("action=\"{import}\"")));
    let vera_csrf = page.csrf();
    assert_eq!(
        vera.post(&mark, &[("csrf", &vera_csrf), ("attendance", "absent")])
            .await
            .status,
        403
    );
    let (content_type, body) = multipart(&[
        ("csrf", None, vera_csrf.as_bytes()),
        ("report", Some("participants.csv"), report.as_bytes()),
    ]);
    let request = stack
        .http
        .post(stack.url(&import))
        .header("content-type", &content_type)
        .body(body);
    assert_eq!(vera.send(request).await.status, 403);
    assert_eq!(
        stored(ana_id).await,
        (Some("excused".into()), Some("organiser".into()))
    );

    // Removing the mark (the empty choice) leaves her to the join link again.
    let answer = ben
        .post(&mark, &[("csrf", &csrf), ("attendance", "")])
        .await;
    assert_eq!(answer.status, 303);
    assert_eq!(stored(ana_id).await, (None, None));
}

#[tokio::test]
async fn organisers_set_the_materials_and_recording_links_in_the_console_after_the_exchange() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({ "organiser_emails": ["ana@un.example.org"] }))
        .await;
    // The exchange is over (set in the database: the API takes no past times).
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
    let change = format!("/console/events/{slug}/change");
    let mut ana = signed_in(&stack, "ana@un.example.org").await;
    let form = ana.get(&change).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let fields = form_fields(&form.body, &change);
    for name in ["materials_url", "recording_url"] {
        assert!(
            fields.iter().any(|(n, v)| n == name && v.is_empty()),
            "{name} in {fields:?}"
        );
    }

    // A link that is not https is named beside its field; nothing changes.
    let bad = with(
        fields.clone(),
        "recording_url",
        "http://video.example.org/atd",
    );
    let page = ana.post(&change, &pairs(&bad)).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("id=\"recording_url-error\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("http://video.example.org/atd"),
        "kept as typed"
    );

    // Both set: the admin API shows them, and the form shows them again.
    let good = with(fields, "materials_url", "https://files.example.org/atd");
    let good = with(good, "recording_url", "https://video.example.org/atd");
    let page = ana.post(&change, &pairs(&good)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let stored: (String, String) = {
        let pool = stack.db.pool().await;
        let row = sqlx::query_as(
            "SELECT materials_url, recording_url FROM registration.events WHERE slug = $1",
        )
        .bind(&slug)
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        row
    };
    assert_eq!(
        stored,
        (
            "https://files.example.org/atd".to_owned(),
            "https://video.example.org/atd".to_owned()
        )
    );
    let again = form_fields(&ana.get(&change).await.body, &change);
    assert!(again
        .iter()
        .any(|(n, v)| n == "materials_url" && v == "https://files.example.org/atd"));
}

#[tokio::test]
async fn organisers_read_the_feedback_survey_on_the_exchange_page_named_only_where_allowed() {
    let stack = stack().await;
    let slug = stack
        .given_event(json!({ "organiser_emails": ["lead@un.example.org"] }))
        .await;
    let mut surveys = Vec::new();
    for name in ["Ana", "Ben"] {
        let p = participant(name);
        let email = p["email"].as_str().unwrap().to_owned();
        stack.register(&slug, &p).await;
        let link = stack.manage_link_of(&email).await;
        surveys.push(format!("{link}/survey"));
    }
    stack
        .scalar_i64(&format!(
            "WITH moved AS (UPDATE registration.events SET starts_at = now() - interval '3 hours', \
             ends_at = now() - interval '1 hour' WHERE slug = '{slug}' RETURNING 1) SELECT count(*) FROM moved"
        ))
        .await;
    for (survey, fields) in [
        (
            &surveys[0],
            vec![("rating", "5"), ("most_useful", "Case <studies>")],
        ),
        (
            &surveys[1],
            vec![
                ("rating", "2"),
                ("should_change", "Longer breaks"),
                ("may_name", "on"),
            ],
        ),
    ] {
        let response = stack.http.post(survey).form(&fields).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }

    let mut lead = signed_in(&stack, "lead@un.example.org").await;
    let page = lead.get(&format!("/console/events/{slug}")).await;
    assert_eq!(page.status, 200);
    // The survey's section, before the registrations (where everyone is listed by name).
    let start = page.body.find("id=\"survey\"").expect("a survey section");
    let end = page.body.find("id=\"registrations\"").unwrap();
    let body = &page.body[start..end];
    assert!(
        body.contains("2 answers; average rating <strong>3.50</strong> out of 5."),
        "{body}"
    );
    assert!(
        body.contains("Case &#60;studies&#62;") || body.contains("Case &lt;studies&gt;"),
        "escaped: {body}"
    );
    assert!(body.contains("Ben (Ministry of the Interior)"), "{body}");
    assert!(!body.contains(">Ana"), "Ana did not allow her name: {body}");
}
