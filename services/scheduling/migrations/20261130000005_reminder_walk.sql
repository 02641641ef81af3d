-- The reminder tick walks a due exchange's confirmed registrations in id order, each batch
-- starting where the last one stopped (store/reminders.rs, `due_after`). This index is that
-- walk; it also serves everything the one it replaces did (its first column is event_id).
CREATE INDEX registrations_confirmed_by_event_and_id ON registrations (event_id, registration_id)
    WHERE status = 'confirmed';
DROP INDEX registrations_confirmed_by_event;
