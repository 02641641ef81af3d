-- The participant's language (en, fr, es): the pages they see and every email to them.
ALTER TABLE registrations ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
