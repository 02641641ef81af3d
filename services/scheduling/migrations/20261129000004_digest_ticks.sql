-- Each fire of DIGEST_SCHEDULE, announced once whatever the number of schedulers.
CREATE TABLE digest_ticks (
    at  TIMESTAMPTZ PRIMARY KEY
);
