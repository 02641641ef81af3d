#!/bin/sh
# One Postgres role per Convene service, owning that service's schema and nothing else:
#   convene_registration -> schema registration
#   convene_notification -> schema notification
#   convene_scheduling   -> schema scheduling
# No role can read or change another's schema (a schema grants nothing to others), and
# nobody but the superuser may create objects in `public`.
#
# Run by the postgres image on an empty volume (compose.yaml mounts this folder at
# /docker-entrypoint-initdb.d). Safe to run again: an existing deployment runs it once
# with `make db-roles` (README, "Upgrading"); it then also hands over to each role the
# tables the services created as the old shared user, and sets the passwords again.
#
# Read from the environment:
#   POSTGRES_USER, POSTGRES_DB      the superuser and database (set by the postgres image)
#   REGISTRATION_DATABASE_PASSWORD, NOTIFICATION_DATABASE_PASSWORD,
#   SCHEDULING_DATABASE_PASSWORD    each role's password (from deploy/.env)
#   REGISTRATION_DATABASE_USER, NOTIFICATION_DATABASE_USER, SCHEDULING_DATABASE_USER
#       default convene_<service>; tests/tests/permissions.rs gives names of its own.
#
# A subshell, so that its settings stay its own when the image sources the file instead of
# running it.
(
    set -eu

    grant() { # service role password
        psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
            --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
            -v schema="$1" -v role="$2" -v password="$3" <<'SQL'
SET client_min_messages = warning;
SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'password';
CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"role";
ALTER SCHEMA :"schema" OWNER TO :"role";
REVOKE ALL ON SCHEMA :"schema" FROM PUBLIC;
-- A deployment from before these roles: its migrations created the tables as the
-- superuser. Their sequences and indexes follow them.
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'role')
  FROM pg_tables
 WHERE schemaname = :'schema' AND tableowner <> :'role' \gexec
SQL
    }

    grant registration "${REGISTRATION_DATABASE_USER:-convene_registration}" \
        "${REGISTRATION_DATABASE_PASSWORD:?REGISTRATION_DATABASE_PASSWORD is not set}"
    grant notification "${NOTIFICATION_DATABASE_USER:-convene_notification}" \
        "${NOTIFICATION_DATABASE_PASSWORD:?NOTIFICATION_DATABASE_PASSWORD is not set}"
    grant scheduling "${SCHEDULING_DATABASE_USER:-convene_scheduling}" \
        "${SCHEDULING_DATABASE_PASSWORD:?SCHEDULING_DATABASE_PASSWORD is not set}"

    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
        --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        -c 'REVOKE CREATE ON SCHEMA public FROM PUBLIC'
)
