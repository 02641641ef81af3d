-- Asking for one's link again (issue 18 §5): the new link waits beside the current one
-- until it is first opened, so that someone who only knows a participant's address cannot
-- kill their link. Both work meanwhile; opening the new one makes it the only one.
ALTER TABLE registrations ADD COLUMN pending_token_hash BYTEA UNIQUE;

-- Link requests that sent a link, per address (its SHA-256, lower-cased: never the
-- address itself), for the daily limit. Rows older than a day are deleted as new ones come.
CREATE TABLE link_requests (
    address_hash  BYTEA NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX link_requests_by_address ON link_requests (address_hash, requested_at);
CREATE INDEX link_requests_by_time ON link_requests (requested_at);
