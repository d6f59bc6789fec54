#!/usr/bin/env bash
# Throughput and latency: the seed guide's gunicorn command vs app/gunicorn.conf.py (WEB_CONCURRENCY=2),
# measured alternately on one PostgreSQL with wrk. See bench/throughput.py for what exactly runs.
#   bash bench/throughput.sh                     # 5 rounds x (GET, POST) x (seed, ours) x 10 s: ~4 minutes
#   bash bench/throughput.sh --rounds 3 --duration 5 --connections 32
# Run it on an otherwise idle machine: wrk, both servers and PostgreSQL share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
# The app's locked test virtualenv (app/requirements-dev.lock; created on first use).
PYTHON="$(bash app/scripts/venv.sh)/bin/python"

command -v wrk >/dev/null || { echo "throughput.sh: wrk is missing; on Debian: apt-get install -y wrk" >&2; exit 1; }
command -v ss >/dev/null || { echo "throughput.sh: ss is missing; on Debian: apt-get install -y iproute2" >&2; exit 1; }
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || command -v pg_ctl >/dev/null || {
  echo "throughput.sh: PostgreSQL's server programs are missing; on Debian: apt-get install -y postgresql" >&2; exit 1; }

# DJANGO_LOG_LEVEL etc. from the caller's shell must not reach one server and not the other: the
# script builds both environments itself (tests/live.py server_env).
export PYTHONDONTWRITEBYTECODE=1
exec "$PYTHON" bench/throughput.py "$@"
