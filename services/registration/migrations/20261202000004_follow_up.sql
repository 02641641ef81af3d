-- The follow-up after an exchange (issue 19): where its materials and recording are, told
-- to participants in the follow-up email (empty: none). Organisers may set them before or
-- after the exchange.
ALTER TABLE events ADD COLUMN materials_url TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN recording_url TEXT NOT NULL DEFAULT '';

-- Exchanges whose follow-up was composed (event.follow_up_due → event.follow_up): the
-- primary key makes a second delivery of the announcement compose nothing.
CREATE TABLE follow_ups (
    event_id      UUID PRIMARY KEY REFERENCES events (id),
    composed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- How many participants it was composed for (attended or not).
    participants  INTEGER NOT NULL
);
