#!/usr/bin/env bash
# CPU per request inside the app, in-process (no server): see bench/profile.py.
#   bash bench/profile.sh                      # CPU µs and SQL queries per request, five endpoints
#   bash bench/profile.sh --pyinstrument list  # where GET /api/v1/tasks/ spends it
#   bash bench/profile.sh --callgrind          # instructions per request: unmoved by other load
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="$(bash app/scripts/venv.sh)/bin/python"
if [[ " $* " == *" --callgrind "* ]]; then
  command -v valgrind >/dev/null || { echo "profile.sh: valgrind is missing; on Debian: apt-get install -y valgrind" >&2; exit 1; }
fi
export PYTHONDONTWRITEBYTECODE=1
exec "$PYTHON" bench/profile.py "$@"
