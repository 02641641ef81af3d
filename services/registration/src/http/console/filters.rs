//! What an exchange's registration list is narrowed to in the console: a status, a country,
//! a role, a search in names, addresses and organisations, and a page. They travel in the
//! query string (`?status=…&country=…&role=…&q=…&page=…`), so a filtered list is a link to
//! keep or share, the pages and the CSV download keep the filters, and the form works
//! without JavaScript.
//!
//! Values are read as text and checked here: a bad one is a message beside its field on
//! the page (`422`), never a silently different list, nor a `500`.

use serde::Deserialize;

use super::session::percent_encode;
use crate::domain::{BoundedText, CountryCode, Role};
use crate::store::registrations::{Filter, STATUSES};

/// The longest search, in characters: enough for any name or address, and a bound on what
/// each row is compared with.
pub const SEARCH_AT_MOST: usize = 100;
/// The last page anyone may ask for (with 100 a page, an offset far from overflowing).
const LAST_PAGE: i64 = 1_000_000;

/// The filters as the query string carries them, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct FilterQuery {
    /// One of [`STATUSES`], or empty for every status.
    pub status: Option<String>,
    /// An ISO 3166-1 code, any case, or empty for every country.
    pub country: Option<String>,
    /// One of the four roles, or empty for every role.
    pub role: Option<String>,
    /// Text the name, email or organisation contains (any case), or empty.
    pub q: Option<String>,
    /// Which page, from 1; read as text so that `page=x` is a message, not a `400`.
    pub page: Option<String>,
}

/// The filters, checked.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub filter: Filter,
    /// From 1.
    pub page: i64,
}

impl FilterQuery {
    /// The value of one parameter, trimmed ("" when absent).
    fn value(value: Option<&String>) -> &str {
        value.map_or("", |v| v.trim())
    }

    pub fn status(&self) -> &str {
        Self::value(self.status.as_ref())
    }

    pub fn country(&self) -> &str {
        Self::value(self.country.as_ref())
    }

    pub fn role(&self) -> &str {
        Self::value(self.role.as_ref())
    }

    pub fn q(&self) -> &str {
        Self::value(self.q.as_ref())
    }

    /// The filters as checked values, or (field, message) for each bad one.
    ///
    /// # Errors
    /// Every value that is not one the list can be filtered by.
    pub fn chosen(&self) -> Result<Chosen, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let status = match self.status() {
            "" => None,
            s => match STATUSES.into_iter().find(|known| *known == s) {
                Some(known) => Some(known.to_owned()),
                None => {
                    errors.push((
                        "status",
                        "Choose a status from the list: confirmed, waitlisted, offered, pending, \
                         unconfirmed, cancelled, rejected, expired or lapsed."
                            .to_owned(),
                    ));
                    None
                }
            },
        };
        let country = match self.country() {
            "" => None,
            c => CountryCode::parse(c)
                .map_err(|e| errors.push(("country", e)))
                .ok()
                .map(|c| c.as_str().to_owned()),
        };
        let role = match self.role() {
            "" => None,
            r => Role::parse(r)
                .map_err(|_| {
                    errors.push((
                        "role",
                        "Choose a role from the list: government official, UN entity, civil \
                         society or other."
                            .to_owned(),
                    ));
                })
                .ok()
                .map(|r| r.as_str().to_owned()),
        };
        let search = match self.q() {
            "" => None,
            q => BoundedText::parse(q, 0, SEARCH_AT_MOST, false)
                .map_err(|e| errors.push(("q", format!("Search: {e}"))))
                .ok()
                .map(BoundedText::into_string),
        };
        let page = match Self::value(self.page.as_ref()) {
            "" => 1,
            p => match p.parse::<i64>() {
                Ok(n) if (1..=LAST_PAGE).contains(&n) => n,
                _ => {
                    errors.push(("page", format!("Use a page number from 1 to {LAST_PAGE}.")));
                    1
                }
            },
        };
        if errors.is_empty() {
            Ok(Chosen {
                filter: Filter {
                    status,
                    country,
                    role,
                    search,
                },
                page,
            })
        } else {
            Err(errors)
        }
    }
}

/// A query string (`?…`, or "" when nothing is set) for the registration list with these
/// filters, `status` in place of the current one, and `page` (1 is left out).
pub fn query_string(filters: &FilterQuery, status: &str, page: i64) -> String {
    let pairs: Vec<String> = [
        ("status", status),
        ("country", filters.country()),
        ("role", filters.role()),
        ("q", filters.q()),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(name, value)| format!("{name}={}", percent_encode(value)))
    .chain((page > 1).then(|| format!("page={page}")))
    .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> FilterQuery {
        let object: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).into()))
            .collect();
        serde_json::from_value(object.into()).unwrap()
    }

    #[test]
    fn good_filters_are_checked_values() {
        let chosen = query(&[
            ("status", "waitlisted"),
            ("country", " gh "),
            ("role", "civil_society"),
            ("q", "  Ministry of Justice "),
            ("page", "3"),
        ])
        .chosen()
        .unwrap();
        assert_eq!(chosen.filter.status.as_deref(), Some("waitlisted"));
        assert_eq!(chosen.filter.country.as_deref(), Some("GH"));
        assert_eq!(chosen.filter.role.as_deref(), Some("civil_society"));
        assert_eq!(chosen.filter.search.as_deref(), Some("Ministry of Justice"));
        assert_eq!(chosen.page, 3);
        let none = query(&[("status", ""), ("q", "  ")]).chosen().unwrap();
        assert!(none.filter.status.is_none() && none.filter.search.is_none());
        assert_eq!(none.page, 1);
    }

    #[test]
    fn each_bad_filter_is_named() {
        let errors = query(&[
            ("status", "maybe"),
            ("country", "XX"),
            ("role", "king"),
            ("q", &"a".repeat(SEARCH_AT_MOST + 1)),
            ("page", "0"),
        ])
        .chosen()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["status", "country", "role", "q", "page"]);
        assert!(query(&[("q", "tab\there")]).chosen().is_err());
        assert!(query(&[("page", "99999999999999999999")]).chosen().is_err());
    }

    #[test]
    fn links_keep_the_filters_encoded() {
        let filters = query(&[("country", "GH"), ("q", "a&b c#")]);
        assert_eq!(
            query_string(&filters, "pending", 2),
            "?status=pending&country=GH&q=a%26b%20c%23&page=2"
        );
        assert_eq!(query_string(&FilterQuery::default(), "", 1), "");
    }
}
