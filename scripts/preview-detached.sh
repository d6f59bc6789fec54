#!/usr/bin/env bash
# Previews a stack's configuration without its state backend or its secrets: pull requests run this
# for prod, so that nobody who can open a pull request can read prod's state or its passphrase
# (README "CI/CD").
#
#   scripts/preview-detached.sh STACK [extra `pulumi preview` flags]
#
# It works on a copy: Pulumi.yaml (pointed back at this checkout's program with `main`) and
# Pulumi.STACK.yaml without the stack's encryption salt and secret values, which belong to the
# stack's own passphrase. Each top-level secret value becomes a random placeholder secret, so the
# program takes the same paths as with the real value. The copy gets a new stack in a throwaway
# local backend with a random passphrase, and `pulumi preview` runs on it. It therefore shows every
# resource the stack would have and every configuration error, but everything as a create: not the
# diff against what the stack runs, and never its secret values. The checkout is left unchanged.
#
# PULUMI names the CLI (default: pulumi). AWS credentials come from the environment as usual.
set -euo pipefail

usage="usage: $0 STACK [pulumi preview flags]"
stack=${1:?$usage}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
pulumi=${PULUMI:-pulumi}
stack_file="Pulumi.$stack.yaml"

fail() {
  printf 'error: %s\n' "$1" >&2
  exit 1
}

[ -f "$root/$stack_file" ] || fail "no $stack_file in $root"
[ -f "$root/Pulumi.yaml" ] || fail "no Pulumi.yaml in $root"
if grep -q '^main:' "$root/Pulumi.yaml"; then
  fail "Pulumi.yaml sets main:, which this script would have to rewrite; point it at the program by hand"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/project" "$work/state"

# Whatever backend, token or passphrase the caller has, none of it may reach the CLI: this preview
# must work, and be harmless, with none of the stack's credentials.
unset PULUMI_BACKEND_URL PULUMI_ACCESS_TOKEN PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE
export PULUMI_BACKEND_URL="file://$work/state"
PULUMI_CONFIG_PASSPHRASE=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export PULUMI_CONFIG_PASSPHRASE
export PULUMI_SKIP_UPDATE_CHECK=true

{
  cat "$root/Pulumi.yaml"
  printf "\n# Added by scripts/preview-detached.sh: the program stays in the checkout.\nmain: '%s'\n" "${root//\'/\'\'}"
} >"$work/project/Pulumi.yaml"

# Drop the salt and secrets provider of the stack's own passphrase, and each top-level secret value
# (`  key:` followed by `    secure: ...`, the way `pulumi config set --secret` writes it), listing
# the dropped keys in secret-keys.
awk -v keys="$work/secret-keys" '
  function flush() { if (pending != "") { print pending; pending = "" } }
  dropped && /^     *[^ ]/ { bad = 1 }
  { dropped = 0 }
  pending != "" && /^    secure:/ { print key > keys; pending = ""; dropped = 1; next }
  { flush() }
  /^(encryptionsalt|secretsprovider|encryptedkey):/ { next }
  /^  [^ #].*:[ \t]*$/ { pending = $0; key = $0; sub(/^  /, "", key); sub(/:[ \t]*$/, "", key); next }
  { print }
  END { flush(); if (bad) exit 3 }
' "$root/$stack_file" >"$work/project/$stack_file" ||
  fail "$stack_file: a secure: value with more keys than secure in its mapping; cannot strip it"
touch "$work/secret-keys"
if grep -nE '^[^#]*([[:space:]{,]|^)secure:' "$work/project/$stack_file" >&2; then
  fail "$stack_file has a secret value this script cannot replace (nested in an object or a list, or inline)"
fi

cd "$work/project"
echo "Detached preview of stack '$stack': its configuration against an empty throwaway state (every resource shows as a create; secret values are placeholders)."
"$pulumi" stack init "$stack" --secrets-provider passphrase --non-interactive
while IFS= read -r key; do
  echo "secret $key: replaced by a random placeholder"
  "$pulumi" config set --secret --stack "$stack" "$key" "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
done <"$work/secret-keys"

status=0
"$pulumi" preview --stack "$stack" --non-interactive --diff "$@" 2>&1 | tee "$work/preview.log" || status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ] && grep -q 'the stack has no HTTPS' "$work/preview.log"; then
  # The stack file ships without a domain on purpose; say where to fill it in.
  hint="stack '$stack' has no domain, and the program refuses a stack with deletionProtection: true without HTTPS. Fill in one of the two domain setups commented in $stack_file (domainName with hostedZoneId, or domainName with certificateArn)."
  if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::error file=$stack_file::$hint"; else echo "error: $hint" >&2; fi
fi
exit "$status"
