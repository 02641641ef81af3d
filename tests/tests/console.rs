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
    let registered: serde_json::Value =
        stack.register_json(&b, &person).await.json().await.unwrap();
    assert_eq!(registered["status"], "pending");
    let id = registered["id"].as_str().unwrap().to_owned();
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
    let registered: serde_json::Value = stack
        .register_json(&slug, &pending)
        .await
        .json()
        .await
        .unwrap();
    let pending_id = registered["id"].as_str().unwrap().to_owned();
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
