-- The participant's own IANA time zone (optional): emails show times in it as well.
ALTER TABLE registrations ADD COLUMN timezone TEXT;
