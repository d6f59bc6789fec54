#!/usr/bin/env bash
# The versions the tests run on (make test-versions): the interpreter, every package the .in files
# name, as the tests' virtualenv holds them, uv, PostgreSQL's server, and the image's base.
set -euo pipefail

app="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv=$(bash "$app/scripts/venv.sh")
"$venv/bin/python" - "$app/requirements.in" "$app/requirements-dev.in" <<'PY'
import re
import sys
from importlib.metadata import version

print(f"Python {sys.version.split()[0]} ({sys.base_prefix})")
for path in sys.argv[1:]:
    names = []
    for line in open(path):
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#")[0].strip())
        if match:
            names.append(f"{match.group(1)} {version(match.group(1))}")
    print(f"{path.rsplit('/', 1)[1]}: " + ", ".join(names))
import psycopg  # noqa: E402

libpq = psycopg.pq.version()
print(f"psycopg's libpq: {libpq // 10000}.{libpq % 10000} ({psycopg.pq.__impl__})")
PY
echo "uv $("$(bash "$app/scripts/venv.sh" --uv)" --version | cut -d' ' -f2)"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
echo "PostgreSQL server: $("${pg_bin:-/nonexistent}/postgres" --version 2>/dev/null || echo "not installed")"
echo "image base: $(sed -n 's/^ARG PYTHON_IMAGE=//p' "$app/Dockerfile")"
