-- Erasure keeps a registration as an anonymised count (country, role, status stay, so the
-- figures organisers quote stay right) and records when its personal data went.
ALTER TABLE registrations ADD COLUMN erased_at TIMESTAMPTZ;
ALTER TABLE cosponsor_offers ADD COLUMN erased_at TIMESTAMPTZ;
