//! Signing in to the organisers' console by email: asking for a one-time link, and using
//! it to start a session.
//!
//! A link is sent only to an address that organises or views an exchange, or is a console
//! admin, and at most [`LINKS_PER_HOUR`] times an hour; the person asking is told the same
//! in every case, so the form reveals nothing. The link, its address and the email it goes
//! in are written in one transaction (the outbox); the notification service sends it.
//! Links and sessions are stored only as the SHA-256 of their secrets.

use convene_shared::messages::{sign_in_url_context, ConsoleSignInRequested, Envelope};
use convene_shared::outbox;
use convene_shared::sealed::LinkKeys;
use convene_shared::values::Email;
use sqlx::PgPool;
use uuid::Uuid;

use super::new_token;
use crate::domain::ConsolePath;
use crate::store::console;

/// At most this many links per address per hour.
pub const LINKS_PER_HOUR: i64 = 5;

/// What became of a request for a link (for logs and tests; the page says the same).
#[derive(Debug, PartialEq, Eq)]
pub enum Requested {
    Sent,
    /// The address may not sign in: nothing was written.
    Unknown,
    /// The address had its links for this hour.
    Limited,
}

/// What the console's settings say about signing in.
pub struct SignInRules<'a> {
    /// Lower-case addresses that may see everything.
    pub admins: &'a [String],
    pub link_minutes: u32,
    pub session_hours: u32,
    pub public_base_url: &'a str,
    /// Seals the link in its message.
    pub keys: &'a LinkKeys,
}

impl SignInRules<'_> {
    fn is_admin(&self, email: &str) -> bool {
        self.admins.iter().any(|a| a == email)
    }
}

/// Emails `email` a link to sign in, landing on `next`, if it may sign in and has not had
/// its links for this hour.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn request_link(
    pool: &PgPool,
    rules: &SignInRules<'_>,
    email: &Email,
    next: &ConsolePath,
    correlation_id: Uuid,
) -> sqlx::Result<Requested> {
    let email = email.as_str().to_lowercase();
    let mut tx = pool.begin().await?;
    console::delete_stale(&mut tx).await?;
    if !(rules.is_admin(&email) || console::is_member(&mut tx, &email).await?) {
        tx.commit().await?;
        return Ok(Requested::Unknown);
    }
    console::lock_address(&mut tx, &email).await?;
    if console::links_last_hour(&mut tx, &email).await? >= LINKS_PER_HOUR {
        tx.commit().await?;
        return Ok(Requested::Limited);
    }
    let (token, hash) = new_token();
    let expires_at =
        console::insert_link(&mut tx, &hash, &email, next.as_str(), rules.link_minutes).await?;
    let link_id = Uuid::now_v7();
    let message = ConsoleSignInRequested {
        link_id,
        email,
        sign_in_url: rules.keys.seal(
            &sign_in_url_context(link_id),
            &format!(
                "{}/console/sign-in/{token}",
                rules.public_base_url.trim_end_matches('/')
            ),
        ),
        expires_at,
    };
    outbox::enqueue(&mut tx, &Envelope::new(&message, correlation_id)).await?;
    tx.commit().await?;
    Ok(Requested::Sent)
}

/// A session just started: the cookie's secret and where to go.
pub struct Started {
    /// The secret for the cookie (stored only hashed).
    pub session_token: String,
    pub next: String,
}

/// Uses a link: it stops working, and a session starts for its address, if that address
/// may still sign in. `None` when the link was used, expired, unknown, or the address lost
/// its access meanwhile.
///
/// # Errors
/// When Postgres fails; nothing is written then.
pub async fn use_link(
    pool: &PgPool,
    rules: &SignInRules<'_>,
    token: &str,
) -> sqlx::Result<Option<Started>> {
    let mut tx = pool.begin().await?;
    let Some((email, next)) = console::use_link(&mut tx, &super::hash_token(token)).await? else {
        return Ok(None);
    };
    if !(rules.is_admin(&email) || console::is_member(&mut tx, &email).await?) {
        tx.commit().await?; // the link is spent either way
        return Ok(None);
    }
    let (session_token, session_hash) = new_token();
    let (csrf_token, _) = new_token();
    console::insert_session(
        &mut tx,
        &session_hash,
        &email,
        &csrf_token,
        rules.session_hours,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Started {
        session_token,
        next,
    }))
}
