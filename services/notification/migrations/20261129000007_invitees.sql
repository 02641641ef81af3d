-- People invited to an exchange, copied from invitation.sent so that the one reminder
-- (which names only the invitation) can be addressed and carry the same personal link.
CREATE TABLE invitees (
    invitation_id  UUID PRIMARY KEY,
    event_id       UUID NOT NULL,
    name           TEXT NOT NULL,
    email          TEXT NOT NULL,
    lang           TEXT NOT NULL DEFAULT 'en',
    -- The personal registration link: a credential, dropped on erasure.
    register_url   TEXT NOT NULL,
    erased_at      TIMESTAMPTZ
);
