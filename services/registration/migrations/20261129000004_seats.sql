-- Seats: approval, a waiting list with offers that expire, per-country caps, and a
-- registration window.
ALTER TABLE events ADD COLUMN requires_approval BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE events ADD COLUMN country_cap INTEGER CHECK (country_cap IS NULL OR country_cap > 0);
ALTER TABLE events ADD COLUMN registration_opens_at TIMESTAMPTZ;
ALTER TABLE events ADD COLUMN registration_closes_at TIMESTAMPTZ;
ALTER TABLE events ADD COLUMN waitlist_offer_hours INTEGER NOT NULL DEFAULT 48 CHECK (waitlist_offer_hours > 0);

-- pending: awaiting approval, holds no seat. waitlisted: in line. offered: a seat is held
-- for them until offer_expires_at. confirmed: holds a seat. expired: let an offer lapse.
ALTER TABLE registrations DROP CONSTRAINT registrations_status_check;
ALTER TABLE registrations ADD CONSTRAINT registrations_status_check
    CHECK (status IN ('pending', 'confirmed', 'waitlisted', 'offered', 'cancelled', 'rejected', 'expired'));
ALTER TABLE registrations ADD COLUMN waitlisted_at TIMESTAMPTZ;
ALTER TABLE registrations ADD COLUMN offer_expires_at TIMESTAMPTZ;
CREATE INDEX registrations_waitlist ON registrations (event_id, waitlisted_at) WHERE status = 'waitlisted';
CREATE INDEX registrations_offers ON registrations (offer_expires_at) WHERE status = 'offered';
