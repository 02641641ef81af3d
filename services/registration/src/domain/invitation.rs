//! The people an organiser invites to an exchange, as listed in
//! `POST /api/admin/events/{slug}/invitations`.

use convene_shared::i18n::Lang;
use serde_json::{Map, Value};

use super::{BoundedText, Email, FieldErrors};

/// Invitees one request may list.
pub const MAX_INVITEES: usize = 1000;

/// One person to invite.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email: Email,
    /// How to greet them; may be empty.
    pub name: BoundedText,
    /// The language of their invitation and its reminder (`en` unless given).
    pub lang: Lang,
}

/// Parses `{"invitees": [{"email", "name"?, "lang"?}, …]}`, naming each bad item
/// (`invitees[3].email`). An address listed twice is invited once.
///
/// # Errors
/// Every bad field.
pub fn parse_invitees(body: &Map<String, Value>) -> Result<Vec<NewInvitation>, FieldErrors> {
    let mut errors = FieldErrors::default();
    for key in body.keys() {
        if key != "invitees" {
            errors.add(key, "Unknown field.");
        }
    }
    let items = match body.get("invitees") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_INVITEES => items,
        Some(Value::Array(_)) => {
            errors.add(
                "invitees",
                format!("Give 1 to {MAX_INVITEES} people to invite."),
            );
            return Err(errors);
        }
        None | Some(Value::Null) => {
            errors.add("invitees", "This field is required.");
            return Err(errors);
        }
        Some(_) => {
            errors.add(
                "invitees",
                "Must be a list of {\"email\", \"name\", \"lang\"} objects.",
            );
            return Err(errors);
        }
    };
    let mut invitees: Vec<NewInvitation> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| format!("invitees[{i}].{name}");
        let Some(item) = item.as_object() else {
            errors.add(&format!("invitees[{i}]"), "Must be an object.");
            continue;
        };
        for key in item.keys() {
            if !["email", "name", "lang"].contains(&key.as_str()) {
                errors.add(&field(key), "Unknown field.");
            }
        }
        let email = match item.get("email") {
            Some(Value::String(s)) => errors.check(&field("email"), Email::parse(s)),
            _ => {
                errors.add(
                    &field("email"),
                    "Enter an email address like name@example.org.",
                );
                None
            }
        };
        let name = match item.get("name") {
            None | Some(Value::Null) => BoundedText::parse("", 0, 200, false).ok(),
            Some(Value::String(s)) => {
                errors.check(&field("name"), BoundedText::parse(s, 0, 200, false))
            }
            Some(_) => {
                errors.add(&field("name"), "Must be a string.");
                None
            }
        };
        let lang = match item.get("lang") {
            None | Some(Value::Null) => Some(Lang::En),
            Some(Value::String(s)) if Lang::parse(s).is_some() => Lang::parse(s),
            Some(_) => {
                errors.add(&field("lang"), "Use en, fr or es.");
                None
            }
        };
        if let (Some(email), Some(name), Some(lang)) = (email, name, lang) {
            let seen = invitees
                .iter()
                .any(|n| n.email.as_str().eq_ignore_ascii_case(email.as_str()));
            if !seen {
                invitees.push(NewInvitation { email, name, lang });
            }
        }
    }
    errors.into_result(|| invitees)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Vec<NewInvitation>, FieldErrors> {
        parse_invitees(v.as_object().unwrap())
    }

    #[test]
    fn a_list_parses_and_repeats_collapse() {
        let list = parse(json!({"invitees": [
            {"email": "ana@gov.example", "name": "Ana", "lang": "es"},
            {"email": "ANA@gov.example"},
            {"email": "li@un.example"}
        ]}))
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].lang, Lang::Es);
        assert_eq!(list[1].lang, Lang::En);
        assert_eq!(list[1].name.as_str(), "");
    }

    #[test]
    fn each_bad_item_is_named() {
        let errors = parse(json!({"invitees": [
            {"email": "ok@gov.example"},
            {"email": "not an address", "lang": "de"},
            "x"
        ], "colour": 1}))
        .unwrap_err();
        for field in [
            "invitees[1].email",
            "invitees[1].lang",
            "invitees[2]",
            "colour",
        ] {
            assert!(
                errors.get(field).is_some(),
                "{field} not named in {errors:?}"
            );
        }
        assert!(parse(json!({"invitees": []})).is_err());
        assert!(parse(json!({})).unwrap_err().get("invitees").is_some());
    }
}
