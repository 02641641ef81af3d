//! An email address a message can be sent to.

/// A syntactically valid address: `local@domain`, at most 254 characters, a local part of
/// at most 64 printable ASCII characters without quotes or spaces, and a domain of dotted
/// labels (letters, digits, hyphens; internationalised domains in their `xn--` form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// # Errors
    /// A message for the person when the address cannot be used.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim();
        let invalid = || "Enter an email address like name@example.org.".to_owned();
        if email.is_empty() {
            return Err("Enter your email address.".to_owned());
        }
        if email.len() > 254 {
            return Err("Use an email address of at most 254 characters.".to_owned());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && domain.len() <= 253
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(email.to_owned()))
        } else {
            Err(invalid())
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
    fn accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@ministry.gov.example",
            "O'Neil@un.org",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_addresses_that_could_inject_or_mislead() {
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.org",
            "a b@c.org",
            "a@b.org\r\nBcc: c@d.org",
            "a@b.org,c@d.org",
            "<a@b.org>",
            ".a@b.org",
            "a..b@c.org",
            "a@-b.org",
            "\"q\"@b.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
