#!/usr/bin/env bash
# How long the server keeps an idle kept-alive connection open (must outlast the ALB's 60 s idle
# timeout). See bench/keepalive.py. About 80 s.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
exec "$(bash app/scripts/venv.sh)/bin/python" bench/keepalive.py "$@"
