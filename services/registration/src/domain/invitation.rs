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

/// Parses a list pasted into the console, one person a line: `ana@gov.example` or
/// `Ana Silva <ana@gov.example>` (the name may be quoted; a `,` or `;` ending a line, as
/// address books copy them, is ignored). Blank lines are skipped; an address listed twice
/// is invited once; everyone is invited in `lang`.
///
/// # Errors
/// A sentence for each bad line, naming it by its number and what it holds; or that the
/// list is empty or longer than [`MAX_INVITEES`].
pub fn parse_pasted(text: &str, lang: Lang) -> Result<Vec<NewInvitation>, Vec<String>> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim().trim_end_matches([',', ';']).trim()))
        .filter(|(_, line)| !line.is_empty())
        .collect();
    if lines.is_empty() {
        return Err(vec!["Paste at least one address, one a line.".to_owned()]);
    }
    if lines.len() > MAX_INVITEES {
        return Err(vec![format!(
            "Paste at most {MAX_INVITEES} addresses at a time (this has {}).",
            lines.len()
        )]);
    }
    let mut errors = Vec::new();
    let mut invitees: Vec<NewInvitation> = Vec::new();
    for (number, line) in lines {
        let (name, address) = match line.strip_suffix('>').and_then(|l| l.rsplit_once('<')) {
            Some((name, address)) => (name.trim().trim_matches('"').trim(), address.trim()),
            None => ("", line),
        };
        let parsed = Email::parse(address).and_then(|email| {
            BoundedText::parse(name, 0, 200, false)
                .map(|name| (email, name))
                .map_err(|e| format!("the name: {e}"))
        });
        match parsed {
            Ok((email, name)) => {
                let seen = invitees
                    .iter()
                    .any(|n| n.email.as_str().eq_ignore_ascii_case(email.as_str()));
                if !seen {
                    invitees.push(NewInvitation { email, name, lang });
                }
            }
            Err(problem) => {
                let shown: String = line.chars().take(80).collect();
                let more = if shown.len() < line.len() { "…" } else { "" };
                errors.push(format!("Line {number} (“{shown}{more}”): {problem}"));
            }
        }
    }
    if errors.is_empty() {
        Ok(invitees)
    } else {
        Err(errors)
    }
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

    #[test]
    fn a_pasted_list_takes_names_and_says_which_lines_are_bad() {
        let list = parse_pasted(
            "ana@gov.example\n\n  \"Silva, Ana\" <Ana.Silva@gov.example>;\nLi Wei <li@un.example>,\r\nANA@gov.example\n",
            Lang::Fr,
        )
        .unwrap();
        let got: Vec<(&str, &str)> = list
            .iter()
            .map(|n| (n.email.as_str(), n.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("ana@gov.example", ""),
                ("Ana.Silva@gov.example", "Silva, Ana"),
                ("li@un.example", "Li Wei"),
            ]
        );
        assert!(list.iter().all(|n| n.lang == Lang::Fr));

        let errors = parse_pasted(
            "ok@gov.example\nnot an address\nBen <ben@>\nok2@gov.example",
            Lang::En,
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("Line 2 (“not an address”): "),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("Line 3 (“Ben <ben@>”): "),
            "{errors:?}"
        );
        assert!(parse_pasted(" \n\n", Lang::En).is_err());
        let too_many: String = (0..=MAX_INVITEES)
            .map(|i| format!("p{i}@gov.example\n"))
            .collect();
        assert!(parse_pasted(&too_many, Lang::En).unwrap_err()[0].contains("at most"));
    }
}
