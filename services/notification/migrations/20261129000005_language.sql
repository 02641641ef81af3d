-- The participant's language (en, fr, es): every email to them is in it.
ALTER TABLE recipients ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
