#!/usr/bin/env bash
# Builds the Pulumi CLI pinned in this module (the version of github.com/pulumi/pulumi/sdk/v3 in the
# root go.mod) into $PULUMI_CLI_DIR/bin/pulumi, default tools/pulumi/.cache/v<version>/bin/pulumi.
# Reuses the binary when it exists and reports the right version. Prints the directory (the
# Automation API's PulumiCommand root) on stdout.
# Cold build on 2 cores: about 8 minutes and 2.3 GB (../shared/notes/real-engine.md).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

version="$(cd "$root" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)"
tool_version="$(cd "$here" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
if [ "$version" != "$tool_version" ]; then
  echo "error: go.mod has github.com/pulumi/pulumi/sdk/v3 $version but tools/pulumi pins pkg/v3 $tool_version;" >&2
  echo "  run: (cd tools/pulumi && go get github.com/pulumi/pulumi/pkg/v3@$version github.com/pulumi/pulumi/sdk/v3@$version && go mod tidy)" >&2
  exit 1
fi

dir="${PULUMI_CLI_DIR:-$here/.cache/$version}"
bin="$dir/bin/pulumi"
if [ -x "$bin" ] && [ "$("$bin" version 2>/dev/null)" = "$version" ]; then
  echo "$dir"
  exit 0
fi

mkdir -p "$dir/bin"
echo "building the Pulumi CLI $version into $bin (cold: about 8 minutes on 2 cores)" >&2
start=$SECONDS
(cd "$here" && go build \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  -o "$bin.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
mv "$bin.tmp" "$bin"
echo "built $("$bin" version) in $((SECONDS - start)) s" >&2
echo "$dir"
