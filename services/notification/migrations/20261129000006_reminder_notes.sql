-- The organisers' notes to add to each exchange's reminders, copied from event.scheduled
-- (the newest version wins): [{offset_minutes, lang, text}].
CREATE TABLE reminder_notes (
    event_id  UUID PRIMARY KEY,
    version   BIGINT NOT NULL,
    notes     JSONB NOT NULL
);
