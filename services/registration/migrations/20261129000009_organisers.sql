-- Organisers' own settings (an organiser is an address in events.organiser_emails; a row
-- here exists once they set something or had a digest).
CREATE TABLE organisers (
    -- Lower-case.
    email           TEXT PRIMARY KEY,
    -- IANA zone for their digest; NULL: the zone of their soonest exchange.
    timezone        TEXT,
    digest_enabled  BOOLEAN NOT NULL DEFAULT true,
    -- When their last digest was composed: the next one tells what arrived after.
    last_digest_at  TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- A digest reads each exchange's registrations of the last day.
CREATE INDEX registrations_by_event_time ON registrations (event_id, registered_at);
