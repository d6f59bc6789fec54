#!/usr/bin/env bash
# Requests per CPU-second, requests/s and latency: the seed guide's gunicorn command (on the app before
# and after issue 14's optimizations) vs the container's server (app/config/server.py), five endpoints, servers on one core and on
# two, measured alternately on one PostgreSQL with wrk. See bench/throughput.py for what exactly runs.
#   bash bench/throughput.sh                # 3 rounds x 5 endpoints x 3 servers x 2 core counts (13 min 22 s with --duration 5)
#   bash bench/throughput.sh --cores 1 --endpoints list,post --rounds 2 --duration 5
# Requests per CPU-second counts only the servers' own CPU time; requests/s and latency need an otherwise
# idle machine: wrk, the servers and PostgreSQL share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
# The app's locked test virtualenv (app/requirements-dev.lock; created on first use).
PYTHON="$(bash app/scripts/venv.sh)/bin/python"

command -v wrk >/dev/null || { echo "throughput.sh: wrk is missing; on Debian: apt-get install -y wrk" >&2; exit 1; }
command -v ss >/dev/null || { echo "throughput.sh: ss is missing; on Debian: apt-get install -y iproute2" >&2; exit 1; }
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || command -v pg_ctl >/dev/null || {
  echo "throughput.sh: PostgreSQL's server programs are missing; on Debian: apt-get install -y postgresql" >&2; exit 1; }

# DJANGO_LOG_LEVEL etc. from the caller's shell must not reach one server and not the other: the
# script builds the servers' environments itself (tests/live.py server_env).
export PYTHONDONTWRITEBYTECODE=1
exec "$PYTHON" bench/throughput.py "$@"
