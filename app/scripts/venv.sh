#!/usr/bin/env bash
# The Python virtualenv every test runs in: exactly app/requirements-dev.lock (the runtime lock plus
# the test tools), installed by hash, from wheels only, with no resolution.
#
#   bash app/scripts/venv.sh         print the virtualenv's path, creating it first if needed
#   bash app/scripts/venv.sh --uv    print the path of the pinned uv (requirements-uv.lock)
#
# Virtualenvs live outside the source tree, in $TASKAPI_CACHE (default ~/.cache/task-management-api),
# one per content of the locks, interpreter and this script: an unchanged lock reuses its virtualenv
# at once; a changed one gets a new virtualenv, and other checkouts keep theirs.
# The interpreter is `python3.X` from PATH, X the minor version of the Dockerfile's base image, so the
# tests run what the image runs (pyenv's 3.11.7 on the project's machines); TASKAPI_PYTHON overrides it.
set -euo pipefail

app="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${TASKAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/task-management-api}"
mkdir -p "$cache"

want=$(sed -n 's/^ARG PYTHON_IMAGE=python:\([0-9]*\.[0-9]*\)\..*/\1/p' "$app/Dockerfile")
python=$(command -v "${TASKAPI_PYTHON:-python$want}") || {
  echo "venv.sh: no ${TASKAPI_PYTHON:-python$want} on PATH: the image (app/Dockerfile) runs Python $want" >&2; exit 1; }
# Through pyenv's shim to the real interpreter: the virtualenv must not depend on the shim's mood.
python=$("$python" -c 'import sys; print(sys.executable)')
have=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$have" != "$want" ]; then
  echo "venv.sh: $python is Python $have, but the image (app/Dockerfile) runs $want;" >&2
  echo "put a Python $want first on PATH or set TASKAPI_PYTHON" >&2
  exit 1
fi

key() { cat "$@" | sha256sum | cut -c1-16; }

# One process at a time builds (two `make` runs of the same checkout, or of two checkouts).
exec 9>"$cache/.venv.lock"
flock -w 600 9 || { echo "venv.sh: another process holds $cache/.venv.lock" >&2; exit 1; }

# uv, pinned and hash-checked, in a virtualenv of its own made by pip.
uv_env="$cache/uv-$(key "$app/requirements-uv.lock")"
if [ ! -x "$uv_env/bin/uv" ] || [ ! -e "$uv_env/.complete" ]; then
  echo "venv.sh: installing uv from requirements-uv.lock into $uv_env" >&2
  rm -rf "$uv_env"
  "$python" -m venv "$uv_env"
  "$uv_env/bin/python" -m pip install --quiet --disable-pip-version-check \
    --require-hashes --only-binary=:all: --no-deps --requirement "$app/requirements-uv.lock"
  touch "$uv_env/.complete"
fi
if [ "${1:-}" = "--uv" ]; then
  echo "$uv_env/bin/uv"
  exit 0
fi

venv="$cache/venv-$(printf '%s\n' "$python" "$("$python" -VV)" | cat - "$app/requirements-dev.lock" \
  "$app/requirements-uv.lock" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)"
if [ ! -e "$venv/.complete" ]; then
  echo "venv.sh: creating $venv from requirements-dev.lock" >&2
  rm -rf "$venv"
  "$uv_env/bin/uv" venv --quiet --python "$python" "$venv"
  # sync, not install: the virtualenv holds exactly the lock's packages, nothing else.
  "$uv_env/bin/uv" pip sync --quiet --python "$venv/bin/python" --require-hashes --only-binary :all: \
    "$app/requirements-dev.lock"
fi
# .complete's time is the last use: virtualenvs of old locks unused for two weeks are removed.
touch "$venv/.complete"
find "$cache" -mindepth 2 -maxdepth 2 -path "$cache/venv-*/.complete" -mtime +14 -printf '%h\0' | xargs -0r rm -rf
echo "$venv"
