//! What the notification service holds about a person, for an organiser's export: the
//! answer to `personal_data.export_requested` (a question the registration service asks
//! over RabbitMQ while the organiser waits; see `convene_shared::requests`).
//!
//! Erasing is the other half and comes as a message like any other (`participant.erased`,
//! in `inbox.rs`).

use convene_shared::messages::{
    Envelope, Message, PersonalDataExportRequested, PersonalDataExported,
};
use convene_shared::requests::Answerer;
use sqlx::PgPool;

use crate::email::transport::Mailer;
use crate::store::{invitees, recipients};

/// Answers export questions from the tables and the mail folder.
pub struct Exports {
    pub pool: PgPool,
    pub mailer: Mailer,
}

impl Answerer for Exports {
    async fn answer(&self, question: Envelope) -> anyhow::Result<Envelope> {
        let asked: PersonalDataExportRequested = question.payload()?;
        if question.kind != PersonalDataExportRequested::KIND {
            anyhow::bail!("not a question we answer: {}", question.kind);
        }
        let email = asked.email.to_lowercase();
        let answer = PersonalDataExported {
            recipients: recipients::export(&self.pool, &email).await?,
            invitees: invitees::export(&self.pool, &email).await?,
            email_files: self
                .mailer
                .files_about(std::slice::from_ref(&email))
                .await?
                .iter()
                .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
                .collect(),
        };
        Ok(Envelope::new(&answer, question.correlation_id))
    }
}
