#!/usr/bin/env bash
# The live failure tests with one summary line each, and the concurrent-load test scaled up.
# The same tests run in `make test` (app/scripts/test.sh, in the locked virtualenv) with the small default load.
#
#   bash bench/failure-tests.sh                        # LIVE_LOAD_ROUNDS=400: 8 clients x 400 rounds, ~7000 requests
#   LIVE_LOAD_ROUNDS=40 bash bench/failure-tests.sh    # what make test runs
#
#   tests.test_server.LiveServerTests            SIGTERM with requests in flight (SQLite and PostgreSQL passes)
#   tests.test_live_postgres                     concurrent load; database restart under load; login limits
#                                                across servers and restarts (PostgreSQL pass)
#   tests.test_live_rotation                     the database password rotated under load (PostgreSQL pass);
#                                                LIVE_ROTATION_STALE_WINDOW=<s> sets its stale window (1.5 s)
#
# Bounded: each test has its own time limits, and the whole run stops after 15 minutes. test.sh and
# the tests remove their PostgreSQL clusters and servers; a run killed with SIGKILL leaves them to
# the next run, which replaces them.
set -euo pipefail
cd "$(dirname "$0")/.."

export LIVE_TEST_REPORT=1 LIVE_LOAD_ROUNDS="${LIVE_LOAD_ROUNDS:-400}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "bash bench/failure-tests.sh  (LIVE_LOAD_ROUNDS=$LIVE_LOAD_ROUNDS; $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores)"
started=$(date +%s)
status=0
timeout 900 bash app/scripts/test.sh tests.test_server.LiveServerTests tests.test_live_postgres \
  tests.test_live_rotation 2>&1 \
  | tee "$log" || status=$?
echo
echo "Summary ($(( $(date +%s) - started )) s, exit status $status):"
# test.sh prints "=== SQLite ===" / "=== PostgreSQL ===" before each pass, the tests their [name] lines.
grep -E '^(=== |\[[a-z-]+\] |(sqlite|postgresql): )' "$log" || true
exit "$status"
