-- The scheduling service's tables, in its own schema (set as search_path). Everything here
-- is copied from messages (event.scheduled, registration.*); nothing personal is kept.

CREATE TABLE events (
    event_id                  UUID PRIMARY KEY,
    slug                      TEXT NOT NULL,
    title                     TEXT NOT NULL,
    starts_at                 TIMESTAMPTZ NOT NULL,
    ends_at                   TIMESTAMPTZ NOT NULL,
    timezone                  TEXT NOT NULL,
    reminder_offsets_minutes  INTEGER[] NOT NULL,
    version                   BIGINT NOT NULL
);
CREATE INDEX events_by_start ON events (starts_at);

CREATE TABLE registrations (
    registration_id  UUID PRIMARY KEY,
    event_id         UUID NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    registered_at    TIMESTAMPTZ NOT NULL,
    -- When the status last changed at the source; an older message never overwrites a newer one.
    status_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX registrations_confirmed_by_event ON registrations (event_id) WHERE status = 'confirmed';

-- One row per reminder decided; the primary key is what makes "exactly once" hold with any
-- number of scheduling processes.
CREATE TABLE reminders (
    registration_id  UUID NOT NULL,
    offset_minutes   INTEGER NOT NULL,
    event_id         UUID NOT NULL,
    decided_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (registration_id, offset_minutes)
);

-- Messages waiting to be published (see convene_shared::outbox).
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    message_id   UUID NOT NULL UNIQUE,
    routing_key  TEXT NOT NULL,
    envelope     JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
