-- The participant's personal join link (issue 19), sealed as registration sent it (for
-- `join_url:<registration_id>`) and opened only to render an email about an online
-- exchange; empty for registrations from before join links, and once erased.
ALTER TABLE recipients ADD COLUMN join_url TEXT NOT NULL DEFAULT '';
