//! A country, by its ISO 3166-1 alpha-2 code.

use super::country_names::COUNTRIES;

/// One of the 249 ISO 3166-1 alpha-2 codes, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryCode(&'static str);

impl CountryCode {
    /// Accepts any case (`fr`, `FR`).
    ///
    /// # Errors
    /// When the code is not an ISO 3166-1 alpha-2 code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err("Choose a country.".to_owned());
        }
        COUNTRIES
            .binary_search_by(|(c, ..)| (*c).cmp(code.as_str()))
            .map(|i| Self(COUNTRIES[i].0))
            .map_err(|_| {
                "Choose a country from the list (an ISO 3166-1 code such as FR).".to_owned()
            })
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The English name.
    pub fn name(&self) -> &'static str {
        COUNTRIES
            .iter()
            .find(|(c, ..)| *c == self.0)
            .map_or(self.0, |(_, en, ..)| en)
    }

    /// The name in a language.
    pub fn name_in(&self, lang: convene_shared::i18n::Lang) -> &'static str {
        use convene_shared::i18n::Lang;
        COUNTRIES
            .iter()
            .find(|(c, ..)| *c == self.0)
            .map_or(self.0, |(_, en, fr, es)| match lang {
                Lang::En => *en,
                Lang::Fr => *fr,
                Lang::Es => *es,
            })
    }

    /// Every country as (code, English name), sorted by name, for a select list.
    pub fn all_by_name() -> Vec<(&'static str, &'static str)> {
        let mut all: Vec<_> = COUNTRIES.iter().map(|(c, en, ..)| (*c, *en)).collect();
        all.sort_by(|a, b| a.1.cmp(b.1));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(CountryCode::parse("fr").unwrap().name(), "France");
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("").is_err());
        assert_eq!(CountryCode::all_by_name().len(), 249);
    }
}
