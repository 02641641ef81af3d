//! Reading what the SMTP server accepted (or what the notification service wrote to files).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One email as received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub reply_to: Option<String>,
    pub file: PathBuf,
    /// The attached calendar entry (iCalendar text), if any.
    pub calendar: Option<String>,
    /// Whether the client sent `RCPT` and `DATA` without waiting for the answer to `MAIL`
    /// (the test SMTP server's `X-Pipelined`); `None` for an email written to a file.
    pub pipelined: Option<bool>,
    /// Whether it reached the test SMTP server over TLS (its `X-TLS`).
    pub tls: Option<bool>,
}

impl Mail {
    /// The first `http(s)://…/registrations/<token>` link in the body.
    pub fn manage_link(&self) -> Option<String> {
        self.body
            .split_whitespace()
            .find(|w| w.contains("/registrations/"))
            .map(|w| w.trim_end_matches(['.', ',', ')']).to_owned())
    }
}

/// A folder of `.eml` files, one per email.
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub dir: PathBuf,
}

impl Mailbox {
    pub fn new(dir: impl AsRef<Path>) -> Self {
        Self {
            dir: dir.as_ref().to_path_buf(),
        }
    }

    /// Every email received so far.
    pub fn all(&self) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut mails: Vec<Mail> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter_map(|p| parse(&p))
            .collect();
        mails.sort_by(|a, b| a.file.cmp(&b.file));
        mails
    }

    /// Emails addressed to `to` (case-insensitive).
    pub fn to(&self, to: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.to_lowercase().contains(&to.to_lowercase()))
            .collect()
    }

    /// Waits until at least `count` emails match `filter`, and returns them.
    ///
    /// # Panics
    /// After `timeout`, listing what did arrive.
    pub async fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
        filter: impl Fn(&Mail) -> bool,
    ) -> Vec<Mail> {
        let deadline = Instant::now() + timeout;
        loop {
            let found: Vec<Mail> = self.all().into_iter().filter(|m| filter(m)).collect();
            if found.len() >= count {
                return found;
            }
            if Instant::now() > deadline {
                let seen: Vec<(String, String)> =
                    self.all().into_iter().map(|m| (m.to, m.subject)).collect();
                panic!("expected {count} matching emails within {timeout:?}, got {}; all received: {seen:#?}", found.len());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn parse(path: &Path) -> Option<Mail> {
    let raw = std::fs::read(path).ok()?;
    let parsed = mailparse::parse_mail(&raw).ok()?;
    let header = |name: &str| {
        use mailparse::MailHeaderMap as _;
        parsed.headers.get_first_value(name)
    };
    // A multipart email: the text is the plain part, the calendar entry its attachment.
    let (body, calendar) = if parsed.subparts.is_empty() {
        (parsed.get_body().ok()?, None)
    } else {
        let text = parsed
            .subparts
            .iter()
            .find(|p| p.ctype.mimetype == "text/plain")?
            .get_body()
            .ok()?;
        let calendar = parsed
            .subparts
            .iter()
            .find(|p| p.ctype.mimetype == "text/calendar")
            .and_then(|p| p.get_body().ok());
        (text, calendar)
    };
    Some(Mail {
        to: header("To").unwrap_or_default(),
        subject: header("Subject").unwrap_or_default(),
        reply_to: header("Reply-To"),
        body,
        file: path.to_path_buf(),
        calendar,
        pipelined: header("X-Pipelined").map(|v| v == "yes"),
        tls: header("X-TLS").map(|v| v == "yes"),
    })
}
