#!/usr/bin/env bash
# Build cost of the Pulumi program: cold and warm `go build`, and `go test ./...`, each with wall time and
# the peak resident memory of its largest process (GNU time's %M over the go command and its children).
# "Cold" uses an empty, temporary GOCACHE (modules already downloaded); the real cache is never touched.
# Usage: bash bench/build-cost.sh            (takes ~5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
report() { printf '| %s | %s s | %s MB |\n' "$1" "$(cut -d' ' -f1 "$scratch/t")" "$(( $(cut -d' ' -f2 "$scratch/t") / 1024 ))"; }
measure() { /usr/bin/time -f '%e %M' -o "$scratch/t" "$@" >/dev/null; }

go mod download
echo "$(go version), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| step | wall time | peak RSS of the largest process |"
echo "| --- | --- | --- |"

GOCACHE="$scratch/gocache" measure go build -o "$scratch/bin" .
report "cold \`go build .\` (empty GOCACHE)"

GOCACHE="$scratch/gocache" measure go build -trimpath -ldflags "-w -s" -o "$scratch/bin" .
report "cold \`go build -trimpath -ldflags '-w -s' .\` (what \`pulumi up\` runs; shares nothing with the line above)"

measure go build -o "$scratch/bin" .
report "warm \`go build .\`, nothing changed"

# A copy of the program with main.go edited: recompiles package main and relinks, as after a real edit.
mkdir "$scratch/edited"
cp -r go.mod go.sum main.go infra internal "$scratch/edited/"
echo "// edited" >> "$scratch/edited/main.go"
(cd "$scratch/edited" && measure go build -o "$scratch/bin" .)
report "warm \`go build .\` after editing main.go"

measure go test -count=1 ./...
report "warm \`go test -count=1 ./...\`"
