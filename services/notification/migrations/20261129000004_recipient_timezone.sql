-- The participant's own time zone, when given: emails show times in it too.
ALTER TABLE recipients ADD COLUMN timezone TEXT;
