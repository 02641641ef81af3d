#!/bin/sh
# Makes deploy/.env (`make up` runs this first): created from deploy/.env.example if it is
# missing, then every secret that is empty or missing gets a random value, and the stock
# ADMIN_TOKEN and RABBITMQ_PASSWORD of older versions are replaced. Values already set are
# kept, so running it again changes nothing. Secrets are never printed, only their names.
#
#   scripts/deploy-env.sh [FILE]      FILE (from the repository's root) defaults to deploy/.env
#
# Plain POSIX sh, awk and openssl (or /dev/urandom): a stock Debian or macOS is enough.
set -eu
cd "$(dirname "$0")/.."
file=${1:-deploy/.env}
umask 077

if [ ! -f "$file" ]; then
    cp deploy/.env.example "$file"
    echo "Created $file from deploy/.env.example."
fi

# The last NAME=value line's value (Compose reads the last one too).
value() {
    sed -n "s/^$1=//p" "$file" | tail -n 1
}

# Replaces NAME's line (or appends one) with NAME=value.
set_value() {
    awk -v name="$1" -v value="$2" '
        index($0, name "=") == 1 { if (!done) print name "=" value; done = 1; next }
        { print }
        END { if (!done) print name "=" value }
    ' "$file" > "$file.tmp"
    mv "$file.tmp" "$file"
}

# 48 hex digits: 192 random bits, nothing to percent-encode in a URL.
random() {
    if command -v openssl > /dev/null 2>&1; then
        openssl rand -hex 24
    else
        od -An -tx1 -N24 /dev/urandom | tr -d ' \n'
    fi
}

generated=""
generate() { # NAME [stock value to replace]
    current=$(value "$1")
    if [ -z "$current" ] || [ "$current" = "${2-}" ]; then
        set_value "$1" "$(random)"
        generated="$generated $1"
    fi
}

generate ADMIN_TOKEN change-me-please-0000
generate LINK_KEY
generate POSTGRES_PASSWORD
generate RABBITMQ_PASSWORD convene
for service in REGISTRATION NOTIFICATION SCHEDULING; do
    generate "${service}_DATABASE_PASSWORD"
    generate "${service}_AMQP_PASSWORD"
done

# A password as it can go into a URL unchanged (unreserved characters only); otherwise
# the operator writes that URL, percent-encoded, themselves.
# Called outside $(…), so that its exit stops the script.
require_url_safe() { # NAME
    case "$(value "$1")" in
    *[!A-Za-z0-9._~-]*)
        echo "$file: $1 has characters a URL needs percent-encoded; write the URL that" >&2
        echo "  uses it yourself (deploy/.env.example says how), then run this again." >&2
        exit 1
        ;;
    esac
}

# Each service's URLs, with its own user and the password just made (or kept).
db=$(value POSTGRES_DB)
for service in registration notification scheduling; do
    upper=$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')
    if [ -z "$(value "${upper}_DATABASE_URL")" ]; then
        require_url_safe "${upper}_DATABASE_PASSWORD"
        set_value "${upper}_DATABASE_URL" \
            "postgres://convene_$service:$(value "${upper}_DATABASE_PASSWORD")@postgres:5432/${db:-convene}"
        generated="$generated ${upper}_DATABASE_URL"
    fi
    if [ -z "$(value "${upper}_AMQP_URL")" ]; then
        require_url_safe "${upper}_AMQP_PASSWORD"
        set_value "${upper}_AMQP_URL" \
            "amqp://convene_$service:$(value "${upper}_AMQP_PASSWORD")@rabbitmq:5672/%2f"
        generated="$generated ${upper}_AMQP_URL"
    fi
done
chmod 600 "$file"

if [ -n "$generated" ]; then
    echo "Generated random secrets into $file (not printed; read them there):"
    for name in $generated; do
        echo "  $name"
    done
fi
if [ "$(value POSTGRES_PASSWORD)" = convene ]; then
    echo "WARNING: POSTGRES_PASSWORD in $file is the old stock one (convene): change it in"
    echo "  Postgres and in $file (README, \"Secrets\")."
fi
