//! `SMTP_URL`: which SMTP server, how to secure the connection to it, and how to sign in.
//!
//! The forms are lettre's (`AsyncSmtpTransport::from_url`), so an operator's URL means the
//! same here as in other tools:
//! - `smtp://host:25`: no TLS (a relay on the same host or a private network);
//! - `smtp://user:pass@host:587?tls=required`: STARTTLS, and no email is sent to a server
//!   that does not offer it (what mail providers' submission ports expect);
//! - `smtp://host:587?tls=opportunistic`: STARTTLS when the server offers it, plain
//!   otherwise (protects against passive eavesdropping only);
//! - `smtps://user:pass@host:465`: TLS from the first byte (RFC 8314's recommendation).
//!
//! The user name and password are percent-decoded (`p%40ss` is `p@ss`). The password is
//! never printed: this type's `Debug` hides it, and errors quote no part of the URL.

use std::fmt;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain TCP.
    None,
    /// STARTTLS when the server offers it.
    Opportunistic,
    /// STARTTLS, or no email.
    Required,
    /// TLS from the start (`smtps://`).
    Implicit,
}

/// The parts of `SMTP_URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User name and password, decoded.
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for SmtpTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish_non_exhaustive()
    }
}

impl SmtpTarget {
    /// Parses `smtp://…` or `smtps://…` (see the module's documentation).
    ///
    /// # Errors
    /// A message naming what is wrong, which never quotes the URL (it may hold a password).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw.trim())
            .map_err(|e| format!("not a URL ({e}); expected smtp://host:port or smtps://…"))?;
        let mut security = match url.scheme() {
            "smtp" => Security::None,
            "smtps" => Security::Implicit,
            other => return Err(format!("scheme {other}:// is not smtp:// or smtps://")),
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref(), security) {
                ("tls", "required", Security::None) => security = Security::Required,
                ("tls", "opportunistic", Security::None) => security = Security::Opportunistic,
                ("tls", _, Security::Implicit) => {
                    return Err("smtps:// is TLS already; tls= is for smtp:// (STARTTLS)".into())
                }
                ("tls", other, _) => {
                    return Err(format!("tls={other} is not one of required, opportunistic"))
                }
                (other, _, _) => return Err(format!("unknown parameter {other}")),
            }
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("no host")?
            // An IPv6 address comes bracketed; connecting and TLS want it bare.
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port().unwrap_or(match security {
            Security::None => 25,
            Security::Opportunistic | Security::Required => 587,
            Security::Implicit => 465,
        });
        let decode = |part: &str, what: &str| {
            percent_encoding::percent_decode_str(part)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| format!("the {what} is not UTF-8 once percent-decoded"))
        };
        let credentials = if url.username().is_empty() {
            None
        } else {
            Some((
                decode(url.username(), "user name")?,
                decode(url.password().unwrap_or(""), "password")?,
            ))
        };
        Ok(Self {
            host,
            port,
            security,
            credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_urls_keep_their_meaning() {
        let t = SmtpTarget::parse("smtp://127.0.0.1:1025").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.security, t.credentials),
            ("127.0.0.1", 1025, Security::None, None)
        );
        let t = SmtpTarget::parse("smtp://user:secret@mail.example.org").unwrap();
        assert_eq!(t.port, 25);
        assert_eq!(
            t.credentials,
            Some(("user".to_owned(), "secret".to_owned()))
        );
    }

    #[test]
    fn tls_modes_and_their_default_ports() {
        let cases = [
            ("smtps://mail.example.org", Security::Implicit, 465),
            ("smtps://mail.example.org:2465", Security::Implicit, 2465),
            (
                "smtp://mail.example.org?tls=required",
                Security::Required,
                587,
            ),
            (
                "smtp://mail.example.org:2525?tls=opportunistic",
                Security::Opportunistic,
                2525,
            ),
        ];
        for (url, security, port) in cases {
            let t = SmtpTarget::parse(url).unwrap();
            assert_eq!((t.security, t.port), (security, port), "{url}");
        }
    }

    #[test]
    fn credentials_are_percent_decoded() {
        let t = SmtpTarget::parse("smtps://apikey%40tenant:p%40ss%3Aw%2Frd%25@smtp.example.org")
            .unwrap();
        assert_eq!(
            t.credentials,
            Some(("apikey@tenant".to_owned(), "p@ss:w/rd%".to_owned()))
        );
    }

    #[test]
    fn bad_urls_are_refused_without_quoting_the_password() {
        for url in [
            "http://host",
            "smtp://host:notaport",
            "smtp://host?tls=always",
            "smtps://host?tls=required",
            "smtp://host?timeout=3",
            "smtp://",
            "smtp://user:hunter2@:25",
        ] {
            let error = SmtpTarget::parse(url).expect_err(url);
            assert!(!error.contains("hunter2"), "{url}: {error}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let t = SmtpTarget::parse("smtps://user:hunter2@smtp.example.org").unwrap();
        let shown = format!("{t:?}");
        assert!(
            shown.contains("user") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
