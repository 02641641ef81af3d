-- Confirming the address (issue 18 §5): an exchange may hold registrations as `unconfirmed`
-- until the participant opens the link emailed to them, so that invented addresses take no
-- seat. An unconfirmed registration holds no seat; it `lapsed` when its link was not opened
-- by `confirm_by` (EMAIL_CONFIRM_HOURS after registering), and the address may register anew.
ALTER TABLE events ADD COLUMN confirm_email BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE registrations DROP CONSTRAINT registrations_status_check;
ALTER TABLE registrations ADD CONSTRAINT registrations_status_check
    CHECK (status IN ('unconfirmed', 'pending', 'confirmed', 'waitlisted', 'offered',
                      'cancelled', 'rejected', 'expired', 'lapsed'));
ALTER TABLE registrations ADD COLUMN confirm_by TIMESTAMPTZ;
CREATE INDEX registrations_unconfirmed ON registrations (confirm_by) WHERE status = 'unconfirmed';
