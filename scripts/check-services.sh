#!/usr/bin/env bash
# Checks that the Postgres and RabbitMQ the tests use are reachable, and says plainly what
# to start when they are not. Reads DATABASE_URL and AMQP_URL (defaults: the local ones).
set -uo pipefail
db=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
amqp=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}

hostport() { # URL default-port -> "host port"
  local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}
  local host=${rest%:*} port=${rest##*:}
  [ "$host" = "$rest" ] && port=$2
  echo "$host ${port:-$2}"
}
reachable() { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

ok=0
read -r h p <<<"$(hostport "$db" 5432)"
if ! reachable "$h" "$p"; then
  echo "Postgres is not reachable at $h:$p (DATABASE_URL)." >&2
  echo "  Start it: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
  echo "  or with Docker: docker compose -f deploy/compose.yaml up -d postgres" >&2
  ok=1
fi
read -r h p <<<"$(hostport "$amqp" 5672)"
if ! reachable "$h" "$p"; then
  echo "RabbitMQ is not reachable at $h:$p (AMQP_URL)." >&2
  echo "  Start it: rabbitmq-server -detached" >&2
  echo "  or with Docker: docker compose -f deploy/compose.yaml up -d rabbitmq" >&2
  ok=1
fi
if ! command -v "${RABBITMQCTL:-rabbitmqctl}" >/dev/null; then
  echo "rabbitmqctl is not on PATH: the tests create a RabbitMQ vhost each with it (set RABBITMQCTL)." >&2
  ok=1
fi
exit $ok
