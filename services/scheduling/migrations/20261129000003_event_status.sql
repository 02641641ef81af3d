-- A cancelled exchange sends no more reminders.
ALTER TABLE events ADD COLUMN status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled'));
