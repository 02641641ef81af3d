-- When a participant last asked for their link again: at most one such email per
-- registration every few minutes, so the form cannot be used to flood an inbox.
ALTER TABLE registrations ADD COLUMN link_sent_at TIMESTAMPTZ;
CREATE INDEX registrations_by_email ON registrations (lower(email));
