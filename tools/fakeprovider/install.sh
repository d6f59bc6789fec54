#!/usr/bin/env bash
# Installs the fake provider plugins into a Pulumi home, for tests that run the real Pulumi CLI:
#
#   tools/fakeprovider/install.sh <PULUMI_HOME>
#
# Builds the one fake binary (Go's build cache makes an unchanged rebuild take about a second) and installs it
# as <PULUMI_HOME>/plugins/resource-<pkg>-v<version>/pulumi-resource-<pkg> for aws, awsx and docker, with
# each version read from the pulumi-plugin.json of the SDK module version the repository's root go.mod
# requires (what the engine will ask for). Prints the installed plugin paths.
set -euo pipefail

home="${1:?usage: $0 <PULUMI_HOME>}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$home/plugins" "$here/.cache/bin"
home="$(cd "$home" && pwd)"

bin="$here/.cache/bin/pulumi-resource-fake"
(
  # One build at a time (parallel test processes may install at once).
  flock 9
  cd "$here"
  go build -o "$bin" .
) 9>"$here/.cache/build.lock"

declare -A sdk=(
  [aws]=github.com/pulumi/pulumi-aws/sdk/v6
  [awsx]=github.com/pulumi/pulumi-awsx/sdk/v2
  [docker]=github.com/pulumi/pulumi-docker/sdk/v4
)
for pkg in aws awsx docker; do
  mod="${sdk[$pkg]}"
  dir="$(cd "$root" && go list -m -f '{{.Dir}}' "$mod")"
  if [ -z "$dir" ]; then
    dir="$(cd "$root" && go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  fi
  json="$dir/go/$pkg/pulumi-plugin.json"
  version="$(sed -n 's/^[[:space:]]*"version": "\(.*\)".*$/\1/p' "$json")"
  if [ -z "$version" ]; then
    echo "error: no version in $json" >&2
    exit 1
  fi
  target="$home/plugins/resource-$pkg-v$version"
  mkdir -p "$target"
  rm -f "$target.partial"
  if ! cmp -s "$bin" "$target/pulumi-resource-$pkg"; then
    cp -f "$bin" "$target/pulumi-resource-$pkg.tmp"
    chmod 0755 "$target/pulumi-resource-$pkg.tmp"
    mv -f "$target/pulumi-resource-$pkg.tmp" "$target/pulumi-resource-$pkg"
  fi
  echo "$target/pulumi-resource-$pkg"
done
