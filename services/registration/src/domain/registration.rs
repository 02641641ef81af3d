//! A participant's registration, as typed into the form or sent as JSON.

use convene_shared::i18n::Lang;
use serde::Deserialize;

use super::{BoundedText, CountryCode, Email, FieldErrors, Role};

/// The version of the consent text below; stored with every registration so we can tell
/// later what each participant agreed to.
pub const CONSENT_VERSION: &str = "2026-11-29";
/// What a participant consents to by ticking the box.
pub const CONSENT_TEXT: &str =
    "I agree that the organisers of this exchange process my name, email \
address, organisation, country and role to run this exchange, to send me its confirmation, \
reminders and changes, and to count participants by country and role. My data is deleted after \
the exchange, and I can ask for a copy or its erasure at any time.";

/// The raw fields, as strings, exactly as submitted (kept to redisplay the form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegistrationInput {
    #[serde(deserialize_with = "loose_string")]
    pub name: String,
    #[serde(deserialize_with = "loose_string")]
    pub email: String,
    #[serde(deserialize_with = "loose_string")]
    pub organisation: String,
    #[serde(deserialize_with = "loose_string")]
    pub country: String,
    #[serde(deserialize_with = "loose_string")]
    pub role: String,
    #[serde(deserialize_with = "loose_string")]
    pub consent: String,
    /// The participant's IANA time zone (optional; the form pre-fills it from the browser).
    #[serde(deserialize_with = "loose_string")]
    pub timezone: String,
    /// The participant's language (`en`, `fr`, `es`; optional): else the browser's.
    #[serde(deserialize_with = "loose_string")]
    pub lang: String,
    /// The secret of the invitation link the participant came with (empty: none).
    #[serde(deserialize_with = "loose_string")]
    pub invitation: String,
    /// A field people never see; bots fill it. Non-empty means: pretend success, store nothing.
    #[serde(deserialize_with = "loose_string")]
    pub website: String,
}

/// A registration that passed validation.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub name: BoundedText,
    pub email: Email,
    pub organisation: BoundedText,
    pub country: CountryCode,
    pub role: Role,
    /// `None`: the exchange's own zone will do.
    pub timezone: Option<chrono_tz::Tz>,
    /// The participant's choice if they made one (the handler falls back to the browser's).
    pub lang: Lang,
}

impl TryFrom<&RegistrationInput> for NewRegistration {
    type Error = FieldErrors;

    fn try_from(input: &RegistrationInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", BoundedText::parse(&input.name, 1, 200, false));
        let email = errors.check("email", Email::parse(&input.email));
        let organisation = errors.check(
            "organisation",
            BoundedText::parse(&input.organisation, 1, 200, false),
        );
        let country = errors.check("country", CountryCode::parse(&input.country));
        let role = errors.check("role", Role::parse(&input.role));
        let timezone = match input.timezone.trim() {
            "" => Some(None),
            zone => errors.check(
                "timezone",
                zone.parse::<chrono_tz::Tz>().map(Some).map_err(|_| {
                    "Use a time zone name such as America/Bogota, or leave it empty.".to_owned()
                }),
            ),
        };
        if !matches!(
            input.consent.trim().to_ascii_lowercase().as_str(),
            "true" | "on" | "yes" | "1"
        ) {
            errors.add("consent", "Tick the box to agree to the processing of your data; we cannot register you without it.");
        }
        match (name, email, organisation, country, role, timezone) {
            (
                Some(name),
                Some(email),
                Some(organisation),
                Some(country),
                Some(role),
                Some(timezone),
            ) if errors.is_empty() => Ok(Self {
                name,
                email,
                organisation,
                country,
                role,
                timezone,
                lang: Lang::parse(&input.lang).unwrap_or_default(),
            }),
            _ => Err(errors),
        }
    }
}

/// Accepts a JSON string, boolean or number (or a form's string) as a string; `null` as empty.
pub(crate) fn loose_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        S(String),
        B(bool),
        N(serde_json::Number),
        Null(()),
    }
    Ok(match Option::<Loose>::deserialize(d)? {
        Some(Loose::S(s)) => s,
        Some(Loose::B(b)) => b.to_string(),
        Some(Loose::N(n)) => n.to_string(),
        Some(Loose::Null(())) | None => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> RegistrationInput {
        RegistrationInput {
            name: "Amina Diallo".into(),
            email: "amina@example.org".into(),
            organisation: "Ministry of Interior".into(),
            country: "sn".into(),
            role: "government_official".into(),
            consent: "on".into(),
            timezone: "America/Bogota".into(),
            lang: String::new(),
            invitation: String::new(),
            website: String::new(),
        }
    }

    #[test]
    fn a_complete_input_is_a_registration() {
        let r = NewRegistration::try_from(&valid()).unwrap();
        assert_eq!(r.country.as_str(), "SN");
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = RegistrationInput {
            consent: String::new(),
            ..Default::default()
        };
        let errors = NewRegistration::try_from(&input).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "consent",
                "country",
                "email",
                "name",
                "organisation",
                "role"
            ]
        );
    }

    #[test]
    fn every_message_the_form_can_show_is_translated() {
        use convene_shared::i18n::{translate_problem, Lang};
        let inputs = [
            RegistrationInput::default(),
            RegistrationInput {
                name: "Ana \u{202E}zyx".into(),
                email: "ana@".into(),
                organisation: "x".repeat(201),
                country: "XX".into(),
                role: "chief".into(),
                timezone: "Mars/Olympus".into(),
                consent: "on".into(),
                ..Default::default()
            },
            RegistrationInput {
                email: format!("{}@example.org", "a".repeat(250)),
                ..Default::default()
            },
        ];
        let mut seen = 0;
        for input in inputs {
            let errors = NewRegistration::try_from(&input).unwrap_err();
            for (field, message) in errors.iter() {
                seen += 1;
                for lang in [Lang::Fr, Lang::Es] {
                    assert_ne!(
                        translate_problem(message, lang),
                        message,
                        "{field}: {message} has no {lang:?} translation"
                    );
                }
            }
        }
        assert!(seen >= 14, "{seen}");
    }
}
