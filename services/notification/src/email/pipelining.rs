//! SMTP command pipelining (RFC 2920) over lettre's connection.
//!
//! lettre 0.11 waits for the answer to every command: `MAIL`, `RCPT`, `DATA` and the
//! message are four round trips per email. Where the server offers `PIPELINING`, the
//! emails of a batch go on one connection the way Postfix's `smtp-source` sends them: the
//! first email's `MAIL`, `RCPT` and `DATA` together; then each email's content with the
//! next email's commands behind it, and their answers read after. One round trip per
//! email.
//!
//! A message's content is only ever written once its `DATA` has been answered `354` (RFC
//! 2920, 3.1): were a command behind it refused, the content would otherwise be read as
//! commands. lettre still formats every command (its `command` writes any `Display`) and
//! parses every answer (`read_response`); ours are the order, and the dot-stuffing of the
//! content, which copies lettre's own (its codec is private).

use std::fmt;

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::Error;

/// Whether an EHLO answer lists `PIPELINING`.
pub fn offered(ehlo: &Response) -> bool {
    ehlo.message()
        .any(|line| line.trim().eq_ignore_ascii_case("PIPELINING"))
}

/// Whether lettre's `send` would add no `MAIL` parameter: ASCII addresses and content
/// (lettre's MIME encodings make the content ASCII). Anything else goes through lettre's
/// `send`, which negotiates 8BITMIME and SMTPUTF8.
pub fn plain(envelope: &Envelope, email: &[u8]) -> bool {
    ascii_addresses(envelope) && email.is_ascii()
}

/// Whether every address of `envelope` is ASCII (else `MAIL` must ask for `SMTPUTF8`).
pub fn ascii_addresses(envelope: &Envelope) -> bool {
    let ascii = |a: &Address| AsRef::<str>::as_ref(a).is_ascii();
    envelope.from().is_none_or(ascii) && envelope.to().iter().all(ascii)
}

/// One email's `MAIL`, `RCPT`s and `DATA`, written as one (lettre's formatting of each).
pub struct Commands {
    mail: Mail,
    rcpts: Vec<Rcpt>,
}

impl Commands {
    pub fn new(envelope: &Envelope) -> Self {
        Self {
            mail: Mail::new(envelope.from().cloned(), Vec::new()),
            rcpts: envelope
                .to()
                .iter()
                .map(|to| Rcpt::new(to.clone(), Vec::new()))
                .collect(),
        }
    }

    /// Writes these commands and reads their answers: the server then waits for the
    /// content. A refusal is lettre's error, as from its own `send`.
    pub async fn open(&self, smtp: &mut AsyncSmtpConnection) -> Result<(), Error> {
        smtp.command(self).await?; // written whole; this is the answer to MAIL
        self.read_after_mail(smtp).await
    }

    /// Reads the answers to these commands, written earlier behind another's content.
    pub async fn read_answers(&self, smtp: &mut AsyncSmtpConnection) -> Result<(), Error> {
        smtp.read_response().await?; // MAIL
        self.read_after_mail(smtp).await
    }

    async fn read_after_mail(&self, smtp: &mut AsyncSmtpConnection) -> Result<(), Error> {
        for _ in &self.rcpts {
            smtp.read_response().await?;
        }
        smtp.read_response().await?; // DATA: 354
        Ok(())
    }
}

impl fmt::Display for Commands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.mail)?;
        for rcpt in &self.rcpts {
            write!(f, "{rcpt}")?;
        }
        write!(f, "{Data}")
    }
}

/// Writes an email's content (its `DATA` answered `354`), and `next`'s commands behind
/// it; returns the answer to the content: accepted, or lettre's error for a refusal.
/// `next`'s answers are then to be read ([`Commands::read_answers`]).
///
/// `email` must be [`plain`] (ASCII).
pub async fn content(
    smtp: &mut AsyncSmtpConnection,
    email: &[u8],
    next: Option<&Commands>,
) -> Result<Response, Error> {
    smtp.command(Content { email, next }).await
}

struct Content<'a> {
    email: &'a [u8],
    next: Option<&'a Commands>,
}

impl fmt::Display for Content<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stuffed = stuff(self.email);
        // ASCII in, ASCII out (see `plain`); a lossy view would never differ.
        f.write_str(&String::from_utf8_lossy(&stuffed))?;
        f.write_str("\r\n.\r\n")?;
        match self.next {
            Some(next) => write!(f, "{next}"),
            None => Ok(()),
        }
    }
}

/// SMTP transparency (RFC 5321, 4.5.2), as lettre's codec does it: a line that starts
/// with `.` gets one more.
fn stuff(email: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(email.len() + 16);
    let mut line_start = true;
    let mut after_cr = false;
    for &b in email {
        if b == b'.' && line_start {
            out.push(b'.');
        }
        out.push(b);
        line_start = after_cr && b == b'\n';
        after_cr = b == b'\r';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_starts_with_a_dot_gets_another() {
        assert_eq!(
            stuff(b".a\r\n.b\r\nc.\r\n..\r\n\r.d\n.e"),
            b"..a\r\n..b\r\nc.\r\n...\r\n\r.d\n.e".to_vec()
        );
        assert_eq!(stuff(b"plain\r\n"), b"plain\r\n".to_vec());
    }

    #[test]
    fn content_is_followed_by_its_end_and_the_next_commands() {
        let envelope = Envelope::new(
            Some("from@example.org".parse().unwrap()),
            vec!["to@example.org".parse().unwrap()],
        )
        .unwrap();
        let next = Commands::new(&envelope);
        let written = Content {
            email: b"Subject: x\r\n\r\n.hi\r\n",
            next: Some(&next),
        }
        .to_string();
        assert_eq!(
            written,
            "Subject: x\r\n\r\n..hi\r\n\r\n.\r\n\
             MAIL FROM:<from@example.org>\r\nRCPT TO:<to@example.org>\r\nDATA\r\n"
        );
    }
}
