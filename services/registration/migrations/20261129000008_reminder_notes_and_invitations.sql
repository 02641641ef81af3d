-- Organisers' notes added to reminders: [{offset_minutes, lang, text}], the whole set.
ALTER TABLE events ADD COLUMN reminder_notes JSONB NOT NULL DEFAULT '[]';
-- By invitation only: a registration needs an invitation addressed to that person.
ALTER TABLE events ADD COLUMN invitation_only BOOLEAN NOT NULL DEFAULT false;

-- One row per person an organiser invited to an exchange. The personal link holds a
-- secret whose SHA-256 is kept here (as for registrations); the link is bound to the
-- address it was sent to.
CREATE TABLE invitations (
    id               UUID PRIMARY KEY,
    event_id         UUID NOT NULL REFERENCES events (id),
    email            TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    lang             TEXT NOT NULL DEFAULT 'en',
    token_hash       BYTEA NOT NULL UNIQUE,
    invited_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The one reminder to someone who has not answered, once decided.
    reminded_at      TIMESTAMPTZ,
    -- Set when the invitee registered with their link.
    registration_id  UUID REFERENCES registrations (id),
    answered_at      TIMESTAMPTZ,
    erased_at        TIMESTAMPTZ
);
CREATE UNIQUE INDEX invitations_one_per_email ON invitations (event_id, lower(email));
-- The reminder sweep reads only the unanswered, not yet reminded ones.
CREATE INDEX invitations_to_remind ON invitations (invited_at)
    WHERE answered_at IS NULL AND reminded_at IS NULL AND erased_at IS NULL;
