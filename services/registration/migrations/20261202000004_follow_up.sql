-- The follow-up after an exchange (issue 19): where its materials and recording are, told
-- to participants in the follow-up email (empty: none). Organisers may set them before or
-- after the exchange.
ALTER TABLE events ADD COLUMN materials_url TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN recording_url TEXT NOT NULL DEFAULT '';
