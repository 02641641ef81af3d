-- Exchanges that ask participants to confirm their address (issue 18 §5): a recipient may be
-- `unconfirmed` (asked to open their link) and then `lapsed` (never did; written to no more).
ALTER TABLE recipients DROP CONSTRAINT recipients_status_check;
ALTER TABLE recipients ADD CONSTRAINT recipients_status_check
    CHECK (status IN ('unconfirmed', 'pending', 'confirmed', 'waitlisted', 'offered', 'cancelled',
                      'rejected', 'expired', 'lapsed', 'erased'));
