#!/usr/bin/env bash
# Regenerates the hashed locks from the .in files (run through `make lock` / `make lock-upgrade`).
#
#   bash app/scripts/lock.sh             keep every pin that still satisfies the .in files; add new ones
#   bash app/scripts/lock.sh --upgrade   the newest versions the .in files allow
#
# The locks are universal (Linux x86_64 and arm64 images alike) for the image's Python minor version
# (read from app/Dockerfile), and list only wheels: the image installs them with --only-binary=:all:.
# requirements-dev.lock is constrained by requirements.lock, so a package both use has one version.
set -euo pipefail

app="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
uv=$(bash "$app/scripts/venv.sh" --uv)
python_minor=$(sed -n 's/^ARG PYTHON_IMAGE=python:\([0-9]*\.[0-9]*\)\..*/\1/p' "$app/Dockerfile")
[ -n "$python_minor" ] || { echo "lock.sh: no ARG PYTHON_IMAGE=python:X.Y.Z-... in app/Dockerfile" >&2; exit 1; }

cd "$app"
for name in requirements-uv requirements requirements-dev; do
  "$uv" pip compile --quiet "$@" --universal --python-version "$python_minor" --generate-hashes \
    --only-binary :all: --custom-compile-command "make lock" "$name.in" --output-file "$name.lock"
done
echo "lock.sh: requirements-uv.lock, requirements.lock, requirements-dev.lock updated (Python $python_minor)"
