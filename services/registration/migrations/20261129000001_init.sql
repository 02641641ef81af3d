-- The registration service's tables, in its own schema (set as search_path).

CREATE TABLE events (
    id                        UUID PRIMARY KEY,
    slug                      TEXT NOT NULL UNIQUE,
    title                     TEXT NOT NULL,
    description               TEXT NOT NULL DEFAULT '',
    starts_at                 TIMESTAMPTZ NOT NULL,
    ends_at                   TIMESTAMPTZ NOT NULL,
    timezone                  TEXT NOT NULL,
    capacity                  INTEGER CHECK (capacity IS NULL OR capacity > 0),
    organiser_emails          TEXT[] NOT NULL,
    topics                    TEXT[] NOT NULL DEFAULT '{}',
    reminder_offsets_minutes  INTEGER[] NOT NULL,
    -- Bumped on every change; travels in event.scheduled so consumers keep the newest.
    version                   BIGINT NOT NULL DEFAULT 1,
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX events_upcoming ON events (starts_at);

CREATE TABLE registrations (
    id               UUID PRIMARY KEY,
    event_id         UUID NOT NULL REFERENCES events (id),
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    organisation     TEXT NOT NULL,
    country          TEXT NOT NULL,
    role             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    -- SHA-256 of the secret in the participant's manage link; the secret itself is never stored.
    token_hash       BYTEA NOT NULL UNIQUE,
    consent_version  TEXT NOT NULL,
    consent_text     TEXT NOT NULL,
    consented_at     TIMESTAMPTZ NOT NULL,
    registered_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at     TIMESTAMPTZ
);
-- One registration per person per exchange, whatever the case of the address.
CREATE UNIQUE INDEX registrations_one_per_email ON registrations (event_id, lower(email));
CREATE INDEX registrations_by_event_status ON registrations (event_id, status);

CREATE TABLE cosponsor_offers (
    id             UUID PRIMARY KEY,
    event_id       UUID NOT NULL REFERENCES events (id),
    organisation   TEXT NOT NULL,
    country        TEXT NOT NULL,
    contact_name   TEXT NOT NULL,
    contact_email  TEXT NOT NULL,
    support_kind   TEXT NOT NULL,
    message        TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX cosponsor_offers_by_event ON cosponsor_offers (event_id);

-- Messages waiting to be published (see convene_shared::outbox).
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    message_id   UUID NOT NULL UNIQUE,
    routing_key  TEXT NOT NULL,
    envelope     JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
