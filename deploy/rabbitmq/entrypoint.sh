#!/bin/sh
# The rabbitmq container's entrypoint (compose.yaml): writes the users and permissions of
# definitions.sh, from the passwords in the container's environment, to the file
# 30-convene.conf has RabbitMQ load at every start, then starts RabbitMQ as the image does.
# The file lives in the container, not in the data volume, and only RabbitMQ may read it.
set -eu
definitions=/etc/rabbitmq/convene-definitions.json
umask 077
sh /etc/convene/definitions.sh > "$definitions.tmp"
mv "$definitions.tmp" "$definitions"
if [ "$(id -u)" = 0 ]; then
    chown rabbitmq:rabbitmq "$definitions"
fi
exec docker-entrypoint.sh "$@"
