ALTER TABLE registrations DROP CONSTRAINT registrations_status_check;
ALTER TABLE registrations ADD CONSTRAINT registrations_status_check CHECK (status IN ('confirmed', 'cancelled', 'erased'));

-- Exchanges whose personal data this service has asked to be erased (event.retention_due).
CREATE TABLE retention_announced (
    event_id      UUID PRIMARY KEY,
    announced_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
