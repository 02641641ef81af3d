-- Online exchanges (issue 19): the organisers' private meeting link, and how long before the
-- start each participant's personal join link opens it. Never shown publicly, never in a
-- message: the join links redirect to it at the moment they are opened.
ALTER TABLE events ADD COLUMN meeting_url TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN join_opens_minutes INTEGER NOT NULL DEFAULT 30
    CHECK (join_opens_minutes BETWEEN 0 AND 1440);

-- SHA-256 of the secret in the participant's personal join link (`/j/{token}`); the secret
-- itself is never stored. NULL for registrations from before join links.
ALTER TABLE registrations ADD COLUMN join_token_hash BYTEA UNIQUE;
-- When the participant first opened the meeting through their join link (kept).
ALTER TABLE registrations ADD COLUMN joined_at TIMESTAMPTZ;
