//! The `reminder_notes` table: what organisers asked to add to each exchange's reminders.

use convene_shared::messages::ReminderNote;
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

/// Keeps an exchange's notes as of `version`, unless a newer version is already stored.
///
/// # Errors
/// When Postgres fails.
pub async fn replace(
    pool: &PgPool,
    event_id: Uuid,
    version: i64,
    notes: &[ReminderNote],
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO reminder_notes (event_id, version, notes) VALUES ($1, $2, $3) \
         ON CONFLICT (event_id) DO UPDATE SET version = $2, notes = $3 \
         WHERE reminder_notes.version < $2",
    )
    .bind(event_id)
    .bind(version)
    .bind(Json(notes))
    .execute(pool)
    .await
    .map(drop)
}

/// An exchange's notes (empty without any): read once for a whole batch of reminders,
/// each of which then takes its own with [`pick`].
///
/// # Errors
/// When Postgres fails.
pub async fn for_event(pool: &PgPool, event_id: Uuid) -> sqlx::Result<Vec<ReminderNote>> {
    let notes: Option<Json<Vec<ReminderNote>>> =
        sqlx::query_scalar("SELECT notes FROM reminder_notes WHERE event_id = $1")
            .bind(event_id)
            .fetch_optional(pool)
            .await?;
    Ok(notes.map(|Json(notes)| notes).unwrap_or_default())
}

/// The note for one reminder in `lang`: the English one when there is none in `lang`, then
/// any other (a meeting link matters more than its language); `None` without notes.
pub fn pick(notes: &[ReminderNote], offset_minutes: i32, lang: &str) -> Option<String> {
    let for_offset = || notes.iter().filter(|n| n.offset_minutes == offset_minutes);
    for_offset()
        .find(|n| n.lang == lang)
        .or_else(|| for_offset().find(|n| n.lang == "en"))
        .or_else(|| for_offset().next())
        .map(|n| n.text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(offset_minutes: i32, lang: &str, text: &str) -> ReminderNote {
        ReminderNote {
            offset_minutes,
            lang: lang.to_owned(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn the_participants_language_first_then_english_then_any() {
        let notes = [
            note(60, "fr", "Lien : https://meet.example.org/fr"),
            note(60, "en", "Link: https://meet.example.org/en"),
            note(1440, "es", "Agenda en español"),
        ];
        assert_eq!(
            pick(&notes, 60, "fr").unwrap(),
            "Lien : https://meet.example.org/fr"
        );
        assert_eq!(
            pick(&notes, 60, "es").unwrap(),
            "Link: https://meet.example.org/en"
        );
        assert_eq!(pick(&notes, 1440, "en").unwrap(), "Agenda en español");
        assert_eq!(pick(&notes, 10080, "en"), None);
    }
}
