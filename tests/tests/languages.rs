//! The form, its pages and the participant's emails in English, French and Spanish: the
//! participant's choice, else the browser's `Accept-Language`, else English.

use std::time::Duration;

use convene_shared::i18n::Msg;
use convene_tests::stack::participant;
use convene_tests::Stack;
use serde_json::{json, Value};

const MAIL_WAIT: Duration = Duration::from_secs(30);

/// No message key (`LabelName`, `ConfirmationSubject`…) ever reaches a person.
fn assert_no_key_names(text: &str) {
    for msg in Msg::ALL {
        let key = format!("{msg:?}");
        // Keys that are also plain words (`Dear`, `Topics`) cannot be told apart.
        if key.chars().filter(char::is_ascii_uppercase).count() >= 2 {
            assert!(!text.contains(&key), "the key {key} shows in:\n{text}");
        }
    }
}

async fn get(stack: &Stack, path: &str, accept_language: Option<&str>) -> (u16, String) {
    let mut request = stack.http.get(stack.url(path));
    if let Some(value) = accept_language {
        request = request.header("accept-language", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn the_form_pages_and_emails_speak_the_participants_language() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    let form = format!("/events/{slug}/register");

    // (a) The browser prefers French.
    let (status, html) = get(&stack, &form, Some("fr-FR,fr;q=0.9")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    for text in [
        "Nom complet",
        "Adresse électronique",
        "Vous participez en tant que",
        "Choisissez un pays",
        ">Sénégal</option>",
        "S'inscrire</button>",
        "<input type=\"hidden\" name=\"lang\" value=\"fr\">",
        "Inscription à Global peer learning exchange",
    ] {
        assert!(html.contains(text), "the French form lacks {text}");
    }
    assert!(!html.contains("Full name"));
    assert_no_key_names(&html);

    // (b) `?lang=es` wins over the browser; the switcher links every language.
    let (status, html) = get(&stack, &format!("{form}?lang=es"), Some("fr")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    for text in [
        "Nombre completo",
        "Correo electrónico",
        "Inscribirse</button>",
        "href=\"?lang=en\"",
        "href=\"?lang=fr\"",
        "Su huso horario (opcional)",
    ] {
        assert!(html.contains(text), "the Spanish form lacks {text}");
    }
    assert_no_key_names(&html);

    // (c) The French form with mistakes: French messages beside the fields.
    let response = stack
        .register_form(
            &slug,
            &[
                ("lang", "fr"),
                ("name", ""),
                ("email", "ana@"),
                ("organisation", &"x".repeat(201)),
                ("country", "SN"),
                ("role", "government_official"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"));
    for text in [
        "Veuillez corriger 4 champs",
        "Ce champ est obligatoire.",
        "Saisissez une adresse électronique de la forme nom@example.org.",
        "Utilisez au plus 200 caractères (ce texte en compte 201).",
        "Cochez la case pour accepter le traitement de vos données",
        "Nom complet\u{a0}: Ce champ est obligatoire.",
        "id=\"email-error\"",
        "id=\"consent-error\"",
        "value=\"ana@\"",
    ] {
        assert!(
            html.contains(text),
            "the French errors lack {text}:\n{html}"
        );
    }
    assert_no_key_names(&html);

    // The JSON API answers in the browser's language, under the same field names.
    let response = stack
        .http
        .post(stack.url(&format!("/api/events/{slug}/registrations")))
        .header("accept-language", "es-419,es;q=0.9")
        .json(&json!({ "email": "ana@" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["fields"]["email"],
        "Introduzca un correo electrónico con el formato nombre@example.org."
    );
    assert_eq!(body["fields"]["name"], "Este campo es obligatorio.");

    // (d) Registering in French: a French confirmation, and later emails stay French.
    let mut body = participant("Amelie Dupont");
    body["name"] = json!("Amélie Dupont");
    body["lang"] = json!("fr");
    let email = body["email"].as_str().unwrap().to_owned();
    stack.register(&slug, &body).await;
    let mails = stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&email))
        .await;
    let confirmation = &mails[0];
    assert!(
        confirmation
            .subject
            .starts_with("Inscription confirmée\u{a0}: Global peer learning exchange"),
        "{}",
        confirmation.subject
    );
    assert!(
        confirmation.body.starts_with("Bonjour Amélie Dupont,"),
        "{}",
        confirmation.body
    );
    assert!(confirmation.body.contains("Vous êtes inscrit(e) à"));
    assert!(confirmation.body.contains("Date\u{a0}: "));
    let french_date = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    .iter()
    .any(|month| confirmation.body.contains(&format!(" {month} 20")));
    assert!(french_date, "no French date in {}", confirmation.body);
    assert!(
        ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
            .iter()
            .any(|day| confirmation.body.contains(day)),
        "{}",
        confirmation.body
    );
    assert_no_key_names(&confirmation.body);
    assert_no_key_names(&confirmation.subject);

    // Their personal page is French too, whatever the browser says.
    let link = confirmation.manage_link().expect("a personal link");
    let manage = stack
        .http
        .get(&link)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for text in [
        "<html lang=\"fr\">",
        "Statut\u{a0}: <strong>Confirmée</strong>",
        "Annuler mon inscription",
        "/cancel?lang=fr\"",
    ] {
        assert!(
            manage.contains(text),
            "the personal page lacks {text}:\n{manage}"
        );
    }
    assert_no_key_names(&manage);

    // The participant cancels from it; the page and the email after it are French.
    let cancelled = stack
        .http
        .post(format!("{link}/cancel?lang=fr"))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let page = cancelled.text().await.unwrap();
    assert!(page.contains("Votre inscription est annulée"), "{page}");
    let mails = stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| {
            m.to.contains(&email) && m.subject.starts_with("Annulation")
        })
        .await;
    assert!(
        mails[0].body.contains("Votre inscription à"),
        "{}",
        mails[0].body
    );
    assert_no_key_names(&mails[0].body);

    // The list of exchanges and the "get your link again" page follow the browser.
    let (_, html) = get(&stack, "/events", Some("es")).await;
    assert!(html.contains("Próximos intercambios"), "{html}");
    assert!(html.contains("?lang=es\""), "{html}");
    let (_, html) = get(&stack, "/registrations/link?lang=fr", None).await;
    assert!(html.contains("Envoyez-moi mon lien"), "{html}");
    assert_no_key_names(&html);

    // (e) A language we do not speak: English, as before.
    let (status, html) = get(&stack, &form, Some("de-DE,de;q=0.9")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Full name") && html.contains("Register</button>"));
    let (_, html) = get(&stack, &format!("{form}?lang=xx"), None).await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("Full name"));
    assert_no_key_names(&html);
    let mut body = participant("Hans Weber");
    body["lang"] = json!("de");
    let email = body["email"].as_str().unwrap().to_owned();
    stack.register(&slug, &body).await;
    let mails = stack
        .mailbox
        .wait_for(1, MAIL_WAIT, |m| m.to.contains(&email))
        .await;
    assert!(
        mails[0]
            .subject
            .starts_with("Registered: Global peer learning exchange"),
        "{}",
        mails[0].subject
    );
    assert!(mails[0].body.starts_with("Dear Hans Weber,"));
    assert_no_key_names(&mails[0].body);

    // The page after registering follows the form's language.
    let response = stack
        .register_form(
            &slug,
            &[
                ("lang", "es"),
                ("name", "Lucía Pérez"),
                (
                    "email",
                    &format!("lucia-{}@segob.example.mx", uuid::Uuid::new_v4().simple()),
                ),
                ("organisation", "Secretaría de Gobernación"),
                ("country", "MX"),
                ("role", "government_official"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/events/{slug}/registered?lang=es"));
    let (status, html) = get(&stack, &location, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"es\">"));
    assert!(html.contains("Hemos recibido su inscripción"), "{html}");
    assert!(
        html.contains("href=\"/registrations/link?lang=es\""),
        "{html}"
    );
    assert_no_key_names(&html);
}

#[tokio::test]
async fn a_change_is_told_in_the_participants_language_old_and_new_times_included() {
    let stack = Stack::start().await;
    let slug = stack.given_event(json!({})).await;
    let mut person = participant("Camille Martin");
    person["lang"] = json!("fr");
    stack.register(&slug, &person).await;
    let email = person["email"].as_str().unwrap().to_owned();
    stack
        .mailbox
        .wait_for(1, Duration::from_secs(30), |m| m.to.contains(&email))
        .await;

    let event: Value = stack
        .http
        .get(stack.url(&format!("/api/events/{slug}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let start: chrono::DateTime<chrono::Utc> =
        event["starts_at"].as_str().unwrap().parse().unwrap();
    let new_start = start + chrono::Duration::days(1);
    let patch = stack
        .http
        .patch(stack.url(&format!("/api/admin/events/{slug}")))
        .bearer_auth(convene_tests::stack::ADMIN_TOKEN)
        .json(&json!({
            "starts_at": new_start.to_rfc3339(),
            "ends_at": (new_start + chrono::Duration::hours(2)).to_rfc3339(),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    let changed = stack
        .mailbox
        .wait_for(2, Duration::from_secs(30), |m| m.to.contains(&email))
        .await;
    // The change email names the zone twice (the old time and the new); the confirmation once.
    let change = changed
        .iter()
        .find(|m| m.body.matches("(Europe/Zurich").count() >= 2)
        .unwrap_or_else(|| panic!("no change email among {changed:#?}"));
    let body = change.body.as_str();
    let english = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let french = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    assert!(
        english.iter().all(|d| !body.contains(d)),
        "English in a French email:\n{body}"
    );
    let days = french
        .iter()
        .map(|d| body.matches(d).count())
        .sum::<usize>();
    assert!(
        days >= 2,
        "the old and the new time, both in French:\n{body}"
    );
    assert_no_key_names(body);
}
