#!/bin/sh
# Container entry point.
#   no arguments: apply migrations (advisory-locked, so tasks starting together migrate once), then
#                 replace this shell with gunicorn, which becomes PID 1 and receives ECS's SIGTERM.
#   arguments:    run them instead (one-off commands, e.g. `python manage.py createsuperuser`).
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

python manage.py migrate_with_lock --noinput
exec gunicorn --config gunicorn.conf.py config.wsgi:application
