#!/bin/sh
# Prints, as RabbitMQ definitions (JSON), the users Convene's broker needs: the operator's
# administrator and one user per service, each allowed only the exchange and queues that
# service declares, binds, publishes to and consumes from (shared/src/topology.rs,
# docs/messages.md). entrypoint.sh writes it where load_definitions (30-convene.conf)
# reads it at every start, so the passwords in deploy/.env always apply.
#
# Read from the environment:
#   RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS     the administrator (management UI)
#   REGISTRATION_AMQP_PASSWORD, NOTIFICATION_AMQP_PASSWORD, SCHEDULING_AMQP_PASSWORD
#   CONVENE_AMQP_VHOST                               default /
#   REGISTRATION_AMQP_USER, NOTIFICATION_AMQP_USER, SCHEDULING_AMQP_USER
#       default convene_<service>; tests/tests/permissions.rs gives names of its own.
#
# What RabbitMQ checks (https://www.rabbitmq.com/docs/access-control):
#   configure  declaring a queue or exchange (and deleting it)
#   write      publishing to an exchange; binding a queue (on the queue); creating a queue
#              with a dead-letter exchange (on that exchange; amq.default is the default one)
#   read       consuming or getting from a queue; binding (on the exchange); creating a
#              queue with a dead-letter exchange (on the queue)
# Every inbox and retry queue dead-letters through the default exchange, and consumers
# send retries and dead letters through it too: each service writes to amq.default.
# registration and scheduling publish, and declare every inbox (with its dead-letter
# queue) before they do, so that no message is published before the queue that must take
# it exists. Whichever service starts first creates an inbox, so they may configure, bind
# and read every inbox, though they consume only their own (RabbitMQ has no permission for
# "create with a dead-letter exchange" without "read"). No service may touch another's
# retry or dead-letter queues. notification publishes nothing to the convene exchange.
# Questions (shared/src/requests.rs): registration asks through amq.default into
# notification.requests, which only notification declares and reads; the answer comes back
# through amq.default to registration's direct reply-to (amq.rabbitmq.reply-to).
# tests/tests/permissions.rs loads this file's output and checks all of it.
set -eu

vhost=${CONVENE_AMQP_VHOST:-/}
admin=${RABBITMQ_DEFAULT_USER:?RABBITMQ_DEFAULT_USER is not set}
admin_password=${RABBITMQ_DEFAULT_PASS:?RABBITMQ_DEFAULT_PASS is not set}

# A JSON string: backslashes and double quotes escaped (passwords are generated as hex, but
# an operator may choose their own).
json() {
    printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# Every inbox and its dead-letter queue, as a publisher declares them.
inboxes='(registration|notification|scheduling)\.inbox'

# The permissions of one service: configure, write and read regexes.
permissions() {
    own="$1\\.inbox"
    case "$1" in
    notification)
        configure="^(convene|$own|$own\\.dead|$own\\.retry\\.[0-9]+ms|notification\\.requests)\$"
        write="^(amq\\.default|$own)\$"
        read="^(convene|$own|$own\\.dead|$own\\.retry\\.[0-9]+ms|notification\\.requests)\$"
        ;;
    registration | scheduling)
        configure="^(convene|$inboxes|$inboxes\\.dead|$own\\.retry\\.[0-9]+ms)\$"
        write="^(amq\\.default|convene|$inboxes)\$"
        read="^(convene|$inboxes|$own\\.dead|$own\\.retry\\.[0-9]+ms)\$"
        ;;
    esac
}

user_of() {
    case "$1" in
    registration) printf '%s' "${REGISTRATION_AMQP_USER:-convene_registration}" ;;
    notification) printf '%s' "${NOTIFICATION_AMQP_USER:-convene_notification}" ;;
    scheduling) printf '%s' "${SCHEDULING_AMQP_USER:-convene_scheduling}" ;;
    esac
}

password_of() {
    case "$1" in
    registration) printf '%s' "${REGISTRATION_AMQP_PASSWORD:?REGISTRATION_AMQP_PASSWORD is not set}" ;;
    notification) printf '%s' "${NOTIFICATION_AMQP_PASSWORD:?NOTIFICATION_AMQP_PASSWORD is not set}" ;;
    scheduling) printf '%s' "${SCHEDULING_AMQP_PASSWORD:?SCHEDULING_AMQP_PASSWORD is not set}" ;;
    esac
}

services='registration notification scheduling'

printf '{\n  "vhosts": [{"name": %s}],\n' "$(json "$vhost")"
printf '  "users": [\n'
printf '    {"name": %s, "password": %s, "tags": "administrator"}' \
    "$(json "$admin")" "$(json "$admin_password")"
for service in $services; do
    user=$(user_of "$service")
    password=$(password_of "$service")
    printf ',\n    {"name": %s, "password": %s, "tags": ""}' "$(json "$user")" "$(json "$password")"
done
printf '\n  ],\n  "permissions": [\n'
printf '    {"user": %s, "vhost": %s, "configure": ".*", "write": ".*", "read": ".*"}' \
    "$(json "$admin")" "$(json "$vhost")"
for service in $services; do
    permissions "$service"
    printf ',\n    {"user": %s, "vhost": %s, "configure": %s, "write": %s, "read": %s}' \
        "$(json "$(user_of "$service")")" "$(json "$vhost")" \
        "$(json "$configure")" "$(json "$write")" "$(json "$read")"
done
printf '\n  ]\n}\n'
