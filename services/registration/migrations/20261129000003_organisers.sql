-- What organisers change after creating an exchange, and decide about offers.
ALTER TABLE events ADD COLUMN status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled'));
ALTER TABLE events ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN online_link TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();

ALTER TABLE cosponsor_offers ADD COLUMN status TEXT NOT NULL DEFAULT 'received'
    CHECK (status IN ('received', 'accepted', 'declined'));
ALTER TABLE cosponsor_offers ADD COLUMN decision_note TEXT NOT NULL DEFAULT '';
ALTER TABLE cosponsor_offers ADD COLUMN decided_at TIMESTAMPTZ;
ALTER TABLE cosponsor_offers ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
-- One offer per organisation per exchange: a second one updates the first.
CREATE UNIQUE INDEX cosponsor_offers_one_per_organisation
    ON cosponsor_offers (event_id, lower(organisation)) WHERE erased_at IS NULL;

CREATE INDEX registrations_by_event_country ON registrations (event_id, country);
