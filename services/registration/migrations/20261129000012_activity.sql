-- Who did what to an exchange (issue 17: "nobody can tell who approved whom"): one row per
-- decision, written in the transaction that makes it.
CREATE TABLE activity (
    id          BIGSERIAL PRIMARY KEY,
    event_id    UUID NOT NULL REFERENCES events (id),
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A console user's address (lower-case), or `admin API` for a bearer token.
    actor       TEXT NOT NULL,
    -- `registration.approved`, `registration.rejected`, `offer.accepted`, `offer.declined`.
    action      TEXT NOT NULL,
    -- The registration or offer it was done to.
    subject_id  UUID NOT NULL,
    -- What it led to, e.g. the registration's new status.
    outcome     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activity_by_event ON activity (event_id, at DESC);
