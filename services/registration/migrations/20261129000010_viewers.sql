-- Addresses that may see an exchange in the organisers' console (its lists and figures)
-- without changing anything: the exchange's viewers.
ALTER TABLE events ADD COLUMN viewer_emails TEXT[] NOT NULL DEFAULT '{}';
