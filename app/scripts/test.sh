#!/usr/bin/env bash
# The app's whole test suite, twice: on SQLite, then on a real PostgreSQL that this script starts
# (scripts/pg.sh) and removes again. Each run ends with "<database>: N passed, N failed, N skipped";
# the script fails if either run fails or runs no test.
#
#   bash app/scripts/test.sh            # from anywhere
#   bash app/scripts/test.sh tests.accounts   # arguments go to `manage.py test` (both runs)
#
# It runs in the locked virtualenv (scripts/venv.sh, created on first use).
set -euo pipefail

scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app="$(dirname "$scripts")"
PYTHON="$(bash "$scripts/venv.sh")/bin/python"

# The settings the suite runs under: production-like (DEBUG off), with a test-only key.
export DJANGO_SECRET_KEY="test-only-secret-key-not-for-production-0123456789abcdefghij"
export DJANGO_ALLOWED_HOSTS="localhost"
export DJANGO_DEBUG=0
export DJANGO_LOG_LEVEL="${DJANGO_LOG_LEVEL:-CRITICAL}"
export PYTHONDONTWRITEBYTECODE=1
unset DJANGO_CSRF_TRUSTED_ORIGINS DJANGO_CORS_ALLOWED_ORIGINS DJANGO_HTTPS_ONLY WEB_CONCURRENCY \
  SERVER_THREADS SERVER_THREAD_IDLE_TIMEOUT SERVER_GRACEFUL_TIMEOUT SERVER_BIND SERVER_ACCESS_LOG DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD DB_SSLMODE \
  DB_SQLITE DB_SECRET_ARN DB_CONN_MAX_AGE MIGRATION_TIMEOUT

run_suite() {
  local label=$1; shift
  echo "=== $label ==="
  (cd "$app" && "$PYTHON" manage.py test --noinput "$@")
}

status=0
(export DB_SQLITE=1 && run_suite "SQLite" "$@") || status=1

# One cluster directory per checkout: a run killed before its cleanup leaves it behind, and the
# next run from the same checkout stops and replaces it. A lock keeps two runs apart.
cluster="${TMPDIR:-/tmp}/task-api-test-pg-$(printf '%s' "$app" | cksum | cut -d' ' -f1)"
exec 9>"$cluster.lock"
flock -w 120 9 || { echo "test.sh: another test run holds $cluster.lock" >&2; exit 1; }
trap 'bash "$scripts/pg.sh" stop "$cluster" 9>&-' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# 9>&-: the server must not inherit the lock, or a cluster left running would hold it forever.
eval "$(bash "$scripts/pg.sh" start "$cluster" 9>&-)"

run_suite "PostgreSQL" "$@" || status=1
exit "$status"
