ALTER TABLE recipients DROP CONSTRAINT recipients_status_check;
ALTER TABLE recipients ADD CONSTRAINT recipients_status_check
    CHECK (status IN ('pending', 'confirmed', 'waitlisted', 'offered', 'cancelled', 'rejected', 'expired', 'erased'));
