//! How emails leave: SMTP when `SMTP_URL` is set, otherwise `.eml` files under `MAIL_DIR`
//! (the default that lets anyone try Convene with nothing else installed).
//!
//! SMTP goes through a pool of our own rather than lettre's `AsyncSmtpTransport`: lettre
//! 0.11 never sets `TCP_NODELAY`, so the last small write of every message (the final
//! `.`) waits for the server's delayed ACK, about 40 ms: 23 messages/s per connection.
//! Here each connection is a tokio `TcpStream` with `set_nodelay(true)` handed to lettre's
//! `AsyncSmtpConnection`, which still speaks the protocol (upstream fixed this in lettre PR
//! #1159, not in a release yet), wrapped so that a message's body and its end leave as one
//! packet (`smtp_stream`).
//!
//! Where the server offers `PIPELINING` (RFC 2920; Postfix, Exim and the large providers
//! do), a batch of emails goes on one connection with one round trip per email instead of
//! lettre's four (`pipelining`).
//!
//! TLS as `SMTP_URL` says (`smtp_target`): from the start (`smtps://`), or by STARTTLS,
//! with the certificates `tls` trusts. A certificate that is not trusted fails the send
//! like a server that is down: the email waits in its retries, and the log says why.
//!
//! Two timeouts ([`Timeouts`]), as RFC 5321 (4.5.3.2) has them: a short one for
//! connecting and for each command up to the server's go-ahead for an email's content,
//! when the server has accepted nothing yet; a long one for the content and the answer to
//! its end. A server that stores the email and then answers late has accepted it: counted
//! as failed, it would be sent again on retry.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use convene_shared::consumer::Failure;
use convene_shared::telemetry::redact_addresses;
use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

use super::pipelining::{self, Commands};
use super::smtp_stream::SmtpStream;
use super::smtp_target::{Security, SmtpTarget};
use super::tls::SmtpTls;
use super::Outgoing;

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(std::sync::Arc<SmtpPool>),
    Files {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
}

impl Mailer {
    /// An SMTP mailer with a pool of `pool_size` connections to `target`, trusting the
    /// certificates of `ca_pem` besides the usual public ones.
    ///
    /// # Errors
    /// When `ca_pem` is not a list of certificates.
    pub fn smtp(
        target: SmtpTarget,
        ca_pem: Option<&str>,
        pool_size: u32,
        timeouts: Timeouts,
    ) -> anyhow::Result<Self> {
        let tls = SmtpTls::new(&target.host, ca_pem)?;
        if target.credentials.is_some() && target.security == Security::None {
            tracing::warn!(
                "SMTP_URL has a password but no TLS: it crosses the network readable; use smtps:// or ?tls=required"
            );
        }
        Ok(Self::Smtp(std::sync::Arc::new(SmtpPool::new(
            target, tls, pool_size, timeouts,
        ))))
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

    /// Deletes what this mailer kept of emails to `addresses` (erasing a person): the
    /// `.eml` files written to `MAIL_DIR`. Over SMTP nothing is kept here. Returns how
    /// many files went.
    ///
    /// # Errors
    /// When the folder cannot be read or a file cannot be deleted.
    pub async fn forget(&self, addresses: &[String]) -> std::io::Result<usize> {
        let files = self.files_about(addresses).await?;
        for file in &files {
            tokio::fs::remove_file(file).await?;
        }
        Ok(files.len())
    }

    /// The `.eml` files written to `MAIL_DIR` that name one of `addresses` (none over
    /// SMTP: nothing is kept here then).
    ///
    /// # Errors
    /// When the folder or a file cannot be read.
    pub async fn files_about(&self, addresses: &[String]) -> std::io::Result<Vec<PathBuf>> {
        let Self::Files { dir, .. } = self else {
            return Ok(Vec::new());
        };
        let dir = dir.clone();
        let needles: Vec<String> = addresses
            .iter()
            .filter(|a| !a.is_empty())
            .map(|a| a.to_lowercase())
            .collect();
        if needles.is_empty() {
            return Ok(Vec::new());
        }
        tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if path.extension().is_none_or(|x| x != "eml") {
                    continue;
                }
                let text = String::from_utf8_lossy(&std::fs::read(&path)?).to_lowercase();
                if needles.iter().any(|n| text.contains(n.as_str())) {
                    found.push(path);
                }
            }
            Ok(found)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Sends each email, in order; one result per email, with when it left (accepted by
    /// the SMTP server, or written). A refusal that will not change (5xx, a bad address) is
    /// [`Failure::Permanent`]; anything else (server down, 4xx, timeout) is transient. One
    /// email's failure does not stop the others. Only an email whose end went unanswered
    /// within [`Timeouts::end_of_data`] may have been accepted all the same.
    pub async fn send_all(
        &self,
        from: &Mailbox,
        emails: &[&Outgoing],
    ) -> Vec<(Result<(), Failure>, Instant)> {
        match self {
            Self::Smtp(pool) => {
                // Built and formatted (MIME, encodings) before taking a connection: a
                // connection is held only while it talks to the server.
                let mut results: Vec<Option<Result<(), Failure>>> = Vec::new();
                let mut messages = Vec::new();
                for email in emails {
                    match build(from, email) {
                        Ok(message) => {
                            messages.push((message.envelope().clone(), message.formatted()));
                            results.push(None);
                        }
                        Err(failure) => results.push(Some(Err(failure))),
                    }
                }
                let mut sent = pool.send_all(&messages).await.into_iter();
                results
                    .into_iter()
                    .map(|built| match built {
                        Some(failure) => (failure, Instant::now()),
                        None => match sent.next().expect("one result per message") {
                            Ok(at) => (Ok(()), at),
                            Err(e) => (Err(e.into_failure()), Instant::now()),
                        },
                    })
                    .collect()
            }
            Self::Files { transport, dir } => {
                let mut results = Vec::with_capacity(emails.len());
                for email in emails {
                    let written = match build(from, email) {
                        Ok(message) => match transport.send(message).await {
                            Ok(id) => {
                                tracing::info!(path = %dir.join(format!("{id}.eml")).display(), kind = email.kind, "email written to a file (no SMTP_URL set)");
                                Ok(())
                            }
                            Err(e) => Err(Failure::Transient(anyhow::anyhow!(
                                "writing the email file: {e}"
                            ))),
                        },
                        Err(failure) => Err(failure),
                    };
                    results.push((written, Instant::now()));
                }
                results
            }
        }
    }
}

/// How long each step of a send may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Connecting (greeting, TLS, EHLO, AUTH), and each command up to the server's
    /// go-ahead (`354`) for an email's content (`SMTP_TIMEOUT_SECS`). The server has
    /// accepted nothing yet: a send that fails here is safe to try again.
    pub command: Duration,
    /// The content, and the answer to its end (`SMTP_DATA_TIMEOUT_SECS`). A server that
    /// answers after it may have accepted the email, which the retry then sends again, so
    /// it is long: RFC 5321 (4.5.3.2.6) recommends 10 minutes, because "a spurious
    /// timeout at this point would [...] typically result in delivery of multiple copies".
    pub end_of_data: Duration,
}

/// A connection idle this long is checked with a `NOOP` before it is used again (the
/// server may have closed it); a busy pool never pays for the check.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);
/// A connection idle this long is closed rather than reused (servers drop idle sessions
/// after a few minutes anyway).
const MAX_IDLE: Duration = Duration::from_secs(60);

/// Why one send failed.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// lettre's error: a refusal (4xx/5xx) or a connection problem.
    #[error("{0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("cannot connect to the SMTP server: {0}")]
    Connect(std::io::Error),
    #[error("TLS with the SMTP server failed (SMTP_URL, SMTP_CA_FILE): {0}")]
    Tls(std::io::Error),
    #[error("the SMTP server does not offer STARTTLS, and SMTP_URL requires it (tls=required)")]
    NoStarttls,
    #[error("STARTTLS with the SMTP server failed (SMTP_URL, SMTP_CA_FILE): {0}")]
    Starttls(lettre::transport::smtp::Error),
    /// No answer to a command (or no connection) in time: nothing was accepted.
    #[error("no answer from the SMTP server within {0:?}")]
    Timeout(Duration),
    /// The content went out and its end was not answered in time: the server may have
    /// accepted the email, and the retry then sends it again (docs/messages.md).
    #[error(
        "no answer from the SMTP server to the end of the email within {0:?}; it may have accepted it, and a retry sends it again"
    )]
    Unanswered(Duration),
    /// The email needs an extension (`SMTPUTF8`, `8BITMIME`) the server does not offer.
    #[error("{0}")]
    Unsupported(&'static str),
    /// Not tried: connecting for an earlier email of the same batch failed.
    #[error("not sent, the SMTP server could not be reached: {0}")]
    NotTried(String),
}

impl SmtpError {
    /// What the consumer makes of it: only a refusal (5xx) is permanent.
    fn into_failure(self) -> Failure {
        match self {
            // A server's refusal often quotes the recipient's address; the error is
            // logged and kept in the dead letter's reason, so the address goes.
            Self::Smtp(e) if e.is_permanent() => Failure::Permanent(anyhow::anyhow!(
                "the SMTP server refused the email: {}",
                redact_addresses(&e.to_string())
            )),
            e => Failure::Transient(anyhow::anyhow!(
                "SMTP: {}",
                redact_addresses(&e.to_string())
            )),
        }
    }
}

/// Up to `size` SMTP connections with `TCP_NODELAY`, each reused for message after
/// message. A connection that fails in any way (a refusal, a network error or a timeout)
/// is dropped, and the next send opens a fresh one: after a refusal in the middle of a
/// pipelined group, answers may still be on their way, so nothing on it is trusted again.
pub struct SmtpPool {
    target: SmtpTarget,
    tls: SmtpTls,
    hello: ClientId,
    timeouts: Timeouts,
    /// One permit per connection that may be open (idle or sending).
    permits: tokio::sync::Semaphore,
    /// Open connections not in use, with when they were last used (most recent last).
    idle: std::sync::Mutex<Vec<(Connection, Instant)>>,
}

/// One open SMTP session, and whether its server offered `PIPELINING`.
struct Connection {
    smtp: AsyncSmtpConnection,
    pipelining: bool,
}

impl SmtpPool {
    fn new(target: SmtpTarget, tls: SmtpTls, size: u32, timeouts: Timeouts) -> Self {
        Self {
            target,
            tls,
            hello: ClientId::default(),
            timeouts,
            permits: tokio::sync::Semaphore::new(size.max(1) as usize),
            idle: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Sends each `(envelope, formatted message)` in order on one pooled connection
    /// (waiting for one if all are busy), and on a fresh one after a failure; one result
    /// per message: when the server accepted it, or why not.
    async fn send_all(&self, messages: &[(Envelope, Vec<u8>)]) -> Vec<Result<Instant, SmtpError>> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the pool's semaphore is never closed");
        let mut results = Vec::with_capacity(messages.len());
        while results.len() < messages.len() {
            let mut conn = match self.checkout().await {
                Ok(conn) => conn,
                Err(e) => {
                    // This email gets the reason; the rest of the batch is not tried.
                    let reason = e.to_string();
                    results.push(Err(e));
                    results
                        .resize_with(messages.len(), || Err(SmtpError::NotTried(reason.clone())));
                    break;
                }
            };
            let rest = &messages[results.len()..];
            if self.send_on(&mut conn, rest, &mut results).await {
                self.idle
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((conn, Instant::now()));
            }
            // Otherwise it is dropped, which closes it: whatever the server still had to
            // say (a pipelined group's later answers) goes with it, and a transaction whose
            // content was never written is never delivered.
        }
        results
    }

    /// Sends `messages` in order on `conn`, pushing one result per message tried, until
    /// the first failure (then `false`: the connection must not be used again) or the
    /// end (`true`). Each email in two steps, each with its own timeout ([`Timeouts`]):
    /// up to the server's go-ahead for its content, then the content and the answer to
    /// its end.
    async fn send_on(
        &self,
        conn: &mut Connection,
        messages: &[(Envelope, Vec<u8>)],
        results: &mut Vec<Result<Instant, SmtpError>>,
    ) -> bool {
        // Which emails are pipelined (each checked once: the check reads the whole email).
        let pipelined: Vec<bool> = messages
            .iter()
            .map(|(envelope, email)| conn.pipelining && pipelining::plain(envelope, email))
            .collect();
        // The commands of the email at hand, when written behind the previous content
        // (their answers not read yet).
        let mut ahead: Option<Commands> = None;
        for (i, (envelope, email)) in messages.iter().enumerate() {
            // 1. Up to the go-ahead (`354`): the server has accepted nothing yet.
            let opening = async {
                if !pipelined[i] {
                    return open_in_turn(&mut conn.smtp, envelope, email).await;
                }
                match ahead.take() {
                    Some(commands) => commands.read_answers(&mut conn.smtp).await,
                    None => Commands::new(envelope).open(&mut conn.smtp).await,
                }
                .map_err(SmtpError::Smtp)
            };
            let opened = tokio::time::timeout(self.timeouts.command, opening)
                .await
                .unwrap_or(Err(SmtpError::Timeout(self.timeouts.command)));
            if let Err(e) = opened {
                results.push(Err(e));
                return false;
            }

            // 2. The content and the answer to its end: from here the server may accept
            //    the email, however late it says so. The next email's commands ride behind
            //    the content, when both go pipelined.
            ahead = messages
                .get(i + 1)
                .filter(|_| pipelined[i] && pipelined[i + 1])
                .map(|(envelope, _)| Commands::new(envelope));
            let delivering = async {
                if pipelined[i] {
                    pipelining::content(&mut conn.smtp, email, ahead.as_ref()).await
                } else {
                    conn.smtp.message(email).await
                }
            };
            match tokio::time::timeout(self.timeouts.end_of_data, delivering).await {
                Ok(Ok(_)) => results.push(Ok(Instant::now())),
                Ok(Err(e)) => {
                    results.push(Err(SmtpError::Smtp(e)));
                    return false;
                }
                Err(_) => {
                    tracing::warn!(
                        timeout_secs = self.timeouts.end_of_data.as_secs(),
                        "the SMTP server did not answer the end of an email in time: it may have accepted it, and the retry sends it again"
                    );
                    results.push(Err(SmtpError::Unanswered(self.timeouts.end_of_data)));
                    return false;
                }
            }
        }
        true
    }

    /// An idle connection that still answers, or a new one.
    async fn checkout(&self) -> Result<Connection, SmtpError> {
        loop {
            let parked = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop();
            let Some((mut conn, since)) = parked else {
                return self.connect().await;
            };
            let idle = since.elapsed();
            if idle < CHECK_AFTER_IDLE && !conn.smtp.has_broken() {
                return Ok(conn);
            }
            if idle < MAX_IDLE
                && matches!(
                    tokio::time::timeout(self.timeouts.command, conn.smtp.test_connected()).await,
                    Ok(true)
                )
            {
                return Ok(conn);
            }
            // Closed by the server, or idle too long: say goodbye (bounded) and try the next.
            let _ = tokio::time::timeout(Duration::from_secs(1), conn.smtp.abort()).await;
        }
    }

    /// Opens a connection: TCP with `TCP_NODELAY` and writes held until the next read
    /// ([`SmtpStream`]), TLS as `SMTP_URL` says, EHLO, AUTH when credentials are set.
    async fn connect(&self) -> Result<Connection, SmtpError> {
        let open = async {
            let tcp = tokio::net::TcpStream::connect((self.target.host.as_str(), self.target.port))
                .await
                .map_err(SmtpError::Connect)?;
            tcp.set_nodelay(true).map_err(SmtpError::Connect)?;
            let mut smtp = if self.target.security == Security::Implicit {
                let tls = self.tls.connect(tcp).await.map_err(SmtpError::Tls)?;
                AsyncSmtpConnection::connect_with_transport(
                    Box::new(SmtpStream::new(tls)),
                    &self.hello,
                )
                .await?
            } else {
                AsyncSmtpConnection::connect_with_transport(
                    Box::new(SmtpStream::new(tcp)),
                    &self.hello,
                )
                .await?
            };
            // (lettre cannot see the TLS of `smtps://` below it: it is not asked here.)
            match self.target.security {
                Security::Required if !smtp.can_starttls() => return Err(SmtpError::NoStarttls),
                Security::Required | Security::Opportunistic if smtp.can_starttls() => {
                    smtp.starttls(self.tls.starttls(), &self.hello)
                        .await
                        .map_err(SmtpError::Starttls)?;
                }
                _ => {}
            }
            // lettre keeps only the extensions it knows from its EHLO, and PIPELINING is not
            // one of them: a second EHLO (RFC 5321 allows it at any time) shows them all.
            let offered = smtp.command(Ehlo::new(self.hello.clone())).await?;
            let pipelining = pipelining::offered(&offered);
            if let Some((user, password)) = &self.target.credentials {
                smtp.auth(
                    DEFAULT_MECHANISMS,
                    &Credentials::new(user.clone(), password.clone()),
                )
                .await?;
            }
            Ok(Connection { smtp, pipelining })
        };
        tokio::time::timeout(self.timeouts.command, open)
            .await
            .map_err(|_| SmtpError::Timeout(self.timeouts.command))?
    }
}

/// `MAIL`, each `RCPT` and `DATA`, each answer awaited in turn (a server without
/// `PIPELINING`, or an email that is not [`pipelining::plain`]): what lettre's own `send`
/// does before the content, `MAIL` asking for `SMTPUTF8` and `8BITMIME` where the email
/// needs them.
async fn open_in_turn(
    smtp: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    email: &[u8],
) -> Result<(), SmtpError> {
    let mut options = Vec::new();
    if !pipelining::ascii_addresses(envelope) {
        if !smtp.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(SmtpError::Unsupported(
                "an address is not ASCII, and the SMTP server does not offer SMTPUTF8",
            ));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !email.is_ascii() {
        if !smtp.server_info().supports_feature(Extension::EightBitMime) {
            return Err(SmtpError::Unsupported(
                "the email is not ASCII, and the SMTP server does not offer 8BITMIME",
            ));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    smtp.command(Mail::new(envelope.from().cloned(), options))
        .await?;
    for to in envelope.to() {
        smtp.command(Rcpt::new(to.clone(), Vec::new())).await?;
    }
    smtp.command(Data).await?;
    Ok(())
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
