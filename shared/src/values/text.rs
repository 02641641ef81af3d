//! Free text a person typed, within documented bounds.

/// Text trimmed of surrounding white space, with a length in characters between `min`
/// and `max`, and no control characters (line breaks only where `multiline`), nor the
/// bidirectional overrides that can make a name display as something else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    /// # Errors
    /// A message for the person when the text is empty, too long, or has forbidden characters.
    pub fn parse(raw: &str, min: usize, max: usize, multiline: bool) -> Result<Self, String> {
        let text = if multiline {
            raw.trim().replace("\r\n", "\n")
        } else {
            raw.trim().to_owned()
        };
        let len = text.chars().count();
        if len < min {
            return Err(if min == 1 {
                "This field is required.".to_owned()
            } else {
                format!("Use at least {min} characters.")
            });
        }
        if len > max {
            return Err(format!("Use at most {max} characters (this has {len})."));
        }
        let forbidden = text.chars().any(|c| {
            (c.is_control() && !(multiline && (c == '\n' || c == '\t')))
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
        });
        if forbidden {
            return Err(if multiline {
                "Remove the control or text-direction characters.".to_owned()
            } else {
                "Use a single line, without control or text-direction characters.".to_owned()
            });
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_could_forge_a_header_or_reverse_a_name() {
        assert!(BoundedText::parse("Ana\r\nBcc: x@y.z", 1, 200, false).is_err());
        assert!(BoundedText::parse("Ana \u{202E}zyx", 1, 200, false).is_err());
        assert!(BoundedText::parse("   ", 1, 200, false).is_err());
        assert!(BoundedText::parse(&"a".repeat(201), 1, 200, false).is_err());
        assert_eq!(
            BoundedText::parse("  Ana María  ", 1, 200, false)
                .unwrap()
                .as_str(),
            "Ana María"
        );
        assert_eq!(
            BoundedText::parse("a\r\nb", 0, 10, true).unwrap().as_str(),
            "a\nb"
        );
    }
}
