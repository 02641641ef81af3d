-- An erased participant stays as a tombstone (no name, no address) so that a late message
-- about them is recognised and dropped instead of retried.
ALTER TABLE recipients DROP CONSTRAINT recipients_status_check;
ALTER TABLE recipients ADD CONSTRAINT recipients_status_check CHECK (status IN ('confirmed', 'cancelled', 'erased'));
