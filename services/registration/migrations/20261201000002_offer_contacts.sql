-- A co-sponsorship offer resubmitted under the same organisation never changes the contact
-- of the existing offer (issue 18 §5): anyone could otherwise redirect the organisers'
-- replies. One offer per organisation *and contact address*; another address makes another
-- offer, and the organisers see both.
DROP INDEX cosponsor_offers_one_per_organisation;
CREATE UNIQUE INDEX cosponsor_offers_one_per_contact
    ON cosponsor_offers (event_id, lower(organisation), lower(contact_email)) WHERE erased_at IS NULL;

-- When organisers were emailed about an offer (`cosponsor_offer.received`), for the hourly
-- limit per exchange. Rows older than an hour are deleted as new ones come.
CREATE TABLE offer_emails (
    event_id      UUID NOT NULL REFERENCES events (id),
    announced_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX offer_emails_by_event ON offer_emails (event_id, announced_at);
