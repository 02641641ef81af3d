//! The short name of an exchange in its URLs.

/// 3 to 64 characters: lowercase letters and digits in words joined by single hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// # Errors
    /// A message naming the rule the slug breaks.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (3..=64).contains(&raw.len())
            && raw.split('-').all(|w| {
                !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(
                "Use 3 to 64 lowercase letters, digits and single hyphens, e.g. alternatives-2026."
                    .to_owned(),
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("alternatives-to-detention-2026").is_ok());
        for bad in [
            "ab",
            "Has-Caps",
            "double--hyphen",
            "-lead",
            "trail-",
            "spa ce",
            "ünï",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
