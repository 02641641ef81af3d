//! How emails leave: SMTP when `SMTP_URL` is set, otherwise `.eml` files under `MAIL_DIR`
//! (the default that lets anyone try Convene with nothing else installed).

use std::path::PathBuf;
use std::time::Duration;

use convene_shared::consumer::Failure;
use convene_shared::telemetry::redact_addresses;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Outgoing;

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
}

impl Mailer {
    /// An SMTP mailer with a pool of `pool_size` connections.
    ///
    /// # Errors
    /// When the URL is malformed.
    pub fn smtp(url: &str, pool_size: u32, timeout: Duration) -> anyhow::Result<Self> {
        let target = SmtpTarget::parse(url)?;
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(target.host).port(target.port);
        if let Some((user, password)) = target.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        let transport = builder
            .pool_config(PoolConfig::new().max_size(pool_size))
            .timeout(Some(timeout))
            .build();
        Ok(Self::Smtp(transport))
    }

    /// A mailer that writes each email as a file in `dir`.
    ///
    /// # Errors
    /// When the folder cannot be created.
    pub fn files(dir: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create MAIL_DIR {}: {e}", dir.display()))?;
        Ok(Self::Files {
            transport: AsyncFileTransport::new(&dir),
            dir,
        })
    }

    /// Sends one email. A refusal that will not change (5xx, a bad address) is
    /// [`Failure::Permanent`]; anything else (server down, 4xx, timeout) is transient.
    ///
    /// # Errors
    /// As above.
    pub async fn send(&self, from: &Mailbox, email: &Outgoing) -> Result<(), Failure> {
        let message = build(from, email)?;
        match self {
            Self::Smtp(transport) => match transport.send(message).await {
                Ok(_) => Ok(()),
                // A server's refusal often quotes the recipient's address; the error is
                // logged and kept in the dead letter's reason, so the address goes.
                Err(e) if e.is_permanent() => Err(Failure::Permanent(anyhow::anyhow!(
                    "the SMTP server refused the email: {}",
                    redact_addresses(&e.to_string())
                ))),
                Err(e) => Err(Failure::Transient(anyhow::anyhow!(
                    "SMTP: {}",
                    redact_addresses(&e.to_string())
                ))),
            },
            Self::Files { transport, dir } => match transport.send(message).await {
                Ok(id) => {
                    tracing::info!(path = %dir.join(format!("{id}.eml")).display(), kind = email.kind, "email written to a file (no SMTP_URL set)");
                    Ok(())
                }
                Err(e) => Err(Failure::Transient(anyhow::anyhow!(
                    "writing the email file: {e}"
                ))),
            },
        }
    }
}

/// The parts of `smtp://[user:password@]host[:port]`.
#[derive(Debug, PartialEq)]
struct SmtpTarget {
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

impl SmtpTarget {
    fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url.strip_prefix("smtp://").ok_or_else(|| {
            anyhow::anyhow!("SMTP_URL must start with smtp:// (TLS relays are not supported yet)")
        })?;
        let rest = rest.trim_end_matches('/');
        let (credentials, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                (Some((user.to_owned(), password.to_owned())), hostport)
            }
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| anyhow::anyhow!("SMTP_URL has a malformed port"))?,
            ),
            None => (hostport, 25),
        };
        anyhow::ensure!(!host.is_empty(), "SMTP_URL has no host");
        Ok(Self {
            host: host.to_owned(),
            port,
            credentials,
        })
    }
}

/// Builds the MIME message; an address that does not parse is permanent.
fn build(from: &Mailbox, email: &Outgoing) -> Result<Message, Failure> {
    // The same rules the registration service applied, checked again at the last moment:
    // whatever reached us in a message, nothing odd is handed to the SMTP server.
    let checked = convene_shared::values::Email::parse(&email.to)
        .map_err(|e| Failure::Permanent(anyhow::anyhow!("unusable recipient address: {e}")))?;
    let address = checked
        .as_str()
        .parse()
        .map_err(|e| Failure::Permanent(anyhow::anyhow!("unusable recipient address: {e}")))?;
    let to = Mailbox::new(email.to_name.clone(), address);
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(&email.subject));
    if let Some(reply_to) = &email.reply_to {
        if let Ok(address) = reply_to.parse() {
            builder = builder.reply_to(Mailbox::new(None, address));
        }
    }
    let built = match &email.calendar {
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone()),
        Some((ics, method)) => {
            // The text, and the calendar entry as an attachment calendars recognise.
            let calendar_type = ContentType::parse(&format!(
                "text/calendar; charset=utf-8; method={}",
                method.as_str()
            ))
            .map_err(|e| Failure::Permanent(anyhow::anyhow!("calendar content type: {e}")))?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(email.body.clone()))
                    .singlepart(
                        Attachment::new("invite.ics".to_owned()).body(ics.clone(), calendar_type),
                    ),
            )
        }
    };
    built.map_err(|e| Failure::Permanent(anyhow::anyhow!("cannot build the email: {e}")))
}

/// Belt and braces: a subject is one line whatever reached us.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_smtp_urls() {
        let t = SmtpTarget::parse("smtp://127.0.0.1:1025").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.credentials),
            ("127.0.0.1", 1025, None)
        );
        let t = SmtpTarget::parse("smtp://user:secret@mail.example.org").unwrap();
        assert_eq!(t.port, 25);
        assert_eq!(
            t.credentials,
            Some(("user".to_owned(), "secret".to_owned()))
        );
        assert!(SmtpTarget::parse("smtp://host:notaport").is_err());
        assert!(SmtpTarget::parse("http://host").is_err());
    }
}
