#!/bin/sh
# Container entry point.
#   no arguments: apply migrations (advisory-locked, so tasks starting together migrate once) within
#                 MIGRATION_TIMEOUT seconds (default 300), then replace this shell with the server (config/server.py),
#                 which becomes the init process's child and receives ECS's SIGTERM.
#   arguments:    run them instead (one-off commands, e.g. `python manage.py createsuperuser`).
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

budget="${MIGRATION_TIMEOUT:-300}"
case "$budget" in
    "" | *[!0-9]* | 0)
        echo "docker-entrypoint: MIGRATION_TIMEOUT=$budget is not a positive number of seconds" >&2
        exit 2
        ;;
esac

# While the marker exists the health check passes though nothing listens yet (README "Long
# migrations"): a long migration, or a wait for another task's, must not get the container killed.
marker="${MIGRATION_MARKER:?is set by the Dockerfile (ENV MIGRATION_MARKER)}"
touch "$marker"
started=$(date +%s)

# The budget bounds the lock wait (the command's own limit would otherwise be 300 s) and, through
# timeout(1), everything else. timeout runs the command in the background so that this shell can
# pass ECS's SIGTERM on (timeout relays it to the command): a task stopped while migrating stops now.
timeout --kill-after=10 "$budget" python manage.py migrate_with_lock --noinput --lock-timeout "$budget" &
migration=$!
trap 'kill -TERM "$migration" 2>/dev/null || true' TERM INT
status=0
wait "$migration" || status=$?
# A trapped signal ends `wait` early: wait again for the command itself.
while kill -0 "$migration" 2>/dev/null; do
    status=0
    wait "$migration" || status=$?
done
trap - TERM INT
rm -f "$marker"

if [ "$status" -ne 0 ]; then
    if [ "$status" -eq 124 ] || [ $(($(date +%s) - started)) -ge "$budget" ]; then
        echo "docker-entrypoint: migrations did not finish within MIGRATION_TIMEOUT=${budget}s (the stack's" \
            "migrationTimeout setting); exiting without serving. Raise migrationTimeout for a long migration." >&2
    else
        echo "docker-entrypoint: migrations failed (exit status $status); exiting without serving." >&2
    fi
    exit "$status"
fi

exec python -m config.server
