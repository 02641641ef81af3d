-- The notification service's tables, in its own schema (set as search_path).

-- Who can be emailed about a registration: copied from registration.confirmed, so that a
-- reminder (which names only the registration) can be addressed without asking the
-- registration service.
CREATE TABLE recipients (
    registration_id  UUID PRIMARY KEY,
    event_id         UUID NOT NULL,
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    manage_url       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    -- When the status last changed at the source; an older message never overwrites a newer one.
    status_at        TIMESTAMPTZ NOT NULL
);

-- One row per email the SMTP server accepted, keyed by what the email is about, so that a
-- redelivered message never sends it twice.
CREATE TABLE sent_emails (
    key         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    message_id  UUID NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sent_emails_by_kind ON sent_emails (kind, sent_at);
