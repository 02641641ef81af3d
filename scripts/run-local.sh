#!/usr/bin/env bash
# Runs the three services against the local Postgres and RabbitMQ, without Docker
# (`make run`). Each service's settings come from the environment, with defaults that
# work on a machine with Postgres and RabbitMQ on their standard local ports. With no
# SMTP_URL, emails are written as .eml files under MAIL_DIR (default var/mail).
# Stops all three on Ctrl-C or SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${CONVENE_BIN_DIR:-target/debug}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/convene}
export AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
export ADMIN_TOKEN=${ADMIN_TOKEN:-local-dev-admin-token}
# Seals links in messages; registration and notification share it (never scheduling).
# This one is for a local run only: a deployment gets its own from `make up`.
export LINK_KEY=${LINK_KEY:-local-dev-link-key-not-for-any-deployment}
export SEED_DEMO=${SEED_DEMO:-true}
export MAIL_DIR=${MAIL_DIR:-var/mail}
registration_addr=${REGISTRATION_HTTP_ADDR:-127.0.0.1:8080}
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://$registration_addr}

# Create the database if it is missing (the services create their own schemas and tables).
if command -v psql >/dev/null; then
  db=${DATABASE_URL##*/}; db=${db%%\?*}
  psql "${DATABASE_URL%/*}/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db'" 2>/dev/null | grep -q 1 \
    || psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE \"$db\"" >/dev/null 2>&1 || true
fi

pids=()
stop() { trap - INT TERM EXIT; kill -TERM "${pids[@]}" 2>/dev/null || true; wait || true; }
trap stop INT TERM EXIT

HTTP_ADDR=$registration_addr "$bin/registration" & pids+=($!)
HTTP_ADDR=${NOTIFICATION_HTTP_ADDR:-127.0.0.1:8081} "$bin/notification" & pids+=($!)
HTTP_ADDR=${SCHEDULING_HTTP_ADDR:-127.0.0.1:8082} env -u LINK_KEY "$bin/scheduling" & pids+=($!)

echo "Convene is starting: open $PUBLIC_BASE_URL/events/demo/register ; emails go to ${SMTP_URL:-$MAIL_DIR}. Ctrl-C stops it."
# Exit as soon as one service exits (e.g. a configuration error), taking the others down.
wait -n
