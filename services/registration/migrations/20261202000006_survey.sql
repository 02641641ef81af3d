-- The feedback survey after an exchange (issue 19): Convene's own, reached from the
-- follow-up email through the participant's manage link, open until `survey_closes_days`
-- after the end; or an external survey an exchange names (`survey_url`) instead.
ALTER TABLE events ADD COLUMN survey_url TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN survey_closes_days INTEGER NOT NULL DEFAULT 14
    CHECK (survey_closes_days BETWEEN 1 AND 90);

-- One answer per participant, which they may change until the survey closes. Each part is
-- optional. `may_name`: the organisers may see who answered; otherwise they never do.
CREATE TABLE survey_answers (
    registration_id UUID PRIMARY KEY REFERENCES registrations (id),
    event_id        UUID NOT NULL REFERENCES events (id),
    rating          SMALLINT CHECK (rating BETWEEN 1 AND 5),
    most_useful     TEXT NOT NULL DEFAULT '',
    should_change   TEXT NOT NULL DEFAULT '',
    may_name        BOOLEAN NOT NULL DEFAULT false,
    answered_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX survey_answers_by_event ON survey_answers (event_id);
