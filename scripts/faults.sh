#!/usr/bin/env bash
# The fault suite (`make faults`): runs tests/tests/faults.rs, which starts its own
# Postgres and RabbitMQ (the machine's shared ones are never stopped), and prints one line
# per fault and the totals. Exits non-zero when a figure is off.
#
# The test stops its private servers itself, a panic included. This script's trap is the
# guard for the cases where it cannot (the test process killed outright): whatever is
# left in the run's folder is stopped and removed on every exit.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
run_dir=$(mktemp -d /tmp/convene-faults-XXXXXX)
chmod 755 "$run_dir" # the postgres and rabbitmq users create their folders inside

cleanup() {
  for node_file in "$run_dir"/convene-rmq-*/node; do
    [ -f "$node_file" ] || continue
    timeout 30 "${RABBITMQCTL:-rabbitmqctl}" -n "$(cat "$node_file")" stop >/dev/null 2>&1
    pid_file="$(dirname "$node_file")/pid"
    [ -f "$pid_file" ] && kill -9 "$(cat "$pid_file")" 2>/dev/null
  done
  for data in "$run_dir"/convene-pg-*/data; do
    [ -d "$data" ] || continue
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1
  done
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CONVENE_PRIVATE_DIR="$run_dir" cargo test -p convene-tests --test faults -- --ignored --nocapture 2>&1 | tee var/faults.log
exit "${PIPESTATUS[0]}"
