//! The `invitees` table: how to reach someone an organiser invited, for their invitation
//! and its one reminder.

use convene_shared::sealed::Sealed;
use sqlx::PgPool;
use uuid::Uuid;

/// Someone invited to an exchange.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitee {
    pub invitation_id: Uuid,
    pub name: String,
    pub email: String,
    pub lang: String,
    /// Their personal link, sealed as registration sent it; empty once erased.
    pub register_url: Sealed,
    /// Set once their data was erased: nothing more is sent to them.
    pub erased: bool,
}

/// Records an invitee; a repeat of the message changes nothing, and an erased invitee
/// stays erased.
///
/// # Errors
/// When Postgres fails.
pub async fn invited(
    pool: &PgPool,
    m: &convene_shared::messages::InvitationSent,
    register_url: &Sealed,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO invitees (invitation_id, event_id, name, email, lang, register_url) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (invitation_id) DO NOTHING",
    )
    .bind(m.invitation_id)
    .bind(m.event.event_id)
    .bind(&m.name)
    .bind(&m.email)
    .bind(&m.lang)
    .bind(register_url.as_str())
    .execute(pool)
    .await
    .map(drop)
}

/// The invitee behind an invitation, if known.
///
/// # Errors
/// When Postgres fails.
pub async fn find(pool: &PgPool, invitation_id: Uuid) -> sqlx::Result<Option<Invitee>> {
    sqlx::query_as(
        "SELECT invitation_id, name, email, lang, register_url, erased_at IS NOT NULL AS erased \
         FROM invitees WHERE invitation_id = $1",
    )
    .bind(invitation_id)
    .fetch_optional(pool)
    .await
}

/// The addresses on record for these invitations (before they are erased).
///
/// # Errors
/// When Postgres fails.
pub async fn addresses(pool: &PgPool, invitation_ids: &[Uuid]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT email FROM invitees WHERE invitation_id = ANY($1) AND email <> ''",
    )
    .bind(invitation_ids)
    .fetch_all(pool)
    .await
}

/// Erases what is kept about these invitees, keeping a tombstone so that a late message
/// about them is dropped rather than retried. An invitation not seen yet gets its
/// tombstone now, so its `invitation.sent` arriving later sends nothing.
///
/// # Errors
/// When Postgres fails.
pub async fn erase(pool: &PgPool, invitation_ids: &[Uuid]) -> sqlx::Result<u64> {
    if invitation_ids.is_empty() {
        return Ok(0);
    }
    sqlx::query(
        "INSERT INTO invitees (invitation_id, event_id, name, email, register_url, erased_at) \
         SELECT id, '00000000-0000-0000-0000-000000000000', '', '', '', now() FROM unnest($1::uuid[]) AS id \
         ON CONFLICT (invitation_id) DO UPDATE SET name = '', email = '', register_url = '', \
             erased_at = coalesce(invitees.erased_at, now())",
    )
    .bind(invitation_ids)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
}

/// Everything kept about the invitees under `email` (lower-case), for an export.
///
/// # Errors
/// When Postgres fails.
pub async fn export(
    pool: &PgPool,
    email: &str,
) -> sqlx::Result<Vec<convene_shared::messages::ExportedInvitee>> {
    let rows: Vec<(Uuid, Uuid, String, String, String)> = sqlx::query_as(
        "SELECT invitation_id, event_id, name, email, lang FROM invitees \
         WHERE lower(email) = $1 AND erased_at IS NULL ORDER BY invitation_id",
    )
    .bind(email)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(invitation_id, event_id, name, email, lang)| {
            convene_shared::messages::ExportedInvitee {
                invitation_id,
                event_id,
                name,
                email,
                lang,
            }
        })
        .collect())
}
