-- Exchanges whose follow-up this service has announced (event.follow_up_due, issue 19):
-- the primary key lets one scheduler announce each exchange once, however many run.
CREATE TABLE follow_up_announced (
    event_id      UUID PRIMARY KEY,
    announced_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Exchanges that ended before follow-ups existed get none: their participants would
-- otherwise be thanked weeks late, all at once, on the first tick after this migration.
INSERT INTO follow_up_announced (event_id) SELECT event_id FROM events WHERE ends_at <= now();
