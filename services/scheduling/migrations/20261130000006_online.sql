-- Whether the exchange is held online (event.scheduled's `event.online`, issue 19): the
-- reminders announced for it say so, and the notification service adds each participant's
-- join link. Only the flag: the meeting link itself never reaches this service.
ALTER TABLE events ADD COLUMN online BOOLEAN NOT NULL DEFAULT false;
