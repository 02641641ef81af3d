//! The follow-up after an exchange: who is sent it, whether each took part, and the
//! record that it was composed (`follow_ups`).

use sqlx::PgConnection;
use uuid::Uuid;

use convene_shared::messages::FollowUpParticipant;

use super::attendance;

/// The exchange's confirmed participants whose data is kept, in id order, each with
/// whether they attended.
///
/// Attended is the registration's effective attendance as the rest of the service counts
/// it ([`attendance::effective_sql`]): an organiser's mark (`attended`, `absent`,
/// `excused`; by hand or imported) takes precedence; without one, the participant attended
/// when they opened their personal join link during the exchange (`joined_at`, see
/// `actions/join.rs`). `excused` and `absent` get the "sorry we missed you".
///
/// # Errors
/// When Postgres fails.
pub async fn participants(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> sqlx::Result<Vec<FollowUpParticipant>> {
    let rows: Vec<(Uuid, bool)> = sqlx::query_as(&format!(
        "SELECT r.id, {} IS NOT DISTINCT FROM 'attended' FROM registrations r \
         WHERE r.event_id = $1 AND r.status = 'confirmed' AND r.erased_at IS NULL ORDER BY r.id",
        attendance::effective_sql("r")
    ))
    .bind(event_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(registration_id, attended)| FollowUpParticipant {
            registration_id,
            attended,
        })
        .collect())
}

/// Records that the exchange's follow-up is being composed, for `participants` people;
/// `false` when it already was (nothing more to do). Run in the transaction that enqueues
/// the follow-up: a concurrent delivery waits for it, then finds the row.
///
/// # Errors
/// When Postgres fails.
pub async fn record(
    conn: &mut PgConnection,
    event_id: Uuid,
    participants: usize,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO follow_ups (event_id, participants) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(event_id)
    .bind(participants as i32)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
