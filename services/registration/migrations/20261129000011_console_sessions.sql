-- The organisers' web console (issue 17): the one-time sign-in links emailed to organisers,
-- viewers and console admins, and their sessions.

-- A sign-in link: only the SHA-256 of its secret is kept, like participants' links. It
-- works once (`used_at`) until `expires_at`; the rows of the last hour per address bound
-- how many links one address can be sent.
CREATE TABLE console_links (
    token_hash  BYTEA PRIMARY KEY,
    -- Lower-case.
    email       TEXT NOT NULL,
    -- Where to land after signing in: a path under /console (a deep link survives).
    next_path   TEXT NOT NULL DEFAULT '/console',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX console_links_by_email ON console_links (email, created_at);

-- A signed-in organiser: the cookie holds the secret, the row its SHA-256. Who the person
-- may see is read from the exchanges at every request, never kept here.
CREATE TABLE console_sessions (
    token_hash   BYTEA PRIMARY KEY,
    -- Lower-case.
    email        TEXT NOT NULL,
    -- The synchroniser token every console form carries (CSRF).
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Pushed forward at every request: the session ends after CONSOLE_SESSION_HOURS unused.
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX console_sessions_by_email ON console_sessions (email);
